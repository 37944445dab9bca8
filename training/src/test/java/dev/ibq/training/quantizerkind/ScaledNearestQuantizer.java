package dev.ibq.training.quantizerkind;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.tokenizer.CodebookOps;
import dev.ibq.training.tokenizer.GraphWriter;
import dev.ibq.training.tokenizer.LossTerm;
import dev.ibq.training.tokenizer.Quantizer;
import dev.ibq.training.tokenizer.QuantizerKind;
import dev.ibq.training.tokenizer.QuantizerOutput;
import java.util.List;
import java.util.Map;

/**
 * A third quantizer kind that exists only in the tests, outside the tokenizer package, built from public API alone:
 * nearest neighbour written as argmax_k (2 z . c_k - ||c_k||^2), straight-through to z, with two loss terms and two
 * diagnostics whose names the trainer has never heard of. If it trains, logs, checkpoints, evaluates and exports
 * through the unchanged trainer and exporter, the quantizer owns itself.
 *
 * <p>Shape legend: D code dim, K codebook size, N positions; z (N, D), C (K, D).
 *
 * <p>Loss terms: {@code codebook_pull} = MSE(C[index], sg(z)) and {@code encoder_commit} = MSE(sg(C[index]), z),
 * both weighted by {@code losses.quantization}. Diagnostics: {@code mean_sq_distance} (every step) and
 * {@code codebook_norm_mean} (sampled once per log window).
 */
public final class ScaledNearestQuantizer extends Quantizer {

  public static final QuantizerKind KIND = new Kind("NN-SCALED", "codebook_pull");

  /** The same quantizer, but its first loss term is called {@code l1}, a column the trainer writes itself. */
  public static final QuantizerKind CLASHING_KIND = new Kind("NN-CLASH", "l1");

  private final Kind kind;
  private final int codebookSize;
  private final int codeDim;
  private final NDArray embedding;

  private ScaledNearestQuantizer(Kind kind, NDManager manager, int codebookSize, int codeDim) {
    super(manager);
    this.kind = kind;
    this.codebookSize = codebookSize;
    this.codeDim = codeDim;
    // A child "embedding" with a parameter "weight": the reference key quantize.embedding.weight.
    this.embedding = registerChild("embedding", new Embedding(manager, codebookSize, codeDim)).weight;
  }

  /** 2 z . c_k - ||c_k||^2, detached: (N, D) -> (N, K). */
  private NDArray scores(NDArray flat) {
    NDArray zd = flat.stopGradient(); // (N, D)
    NDArray c = onManagerOf(zd, embedding.stopGradient()); // (K, D)
    NDArray cc = c.square().sum(new int[] {1}).reshape(1, codebookSize); // (1, K)
    return zd.matMul(c.transpose()).mul(zd.getManager().create(2f)).sub(cc); // (N, K)
  }

  @Override
  public QuantizerKind kind() {
    return kind;
  }

  @Override
  public QuantizerOutput quantize(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim); // (N, D)
    NDArray logits = scores(flat); // (N, K)
    NDArray index = logits.argMax(1); // (N)
    NDArray zHard = CodebookOps.gatherRows(embedding, index); // (N, D)
    NDArray zQ = flat.add(zHard.sub(flat).stopGradient()); // (N, D)
    return new QuantizerOutput(
        CodebookOps.unflattenIndices(index, z),
        z,
        CodebookOps.unflattenVectors(zQ, z),
        CodebookOps.unflattenVectors(zHard, z),
        logits,
        List.of(
            new LossTerm(kind.pullName, CodebookOps.mse(zHard, flat.stopGradient()), "quantization"),
            new LossTerm("encoder_commit", CodebookOps.mse(zHard.stopGradient(), flat), "quantization")),
        CodebookOps.counts(index, codebookSize));
  }

  @Override
  public Map<String, Double> diagnostics(QuantizerOutput out) {
    NDArray flat = CodebookOps.flatten(out.z(), codeDim);
    NDArray hard = CodebookOps.flatten(out.zHard(), codeDim);
    return Map.of("mean_sq_distance", scalar(hard.sub(flat).square().sum(new int[] {1}).mean()));
  }

  @Override
  public Map<String, Double> sampledDiagnostics(QuantizerOutput out) {
    return Map.of("codebook_norm_mean", scalar(embedding.square().sum(new int[] {1}).sqrt().mean()));
  }

  @Override
  public NDArray indices(NDArray z) {
    return CodebookOps.unflattenIndices(scores(CodebookOps.flatten(z, codeDim)).argMax(1), z);
  }

  @Override
  public NDArray codes(NDArray indices) {
    return CodebookOps.codesFor(embedding, indices);
  }

  @Override
  public NDArray embedding() {
    return embedding;
  }

  @Override
  public int codebookSize() {
    return codebookSize;
  }

  @Override
  public int codeDim() {
    return codeDim;
  }

  /** The codebook's module: one parameter {@code weight} (K, D), N(0, 0.5). */
  private static final class Embedding extends dev.ibq.training.tokenizer.TokenizerModule {
    final NDArray weight;

    Embedding(NDManager manager, int k, int d) {
      super(manager);
      weight = registerParameter("weight", manager.randomNormal(0f, 0.5f, new Shape(k, d), DataType.FLOAT32));
    }
  }

  private static final class Kind implements QuantizerKind {
    final String name;
    final String pullName;

    Kind(String name, String pullName) {
      this.name = name;
      this.pullName = pullName;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String description() {
      return "test-only nearest neighbour as argmax (2 z.c - ||c||^2)";
    }

    @Override
    public Quantizer create(NDManager manager, int codebookSize, int codeDim) {
      return new ScaledNearestQuantizer(this, manager, codebookSize, codeDim);
    }

    /** MatMul, times 2, minus ||c_k||^2: its own nodes, named so the test can find them. */
    @Override
    public String exportScores(
        GraphWriter g, String z, String codesTransposed, float[] codebook, int codeDim, int from, int size, String suffix) {
      String dots = g.op("MatMul", "nn_scaled_dots" + suffix, z, codesTransposed); // (N, Kc)
      String doubled = g.op("Mul", "nn_scaled_doubled" + suffix, dots, g.constant("nn_scaled_two", new float[] {2f}, 1));
      float[] norms = new float[size];
      for (int j = 0; j < size; j++) {
        double sq = 0;
        for (int i = 0; i < codeDim; i++) {
          double v = codebook[(from + j) * codeDim + i];
          sq += v * v;
        }
        norms[j] = (float) sq;
      }
      return g.op("Sub", "nn_scaled_scores" + suffix, doubled, g.constant("nn_scaled_sq_norm" + suffix, norms, size));
    }

    @Override
    public double score(double[] z, float[] codebook, int code) {
      double s = 0;
      double sq = 0;
      for (int c = 0; c < z.length; c++) {
        double cc = codebook[code * z.length + c];
        s += z[c] * cc;
        sq += cc * cc;
      }
      return 2 * s - sq;
    }
  }
}
