package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * The LPIPS distance over the maps of a {@link FeatureNetwork}: for each feature map f_i, normalise every
 * position's channel vector to unit length, f / (||f||_2 over channels + 1e-10), take the squared difference
 * between image and reconstruction, weight it per channel with w_i and sum over channels (LPIPS' 1x1 "lin"
 * convolution, no bias), average over positions, and sum over the maps: one distance per image.
 *
 * <p>{@code d(x, y) = sum_i mean_{h,w} sum_c w_ic (f_i(x)_chw / ||f_i(x)_hw|| - f_i(y)_chw / ||f_i(y)_hw||)^2}.
 *
 * <p>Shape legend: B batch, C_i channels, H_i x W_i positions of map i.
 *
 * <p>Channel weights: either LPIPS' learned non-negative ones (see {@link LpipsVgg}, which also applies LPIPS'
 * input scaling), or weight 1 for every channel (the LPIPS paper's "baseline" variant, {@code lpips=False}),
 * used with a network that has no released lin weights ({@link RandomConvFeatures}). A trainer adds
 * {@link TokenizerLosses#PERCEPTUAL_WEIGHT} times the batch mean only when a feature network is configured.
 */
public final class PerceptualLoss {

  /** The epsilon LPIPS adds to the channel norm. */
  public static final double NORM_EPSILON = 1e-10;

  private final FeatureNetwork network;
  /** Per map, the lin weight (1, C_i, 1, 1), or null for weight 1 on every channel. */
  private final List<NDArray> channelWeights;

  /** Uniform channel weights (LPIPS' "baseline"). */
  public PerceptualLoss(FeatureNetwork network) {
    this(network, null);
  }

  /**
   * @param channelWeights one (1, C_i, 1, 1) weight per map, as LPIPS' {@code lin<i>.model.1.weight}; null for
   *     weight 1 on every channel
   */
  public PerceptualLoss(FeatureNetwork network, List<NDArray> channelWeights) {
    if (network == null) {
      throw new IllegalArgumentException("A perceptual loss needs a feature network; got null.");
    }
    this.network = network;
    this.channelWeights = channelWeights == null ? null : List.copyOf(channelWeights);
  }

  public FeatureNetwork network() {
    return network;
  }

  /** The batch mean of {@link #perImage}: a scalar, differentiable in both inputs. */
  public NDArray compute(NDArray reconstruction, NDArray target) {
    return perImage(reconstruction, target).mean();
  }

  /** The distance of each image pair (B), both inputs (B, C, R, R); differentiable in both. */
  public NDArray perImage(NDArray reconstruction, NDArray target) {
    NDList a = network.features(reconstruction);
    NDList b = network.features(target);
    if (a.size() != b.size() || a.isEmpty()) {
      throw new IllegalStateException(
          "The feature network returned " + a.size() + " and " + b.size() + " maps for two batches of the same shape; "
              + "it must return the same non-zero number of maps for every input.");
    }
    if (channelWeights != null && channelWeights.size() != a.size()) {
      throw new IllegalStateException(
          "The feature network returned " + a.size() + " maps but there are " + channelWeights.size()
              + " channel weights; there must be one per map.");
    }
    NDArray total = null;
    for (int i = 0; i < a.size(); i++) {
      NDArray squared = normalise(a.get(i)).sub(normalise(b.get(i))).square(); // (B, C_i, H_i, W_i)
      if (channelWeights != null) {
        squared = squared.mul(channelWeights.get(i)); // the 1x1 lin convolution, summed below
      }
      NDArray summed = squared.sum(new int[] {1}); // (B, H_i, W_i)
      NDArray distance = summed.reshape(summed.getShape().get(0), -1).mean(new int[] {1}); // (B)
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
