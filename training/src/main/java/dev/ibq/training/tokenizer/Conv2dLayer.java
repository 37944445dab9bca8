package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * A 2-D convolution with reference keys {@code weight} (out, in, kh, kw) and {@code bias} (out), the
 * counterpart of {@code torch.nn.Conv2d} with square kernel, stride and symmetric padding.
 *
 * <p>Shapes: input (B, in, H, W) -> output (B, out, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
 *
 * <p>Initialisation: PyTorch's default U(-1/sqrt(in*k*k), 1/sqrt(in*k*k)) for weight and bias (what the
 * reference gets), or N(0, std) weights when {@link #normalInit} is used (the discriminator, whose reference
 * {@code weights_init} redraws only the weights: the biases keep PyTorch's default U(+-1/sqrt(fan_in))).
 */
public final class Conv2dLayer extends TokenizerModule {

  private final int inChannels;
  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final NDArray weight;
  private final NDArray bias;

  /** A convolution with bias and PyTorch's default initialisation. */
  public Conv2dLayer(NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding) {
    this(manager, inChannels, outChannels, kernel, stride, padding, true, Double.NaN);
  }

  private Conv2dLayer(
      NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding, boolean withBias, double normalStd) {
    super(manager);
    if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
      throw new IllegalArgumentException(
          "A convolution needs positive channels, kernel and stride and a non-negative padding; got in=" + inChannels
              + ", out=" + outChannels + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ".");
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    Shape weightShape = new Shape(outChannels, inChannels, kernel, kernel);
    long fanIn = (long) inChannels * kernel * kernel;
    NDArray w = Double.isNaN(normalStd)
        ? uniformFanIn(weightShape, fanIn)
        : manager.randomNormal(0f, (float) normalStd, weightShape, DataType.FLOAT32);
    this.weight = registerParameter("weight", w);
    if (withBias) {
      NDArray b = uniformFanIn(new Shape(outChannels), fanIn);
      this.bias = registerParameter("bias", b);
    } else {
      this.bias = null;
    }
  }

  /** A convolution whose weight is drawn from N(0, std); its bias (when present) has PyTorch's default init. */
  public static Conv2dLayer normalInit(
      NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding, boolean withBias, double std) {
    return new Conv2dLayer(manager, inChannels, outChannels, kernel, stride, padding, withBias, std);
  }

  /** (B, in, H, W) -> (B, out, H', W'). */
  public NDArray forward(NDArray x) {
    Shape s = new Shape(stride, stride);
    Shape p = new Shape(padding, padding);
    if (bias == null) {
      return Conv2d.conv2d(x, weight, null, s, p).singletonOrThrow();
    }
    return Conv2d.conv2d(x, weight, bias, s, p).singletonOrThrow();
  }

  public NDArray weight() {
    return weight;
  }

  public int inChannels() {
    return inChannels;
  }

  public int outChannels() {
    return outChannels;
  }

  public int kernel() {
    return kernel;
  }

  public int stride() {
    return stride;
  }

  public int padding() {
    return padding;
  }
}
