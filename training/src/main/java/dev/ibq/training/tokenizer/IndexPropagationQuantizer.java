package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;

/**
 * Index Backpropagation Quantization (Shi et al., arXiv 2412.02692), exactly as in {@code shared/IBQ.md}.
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, h x w token grid, N = B*h*w positions; z (N, D) after
 * flattening, codebook C (K, D).
 * <ol>
 *   <li>logits l = z C^T (N, K): plain dot product, no normalisation, temperature 1;
 *   <li>p = softmax(l);
 *   <li>index = argmax_k l_k (maximum inner product, not nearest neighbour);
 *   <li>hard = one_hot(index);
 *   <li>Ind = hard - sg(p) + p: forward value one-hot, gradient through the softmax to every code and to z;
 *   <li>z_q = Ind C is what the decoder receives (no z + sg(z_q - z) path);
 *   <li>z_hard = C[index], used only in the losses.
 * </ol>
 * Double quantization loss: MSE(z_q, z) + MSE(sg(z_hard), z) + 0.25 MSE(z_hard, sg(z)); its forward value is
 * 2.25 MSE(z, C[index]). Entropy loss: {@link TokenizerLosses#entropyLoss} of the same logits at temperature
 * 0.01 (weighted by {@link TokenizerLosses#ENTROPY_WEIGHT} in the generator loss).
 *
 * <p>Loss terms ({@link QuantizerOutput#losses()}): {@code quant} (weight {@code losses.quantization}) and
 * {@code entropy} (weight {@code losses.entropy}). Diagnostics: {@code batch_perplexity} every step and, once per
 * log window, {@code p_max_mean}, the mean over positions of max_k softmax(l)_k (how saturated the selection is).
 * Export ({@link #KIND}): the scores are the logits z . c_k (maximum inner product).
 *
 * <p>Gradients (tests check them): with g = dL/dz_q, s_k = g.c_k, s_bar = sum_k p_k s_k: dL/dl_j = p_j (s_j -
 * s_bar); every code j receives p_j (s_j - s_bar) z (the selected code also g); z receives sum_j p_j (s_j -
 * s_bar) c_j.
 *
 * <p>Keys: {@code embedding.weight} (K, D), initialised N(0, 1).
 */
public final class IndexPropagationQuantizer extends CodebookQuantizer {

  /** Beta on the codebook term of the double quantization loss. */
  public static final double BETA = 0.25;

  /** The kind {@code IBQ}: maximum inner product over the codebook, the paper's method. */
  public static final QuantizerKind KIND = new Kind();

  public IndexPropagationQuantizer(NDManager manager, int codebookSize, int codeDim) {
    super(manager, manager.randomNormal(0f, 1f, new Shape(codebookSize, codeDim), DataType.FLOAT32));
  }

  @Override
  public QuantizerOutput quantize(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim); // (N, D)
    NDArray logits = flat.matMul(onManagerOf(flat, embedding.transpose())); // (N, K)
    NDArray index = logits.argMax(1); // (N) INT64
    NDArray zHard = CodebookOps.gatherRows(embedding, index); // (N, D)
    NDArray zQ = propagateIndex(logits, zHard, embedding); // (N, D)
    NDArray quantLoss = CodebookOps.mse(zQ, flat)
        .add(CodebookOps.mse(zHard.stopGradient(), flat))
        .add(Scalars.mul(CodebookOps.mse(zHard, flat.stopGradient()), BETA));
    NDArray entropy = TokenizerLosses.entropyLoss(logits, TokenizerLosses.ENTROPY_TEMPERATURE);
    NDArray counts = CodebookOps.counts(index, codebookSize); // (K)
    return new QuantizerOutput(
        CodebookOps.unflattenIndices(index, z),
        z,
        CodebookOps.unflattenVectors(zQ, z),
        CodebookOps.unflattenVectors(zHard, z),
        logits,
        List.of(new LossTerm("quant", quantLoss, "quantization"), new LossTerm("entropy", entropy, "entropy")),
        counts);
  }

  @Override
  public QuantizerKind kind() {
    return KIND;
  }

  /** Once per log window: {@code p_max_mean}, mean_n max_k softmax(l_n)_k of this batch's logits. */
  @Override
  public Map<String, Double> sampledDiagnostics(QuantizerOutput out) {
    return Map.of("p_max_mean", scalar(out.logits().softmax(1).max(new int[] {1}).mean()));
  }

  /** max_k softmax(z C^T)_k per position: (N, D) -> (N). */
  @Override
  public NDArray maxProbabilities(NDArray flat) {
    NDArray logits = flat.matMul(onManagerOf(flat, embedding.transpose())); // (N, K)
    return logits.softmax(1).max(new int[] {1}); // (N)
  }

  /**
   * Steps 2, 5 and 6: p = softmax(logits), Ind = hard - sg(p) + p, z_q = Ind C, computed without the dense
   * one-hot: z_q = C[index] + (p sg(C) - sg(p sg(C))).
   *
   * <p>Same forward value and same gradients as Ind C: the forward value is exactly C[index] (x - x = 0); the
   * gradient to C is the one-hot's, g on the selected rows only (through the gather), and the gradient to p is
   * g C^T (through p sg(C)), which reaches every logit, hence every code and z, through the softmax. It saves
   * the (N, K) one-hot, its two (N, K) element-wise passes and one of the three (N, K, D) matrix products of the
   * backward pass ({@code QuantizerTest} checks the values and gradients against the one-hot formula).
   *
   * @param logits (N, K)
   * @param zHard C[argmax logits], (N, D), with its gradient path to C
   * @param codebook C, (K, D)
   * @return z_q, (N, D)
   */
  static NDArray propagateIndex(NDArray logits, NDArray zHard, NDArray codebook) {
    NDArray p = logits.softmax(1); // (N, K)
    NDArray soft = p.matMul(onManagerOf(p, codebook.stopGradient())); // (N, D), value cancels below
    return zHard.add(soft.sub(soft.stopGradient())); // (N, D), forward value C[index]
  }

  @Override
  public NDArray indices(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim); // (N, D)
    NDArray logits = flat.matMul(onManagerOf(flat, embedding.transpose())); // (N, K)
    return CodebookOps.unflattenIndices(logits.argMax(1), z);
  }

  /** IBQ as a {@link QuantizerKind}. */
  private static final class Kind implements QuantizerKind {
    @Override
    public String name() {
      return "IBQ";
    }

    @Override
    public String description() {
      return "Index Backpropagation Quantization (the paper): maximum inner product, every code receives a gradient";
    }

    @Override
    public Quantizer create(NDManager manager, int codebookSize, int codeDim) {
      return new IndexPropagationQuantizer(manager, codebookSize, codeDim);
    }

    /** z . c_k: one MatMul of z (N, D) with the chunk's codes (D, Kc). */
    @Override
    public String exportScores(
        GraphWriter g, String z, String codesTransposed, float[] codebook, int codeDim, int from, int size, String suffix) {
      return g.op("MatMul", "logits" + suffix, z, codesTransposed); // (N, Kc)
    }

    @Override
    public boolean scoresAreInnerProducts() {
      return true;
    }

    @Override
    public double score(double[] z, float[] codebook, int code) {
      double s = 0;
      for (int c = 0; c < z.length; c++) {
        s += z[c] * codebook[code * z.length + c];
      }
      return s;
    }

    @Override
    public List<String> referenceModelClasses() {
      return List.of("src.IBQ.models.ibqgan.IBQ", "src.IBQ.models.ibqgan_pretrain.IBQ");
    }
  }
}
