package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.Dropout;

/**
 * The VQGAN residual block (taming {@code ResnetBlock} without time embedding).
 *
 * <p>Shapes: (B, in, H, W) -> (B, out, H, W).
 * h = conv2(dropout(swish(norm2(conv1(swish(norm1(x))))))); output = shortcut(x) + h, where the shortcut
 * is the identity when in == out and a 1x1 convolution {@code nin_shortcut} otherwise.
 * Keys: {@code norm1.*}, {@code conv1.*} (3x3), {@code norm2.*}, {@code conv2.*} (3x3), {@code nin_shortcut.*}
 * (1x1, only when in != out).
 */
public final class ResnetBlock extends TokenizerModule {

  private final GroupNorm norm1;
  private final Conv2dLayer conv1;
  private final GroupNorm norm2;
  private final float dropout;
  private final Conv2dLayer conv2;
  private final Conv2dLayer ninShortcut;

  public ResnetBlock(NDManager manager, int inChannels, int outChannels, int groups, double dropout) {
    super(manager);
    this.norm1 = registerChild("norm1", new GroupNorm(manager, groups, inChannels));
    this.conv1 = registerChild("conv1", new Conv2dLayer(manager, inChannels, outChannels, 3, 1, 1));
    this.norm2 = registerChild("norm2", new GroupNorm(manager, groups, outChannels));
    this.dropout = (float) dropout;
    this.conv2 = registerChild("conv2", new Conv2dLayer(manager, outChannels, outChannels, 3, 1, 1));
    this.ninShortcut = inChannels == outChannels
        ? null
        : registerChild("nin_shortcut", new Conv2dLayer(manager, inChannels, outChannels, 1, 1, 0));
  }

  /** (B, in, H, W) -> (B, out, H, W); {@code training} switches dropout on. */
  public NDArray forward(NDArray x, boolean training) {
    NDArray h = conv1.forward(swish(norm1.forward(x)));
    h = swish(norm2.forward(h));
    if (dropout > 0 && training) {
      h = Dropout.dropout(h, dropout, true).singletonOrThrow();
    }
    h = conv2.forward(h);
    NDArray shortcut = ninShortcut == null ? x : ninShortcut.forward(x);
    return shortcut.add(h);
  }
}
