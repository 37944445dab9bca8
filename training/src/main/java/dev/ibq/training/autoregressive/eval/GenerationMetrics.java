package dev.ibq.training.autoregressive.eval;

import dev.ibq.image.PreprocessingSpec;

/**
 * Scores generated images with a project classifier: class accuracy (does a sample of class c look like class c to
 * the classifier?) and the domain FID, the Fréchet distance between the classifier's penultimate features of
 * generated images and of real test images. The domain FID is only comparable between runs that use the same
 * classifier checkpoint and sample counts; it is NOT comparable with ImageNet FID.
 */
public final class GenerationMetrics {

  private GenerationMetrics() {}

  /**
   * @param classAccuracy fraction of generated images classified as the class they were sampled for
   * @param domainFid Fréchet distance of classifier features, generated vs real test images
   * @param generated number of generated images
   * @param real number of real test images
   */
  public record Scores(double classAccuracy, double domainFid, int generated, int real) {}

  /**
   * @param generated (n, C, H, W) images in [-1, 1] as the decoder produced them
   * @param labels the class each generated image was sampled for
   * @param real preprocessed real test images (same layout)
   */
  public static Scores score(
      FmnistClassifier classifier, float[] generated, int[] labels, ClassifierTrainer.Images real) {
    int n = labels.length;
    int[] predicted = classifier.predict(generated, n);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (predicted[i] == labels[i]) {
        correct++;
      }
    }
    float[][] fakeFeatures = classifier.features(generated, n);
    float[][] realFeatures = classifier.features(real.pixels(), real.count());
    double fid = FrechetDistance.between(fakeFeatures, realFeatures);
    return new Scores(correct / (double) n, fid, n, real.count());
  }

  /** Fails unless the generated images are laid out as the classifier's inputs. */
  public static void checkCompatible(PreprocessingSpec classifierSpec, int channels, int height, int width) {
    if (classifierSpec.channels() != channels || classifierSpec.height() != height || classifierSpec.width() != width) {
      throw new IllegalArgumentException(
          "The decoder makes " + channels + "x" + height + "x" + width + " images but the classifier was trained on "
              + classifierSpec + "; train a classifier with the tokenizer's preprocessing (train-classifier"
              + " --decoder).");
    }
  }
}
