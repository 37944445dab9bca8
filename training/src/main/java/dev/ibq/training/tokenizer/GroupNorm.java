package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * Group normalisation (Wu and He 2018), the reference's {@code Normalize(C)} = {@code GroupNorm(32, C, eps=1e-6,
 * affine=True)}. DJL has no GroupNorm block.
 *
 * <p>Shape legend: B batch, C channels, G groups, H x W spatial. The input (B, C, H, W) is viewed as
 * (B, G, C/G*H*W); each group is normalised with its own mean and biased variance,
 * y = (x - mean) / sqrt(var + eps), then scaled and shifted per channel: y * weight[c] + bias[c].
 * Keys: {@code weight} (C), initialised to 1, and {@code bias} (C), initialised to 0.
 *
 * <p>The normalisation is one fused libtorch {@code layer_norm} over the last axis of the (B, G, C/G*H*W) view
 * (with a unit, zero-shift affine of that length), then the per-channel affine: 4 native ops forward instead of
 * 9 (same values to float32 rounding: {@code BlocksTest} compares it with the op-by-op formula).
 */
public final class GroupNorm extends TokenizerModule {

  /** The reference's epsilon. */
  public static final double EPSILON = 1e-6;

  private final int groups;
  private final int channels;
  private final NDArray weight;
  private final NDArray bias;

  public GroupNorm(NDManager manager, int groups, int channels) {
    super(manager);
    if (groups <= 0 || channels % groups != 0) {
      throw new IllegalArgumentException(
          "GroupNorm needs the channel count to be a multiple of the group count; got " + channels + " channels and "
              + groups + " groups (lower TokenizerArchitecture.groupNormGroups or change ch).");
    }
    this.groups = groups;
    this.channels = channels;
    this.weight = registerParameter("weight", manager.ones(new Shape(channels)));
    this.bias = registerParameter("bias", manager.zeros(new Shape(channels)));
  }

  /** (B, C, H, W) -> (B, C, H, W). */
  public NDArray forward(NDArray x) {
    Shape shape = x.getShape();
    if (shape.dimension() != 4 || shape.get(1) != channels) {
      throw new IllegalArgumentException("GroupNorm expects (B, " + channels + ", H, W) input; got " + shape + ".");
    }
    long b = shape.get(0);
    long length = shape.size() / (b * groups);
    // layer_norm's affine is mandatory: a unit one, on the step's manager (two fills, freed with the step).
    NDArray[] unit = {x.getManager().ones(new Shape(length)), x.getManager().zeros(new Shape(length))};
    NDArray grouped = x.reshape(b, groups, length); // (B, G, C/G*H*W)
    NDArray normalised = LayerNorm.layerNorm(
        grouped, new Shape(length), unit[0], unit[1], (float) EPSILON)
        .singletonOrThrow()
        .reshape(shape); // (B, C, H, W), biased variance like PyTorch
    NDArray scale = onManagerOf(x, weight.reshape(1, channels, 1, 1));
    NDArray shift = onManagerOf(x, bias.reshape(1, channels, 1, 1));
    return normalised.mul(scale).add(shift);
  }

  public int groups() {
    return groups;
  }

  public int channels() {
    return channels;
  }
}
