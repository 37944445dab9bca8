package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Doubles the spatial size (taming {@code Upsample} with conv): nearest-neighbour x2 (each pixel repeated
 * along both spatial axes), then a 3x3 convolution with padding 1.
 *
 * <p>Shapes: (B, C, H, W) -> (B, C, 2H, 2W). Keys: {@code conv.*}.
 */
public final class Upsample extends TokenizerModule {

  private final Conv2dLayer conv;

  public Upsample(NDManager manager, int channels) {
    super(manager);
    this.conv = registerChild("conv", new Conv2dLayer(manager, channels, channels, 3, 1, 1));
  }

  /** (B, C, H, W) -> (B, C, 2H, 2W). */
  public NDArray forward(NDArray x) {
    NDArray nearest = x.repeat(2, 2).repeat(3, 2); // (B, C, 2H, 2W)
    return conv.forward(nearest);
  }
}
