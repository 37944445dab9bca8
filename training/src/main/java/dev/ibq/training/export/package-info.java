/**
 * Export of the trained IBQ tokenizer to ONNX, and the tools around the exported files.
 *
 * <ul>
 *   <li>{@link dev.ibq.training.export.TokenizerExporter}: a DJL {@code IbqTokenizerModel} (EMA weights) ->
 *       {@code encoder.onnx} (images (B, C, H, W) float -> tokens (B, H', W') int32, the quantizer's
 *       maximum-inner-product argmax inside the graph, chunked over the codebook by
 *       {@link dev.ibq.training.export.QuantizerGraph}) and {@code decoder.onnx} (tokens -> images), opset 21,
 *       protobufs built directly ({@link dev.ibq.training.export.OnnxGraph}). Both carry the metadata keys of
 *       {@code dev.ibq.model.TokenizerMetadata}; the tokenizer id is
 *       {@link dev.ibq.training.export.TokenizerId}'s SHA-256 over the exported weights.
 *   <li>{@link dev.ibq.training.export.ParityCheck}: ONNX Runtime against DJL on the same images (tokens,
 *       near-tie margins, decoder max abs difference).
 *   <li>{@link dev.ibq.training.export.TokenFileEncoder} / {@link dev.ibq.training.export.TokenFileDecoder}:
 *       resumable batch encoding of image sets into Avro container files of TokenRecords, and back to PNGs.
 *   <li>{@link dev.ibq.training.export.ExportBenchmark}: ONNX Runtime vs DJL throughput, the large-K quantizer
 *       vs the measured MatMul peak, and full parity ({@code ./ibq bench-export}).
 * </ul>
 */
package dev.ibq.training.export;
