/**
 * The exported IBQ tokenizer on ONNX Runtime (CUDA when usable, otherwise CPU), used by the stream job and
 * the CLIs.
 *
 * <ul>
 *   <li>{@link dev.ibq.runtime.OnnxTokenizer}: {@code open(Path encoderOnnx, Options)}, then
 *       {@code int[][] encode(FloatBuffer nchw, int batch)} or {@code encode(float[] nchw, int batch)}:
 *       (B, C, H, W) preprocessed floats -> (B, H'*W') token ids in raster order. One session per instance,
 *       thread-safe {@code encode}; open once per task, close at the end.
 *   <li>{@link dev.ibq.runtime.OnnxDecoder}: {@code open(Path decoderOnnx, Options)}, then
 *       {@code float[] decode(int[][] tokens)} -> (B, C, H, W) floats.
 *   <li>{@link dev.ibq.model.TokenizerInfo}: identity, geometry, preprocessing and config, read
 *       from the model's metadata ({@link dev.ibq.model.TokenizerMetadata} lists the keys), plus the
 *       execution provider in use. Preprocessing comes ONLY from here:
 *       {@code PreprocessingSpec.parse(info.preprocessingDescriptor())}.
 *   <li>Failures to open are {@link dev.ibq.model.OnnxModelException}s whose message says which file
 *       and what was expected; input of the wrong size is an {@link IllegalArgumentException}.
 * </ul>
 */
package dev.ibq.runtime;

import dev.ibq.model.OnnxModelException;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;
