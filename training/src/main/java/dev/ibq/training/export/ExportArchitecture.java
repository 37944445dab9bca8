package dev.ibq.training.export;

import java.util.List;

/**
 * The tokenizer geometry the ONNX graphs are built from (a VQGAN/taming encoder-decoder around the
 * quantizer). Mirrors the fields of the tokenizer's architecture config.
 *
 * @param resolution image height = width H
 * @param inChannels image channels C of the encoder input
 * @param outChannels image channels of the decoder output
 * @param ch base channel count
 * @param chMult channel multiplier per resolution level (levels - 1 downsamplings)
 * @param numResBlocks ResnetBlocks per level in the encoder (the decoder uses one more)
 * @param attnResolutions resolutions (feature-map side) at which AttnBlocks follow the ResnetBlocks
 * @param zChannels encoder output channels (before quant_conv)
 * @param codeDim D, code dimension
 * @param codebookSize K
 * @param groupNormGroups GroupNorm groups (32 in the reference)
 */
public record ExportArchitecture(
    int resolution,
    int inChannels,
    int outChannels,
    int ch,
    List<Integer> chMult,
    int numResBlocks,
    List<Integer> attnResolutions,
    int zChannels,
    int codeDim,
    int codebookSize,
    int groupNormGroups) {

  public ExportArchitecture {
    chMult = List.copyOf(chMult);
    attnResolutions = List.copyOf(attnResolutions);
    int downsamples = chMult.size() - 1;
    if (chMult.isEmpty() || resolution % (1 << downsamples) != 0) {
      throw new IllegalArgumentException(
          "The resolution "
              + resolution
              + " must be divisible by 2^"
              + downsamples
              + " (one halving per ch_mult level after the first); ch_mult is "
              + chMult
              + ".");
    }
  }

  /** Number of resolution levels, len(ch_mult). */
  public int levels() {
    return chMult.size();
  }

  /** Side of the token grid, H' = W' = resolution / 2^(levels-1). */
  public int gridSize() {
    return resolution >> (chMult.size() - 1);
  }

  public boolean attentionAt(int res) {
    return attnResolutions.contains(res);
  }
}
