/**
 * Stage 2 of IBQ: the class-conditional autoregressive transformer over token grids (LlamaGen-style, IBQ.md
 * "Autoregressive model").
 *
 * <p>Model: {@link dev.ibq.training.autoregressive.Transformer} of {@link
 * dev.ibq.training.autoregressive.TransformerBlock}s ({@link dev.ibq.training.autoregressive.RmsNorm}, {@link
 * dev.ibq.training.autoregressive.Attention} with {@link dev.ibq.training.autoregressive.Rope2d} and a {@link
 * dev.ibq.training.autoregressive.KvCache}, {@link dev.ibq.training.autoregressive.FeedForward}, AdaLN), shaped by an
 * {@link dev.ibq.training.autoregressive.ArConfig} from the closed {@link dev.ibq.training.autoregressive.ArPreset}
 * registry; weights keyed like LlamaGen's state dict ({@link dev.ibq.training.autoregressive.ArParameters}).
 *
 * <p>Data: {@link dev.ibq.training.autoregressive.data.TokenDataset} from an Avro container file ({@code ./ibq
 * encode}) or a bounded read of the Kafka token topic; one tokenizer id per dataset.
 *
 * <p>Commands: {@code ./ibq train-ar --tokens tokens.avro --out runs/ar} ({@link
 * dev.ibq.training.autoregressive.ArTrainer}), {@code ./ibq generate --checkpoint runs/ar --decoder
 * decoder.onnx --out grid.png} ({@link dev.ibq.training.autoregressive.ArGenerator}, {@link
 * dev.ibq.training.autoregressive.ArSampler}), {@code ./ibq train-classifier} and {@code ./ibq bench-ar}
 * (class accuracy and domain FID, {@link dev.ibq.training.autoregressive.eval}).
 */
package dev.ibq.training.autoregressive;
