package dev.ibq.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.Map;
import dev.ibq.model.OnnxModelException;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;

/**
 * The IBQ tokenizer's decoder on ONNX Runtime: token ids in, images out.
 *
 * <p>Shapes: B batch, H' x W' the token grid, C x H x W the model's image. {@code decode} takes
 * (B, H'*W') token ids in raster order, each in [0, K), and returns (B, C, H, W) floats in NCHW order in
 * the model's value range (the preprocessing spec's range, e.g. [-1, 1]; out-of-range values are not
 * clamped). Thread-safety and lifecycle as {@link OnnxTokenizer}.
 */
public final class OnnxDecoder implements AutoCloseable {
  private final Path model;
  private final OrtSession session;
  private final TokenizerInfo info;

  private OnnxDecoder(Path model, OrtSession session, TokenizerInfo info) {
    this.model = model;
    this.session = session;
    this.info = info;
  }

  /** Opens an exported {@code decoder.onnx} with {@link OnnxTokenizer.Options#defaults()}. */
  public static OnnxDecoder open(Path decoderModel) {
    return open(decoderModel, OnnxTokenizer.Options.defaults());
  }

  /**
   * Opens an exported {@code decoder.onnx}.
   *
   * @throws OnnxModelException as {@link OnnxTokenizer#open(Path, OnnxTokenizer.Options)}
   */
  public static OnnxDecoder open(Path decoderModel, OnnxTokenizer.Options options) {
    OnnxSessions.Opened opened = OnnxSessions.open(decoderModel, options, TokenizerMetadata.ROLE_DECODER);
    return new OnnxDecoder(decoderModel, opened.session(), opened.info());
  }

  public TokenizerInfo info() {
    return info;
  }

  /**
   * Decodes a batch.
   *
   * @param tokens (batch, H'*W') token ids, each row exactly H'*W' long with ids in [0, K)
   * @return (batch, C, H, W) floats, NCHW
   */
  public float[] decode(int[][] tokens) {
    if (tokens == null || tokens.length == 0) {
      throw new IllegalArgumentException("No token rows were given; expected at least one row of H'*W' token ids.");
    }
    int n = info.tokensPerImage();
    int[] flat = new int[tokens.length * n];
    for (int b = 0; b < tokens.length; b++) {
      if (tokens[b] == null || tokens[b].length != n) {
        throw new IllegalArgumentException(
            "Token row "
                + b
                + " holds "
                + (tokens[b] == null ? 0 : tokens[b].length)
                + " ids; the model's grid is "
                + info.gridHeight()
                + "x"
                + info.gridWidth()
                + " = "
                + n
                + " tokens per image.");
      }
      System.arraycopy(tokens[b], 0, flat, b * n, n);
    }
    return decode(IntBuffer.wrap(flat), tokens.length);
  }

  /**
   * Decodes a batch held in one buffer of batch * H' * W' ids (position to limit).
   *
   * @return (batch, C, H, W) floats, NCHW
   */
  public float[] decode(IntBuffer tokens, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("The batch size is " + batch + "; expected at least 1 token grid.");
    }
    long expected = (long) batch * info.tokensPerImage();
    if (tokens == null || tokens.remaining() != expected) {
      throw new IllegalArgumentException(
          "The token buffer holds "
              + (tokens == null ? 0 : tokens.remaining())
              + " ids, but "
              + batch
              + " grids of "
              + info.gridHeight()
              + "x"
              + info.gridWidth()
              + " need "
              + expected
              + ".");
    }
    int k = info.codebookSize();
    for (int i = tokens.position(); i < tokens.limit(); i++) {
      int id = tokens.get(i);
      if (id < 0 || id >= k) {
        throw new IllegalArgumentException(
            "Token id " + id + " at position " + (i - tokens.position()) + " is outside the codebook [0, " + k + ").");
      }
    }
    long[] shape = {batch, info.gridHeight(), info.gridWidth()};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    IntBuffer view = tokens.slice();
    if (view.isDirect() && view.order() != java.nio.ByteOrder.nativeOrder()) {
      int[] copy = new int[view.remaining()];
      view.get(copy);
      view = IntBuffer.wrap(copy);
    }
    try (OnnxTensor input = OnnxTensor.createTensor(env, view, shape);
        OrtSession.Result result = session.run(Map.of(TokenizerMetadata.TOKENS, input))) {
      FloatBuffer images = ((OnnxTensor) result.get(0)).getFloatBuffer(); // (B, C, H, W)
      float[] out = new float[batch * info.valuesPerImage()];
      images.get(out);
      return out;
    } catch (OrtException e) {
      throw new OnnxModelException(
          "ONNX Runtime failed to decode a batch of " + batch + " token grids with " + model + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    OnnxSessions.closeQuietly(session);
  }
}
