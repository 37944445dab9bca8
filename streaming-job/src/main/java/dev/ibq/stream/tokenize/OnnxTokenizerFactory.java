package dev.ibq.stream.tokenize;

import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.RuntimeContext;
import java.util.Locale;
import dev.ibq.model.TokenizerIdentity;

/**
 * Opens the exported ONNX encoder with ONNX Runtime ({@link OnnxTokenizer}) as a {@link BatchTokenizer}.
 *
 * <p>Serializable: it carries the {@link ModelFile} (URI, digest, metadata) and session options to the
 * tasks; each task gets the local copy from {@link ModelCache} (fetched once per TaskManager and checked
 * against the digest) and opens its own session (CUDA when it works and was not ruled out, else CPU; the
 * runtime logs the choice). {@link #describe()} reads only the metadata recorded on the client: building
 * the job needs no ONNX Runtime, so a plain {@code flink run} client without it can submit the job.
 */
public final class OnnxTokenizerFactory implements BatchTokenizerFactory {
  private static final long serialVersionUID = 1L;

  private final ModelFile model;
  private final String provider;
  private final int intraOpThreads;

  /**
   * @param model the {@code encoder.onnx} as read on the client ({@link ModelFile#read})
   * @param provider AUTO, CPU or CUDA
   * @param intraOpThreads ONNX Runtime intra-op threads; 0 for its default
   */
  public OnnxTokenizerFactory(ModelFile model, String provider, int intraOpThreads) {
    this.model = model;
    this.provider = ExecutionProvider.valueOf(provider.toUpperCase(Locale.ROOT)).name();
    this.intraOpThreads = intraOpThreads;
  }

  /** A factory for a local {@code encoder.onnx} (read here). */
  public OnnxTokenizerFactory(Path modelPath, String provider, int intraOpThreads) throws java.io.IOException {
    this(ModelFile.read(modelPath.toString()), provider, intraOpThreads);
  }

  @Override
  public BatchTokenizer open() {
    if (model.shippedAs() != null) {
      throw new IllegalStateException(
          "The model " + model.uri() + " is shipped with the job; it can only be opened in a task (open(RuntimeContext)).");
    }
    return open(ModelCache.localFile(model));
  }

  /** In a task: a shipped model comes from the distributed cache, any other through its file system. */
  @Override
  public BatchTokenizer open(RuntimeContext task) {
    if (model.shippedAs() == null) {
      return open();
    }
    java.io.File cached = task.getDistributedCache().getFile(model.shippedAs());
    return open(ModelCache.shippedFile(model, cached.toPath()));
  }

  private BatchTokenizer open(Path local) {
    OnnxTokenizer t =
        OnnxTokenizer.open(local, new OnnxTokenizer.Options(ExecutionProvider.valueOf(provider), intraOpThreads, 1));
    return new OnnxBatchTokenizer(t);
  }

  /** The identity from the metadata read on the client (no ONNX Runtime, no CUDA probe). */
  @Override
  public TokenizerIdentity describe() {
    return model.identity(provider);
  }

  /** The model file this factory opens. */
  public ModelFile model() {
    return model;
  }

  /** The job's view of a model's metadata, with the provider its session runs on. */
  public static TokenizerIdentity identityOf(TokenizerInfo info) {
    return identityOf(info, info.provider().name());
  }

  /** The job's view of a model's metadata, with {@code provider} as the place it runs. */
  static TokenizerIdentity identityOf(TokenizerInfo info, String provider) {
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
        provider);
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
