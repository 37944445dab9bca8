package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
 * <p>{@link QuantizerOutput#logits()} is -||z - c_k||^2 and {@link QuantizerOutput#entropyLoss()} is the IBQ
 * entropy statistic of those logits at temperature 0.01; both are DETACHED (no gradient), so adding the
 * entropy term in the generator loss leaves the baseline a classic VQ. Codebook init uniform(-1/K, 1/K), as the reference's {@code VectorQuantizer2}.
 *
 * <p>Keys: {@code embedding.weight} (K, D).
 */
public final class VectorQuantizer extends TokenizerModule implements Quantizer {

  /** Beta on the codebook term (legacy loss: the commitment term has weight 1). */
  public static final double BETA = 0.25;

  private final int codebookSize;
  private final int codeDim;
  private final NDArray embedding;

  public VectorQuantizer(NDManager manager, int codebookSize, int codeDim) {
    super(manager);
    this.codebookSize = codebookSize;
    this.codeDim = codeDim;
    ModuleGroup embeddingGroup = registerChild("embedding", new ModuleGroup(manager));
    this.embedding = embeddingGroup.addParameter(
        "weight", manager.randomUniform(-1f / codebookSize, 1f / codebookSize, new Shape(codebookSize, codeDim), DataType.FLOAT32));
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
    NDArray entropy = TokenizerLosses.entropyLoss(logits, TokenizerLosses.ENTROPY_TEMPERATURE);
    NDArray counts = CodebookOps.oneHot(index, codebookSize).sum(new int[] {0}); // (K)
    return new QuantizerOutput(
        CodebookOps.unflattenIndices(index, z),
        z,
        CodebookOps.unflattenVectors(zQ, z),
        CodebookOps.unflattenVectors(zHard, z),
        logits,
        quantLoss,
        entropy,
        counts);
  }

  @Override
  public NDArray indices(NDArray z) {
    NDArray flat = CodebookOps.flatten(z, codeDim);
    return CodebookOps.unflattenIndices(negativeSquaredDistances(flat).argMax(1), z);
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
}
