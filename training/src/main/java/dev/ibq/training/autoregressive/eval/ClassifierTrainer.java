package dev.ibq.training.autoregressive.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.optim.AdamW;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains {@link FmnistClassifier} on the real Fashion-MNIST training split, preprocessed by the one shared
 * {@link Preprocessor}, with Adam (lr 1e-3) and cross-entropy, and reports its accuracy on the real test split.
 */
public final class ClassifierTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(ClassifierTrainer.class);

  private ClassifierTrainer() {}

  /**
   * @param spec preprocessing of the inputs (the tokenizer's, so generated and real images look alike)
   * @param trainLimit use at most this many training images (0 = all 60000)
   * @param testLimit evaluate on at most this many test images (0 = all 10000)
   */
  public record Options(
      PreprocessingSpec spec, int epochs, int batchSize, float learningRate, long seed, int trainLimit,
      int testLimit) {}

  /** What a run did. */
  public record Result(Path checkpoint, double testAccuracy, int trainImages, int testImages, double seconds) {}

  /** Preprocessed images of a split: (count, C, H, W) floats and labels. */
  public record Images(float[] pixels, int[] labels, int count) {}

  /** Loads and preprocesses up to {@code limit} images (0 = all) of a Fashion-MNIST split. */
  public static Images load(FashionMnist.Split split, PreprocessingSpec spec, int limit) {
    FashionMnist data;
    try {
      data = FashionMnist.load(split);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read Fashion-MNIST " + split + ": " + e.getMessage(), e);
    }
    int count = limit > 0 ? Math.min(limit, data.size()) : data.size();
    Preprocessor preprocessor = new Preprocessor(spec);
    float[] pixels = new float[count * spec.tensorSize()];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      preprocessor.applyInto(data.image(i), pixels, i * spec.tensorSize());
      labels[i] = data.label(i);
    }
    return new Images(pixels, labels, count);
  }

  public static Result run(Options options, Path checkpoint) {
    long start = System.nanoTime();
    Images train = load(FashionMnist.Split.TRAIN, options.spec(), options.trainLimit());
    Images test = load(FashionMnist.Split.TEST, options.spec(), options.testLimit());
    PreprocessingSpec spec = options.spec();
    int size = spec.tensorSize();
    Engine.getInstance().setRandomSeed((int) options.seed());
    try (NDManager manager = NDManager.newBaseManager();
        FmnistClassifier classifier = FmnistClassifier.create(manager, spec, FashionMnist.CLASS_NAMES.size());
        AdamW adam = AdamW.adam(classifier.parameters(), manager, 0.9, 0.999, 1e-8, Map.of())) {
      Map<String, NDArray> params = classifier.parameters();
      Random random = new Random(options.seed());
      int[] order = new int[train.count()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      int batch = options.batchSize();
      for (int epoch = 0; epoch < options.epochs(); epoch++) {
        for (int i = order.length - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
        double lossSum = 0;
        int batches = 0;
        for (int from = 0; from + batch <= order.length; from += batch) {
          float[] x = new float[batch * size];
          long[] y = new long[batch];
          for (int b = 0; b < batch; b++) {
            int idx = order[from + b];
            System.arraycopy(train.pixels(), idx * size, x, b * size, size);
            y[b] = train.labels()[idx];
          }
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = classifier.manager().create(x, new Shape(batch, spec.channels(), spec.height(), spec.width()));
            NDArray labels = classifier.manager().create(y).expandDims(1);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray logits = classifier.logits(input, true); // (B, classes)
              NDArray loss = logits.logSoftmax(1).gather(labels, 1).mean().neg();
              collector.backward(loss);
              lossSum += loss.getFloat();
            }
            adam.step(params, options.learningRate());
          }
          batches++;
        }
        LOG.info("classifier epoch {}: mean train loss {}", epoch + 1, lossSum / Math.max(1, batches));
      }
      double accuracy = accuracy(classifier, test);
      FmnistClassifier.Header header =
          new FmnistClassifier.Header(spec.toCanonicalString(), FashionMnist.CLASS_NAMES.size(), accuracy, train.count());
      classifier.save(checkpoint, header);
      LOG.info("classifier test accuracy {} on {} images; saved {}", accuracy, test.count(), checkpoint);
      return new Result(checkpoint, accuracy, train.count(), test.count(), (System.nanoTime() - start) / 1e9);
    }
  }

  /** Fraction of images whose predicted class equals the label. */
  public static double accuracy(FmnistClassifier classifier, Images images) {
    int[] predicted = classifier.predict(images.pixels(), images.count());
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      if (predicted[i] == images.labels()[i]) {
        correct++;
      }
    }
    return correct / (double) images.count();
  }
}
