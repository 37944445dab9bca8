package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * A frozen image feature extractor for {@link PerceptualLoss} (the paper uses VGG16, as LPIPS does:
 * {@link Vgg16Features}, with weights the user downloads and converts; see {@link LpipsVgg}).
 *
 * <p>Contract: images (B, C, R, R) in [-1, 1] -> one or more feature maps (B, C_i, H_i, W_i). The network's own
 * weights must not be trained by the tokenizer's optimiser; gradients must flow to the images.
 */
@FunctionalInterface
public interface FeatureNetwork {

  NDList features(NDArray images);
}
