package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;

/**
 * Batch normalisation over the channel axis, the counterpart of {@code torch.nn.BatchNorm2d} (eps 1e-5,
 * momentum 0.1: running = 0.9 running + 0.1 batch statistic).
 *
 * <p>Shapes: (B, C, H, W) -> (B, C, H, W). Keys: {@code weight} (C) and {@code bias} (C), trainable;
 * {@code running_mean} (C) and {@code running_var} (C), buffers updated in training mode.
 * Initialisation as in pix2pix's weights_init: weight N(1, 0.02), bias 0.
 */
public final class BatchNormLayer extends TokenizerModule {

  public static final float EPSILON = 1e-5f;
  /** DJL's momentum convention: the weight of the old running statistic (PyTorch momentum 0.1). */
  static final float DJL_MOMENTUM = 0.9f;

  private final NDArray weight;
  private final NDArray bias;
  private final NDArray runningMean;
  private final NDArray runningVar;

  public BatchNormLayer(NDManager manager, int channels) {
    super(manager);
    Shape shape = new Shape(channels);
    this.weight = registerParameter("weight", manager.randomNormal(1f, 0.02f, shape, DataType.FLOAT32));
    this.bias = registerParameter("bias", manager.zeros(shape));
    this.runningMean = registerBuffer("running_mean", manager.zeros(shape));
    this.runningVar = registerBuffer("running_var", manager.ones(shape));
  }

  /** (B, C, H, W) -> (B, C, H, W); batch statistics (and running-statistic updates) when training. */
  public NDArray forward(NDArray x, boolean training) {
    return BatchNorm.batchNorm(x, runningMean, runningVar, weight, bias, 1, DJL_MOMENTUM, EPSILON, training)
        .singletonOrThrow();
  }
}
