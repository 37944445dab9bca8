package dev.ibq.training.autoregressive.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short classifier run on a slice of the real Fashion-MNIST data (the full run is ./ibq train-classifier). */
class ClassifierTrainerTest {

  @TempDir Path dir;

  @Test
  void learnsRealFashionMnistWellAboveChanceAndRoundTripsItsCheckpoint() {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    ClassifierTrainer.Options options = new ClassifierTrainer.Options(spec, 2, 32, 1e-3f, 1, 640, 300);
    ClassifierTrainer.Result result = ClassifierTrainer.run(options, dir.resolve("classifier.bin"));

    assertThat(result.trainImages()).isEqualTo(640);
    assertThat(result.testAccuracy()).as("10 classes: chance is 0.1").isGreaterThan(0.5);

    ClassifierTrainer.Images test = ClassifierTrainer.load(FashionMnist.Split.TEST, spec, 300);
    try (NDManager manager = NDManager.newBaseManager();
        FmnistClassifier.Loaded loaded = FmnistClassifier.load(result.checkpoint(), manager)) {
      assertThat(loaded.header().preprocessing()).isEqualTo(spec.toCanonicalString());
      assertThat(ClassifierTrainer.accuracy(loaded.classifier(), test)).isCloseTo(result.testAccuracy(), within(1e-9));
      float[][] features =
          loaded.classifier().features(java.util.Arrays.copyOf(test.pixels(), 50 * spec.tensorSize()), 50);
      assertThat(features).hasNumberOfRows(50);
      assertThat(features[0]).hasSize(FmnistClassifier.FEATURE_DIM);
    }
  }
}
