package dev.ibq.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.Map;
import dev.ibq.model.OnnxModelException;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;

/**
 * The IBQ tokenizer's encoder on ONNX Runtime: preprocessed images in, token ids out.
 *
 * <p>Shapes: B batch, C x H x W the model's image (from the metadata), H' x W' the token grid.
 * {@code encode} takes (B, C, H, W) floats in NCHW order, already preprocessed with the model's
 * {@link TokenizerInfo#preprocessingDescriptor() PreprocessingSpec}, and returns (B, H'*W') token ids in
 * raster (row-major) order, each in [0, K).
 *
 * <p>One ONNX Runtime session is created in {@link #open} and reused for every batch. {@code encode} is
 * thread-safe: ONNX Runtime allows concurrent {@code run} calls on one session, and this class keeps no
 * mutable state. {@link #close()} must not race with {@code encode}; open once per task (e.g. in a Flink
 * operator's {@code open}) and close when done.
 */
public final class OnnxTokenizer implements AutoCloseable {

  /**
   * System property that turns ONNX Runtime's thread spinning back on in every session this runtime opens (ONNX
   * Runtime's own default; ours is off): {@code -Dibq.onnx.spinning=true}, for side-by-side benchmarks.
   */
  public static final String SPINNING_PROPERTY = "ibq.onnx.spinning";

  /**
   * Session options.
   *
   * @param provider AUTO (CUDA when usable, else CPU, with the reason logged), CPU or CUDA
   * @param intraOpThreads threads inside one operator; 0 = ONNX Runtime's default (one per core)
   * @param interOpThreads threads across operators; 0 = ONNX Runtime's default
   */
  public record Options(ExecutionProvider provider, int intraOpThreads, int interOpThreads) {
    public Options {
      if (provider == null) {
        throw new IllegalArgumentException("The execution provider is null; expected AUTO, CPU or CUDA.");
      }
      if (intraOpThreads < 0 || interOpThreads < 0) {
        throw new IllegalArgumentException(
            "Thread counts must be >= 0 (0 = ONNX Runtime's default), got intra-op "
                + intraOpThreads
                + " and inter-op "
                + interOpThreads
                + ".");
      }
    }

    /** AUTO provider, ONNX Runtime's default thread pools. */
    public static Options defaults() {
      return new Options(ExecutionProvider.AUTO, 0, 0);
    }

    public static Options cpu(int intraOpThreads) {
      return new Options(ExecutionProvider.CPU, intraOpThreads, 1);
    }
  }

  private final Path model;
  private final OrtSession session;
  private final TokenizerInfo info;

  private OnnxTokenizer(Path model, OrtSession session, TokenizerInfo info) {
    this.model = model;
    this.session = session;
    this.info = info;
  }

  /** Opens an exported {@code encoder.onnx} with {@link Options#defaults()}. */
  public static OnnxTokenizer open(Path encoderModel) {
    return open(encoderModel, Options.defaults());
  }

  /**
   * Opens an exported {@code encoder.onnx}.
   *
   * @throws OnnxModelException when the file is missing, not ONNX, lacks the tokenizer metadata, is a
   *     decoder, or its graph does not match its metadata; or CUDA was requested and is not usable
   */
  public static OnnxTokenizer open(Path encoderModel, Options options) {
    OnnxSessions.Opened opened = OnnxSessions.open(encoderModel, options, TokenizerMetadata.ROLE_ENCODER);
    return new OnnxTokenizer(encoderModel, opened.session(), opened.info());
  }

  /** The model's metadata and the provider it runs on. */
  public TokenizerInfo info() {
    return info;
  }

  /** The model file this tokenizer was opened from. */
  public Path modelPath() {
    return model;
  }

  /**
   * Encodes a batch.
   *
   * @param nchw (batch, C, H, W) preprocessed floats, from its position to its limit; a direct buffer in
   *     native order is passed to ONNX Runtime without a copy (other buffers are copied). The buffer's
   *     position is not changed.
   * @param batch number of images, at least 1
   * @return (batch, H'*W') token ids in raster order
   * @throws IllegalArgumentException when the buffer does not hold exactly batch * C * H * W floats
   */
  public int[][] encode(FloatBuffer nchw, int batch) {
    checkInput(nchw == null ? -1 : nchw.remaining(), batch);
    long[] shape = {batch, info.imageChannels(), info.imageHeight(), info.imageWidth()};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    FloatBuffer view = nchw.slice();
    if (view.isDirect() && view.order() != ByteOrder.nativeOrder()) {
      // ONNX Runtime hands a direct buffer's memory to the native side as is; copy other byte orders by value.
      float[] copy = new float[view.remaining()];
      view.get(copy);
      view = FloatBuffer.wrap(copy);
    }
    try (OnnxTensor input = OnnxTensor.createTensor(env, view, shape);
        OrtSession.Result result = session.run(Map.of(TokenizerMetadata.IMAGES, input))) {
      IntBuffer tokens = ((OnnxTensor) result.get(0)).getIntBuffer(); // (B, H', W')
      int n = info.tokensPerImage();
      int[][] out = new int[batch][n];
      for (int b = 0; b < batch; b++) {
        tokens.get(out[b]);
      }
      return out;
    } catch (OrtException e) {
      throw new OnnxModelException(
          "ONNX Runtime failed to encode a batch of " + batch + " images with " + model + ": " + e.getMessage(), e);
    }
  }

  /** {@link #encode(FloatBuffer, int)} over a heap array holding exactly batch * C * H * W floats. */
  public int[][] encode(float[] nchw, int batch) {
    checkInput(nchw == null ? -1 : nchw.length, batch);
    return encode(FloatBuffer.wrap(nchw), batch);
  }

  private void checkInput(int floats, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("The batch size is " + batch + "; expected at least 1 image.");
    }
    long expected = (long) batch * info.valuesPerImage();
    if (floats != expected) {
      throw new IllegalArgumentException(
          "The input holds "
              + (floats < 0 ? "no buffer" : floats + " floats")
              + ", but "
              + batch
              + " images of "
              + info.imageChannels()
              + "x"
              + info.imageHeight()
              + "x"
              + info.imageWidth()
              + " (C x H x W, from the model's metadata) need "
              + expected
              + "; preprocess with the model's spec '"
              + info.preprocessingDescriptor()
              + "'.");
    }
  }

  @Override
  public void close() {
    OnnxSessions.closeQuietly(session);
  }
}
