package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * A small frozen feature network built by this project: a stack of random 3x3 convolutions with ReLU, each
 * stage halving the resolution (stride 2) and doubling the channels; every stage's output is one feature map.
 * Random convolutional features are a known, weak but real perceptual prior; this class mainly exercises the
 * {@link FeatureNetwork} hook without pretrained weights.
 *
 * <p>Shapes: (B, C, R, R) -> maps (B, base*2^i, R/2^(i+1), R/2^(i+1)) for i < stages. Weights are
 * He-normal-like, fixed at construction and never marked for gradients.
 */
public final class RandomConvFeatures extends TokenizerModule implements FeatureNetwork {

  private final List<Conv2dLayer> stages = new ArrayList<>();

  public RandomConvFeatures(NDManager manager, int inChannels, int baseChannels, int stageCount) {
    super(manager);
    int in = inChannels;
    for (int i = 0; i < stageCount; i++) {
      int out = baseChannels << i;
      Conv2dLayer conv = registerChild(Integer.toString(i),
          Conv2dLayer.normalInit(manager, in, out, 3, 2, 1, true, Math.sqrt(2.0 / (in * 9))));
      stages.add(conv);
      in = out;
    }
    // Frozen: the tokenizer's optimiser must never see these weights.
    for (NDArray p : stateDict().values()) {
      p.setRequiresGradient(false);
    }
  }

  @Override
  public NDList features(NDArray images) {
    NDList maps = new NDList();
    NDArray h = images;
    for (Conv2dLayer stage : stages) {
      h = Activation.relu(stage.forward(h));
      maps.add(h);
    }
    return maps;
  }
}
