package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A {@link Quantizer} whose codebook is one (K, D) parameter under the reference key {@code embedding.weight}
 * (IBQ, VQ): it holds the codebook and answers {@link #codes}, {@link #embedding}, {@link #codebookSize} and
 * {@link #codeDim}; a subclass says how codes are chosen and trained.
 *
 * <p>Shape legend: K codebook size, D code dim.
 */
public abstract class CodebookQuantizer extends Quantizer {
  protected final int codebookSize;
  protected final int codeDim;
  /** The codebook C, (K, D). */
  protected final NDArray embedding;

  /**
   * @param initialCodebook the codebook's initial values, (K, D), created on {@code manager}
   */
  protected CodebookQuantizer(NDManager manager, NDArray initialCodebook) {
    super(manager);
    if (initialCodebook.getShape().dimension() != 2) {
      throw new IllegalArgumentException(
          "A codebook is (K, D); got shape " + initialCodebook.getShape() + ".");
    }
    this.codebookSize = Math.toIntExact(initialCodebook.getShape().get(0));
    this.codeDim = Math.toIntExact(initialCodebook.getShape().get(1));
    ModuleGroup embeddingGroup = registerChild("embedding", new ModuleGroup(manager));
    this.embedding = embeddingGroup.addParameter("weight", initialCodebook);
  }

  @Override
  public final NDArray codes(NDArray indices) {
    return CodebookOps.codesFor(embedding, indices);
  }

  @Override
  public final NDArray embedding() {
    return embedding;
  }

  @Override
  public final int codebookSize() {
    return codebookSize;
  }

  @Override
  public final int codeDim() {
    return codeDim;
  }
}
