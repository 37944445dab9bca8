package dev.ibq.model;

import java.io.Serializable;

/**
 * What the job needs to know about a tokenizer model: its identity, token grid and the exact image
 * tensor it expects. Read from the model file's own metadata, never from job settings.
 *
 * @param tokenizerId hex SHA-256 identifying the exported weights; carried on every token record
 * @param name human-readable tokenizer name
 * @param codebookSize K; every token is in [0, K)
 * @param gridHeight token rows per image (H')
 * @param gridWidth token columns per image (W')
 * @param channels C of the model input
 * @param height H of the model input
 * @param width W of the model input
 * @param preprocessing canonical {@code PreprocessingSpec} string the model was trained with
 * @param provider where inference runs (CPU or CUDA); informative
 */
public record TokenizerIdentity(
    String tokenizerId,
    String name,
    int codebookSize,
    int gridHeight,
    int gridWidth,
    int channels,
    int height,
    int width,
    String preprocessing,
    String provider)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Tokens per image, H' * W'. */
  public int tokensPerImage() {
    return gridHeight * gridWidth;
  }

  /** Floats per image in CHW layout. */
  public int valuesPerImage() {
    return channels * height * width;
  }

  /** Whether two identities describe the same model (ignoring where it runs). */
  public boolean sameModel(TokenizerIdentity other) {
    return tokenizerId.equals(other.tokenizerId)
        && codebookSize == other.codebookSize
        && gridHeight == other.gridHeight
        && gridWidth == other.gridWidth
        && valuesPerImage() == other.valuesPerImage()
        && preprocessing.equals(other.preprocessing);
  }
}
