package dev.ibq.training.autoregressive.eval;

import dev.ibq.training.io.Json;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import dev.ibq.image.PreprocessingSpec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small CNN that classifies preprocessed Fashion-MNIST images; its penultimate layer gives the features of the
 * domain FID ({@link FrechetDistance}).
 *
 * <p>Shapes: x (B, C, H, W) in [-1, 1] as {@link dev.ibq.image.Preprocessor} makes them ->
 * conv3x3(32) ReLU maxpool2 -> conv3x3(64) ReLU maxpool2 -> flatten -> Linear(128) ReLU = features (B, 128) ->
 * Linear(classes) = logits.
 */
public final class FmnistClassifier implements AutoCloseable {

  public static final int FEATURE_DIM = 128;
  private static final String MAGIC = "IBQ-CLS-1";

  /**
   * What a classifier checkpoint says about itself.
   *
   * @param preprocessing canonical {@link PreprocessingSpec} string of its inputs
   * @param numClasses classes
   * @param testAccuracy accuracy on the real test split when it was trained
   * @param trainImages training images used
   */
  public record Header(String preprocessing, int numClasses, double testAccuracy, int trainImages) {}

  private final NDManager manager;
  private final SequentialBlock features;
  private final SequentialBlock head;
  private final PreprocessingSpec spec;
  private final int numClasses;

  private FmnistClassifier(NDManager parent, PreprocessingSpec spec, int numClasses) {
    this.manager = parent.newSubManager();
    this.spec = spec;
    this.numClasses = numClasses;
    this.features =
        new SequentialBlock()
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(32).build())
            .add(Activation.reluBlock())
            .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(64).build())
            .add(Activation.reluBlock())
            .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(FEATURE_DIM).build())
            .add(Activation.reluBlock());
    this.head = new SequentialBlock().add(Linear.builder().setUnits(numClasses).build());
    features.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
    head.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
    features.initialize(manager, DataType.FLOAT32, new Shape(1, spec.channels(), spec.height(), spec.width()));
    head.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURE_DIM));
  }

  /** A freshly initialised classifier for inputs made with {@code spec}. */
  public static FmnistClassifier create(NDManager parent, PreprocessingSpec spec, int numClasses) {
    return new FmnistClassifier(parent, spec, numClasses);
  }

  public PreprocessingSpec spec() {
    return spec;
  }

  public int numClasses() {
    return numClasses;
  }

  NDManager manager() {
    return manager;
  }

  /** All trainable arrays by name (features then head). */
  Map<String, NDArray> parameters() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    features.getParameters().forEach(p -> out.put("features." + p.getKey(), p.getValue().getArray()));
    head.getParameters().forEach(p -> out.put("head." + p.getKey(), p.getValue().getArray()));
    return out;
  }

  /** Penultimate features (B, 128) of x (B, C, H, W). */
  NDArray features(NDArray x, boolean training) {
    return features.forward(new ParameterStore(manager, false), new NDList(x), training).singletonOrThrow();
  }

  /** Logits (B, classes) of x (B, C, H, W). */
  NDArray logits(NDArray x, boolean training) {
    return head.forward(new ParameterStore(manager, false), new NDList(features(x, training)), training)
        .singletonOrThrow();
  }

  /** Features of {@code count} images packed NCHW in {@code images}, (count, 128), in batches of 256. */
  public float[][] features(float[] images, int count) {
    float[][] out = new float[count][];
    forEachBatch(images, count, (from, x) -> {
      float[] f = features(x, false).toFloatArray();
      int rows = Math.toIntExact(x.getShape().get(0));
      for (int r = 0; r < rows; r++) {
        out[from + r] = java.util.Arrays.copyOfRange(f, r * FEATURE_DIM, (r + 1) * FEATURE_DIM);
      }
    });
    return out;
  }

  /** Predicted class of each of {@code count} images packed NCHW in {@code images}. */
  public int[] predict(float[] images, int count) {
    int[] out = new int[count];
    forEachBatch(images, count, (from, x) -> {
      long[] best = logits(x, false).argMax(1).toLongArray();
      for (int r = 0; r < best.length; r++) {
        out[from + r] = (int) best[r];
      }
    });
    return out;
  }

  private interface BatchConsumer {
    void accept(int from, NDArray batch);
  }

  private void forEachBatch(float[] images, int count, BatchConsumer consumer) {
    int size = spec.tensorSize();
    if ((long) count * size != images.length) {
      throw new IllegalArgumentException(
          "Got " + images.length + " floats for " + count + " images of " + spec.channels() + "x" + spec.height()
              + "x" + spec.width() + " (" + size + " floats each); the classifier expects inputs made with " + spec
              + ".");
    }
    for (int from = 0; from < count; from += 256) {
      int rows = Math.min(256, count - from);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        float[] chunk = java.util.Arrays.copyOfRange(images, from * size, (from + rows) * size);
        NDArray x = manager.create(chunk, new Shape(rows, spec.channels(), spec.height(), spec.width()));
        consumer.accept(from, x);
      }
    }
  }

  public void save(Path file, Header header) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
        out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
        out.writeUTF(Json.write(header));
        features.saveParameters(out);
        head.saveParameters(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the classifier " + file + ": " + e.getMessage(), e);
    }
  }

  /** A loaded classifier and its header. */
  public record Loaded(Header header, FmnistClassifier classifier) implements AutoCloseable {
    @Override
    public void close() {
      classifier.close();
    }
  }

  public static Loaded load(Path file, NDManager parent) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "Classifier checkpoint " + file + " does not exist; train one with ./ibq train-classifier.");
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      byte[] magic = new byte[MAGIC.length()];
      in.readFully(magic);
      if (!MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
        throw new IllegalArgumentException(file + " is not a classifier checkpoint written by train-classifier.");
      }
      Header header = Json.readAnyCase(in.readUTF(), Header.class, "the classifier header");
      FmnistClassifier classifier =
          new FmnistClassifier(parent, PreprocessingSpec.parse(header.preprocessing()), header.numClasses());
      classifier.features.loadParameters(classifier.manager, in);
      classifier.head.loadParameters(classifier.manager, in);
      return new Loaded(header, classifier);
    } catch (IOException | MalformedModelException e) {
      throw new UncheckedIOException(
          "Could not read the classifier " + file + ": " + e.getMessage(), new IOException(e));
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
