package dev.ibq.training.data;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FolderSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of the user's own labelled images as {@link LabelledImages}: {@code root/<class>/...} (any depth, listed
 * by the project's one walker {@link FolderSource}, RGB or gray, any size; files directly in the root have no class
 * and are left out with a warning), decoded by the shared image decoder under its limits
 * and taken through the model's {@link Preprocessor} (so training, {@code encode} and the stream see the same
 * tensors).
 *
 * <p>Every file is decoded and preprocessed ONCE when the set is opened: that validates the folder up front
 * (files that are not images, corrupt or outside the limits are skipped, counted and logged with their reasons,
 * and a folder with no usable image is an error) and keeps the preprocessed tensors in memory, so an epoch costs
 * no decoding. The memory budget is checked before anything is read.
 *
 * <p>Splits ({@link #open}): the ImageNet layout {@code root/train/<class>/} and {@code root/val/<class>/} (or
 * {@code test/}) is used as it is; a plain {@code root/<class>/} folder is split deterministically, every
 * {@code holdOut}-th file of each class (by its sorted path) going to the test split, and at least one file of
 * every class that has two or more.
 */
public final class FolderImages implements LabelledImages {

  private static final Logger LOG = LoggerFactory.getLogger(FolderImages.class);

  /** Default hold-out: every 20th image of each class (5%) is a test image. */
  public static final int DEFAULT_HOLD_OUT = 20;

  /** Preprocessed tensors larger than this in total are refused (float32 in memory). */
  public static final long DEFAULT_MEMORY_BUDGET_BYTES = 4L << 30;

  private final String description;
  private final List<String> classes;
  private final int[] labels;
  private final float[] tensors;
  private final int tensorSize;
  private final PreprocessingSpec spec;

  private FolderImages(String description, List<String> classes, int[] labels, float[] tensors, PreprocessingSpec spec) {
    this.description = description;
    this.classes = List.copyOf(classes);
    this.labels = labels;
    this.tensors = tensors;
    this.spec = spec;
    this.tensorSize = spec.tensorSize();
  }

  /** The train and test splits of a labelled folder. */
  public record Splits(FolderImages train, FolderImages test) {}

  /**
   * Opens {@code root} for a model whose inputs are made by {@code spec}.
   *
   * @throws IllegalArgumentException when the folder has no class sub-folders or usable images, when the train
   *     and test splits of an ImageNet layout have different classes, or when the tensors exceed the budget
   */
  public static Splits open(Path root, PreprocessingSpec spec, int holdOut, DecodeLimits limits, long memoryBudgetBytes) {
    if (holdOut < 2) {
      throw new IllegalArgumentException("The hold-out period is " + holdOut + "; it must be at least 2 (every n-th image is a test image).");
    }
    try {
      Path train = root.resolve("train");
      Path test = Files.isDirectory(root.resolve("val")) ? root.resolve("val") : root.resolve("test");
      if (Files.isDirectory(train) && Files.isDirectory(test)) {
        Labelled trainFolder = scan(train);
        Labelled testFolder = scan(test);
        if (!trainFolder.classes().equals(testFolder.classes())) {
          throw new IllegalArgumentException(
              "The image folder " + root + " has train classes " + trainFolder.classes() + " but " + test.getFileName()
                  + " classes " + testFolder.classes() + "; both splits need the same class sub-folders.");
        }
        checkBudget(root, trainFolder.entries().size() + testFolder.entries().size(), spec, memoryBudgetBytes);
        return new Splits(
            load(root + " (train)", trainFolder.classes(), trainFolder.entries(), spec, limits),
            load(root + " (" + test.getFileName() + ")", testFolder.classes(), testFolder.entries(), spec, limits));
      }
      Labelled folder = scan(root);
      checkBudget(root, folder.entries().size(), spec, memoryBudgetBytes);
      List<Entry> trainEntries = new ArrayList<>();
      List<Entry> testEntries = new ArrayList<>();
      Map<Integer, List<Entry>> byClass = new LinkedHashMap<>();
      for (Entry e : folder.entries()) {
        byClass.computeIfAbsent(e.label(), k -> new ArrayList<>()).add(e);
      }
      for (List<Entry> files : byClass.values()) {
        // 1 in holdOut, and at least one test image for every class with two or more files.
        int m = files.size();
        int tests = m < 2 ? 0 : Math.max(1, m / holdOut);
        int step = tests == 0 ? Integer.MAX_VALUE : m / tests;
        int taken = 0;
        for (int i = 0; i < m; i++) {
          boolean held = taken < tests && i % step == step - 1;
          taken += held ? 1 : 0;
          (held ? testEntries : trainEntries).add(files.get(i));
        }
      }
      return new Splits(
          load(root + " (train)", folder.classes(), trainEntries, spec, limits),
          load(root + " (test: 1 in " + holdOut + " per class)", folder.classes(), testEntries, spec, limits));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the image folder " + root + ": " + e.getMessage(), e);
    }
  }

  /** One labelled file. */
  private record Entry(Path path, int label) {}

  /** The class names and labelled files of a folder. */
  private record Labelled(List<String> classes, List<Entry> entries) {}

  /** Lists {@code root} with the shared walker; only files inside a class sub-folder have a label. */
  private static Labelled scan(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(
          "The image folder " + root + " does not exist; an image folder must be a directory whose sub-folders are the classes.");
    }
    FolderSource folder = FolderSource.open(root);
    if (folder.classes().isEmpty()) {
      throw new IllegalArgumentException(
          "The image folder " + root + " has no class sub-folders; expected one sub-folder per class holding its images.");
    }
    List<Entry> entries = new ArrayList<>();
    int loose = 0;
    for (int i = 0; i < folder.size(); i++) {
      if (folder.label(i) == null) {
        loose++;
      } else {
        entries.add(new Entry(folder.path(i), folder.label(i)));
      }
    }
    if (loose > 0) {
      LOG.warn("{}: {} files lie directly in the folder, outside every class sub-folder; they have no label and are left out.",
          root, loose);
    }
    return new Labelled(folder.classes(), entries);
  }

  private static void checkBudget(Path root, int files, PreprocessingSpec spec, long budget) {
    long bytes = (long) files * spec.tensorSize() * Float.BYTES;
    if (bytes > budget) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "The image folder %s has %d images, %.1f GB as %dx%dx%d float tensors; the in-memory budget is %.1f GB."
              + " Use a smaller resolution or a subset of the folder.",
          root, files, bytes / 1e9, spec.channels(), spec.height(), spec.width(), budget / 1e9));
    }
  }

  private static FolderImages load(
      String description, List<String> classes, List<Entry> entries, PreprocessingSpec spec, DecodeLimits limits)
      throws IOException {
    Preprocessor preprocessor = new Preprocessor(spec);
    int size = spec.tensorSize();
    float[] tensors = new float[entries.size() * size];
    int[] labels = new int[entries.size()];
    int kept = 0;
    Map<String, Integer> skippedByReason = new LinkedHashMap<>();
    List<String> examples = new ArrayList<>();
    for (Entry e : entries) {
      long bytes = Files.size(e.path());
      if (bytes > limits.maxEncodedBytes()) {
        skip(skippedByReason, examples, "TOO_LARGE", e.path() + ": " + bytes + " bytes, over the " + limits.maxEncodedBytes() + "-byte limit");
        continue;
      }
      try {
        float[] chw = preprocessor.decodeAndApply(Files.readAllBytes(e.path()), limits);
        System.arraycopy(chw, 0, tensors, kept * size, size);
        labels[kept] = e.label();
        kept++;
      } catch (ImageRejectedException r) {
        skip(skippedByReason, examples, r.reason().name(), e.path() + ": " + r.getMessage());
      }
    }
    if (!skippedByReason.isEmpty()) {
      LOG.warn("{}: skipped {} of {} files {}; e.g. {}", description, entries.size() - kept, entries.size(), skippedByReason, examples);
    }
    if (kept == 0) {
      throw new IllegalArgumentException(
          description + " has no usable image (" + entries.size() + " files listed, skipped: " + skippedByReason + ", e.g. "
              + examples + ").");
    }
    float[] trimmed = kept == entries.size() ? tensors : java.util.Arrays.copyOf(tensors, kept * size);
    LOG.info("{}: {} images in {} classes, preprocessed to {}", description, kept, classes.size(), spec.toCanonicalString());
    return new FolderImages(description + ", " + kept + " images", classes, java.util.Arrays.copyOf(labels, kept), trimmed, spec);
  }

  private static void skip(Map<String, Integer> counts, List<String> examples, String reason, String example) {
    counts.merge(reason, 1, Integer::sum);
    if (examples.size() < 3) {
      examples.add(example);
    }
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public int label(int i) {
    return labels[i];
  }

  @Override
  public List<String> classes() {
    return classes;
  }

  @Override
  public void preprocessInto(int i, Preprocessor preprocessor, float[] dst, int offset) {
    if (!preprocessor.spec().equals(spec)) {
      throw new IllegalArgumentException(
          "This folder was preprocessed with " + spec.toCanonicalString() + ", not " + preprocessor.spec().toCanonicalString() + ".");
    }
    System.arraycopy(tensors, i * tensorSize, dst, offset, tensorSize);
  }

  @Override
  public String describe() {
    return description;
  }
}
