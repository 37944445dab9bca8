package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The classic VQ-VAE / VQGAN quantizer, the baseline IBQ is compared with.
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, h x w token grid, N = B*h*w; z (N, D), C (K, D).
 * index = argmin_k ||z - c_k||^2; z_hard = C[index]; the decoder receives z_q = z + sg(z_hard - z)
 * (straight-through: forward C[index], gradient to z only). Loss: taming's {@code VectorQuantizer2} with
 * {@code legacy=True}, as SEED-Voken builds the paper's "vanilla VQ" baseline: MSE(sg(z_hard), z) (commitment,
 * weight 1) + 0.25 MSE(z_hard, sg(z)) (codebook): beta sits on the CODEBOOK term, as in IBQ's double loss. Only
 * the selected codes receive a gradient.
 *
 * <p>{@link QuantizerOutput#logits()} is -||z - c_k||^2, DETACHED (no gradient). Its only loss term is {@code quant}
 * (weight {@code losses.quantization}): the baseline is a classic VQ. The IBQ entropy statistic of those logits at
 * temperature 0.01 is a diagnostic ({@code entropy}, with {@code batch_perplexity}), never a loss term. Codebook init
 * uniform(-1/K, 1/K), as the reference's {@code VectorQuantizer2}. Export ({@link #KIND}): the scores are
 * z . c_k - ||c_k||^2 / 2, whose argmax is the nearest code.
 *
 * <p>Keys: {@code embedding.weight} (K, D).
 */
public final class VectorQuantizer extends CodebookQuantizer {

  /** Beta on the codebook term (legacy loss: the commitment term has weight 1). */
  public static final double BETA = 0.25;

  /** The kind {@code VQ}: nearest neighbour by L2 distance, the baseline. */
  public static final QuantizerKind KIND = new Kind();

  public VectorQuantizer(NDManager manager, int codebookSize, int codeDim) {
    super(manager, manager.randomUniform(-1f / codebookSize, 1f / codebookSize, new Shape(codebookSize, codeDim), DataType.FLOAT32));
  }

  /** -||z - c_k||^2 for every position and code, detached: (N, D) -> (N, K). */
  private NDArray negativeSquaredDistances(NDArray flat) {
    NDArray zd = flat.stopGradient(); // (N, D)
    NDArray c = onManagerOf(zd, embedding.stopGradient()); // (K, D)
    NDArray zz = zd.square().sum(new int[] {1}, true); // (N, 1)
    NDArray cc = c.square().sum(new int[] {1}).reshape(1, codebookSize); // (1, K)
    NDArray cross = zd.matMul(c.transpose()); // (N, K)
    return Scalars.mul(cross, 2).sub(zz).sub(cc); // (N, K) = -(zz - 2 z.c + cc)
  }

  @Override
  public QuantizerOutput quantize(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim); // (N, D)
    NDArray logits = negativeSquaredDistances(flat); // (N, K)
    NDArray index = logits.argMax(1); // (N) nearest code
    NDArray zHard = CodebookOps.gatherRows(embedding, index); // (N, D)
    NDArray zQ = flat.add(zHard.sub(flat).stopGradient()); // (N, D)
    NDArray quantLoss = CodebookOps.mse(zHard.stopGradient(), flat)
        .add(Scalars.mul(CodebookOps.mse(zHard, flat.stopGradient()), BETA));
    NDArray counts = CodebookOps.oneHot(index, codebookSize).sum(new int[] {0}); // (K)
    return new QuantizerOutput(
        CodebookOps.unflattenIndices(index, z),
        z,
        CodebookOps.unflattenVectors(zQ, z),
        CodebookOps.unflattenVectors(zHard, z),
        logits,
        List.of(new LossTerm("quant", quantLoss, "quantization")),
        counts);
  }

  @Override
  public QuantizerKind kind() {
    return KIND;
  }

  /**
   * Every step: {@code entropy}, the IBQ entropy statistic of the detached logits at temperature 0.01 (comparable with
   * IBQ's entropy loss, but no gradient and no part of the loss), and {@code batch_perplexity}.
   */
  @Override
  public Map<String, Double> diagnostics(QuantizerOutput out) {
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("entropy", scalar(TokenizerLosses.entropyLoss(out.logits(), TokenizerLosses.ENTROPY_TEMPERATURE)));
    stats.putAll(super.diagnostics(out));
    return stats;
  }

  @Override
  public NDArray indices(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim);
    return CodebookOps.unflattenIndices(negativeSquaredDistances(flat).argMax(1), z);
  }

  /** VQ as a {@link QuantizerKind}. */
  private static final class Kind implements QuantizerKind {
    @Override
    public String name() {
      return "VQ";
    }

    @Override
    public String description() {
      return "classic vector quantizer (VQ-VAE / VQGAN baseline): nearest neighbour, only selected codes receive a gradient";
    }

    @Override
    public Quantizer create(NDManager manager, int codebookSize, int codeDim) {
      return new VectorQuantizer(manager, codebookSize, codeDim);
    }

    /**
     * argmin_k ||z - c_k||^2 = argmax_k (z . c_k - ||c_k||^2 / 2): one MatMul plus a per-code bias stored beside
     * each chunk.
     */
    @Override
    public String exportScores(
        GraphWriter g, String z, String codesTransposed, float[] codebook, int codeDim, int from, int size, String suffix) {
      String dots = g.op("MatMul", "logits" + suffix, z, codesTransposed); // (N, Kc)
      float[] bias = new float[size];
      for (int j = 0; j < size; j++) {
        double sq = 0;
        for (int i = 0; i < codeDim; i++) {
          double v = codebook[(from + j) * codeDim + i];
          sq += v * v;
        }
        bias[j] = (float) (-0.5 * sq);
      }
      String b = g.constant("half_neg_sq_norm" + suffix, bias, size); // (Kc)
      return g.op("Add", "neg_half_distance" + suffix, dots, b); // (N, Kc)
    }

    /** z . c_k - ||c_k||^2 / 2. */
    @Override
    public double score(double[] z, float[] codebook, int code) {
      double s = 0;
      double sq = 0;
      for (int c = 0; c < z.length; c++) {
        double cc = codebook[code * z.length + c];
        s += z[c] * cc;
        sq += cc * cc;
      }
      return s - sq / 2;
    }

    /** The paper's VQ baseline trains without the entropy loss. */
    @Override
    public List<String> baselineOverrides() {
      return List.of("losses.entropy=0");
    }

    @Override
    public List<String> referenceModelClasses() {
      return List.of("taming.models.vqgan.VQModel", "src.IBQ.models.ibqgan.VQModel");
    }

    @Override
    public String referenceMismatch(Map<String, Object> initArgs) {
      return Boolean.TRUE.equals(initArgs.get("l2_normalize"))
          ? "sets l2_normalize: true; the project's VQ quantizer uses unnormalised L2 distance, so its tokens would differ."
          : null;
    }
  }
}
