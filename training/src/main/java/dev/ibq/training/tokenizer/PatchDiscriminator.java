package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * PatchGAN discriminator (pix2pix {@code NLayerDiscriminator}, as used by taming and IBQ): 64 base channels,
 * {@code nLayers} = 3 strided convolutions, BatchNorm, LeakyReLU 0.2, convolution weights N(0, 0.02).
 *
 * <p>Layout (kernel 4, padding 1), keys as the reference's {@code main} Sequential indices:
 * <pre>
 * main.0  conv in -> 64, stride 2, bias        main.1  LeakyReLU
 * for n = 1 .. nLayers-1: conv 64*min(2^(n-1),8) -> 64*min(2^n,8), stride 2, no bias; BatchNorm; LeakyReLU
 * conv -> 64*min(2^nLayers,8), stride 1, no bias; BatchNorm; LeakyReLU
 * conv -> 1, stride 1, bias                    (the patch logits)
 * </pre>
 * With nLayers = 3: main.0, main.2 + main.3, main.5 + main.6, main.8 + main.9, main.11.
 * Shapes: (B, C, R, R) -> (B, 1, R/8 - 2, R/8 - 2): 256 -> 30x30 patches, 32 -> 2x2 patches (each patch sees
 * 70x70 pixels, so at 32x32 every patch covers the whole image; the reference layout still works, no change).
 */
public final class PatchDiscriminator extends TokenizerModule {

  /** Base channel count of the reference. */
  public static final int BASE_CHANNELS = 64;
  /** Number of strided convolutions of the reference. */
  public static final int LAYERS = 3;
  /** Standard deviation of the convolution weight init. */
  public static final double INIT_STD = 0.02;
  public static final float LEAKY_SLOPE = 0.2f;

  private final List<Conv2dLayer> convs = new ArrayList<>();
  /** Null for the first and last convolution. */
  private final List<BatchNormLayer> norms = new ArrayList<>();

  /**
   * The smallest square input a discriminator of {@code nLayers} strided layers takes: each 4x4 stride-2 layer
   * halves the side, and the two 4x4 stride-1 layers after them each take one off and need a side of at least 2.
   */
  public static int smallestInput(int nLayers) {
    return 3 << nLayers;
  }

  /** Refuses, with a sentence that says what to change, images smaller than {@link #smallestInput}. */
  public static void requireFits(int resolution, int nLayers) {
    if (resolution < smallestInput(nLayers)) {
      int fits = 0;
      while (smallestInput(fits + 1) <= resolution) {
        fits++;
      }
      throw new IllegalArgumentException("The discriminator with discriminator_layers=" + nLayers + " needs images of at least "
          + smallestInput(nLayers) + "x" + smallestInput(nLayers) + "; these are " + resolution + "x" + resolution + ". "
          + (fits > 0 ? "Set losses.discriminator_layers=" + fits + " (or fewer), " : "")
          + "set losses.discriminator=false, or train at a larger resolution.");
    }
  }

  /** The reference discriminator (64 base channels, 3 layers) for images with {@code inChannels} channels. */
  public PatchDiscriminator(NDManager manager, int inChannels) {
    this(manager, inChannels, BASE_CHANNELS, LAYERS);
  }

  public PatchDiscriminator(NDManager manager, int inChannels, int baseChannels, int nLayers) {
    super(manager);
    if (nLayers < 1) {
      throw new IllegalArgumentException("The discriminator needs at least one strided layer; got nLayers=" + nLayers + ".");
    }
    ModuleGroup main = registerChild("main", new ModuleGroup(manager));
    int index = 0;
    convs.add(main.add(Integer.toString(index), Conv2dLayer.normalInit(manager, inChannels, baseChannels, 4, 2, 1, true, INIT_STD)));
    norms.add(null);
    index += 2; // conv, LeakyReLU
    int mult = 1;
    for (int n = 1; n <= nLayers; n++) {
      int previous = mult;
      mult = Math.min(1 << n, 8);
      int stride = n < nLayers ? 2 : 1;
      convs.add(main.add(Integer.toString(index),
          Conv2dLayer.normalInit(manager, baseChannels * previous, baseChannels * mult, 4, stride, 1, false, INIT_STD)));
      norms.add(main.add(Integer.toString(index + 1), new BatchNormLayer(manager, baseChannels * mult)));
      index += 3; // conv, BatchNorm, LeakyReLU
    }
    convs.add(main.add(Integer.toString(index), Conv2dLayer.normalInit(manager, baseChannels * mult, 1, 4, 1, 1, true, INIT_STD)));
    norms.add(null);
  }

  /** Images (B, C, R, R) in [-1, 1] -> patch logits (B, 1, R', R'). */
  public NDArray forward(NDArray images, boolean training) {
    NDArray h = images;
    int last = convs.size() - 1;
    for (int i = 0; i < last; i++) {
      h = convs.get(i).forward(h);
      if (norms.get(i) != null) {
        h = norms.get(i).forward(h, training);
      }
      h = Activation.leakyRelu(h, LEAKY_SLOPE);
    }
    return convs.get(last).forward(h);
  }

  /**
   * Patch logits for the generator's step: the gradient reaches the images but not this network's own
   * parameters. PyTorch (and the reference) computes D's weight gradients there too and the trainer discards
   * them; leaving them out saves those convolution-backward products and changes no value (the forward,
   * BatchNorm's running statistics included, is {@link #forward}'s).
   */
  public NDArray forwardForGenerator(NDArray images) {
    java.util.Collection<NDArray> own = parameters().values();
    own.forEach(p -> p.setRequiresGradient(false));
    try {
      return forward(images, true);
    } finally {
      // Autograd decided at the forward which inputs get a gradient; D's next own step needs them back.
      own.forEach(p -> p.setRequiresGradient(true));
    }
  }
}
