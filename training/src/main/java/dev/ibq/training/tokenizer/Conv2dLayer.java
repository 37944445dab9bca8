package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 *
 * <p>Computation: libtorch's convolution (oneDNN on the CPU), except on tiny output maps with many channels, where
 * the same convolution runs as one matrix product ({@link #usesGemm}); the two agree to float32 rounding.
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
    long outH = (x.getShape().get(2) + 2L * padding - kernel) / stride + 1;
    long outW = (x.getShape().get(3) + 2L * padding - kernel) / stride + 1;
    if (usesGemm(outH, outW)) {
      return forwardAsGemm(x, outH, outW);
    }
    Shape s = new Shape(stride, stride);
    Shape p = new Shape(padding, padding);
    if (bias == null) {
      return Conv2d.conv2d(x, weight, null, s, p).singletonOrThrow();
    }
    return Conv2d.conv2d(x, weight, bias, s, p).singletonOrThrow();
  }

  /**
   * Whether {@link #forward} takes the GEMM form for an output map of {@code outH x outW}: a stride-1
   * convolution onto a map of at most 3 x 3 positions with at least {@value #GEMM_MIN_OUT_CHANNELS} output
   * channels and {@value #GEMM_MIN_DEPTH} input taps (in x k x k). oneDNN's direct kernels block over the output
   * width, and on such a map they ran at about 37% of this core's float32 peak (the PatchGAN's 256 -> 512, 4 x 4
   * convolution on 4 x 4 maps at 32 x 32 images: 55 ms of the K = 1024 training step). Measured in
   * {@code training/benchmarks/conv-gemm/ConvGemmBench.java} (results.txt there), forward and backward: the GEMM
   * form 1.32-1.44x faster for that layer at batch 16 and 1.09-1.14x at batch 32 (two runs); on 5 x 5 and larger
   * maps, with 128 -> 256 channels (0.87x, the first run's thresholds) or with fewer outputs, the direct kernels
   * were as fast or faster.
   */
  boolean usesGemm(long outH, long outW) {
    return stride == 1 && outH * outW <= 9 && outChannels >= GEMM_MIN_OUT_CHANNELS
        && (long) inChannels * kernel * kernel >= GEMM_MIN_DEPTH;
  }

  /** The fewest output channels that take the GEMM form. */
  static final int GEMM_MIN_OUT_CHANNELS = 256;
  /** The fewest input taps (in x k x k) that take the GEMM form. */
  static final int GEMM_MIN_DEPTH = 4096;

  /**
   * The same convolution as one matrix product: the k x k shifted views of the padded input (C, B, H + 2p, W + 2p)
   * are stacked into the columns (C k k, B H' W'), with rows in the weight's own (in, kh, kw) order, and
   * multiplied by the weight seen as (out, C k k). Autograd differentiates the views, the stack and the product.
   */
  private NDArray forwardAsGemm(NDArray x, long outH, long outW) {
    long b = x.getShape().get(0);
    NDArray channelsFirst = x.transpose(1, 0, 2, 3); // (C, B, H, W), a view
    NDArray padded = padding == 0
        ? channelsFirst
        : channelsFirst.pad(new Shape(padding, padding, padding, padding), 0); // (C, B, Hp, Wp)
    NDList taps = new NDList(kernel * kernel);
    for (int i = 0; i < kernel; i++) {
      for (int j = 0; j < kernel; j++) {
        taps.add(padded.get(new NDIndex(":, :, {}:{}, {}:{}", i, i + outH, j, j + outW))); // (C, B, H', W')
      }
    }
    NDArray columns = NDArrays.stack(taps, 1).reshape((long) inChannels * kernel * kernel, b * outH * outW);
    NDArray y = weight.reshape(outChannels, (long) inChannels * kernel * kernel).matMul(columns); // (out, B H' W')
    if (bias != null) {
      y = y.add(bias.reshape(outChannels, 1));
    }
    return y.reshape(outChannels, b, outH, outW).transpose(1, 0, 2, 3); // (B, out, H', W')
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
