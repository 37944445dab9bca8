package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * LPIPS-style perceptual distance with uniform channel weights: for each feature map f_i of a
 * {@link FeatureNetwork}, normalise every position's channel vector to unit length,
 * f / (||f||_2 over channels + 1e-10), take the squared difference between image and reconstruction, sum it
 * over channels, average over positions and the batch, and sum over the maps.
 *
 * <p>Shape legend: B batch, C_i channels, H_i x W_i positions of map i.
 *
 * <p>NOTE: LPIPS learns a non-negative 1x1 weight per channel ("lin" layers) on top of VGG; without its
 * released weights we use weight 1 for every channel (the LPIPS paper's "baseline" variant). Off by default:
 * a trainer adds {@link TokenizerLosses#PERCEPTUAL_WEIGHT} times this only when a feature network is given.
 */
public final class PerceptualLoss {

  /** The epsilon LPIPS adds to the channel norm. */
  public static final double NORM_EPSILON = 1e-10;

  private final FeatureNetwork network;

  public PerceptualLoss(FeatureNetwork network) {
    if (network == null) {
      throw new IllegalArgumentException("A perceptual loss needs a feature network; got null.");
    }
    this.network = network;
  }

  public FeatureNetwork network() {
    return network;
  }

  /** Scalar distance between reconstructions and target images, both (B, C, R, R); differentiable in both. */
  public NDArray compute(NDArray reconstruction, NDArray target) {
    NDList a = network.features(reconstruction);
    NDList b = network.features(target);
    if (a.size() != b.size() || a.isEmpty()) {
      throw new IllegalStateException(
          "The feature network returned " + a.size() + " and " + b.size() + " maps for two batches of the same shape; "
              + "it must return the same non-zero number of maps for every input.");
    }
    NDArray total = null;
    for (int i = 0; i < a.size(); i++) {
      NDArray distance = normalise(a.get(i)).sub(normalise(b.get(i))).square().sum(new int[] {1}).mean(); // ()
      total = total == null ? distance : total.add(distance);
    }
    return total;
  }

  /** (B, C, H, W) -> unit channel vectors (B, C, H, W). */
  static NDArray normalise(NDArray features) {
    NDArray norm = features.square().sum(new int[] {1}, true).sqrt(); // (B, 1, H, W)
    return features.div(norm.add((float) NORM_EPSILON));
  }
}
