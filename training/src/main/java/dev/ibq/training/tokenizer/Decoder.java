package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The VQGAN decoder (taming {@code Decoder}), the encoder's mirror.
 *
 * <p>Shape legend: B batch, R resolution, L levels, h = w = R / 2^(L-1).
 * (B, zChannels, h, w) -> conv_in (ch*ch_mult[L-1]) -> mid (block_1, attn_1, block_2) -> levels L-1 .. 0, each
 * with numResBlocks+1 ResnetBlocks to ch*ch_mult[i] (an AttnBlock after each when the current resolution is in
 * attnResolutions) and an Upsample except at level 0 -> norm_out, swish, conv_out -> (B, outChannels, R, R).
 *
 * <p>Keys: {@code conv_in}, {@code mid.block_1}, {@code mid.attn_1}, {@code mid.block_2}, {@code up.<i>.block.<j>},
 * {@code up.<i>.attn.<j>}, {@code up.<i>.upsample.conv}, {@code norm_out}, {@code conv_out}; {@code up.<i>} is
 * level i (the reference inserts levels at the front, so index 0 is the full-resolution level). Keys are
 * registered in the reference's construction order (mid first, then levels from L-1 down to 0).
 */
public final class Decoder extends TokenizerModule {

  private final Conv2dLayer convIn;
  private final ResnetBlock midBlock1;
  private final AttnBlock midAttn1;
  private final ResnetBlock midBlock2;
  /** Indexed by level, run from the last level down to 0. */
  private final List<List<ResnetBlock>> blocks;
  private final List<List<AttnBlock>> attns;
  /** Indexed by level; null at level 0. */
  private final List<Upsample> upsamples;
  private final GroupNorm normOut;
  private final Conv2dLayer convOut;

  public Decoder(NDManager manager, TokenizerArchitecture arch) {
    super(manager);
    int ch = arch.ch();
    int groups = arch.groupNormGroups();
    List<Integer> chMult = arch.chMult();
    int levels = arch.levels();
    int blockIn = ch * chMult.get(levels - 1);
    int currentResolution = arch.gridHeight();
    this.convIn = registerChild("conv_in", new Conv2dLayer(manager, arch.zChannels(), blockIn, 3, 1, 1));
    ModuleGroup mid = registerChild("mid", new ModuleGroup(manager));
    this.midBlock1 = mid.add("block_1", new ResnetBlock(manager, blockIn, blockIn, groups, arch.dropout()));
    this.midAttn1 = mid.add("attn_1", new AttnBlock(manager, blockIn, groups));
    this.midBlock2 = mid.add("block_2", new ResnetBlock(manager, blockIn, blockIn, groups, arch.dropout()));
    ModuleGroup up = registerChild("up", new ModuleGroup(manager));
    List<List<ResnetBlock>> levelBlocks = new ArrayList<>(Collections.nCopies(levels, null));
    List<List<AttnBlock>> levelAttns = new ArrayList<>(Collections.nCopies(levels, null));
    List<Upsample> levelUpsamples = new ArrayList<>(Collections.nCopies(levels, null));
    for (int level = levels - 1; level >= 0; level--) {
      ModuleGroup levelGroup = up.group(Integer.toString(level));
      ModuleGroup blockGroup = levelGroup.group("block");
      ModuleGroup attnGroup = null;
      int blockOut = ch * chMult.get(level);
      List<ResnetBlock> bs = new ArrayList<>();
      List<AttnBlock> as = new ArrayList<>();
      for (int i = 0; i < arch.decoderResBlocks(); i++) {
        bs.add(blockGroup.add(Integer.toString(i), new ResnetBlock(manager, blockIn, blockOut, groups, arch.dropout())));
        blockIn = blockOut;
        if (arch.attnResolutions().contains(currentResolution)) {
          if (attnGroup == null) {
            attnGroup = levelGroup.group("attn");
          }
          as.add(attnGroup.add(Integer.toString(i), new AttnBlock(manager, blockIn, groups)));
        }
      }
      levelBlocks.set(level, bs);
      levelAttns.set(level, as);
      if (level != 0) {
        levelUpsamples.set(level, levelGroup.add("upsample", new Upsample(manager, blockIn)));
        currentResolution *= 2;
      }
    }
    this.blocks = levelBlocks;
    this.attns = levelAttns;
    this.upsamples = levelUpsamples;
    this.normOut = registerChild("norm_out", new GroupNorm(manager, groups, blockIn));
    this.convOut = registerChild("conv_out", new Conv2dLayer(manager, blockIn, arch.outChannels(), 3, 1, 1));
  }

  /** (B, zChannels, h, w) -> (B, outChannels, R, R). */
  public NDArray forward(NDArray z, boolean training) {
    NDArray h = convIn.forward(z);
    h = midBlock2.forward(midAttn1.forward(midBlock1.forward(h, training)), training);
    for (int level = blocks.size() - 1; level >= 0; level--) {
      List<ResnetBlock> levelBlocks = blocks.get(level);
      List<AttnBlock> levelAttns = attns.get(level);
      for (int i = 0; i < levelBlocks.size(); i++) {
        h = levelBlocks.get(i).forward(h, training);
        if (!levelAttns.isEmpty()) {
          h = levelAttns.get(i).forward(h);
        }
      }
      if (upsamples.get(level) != null) {
        h = upsamples.get(level).forward(h);
      }
    }
    return convOut.forward(swish(normOut.forward(h)));
  }
}
