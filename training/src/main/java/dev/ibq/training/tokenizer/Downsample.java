package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Halves the spatial size (taming {@code Downsample} with conv): zero-pad by one column on the right and one
 * row at the bottom (F.pad(x, (0, 1, 0, 1))), then a 3x3 stride-2 convolution without padding.
 *
 * <p>Shapes: (B, C, H, W) -> (B, C, H/2, W/2) for even H, W. Keys: {@code conv.*}.
 */
public final class Downsample extends TokenizerModule {

  private final Conv2dLayer conv;

  public Downsample(NDManager manager, int channels) {
    super(manager);
    this.conv = registerChild("conv", new Conv2dLayer(manager, channels, channels, 3, 2, 0));
  }

  /** (B, C, H, W) -> (B, C, H/2, W/2). */
  public NDArray forward(NDArray x) {
    // Padding pairs run from the last axis backwards, as in torch.nn.functional.pad: (left, right, top, bottom).
    NDArray padded = x.pad(new Shape(0, 1, 0, 1), 0); // (B, C, H+1, W+1)
    return conv.forward(padded);
  }
}
