package dev.ibq.stream.tokenize;

import dev.ibq.stream.onnx.ExecutionProvider;
import dev.ibq.stream.onnx.OnnxTokenizer;
import dev.ibq.stream.onnx.TokenizerInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens the exported ONNX encoder with ONNX Runtime ({@link OnnxTokenizer}) as a {@link BatchTokenizer}.
 *
 * <p>Serializable: it carries only the model path and session options to the tasks; each task opens its
 * own session (CUDA when it works and was not ruled out, else CPU; the runtime logs the choice).
 */
public final class OnnxTokenizerFactory implements BatchTokenizerFactory {
  private static final long serialVersionUID = 1L;

  private final String modelPath;
  private final String provider;
  private final int intraOpThreads;

  /**
   * @param modelPath the {@code encoder.onnx} file (must exist at this path on every worker)
   * @param provider AUTO, CPU or CUDA
   * @param intraOpThreads ONNX Runtime intra-op threads; 0 for its default
   */
  public OnnxTokenizerFactory(Path modelPath, String provider, int intraOpThreads) {
    this.modelPath = modelPath.toString();
    this.provider = ExecutionProvider.valueOf(provider.toUpperCase(Locale.ROOT)).name();
    this.intraOpThreads = intraOpThreads;
  }

  @Override
  public BatchTokenizer open() {
    OnnxTokenizer t =
        OnnxTokenizer.open(
            Path.of(modelPath), new OnnxTokenizer.Options(ExecutionProvider.valueOf(provider), intraOpThreads, 1));
    return new OnnxBatchTokenizer(t);
  }

  /** Reads the identity with a CPU session (no CUDA probe on the client). */
  @Override
  public TokenizerIdentity describe() {
    try (OnnxTokenizer t = OnnxTokenizer.open(Path.of(modelPath), OnnxTokenizer.Options.cpu(1))) {
      return identityOf(t.info());
    }
  }

  /** The job's view of a model's metadata. */
  public static TokenizerIdentity identityOf(TokenizerInfo info) {
    return new TokenizerIdentity(
        info.tokenizerId(),
        info.name(),
        info.codebookSize(),
        info.gridHeight(),
        info.gridWidth(),
        info.imageChannels(),
        info.imageHeight(),
        info.imageWidth(),
        info.preprocessingDescriptor(),
        info.provider().name());
  }

  /** Copies each batch into one reused direct buffer, which ONNX Runtime reads without a further copy. */
  private static final class OnnxBatchTokenizer implements BatchTokenizer {
    private final OnnxTokenizer tokenizer;
    private final TokenizerIdentity identity;
    private FloatBuffer direct;

    OnnxBatchTokenizer(OnnxTokenizer tokenizer) {
      this.tokenizer = tokenizer;
      this.identity = identityOf(tokenizer.info());
    }

    @Override
    public TokenizerIdentity identity() {
      return identity;
    }

    @Override
    public int[][] encode(float[] nchw, int batch) {
      int n = batch * identity.valuesPerImage(); // (B, C, H, W)
      if (direct == null || direct.capacity() < n) {
        direct = ByteBuffer.allocateDirect(Math.max(n, nchw.length) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
      }
      direct.clear();
      direct.put(nchw, 0, n);
      direct.flip();
      return tokenizer.encode(direct, batch);
    }

    @Override
    public void close() {
      tokenizer.close();
    }
  }
}
