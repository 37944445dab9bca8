package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The VQGAN encoder (taming {@code Encoder}, double_z false).
 *
 * <p>Shape legend: B batch, R resolution, L levels, h = w = R / 2^(L-1).
 * (B, inChannels, R, R) -> conv_in (ch) -> per level i: numResBlocks ResnetBlocks from ch*in_ch_mult[i] to
 * ch*ch_mult[i] (in_ch_mult = (1,) + ch_mult), each followed by an AttnBlock when the current resolution is in
 * attnResolutions, then a Downsample except at the last level -> mid (block_1, attn_1, block_2) -> norm_out,
 * swish, conv_out -> (B, zChannels, h, w).
 *
 * <p>Keys: {@code conv_in}, {@code down.<i>.block.<j>}, {@code down.<i>.attn.<j>}, {@code down.<i>.downsample.conv},
 * {@code mid.block_1}, {@code mid.attn_1}, {@code mid.block_2}, {@code norm_out}, {@code conv_out}.
 */
public final class Encoder extends TokenizerModule {

  private final Conv2dLayer convIn;
  private final List<List<ResnetBlock>> blocks = new ArrayList<>();
  private final List<List<AttnBlock>> attns = new ArrayList<>();
  private final List<Downsample> downsamples = new ArrayList<>();
  private final ResnetBlock midBlock1;
  private final AttnBlock midAttn1;
  private final ResnetBlock midBlock2;
  private final GroupNorm normOut;
  private final Conv2dLayer convOut;

  public Encoder(NDManager manager, TokenizerArchitecture arch) {
    super(manager);
    int ch = arch.ch();
    int groups = arch.groupNormGroups();
    List<Integer> chMult = arch.chMult();
    this.convIn = registerChild("conv_in", new Conv2dLayer(manager, arch.inChannels(), ch, 3, 1, 1));
    ModuleGroup down = registerChild("down", new ModuleGroup(manager));
    int currentResolution = arch.resolution();
    int blockIn = ch;
    for (int level = 0; level < arch.levels(); level++) {
      ModuleGroup levelGroup = down.group(Integer.toString(level));
      ModuleGroup blockGroup = levelGroup.group("block");
      ModuleGroup attnGroup = null;
      blockIn = ch * (level == 0 ? 1 : chMult.get(level - 1));
      int blockOut = ch * chMult.get(level);
      List<ResnetBlock> levelBlocks = new ArrayList<>();
      List<AttnBlock> levelAttns = new ArrayList<>();
      for (int i = 0; i < arch.numResBlocks(); i++) {
        levelBlocks.add(blockGroup.add(Integer.toString(i), new ResnetBlock(manager, blockIn, blockOut, groups, arch.dropout())));
        blockIn = blockOut;
        if (arch.attnResolutions().contains(currentResolution)) {
          if (attnGroup == null) {
            attnGroup = levelGroup.group("attn");
          }
          levelAttns.add(attnGroup.add(Integer.toString(i), new AttnBlock(manager, blockIn, groups)));
        }
      }
      blocks.add(levelBlocks);
      attns.add(levelAttns);
      if (level != arch.levels() - 1) {
        downsamples.add(levelGroup.add("downsample", new Downsample(manager, blockIn)));
        currentResolution /= 2;
      }
    }
    ModuleGroup mid = registerChild("mid", new ModuleGroup(manager));
    this.midBlock1 = mid.add("block_1", new ResnetBlock(manager, blockIn, blockIn, groups, arch.dropout()));
    this.midAttn1 = mid.add("attn_1", new AttnBlock(manager, blockIn, groups));
    this.midBlock2 = mid.add("block_2", new ResnetBlock(manager, blockIn, blockIn, groups, arch.dropout()));
    this.normOut = registerChild("norm_out", new GroupNorm(manager, groups, blockIn));
    this.convOut = registerChild("conv_out", new Conv2dLayer(manager, blockIn, arch.zChannels(), 3, 1, 1));
  }

  /** (B, inChannels, R, R) -> (B, zChannels, h, w). */
  public NDArray forward(NDArray x, boolean training) {
    NDArray h = convIn.forward(x);
    for (int level = 0; level < blocks.size(); level++) {
      List<ResnetBlock> levelBlocks = blocks.get(level);
      List<AttnBlock> levelAttns = attns.get(level);
      for (int i = 0; i < levelBlocks.size(); i++) {
        h = levelBlocks.get(i).forward(h, training);
        if (!levelAttns.isEmpty()) {
          h = levelAttns.get(i).forward(h);
        }
      }
      if (level < downsamples.size()) {
        h = downsamples.get(level).forward(h);
      }
    }
    h = midBlock2.forward(midAttn1.forward(midBlock1.forward(h, training)), training);
    return convOut.forward(swish(normOut.forward(h)));
  }
}
