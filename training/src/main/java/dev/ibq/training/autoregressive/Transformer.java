package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.ibq.training.nn.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The class-conditional decoder-only transformer over image tokens (LlamaGen's {@code Transformer}, with AdaLN).
 *
 * <p>Legend: B batch, N = H x W tokens per image in raster order, K codebook size, C width, l input length.
 *
 * <pre>
 *   input   [class, t_1 .. t_{N-1}]            (B, N): class embedding as the prefix token, then token embeddings
 *   cond    = class embedding                   (B, C): the AdaLN condition of every block and of the head
 *   h       = blocks(dropout(input embeddings)) (B, N, C)
 *   logits  = output(AdaLN(RmsNorm(h), cond))   (B, N, K): row p predicts t_{p+1}
 * </pre>
 *
 * The class table has numClasses + 1 rows; the last is the null class used for classifier-free guidance. The
 * output head starts at zero (uniform predictions); every other weight starts N(0, 0.02), norm weights at 1, drawn
 * from a seeded Java {@link Random} so the same seed builds the same model on any engine. The parameters are a
 * {@link Module} tree under LlamaGen's GPT keys (see {@link ArCheckpoint}); linear weights are in PyTorch's (out, in)
 * layout.
 */
public final class Transformer extends Module implements AutoCloseable {

  private final ArConfig config;
  private final Rope2d rope;
  private final NDArray tokEmbeddings; // (K, C)
  private final NDArray clsEmbedding; // (classes + 1, C)
  private final List<TransformerBlock> layers = new ArrayList<>();
  private final RmsNorm norm;
  private final NDArray finalAdaLnWeight; // (2C, C)
  private final NDArray finalAdaLnBias; // (2C)
  private final NDArray output; // (K, C)

  public Transformer(NDManager manager, ArConfig config, long seed) {
    super(manager.newSubManager());
    this.config = config;
    Random random = new Random(seed);
    NDManager own = manager();
    int c = config.dim();
    float std = config.initStd();
    this.tokEmbeddings = registerParameter("tok_embeddings.weight", normal(random, new Shape(config.vocabSize(), c), std));
    this.clsEmbedding = registerParameter(
        "cls_embedding.embedding_table.weight", normal(random, new Shape(config.numClasses() + 1L, c), std));
    Group blocks = registerChild("layers", new Group(own));
    for (int i = 0; i < config.nLayers(); i++) {
      layers.add(blocks.add(Integer.toString(i), new TransformerBlock(own, random, config, i)));
    }
    this.norm = registerChild("norm", new RmsNorm(own, c, config.normEps()));
    this.finalAdaLnWeight = registerParameter("adaLN_modulation.1.weight", normal(random, new Shape(2L * c, c), std));
    this.finalAdaLnBias = registerParameter("adaLN_modulation.1.bias", constant(new Shape(2L * c), 0f));
    this.output = registerParameter("output.weight", constant(new Shape(config.vocabSize(), c), 0f));
    this.rope = new Rope2d(own, config);
  }

  /**
   * Whether AdamW decays this tensor: every tensor with two or more dimensions (matrices and embedding tables),
   * none of the norm weights or biases, as LlamaGen's optimizer set-up does.
   */
  public static boolean decays(NDArray tensor) {
    return tensor.getShape().dimension() >= 2;
  }

  public ArConfig config() {
    return config;
  }

  public Rope2d rope() {
    return rope;
  }

  /**
   * Teacher-forced logits for a whole (prefix of a) sequence, no cache.
   *
   * @param tokens (B, l) int64 token ids t_1 .. t_l, 0 <= l <= N - 1
   * @param labels (B) int64 class ids in [0, classes]; classes is the null class
   * @return (B, l + 1, K) logits; row p predicts t_{p+1}
   */
  public NDArray forward(NDArray tokens, NDArray labels, boolean training) {
    return run(embed(tokens, labels), labels, 0, null, training);
  }

  /**
   * One cached step: with an empty cache, {@code tokens} must be null and the class prefix is processed; after
   * that, {@code tokens} (B, 1) holds the last sampled token. Returns (B, 1, K) logits for the next token.
   */
  public NDArray step(NDArray tokens, NDArray labels, KvCache cache) {
    int start = cache.length();
    NDArray input;
    if (start == 0) {
      if (tokens != null) {
        throw new IllegalArgumentException("The first cached step takes the class prefix only; pass no tokens.");
      }
      input = classRows(labels).expandDims(1); // (B, 1, C)
    } else {
      input = Embedding.embedding(tokens, tokEmbeddings, SparseFormat.DENSE).singletonOrThrow(); // (B, 1, C)
    }
    NDArray logits = run(input, labels, start, cache, false);
    cache.advance(Math.toIntExact(input.getShape().get(1)));
    return logits;
  }

  private NDArray embed(NDArray tokens, NDArray labels) {
    NDArray prefix = classRows(labels).expandDims(1); // (B, 1, C)
    if (tokens == null || tokens.getShape().get(1) == 0) {
      return prefix;
    }
    long length = tokens.getShape().get(1);
    if (length > config.sequenceLength() - 1) {
      throw new IllegalArgumentException(
          "Got " + length + " input tokens; the model reads at most N - 1 = " + (config.sequenceLength() - 1) + ".");
    }
    NDArray tok = Embedding.embedding(tokens, tokEmbeddings, SparseFormat.DENSE).singletonOrThrow(); // (B, l, C)
    return prefix.concat(tok, 1); // (B, l + 1, C)
  }

  private NDArray classRows(NDArray labels) {
    return Embedding.embedding(labels, clsEmbedding, SparseFormat.DENSE).singletonOrThrow(); // (B, C)
  }

  private NDArray run(NDArray h, NDArray labels, int start, KvCache cache, boolean training) {
    NDArray siluCond = TransformerBlock.silu(classRows(labels)); // (B, C)
    if (training && config.dropout() > 0) {
      h = Dropout.dropout(h, config.dropout(), true).singletonOrThrow();
    }
    for (TransformerBlock block : layers) {
      h = block.forward(h, siluCond, start, rope, cache, training);
    }
    NDList mod = Linear.linear(siluCond, finalAdaLnWeight, finalAdaLnBias).singletonOrThrow().expandDims(1).split(2, 2);
    NDArray out = TransformerBlock.modulate(norm.forward(h), mod.get(0), mod.get(1)); // (B, l, C)
    return Linear.linear(out, output).singletonOrThrow(); // (B, l, K)
  }

  /**
   * Mean cross-entropy (nats per token) of logits (B, N, K) against targets (B, N) int64.
   */
  public static NDArray crossEntropy(NDArray logits, NDArray targets) {
    NDArray logProbs = logits.logSoftmax(-1); // (B, N, K)
    return logProbs.gather(targets.expandDims(2), 2).mean().neg();
  }

  @Override
  public void close() {
    rope.close();
    manager().close();
  }
}
