package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's VGG16 {@code features} (configuration "D", no BatchNorm) cut into the five slices LPIPS uses
 * ({@code lpips.pretrained_networks.vgg16}): each slice ends at a ReLU whose output is one feature map,
 * relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3. Keys keep torchvision's layer index inside its slice, as the
 * lpips / taming module trees do: {@code slice1.0.weight}, {@code slice1.2.weight}, {@code slice2.5.weight} ...
 * {@code slice5.28.bias} (26 tensors).
 *
 * <pre>
 * slice1: 0 conv(in, w0) 1 relu 2 conv(w0, w0) 3 relu                                         -> relu1_2 (B, w0, R, R)
 * slice2: 4 maxpool 5 conv(w0, w1) 6 relu 7 conv(w1, w1) 8 relu                              -> relu2_2 (B, w1, R/2, R/2)
 * slice3: 9 maxpool 10 conv(w1, w2) 11 relu 12 conv 13 relu 14 conv 15 relu                 -> relu3_3 (B, w2, R/4, R/4)
 * slice4: 16 maxpool 17 conv(w2, w3) 18 relu 19 conv 20 relu 21 conv 22 relu                -> relu4_3 (B, w3, R/8, R/8)
 * slice5: 23 maxpool 24 conv(w3, w4) 25 relu 26 conv 27 relu 28 conv 29 relu                -> relu5_3 (B, w4, R/16, R/16)
 * </pre>
 *
 * <p>Convolutions are 3x3, stride 1, padding 1, with bias; max-pools 2x2, stride 2, floor mode. VGG16's widths
 * are {@link #VGG16_WIDTHS}; other widths build the same topology (the test fixture uses 1/16 of them).
 *
 * <p>Frozen: every tensor has {@code requiresGradient} false, so no optimiser sees them and no gradient is
 * stored for them; gradients still flow through the network to its input.
 */
public final class Vgg16Features extends TokenizerModule implements FeatureNetwork {

  /** VGG16's channel widths of the five slices. */
  public static final List<Integer> VGG16_WIDTHS = List.of(64, 128, 256, 512, 512);

  /** torchvision's {@code features} indices of the convolutions, per slice. */
  static final int[][] CONV_INDICES = {{0, 2}, {5, 7}, {10, 12, 14}, {17, 19, 21}, {24, 26, 28}};

  private final int inChannels;
  private final List<Integer> widths;
  private final List<List<Conv2dLayer>> slices = new ArrayList<>();

  /** A network of {@code inChannels} input channels (3 for LPIPS) and the five slice widths. */
  public Vgg16Features(NDManager manager, int inChannels, List<Integer> widths) {
    super(manager);
    if (widths.size() != CONV_INDICES.length || widths.stream().anyMatch(w -> w <= 0) || inChannels <= 0) {
      throw new IllegalArgumentException(
          "VGG16 features need 5 positive slice widths and a positive input channel count; got " + widths + " and "
              + inChannels + " input channels.");
    }
    this.inChannels = inChannels;
    this.widths = List.copyOf(widths);
    int in = inChannels;
    for (int s = 0; s < CONV_INDICES.length; s++) {
      ModuleGroup slice = registerChild("slice" + (s + 1), new ModuleGroup(manager));
      List<Conv2dLayer> convs = new ArrayList<>();
      for (int index : CONV_INDICES[s]) {
        convs.add(slice.add(Integer.toString(index), new Conv2dLayer(manager, in, widths.get(s), 3, 1, 1)));
        in = widths.get(s);
      }
      slices.add(convs);
    }
    for (NDArray p : stateDict().values()) {
      p.setRequiresGradient(false);
    }
  }

  public int inChannels() {
    return inChannels;
  }

  public List<Integer> widths() {
    return widths;
  }

  /** (B, in, R, R) -> the five maps relu1_2 ... relu5_3 (see the class comment for their shapes). */
  @Override
  public NDList features(NDArray images) {
    NDList maps = new NDList();
    NDArray h = images;
    for (int s = 0; s < slices.size(); s++) {
      if (s > 0) {
        h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false); // (B, C, H/2, W/2)
      }
      for (Conv2dLayer conv : slices.get(s)) {
        h = Activation.relu(conv.forward(h));
      }
      maps.add(h);
    }
    return maps;
  }
}
