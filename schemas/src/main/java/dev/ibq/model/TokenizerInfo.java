package dev.ibq.model;

import dev.ibq.image.PreprocessingSpec;

/**
 * What an exported tokenizer model says about itself (from its metadata), plus the execution provider
 * the runtime actually chose.
 *
 * @param tokenizerId hex SHA-256 over the exported weights; equal for the encoder and decoder of one export
 * @param name human-readable tokenizer name
 * @param role {@code encoder} or {@code decoder}
 * @param codebookSize K
 * @param codeDim D
 * @param gridHeight H' (token rows per image)
 * @param gridWidth W' (token columns per image)
 * @param imageChannels C of the model's image input/output
 * @param imageHeight H of the model's image input/output
 * @param imageWidth W of the model's image input/output
 * @param preprocessingDescriptor the canonical PreprocessingSpec string (parse it with
 *     {@code dev.ibq.image.PreprocessingSpec.parse}); the only source of preprocessing settings
 * @param configJson the full tokenizer configuration JSON that built the model
 * @param provider the execution provider the session runs on: {@link ExecutionProvider#CPU} or
 *     {@link ExecutionProvider#CUDA}, never AUTO
 */
public record TokenizerInfo(
    String tokenizerId,
    String name,
    String role,
    int codebookSize,
    int codeDim,
    int gridHeight,
    int gridWidth,
    int imageChannels,
    int imageHeight,
    int imageWidth,
    String preprocessingDescriptor,
    String configJson,
    ExecutionProvider provider) {

  /** The preprocessing spec the model expects its inputs to go through (parsed descriptor). */
  public PreprocessingSpec preprocessing() {
    return PreprocessingSpec.parse(preprocessingDescriptor);
  }

  /** Tokens per image, H' * W'. */
  public int tokensPerImage() {
    return gridHeight * gridWidth;
  }

  /** Floats per image in NCHW layout, C * H * W. */
  public int valuesPerImage() {
    return imageChannels * imageHeight * imageWidth;
  }
}
