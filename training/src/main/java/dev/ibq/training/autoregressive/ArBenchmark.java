package dev.ibq.training.autoregressive;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.CodeUsage;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.autoregressive.data.TokenRecordEncoder;
import dev.ibq.training.autoregressive.data.TokenRecordFiles;
import dev.ibq.training.autoregressive.eval.ClassifierTrainer;
import dev.ibq.training.autoregressive.eval.FmnistClassifier;
import dev.ibq.training.autoregressive.eval.GenerationMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AR benchmark (issue 6). For each tokenizer given (typically the IBQ tokenizer and the VQ baseline trained with
 * the same preset, steps and K): tokenizes Fashion-MNIST with its exported encoder, trains the same AR preset with
 * the same seed on the train tokens, and reports validation bits per token on the test tokens, the class accuracy
 * and domain FID of samples without and with guidance, and sampling tokens/s with and without the KV cache.
 *
 * <p>Two references make the generation figures readable: the real test images themselves (the same number as the
 * samples, balanced over classes: the floor of the domain FID at that sample count and the classifier's accuracy),
 * and each tokenizer's reconstructions of those images (encode then decode: how well its decoder renders real token
 * grids; guided samples can score above it, since guidance favours typical images). The unigram entropy of each tokenizer's training tokens is the bits/token a model that ignores context
 * would reach; a collapsed codebook has a low one, so bits/token are compared against it, not across tokenizers.
 *
 * <p>Writes JSON and Markdown results with the command that reproduces them, plus a PNG grid of guided samples per
 * tokenizer. A benchmark, not a test: it takes as long as its settings say.
 */
public final class ArBenchmark {

  private static final Logger LOG = LoggerFactory.getLogger(ArBenchmark.class);
  private static final long SEED = 0L;
  private static final int GRID_PER_CLASS = 10;

  private ArBenchmark() {}

  /** A tokenizer under test: its short name (names files and table columns) and its exported models. */
  public record Tokenizer(String name, Path encoder, Path decoder) {
    public Tokenizer {
      if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException(
            "Tokenizer name '" + name + "' must be letters, digits, '.', '_' or '-' (it names files).");
      }
    }
  }

  /**
   * @param tokenizers one or more tokenizers, each benchmarked with the same AR settings and seed
   * @param classifier an existing classifier checkpoint, or null to train one (classifierEpochs) into workDir
   * @param perClass samples per class for accuracy and domain FID
   * @param speedRows rows sampled (with guidance) for the tokens/s figures
   */
  public record Options(
      List<Tokenizer> tokenizers, String preset, int trainImages, int testImages, int steps, int batchSize,
      float cfgScale, int perClass, Path classifier, int classifierEpochs, int speedRows, Path workDir,
      Path results, String command) {

    public Options {
      if (tokenizers.isEmpty()) {
        throw new IllegalArgumentException("Give at least one tokenizer to benchmark.");
      }
      Set<String> names = new LinkedHashSet<>();
      for (Tokenizer t : tokenizers) {
        if (!names.add(t.name())) {
          throw new IllegalArgumentException("Two tokenizers are named '" + t.name() + "'; names must differ.");
        }
      }
      tokenizers = List.copyOf(tokenizers);
    }
  }

  /** Runs the benchmark; returns {common figures, "tokenizers" -> name -> figures}. */
  public static Map<String, Object> run(Options o) {
    Instant started = Instant.now();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("command", o.command());
    out.put("started", started.toString());
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    out.put("preset", o.preset());
    out.put("steps", o.steps());
    out.put("batch_size", o.batchSize());
    out.put("guidance_scale", o.cfgScale());
    out.put("samples_per_class", o.perClass());
    createDirectories(o.workDir());
    Path classifierFile = classifier(o);
    Map<String, Object> perTokenizer = new LinkedHashMap<>();
    out.put("tokenizers", perTokenizer);
    try (NDManager manager = NDManager.newBaseManager();
        FmnistClassifier.Loaded classifier = FmnistClassifier.load(classifierFile, manager)) {
      out.put("classifier_test_accuracy", classifier.header().testAccuracy());
      ClassifierTrainer.Images real = ClassifierTrainer.load(FashionMnist.Split.TEST, classifier.classifier().spec(), 0);
      out.put("real_test_images_for_fid", real.count());
      Balanced reference = balanced(real, o.perClass(), classifier.classifier().spec());
      GenerationMetrics.Scores realScores =
          GenerationMetrics.score(classifier.classifier(), reference.pixels(), reference.labels(), real);
      out.put("real_subset_class_accuracy", realScores.classAccuracy());
      out.put("real_subset_domain_fid", realScores.domainFid());
      for (Tokenizer t : o.tokenizers()) {
        LOG.info("AR benchmark: tokenizer {} ({})", t.name(), t.encoder());
        Map<String, Object> figures = runOne(o, t, classifier.classifier(), real, reference, manager);
        perTokenizer.put(t.name(), figures);
        write(o.results(), out); // partial results survive a later failure
      }
    }
    out.put("finished", Instant.now().toString());
    write(o.results(), out);
    return out;
  }

  private static Map<String, Object> runOne(
      Options o, Tokenizer t, FmnistClassifier classifier, ClassifierTrainer.Images real, Balanced reference,
      NDManager manager) {
    Map<String, Object> out = new LinkedHashMap<>();
    Path work = o.workDir().resolve(t.name());
    createDirectories(work);
    // 1. tokens of the real train and test images
    TokenDataset train;
    TokenDataset test;
    float[] reconstructions;
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(t.encoder());
        OnnxDecoder decoder = OnnxDecoder.open(t.decoder())) {
      if (!tokenizer.info().tokenizerId().equals(decoder.info().tokenizerId())) {
        throw new IllegalArgumentException(
            "Tokenizer '" + t.name() + "': " + t.encoder() + " and " + t.decoder() + " belong to different tokenizers ("
                + tokenizer.info().tokenizerId() + " vs " + decoder.info().tokenizerId() + ").");
      }
      long t0 = System.nanoTime();
      List<TokenRecord> trainRecords =
          TokenRecordEncoder.encode(tokenizer, FashionMnist.load(FashionMnist.Split.TRAIN), o.trainImages());
      List<TokenRecord> testRecords =
          TokenRecordEncoder.encode(tokenizer, FashionMnist.load(FashionMnist.Split.TEST), o.testImages());
      Path trainFile = work.resolve("train-tokens.avro");
      Path testFile = work.resolve("test-tokens.avro");
      TokenRecordFiles.write(trainFile, trainRecords);
      TokenRecordFiles.write(testFile, testRecords);
      train = TokenRecordFiles.read(trainFile);
      test = TokenRecordFiles.read(testFile);
      out.put("tokenizer_id", train.tokenizerId());
      out.put("tokenizer_name", train.tokenizerName());
      out.put("grid", train.gridHeight() + "x" + train.gridWidth());
      out.put("codebook_size", train.codebookSize());
      out.put("train_sequences", train.size());
      out.put("test_sequences", test.size());
      out.put("encode_seconds", (System.nanoTime() - t0) / 1e9);
      TokenStatistics stats = TokenStatistics.of(train);
      out.put("train_codes_used", stats.used());
      out.put("train_code_utilization", stats.used() / (double) train.codebookSize());
      out.put("unigram_entropy_bits", stats.entropyBits());
      GenerationMetrics.checkCompatible(
          classifier.spec(), decoder.info().imageChannels(), decoder.info().imageHeight(), decoder.info().imageWidth());
      int[][] tokens = tokenizer.encode(reference.pixels(), reference.labels().length);
      reconstructions = decoder.decode(tokens);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read Fashion-MNIST: " + e.getMessage(), e);
    }
    GenerationMetrics.Scores recon = GenerationMetrics.score(classifier, reconstructions, reference.labels(), real);
    out.put("reconstruction_class_accuracy", recon.classAccuracy());
    out.put("reconstruction_domain_fid", recon.domainFid());
    // 2. AR training, validated on the test tokens
    ArConfig config =
        ArPreset.byId(o.preset()).config(train.codebookSize(), train.gridHeight(), train.gridWidth(), 10);
    ArTrainConfig trainConfig =
        new ArTrainConfig(
            o.steps(), o.batchSize(), 3e-4f, Math.max(1, o.steps() / 20), 0.05f, 0.9f, 0.95f, 1.0f, SEED,
            Math.max(1, o.steps() / 5), Math.max(1, o.steps() / 5), 0f);
    ArTrainer.Result trained =
        ArTrainer.run(config, trainConfig, train, test, work.resolve("ar"), false, FashionMnist.CLASS_NAMES);
    out.put("parameters", config.parameterCount());
    out.put("train_seconds", trained.seconds());
    out.put("train_tokens_per_second", trained.trainTokensPerSecond());
    out.put("final_train_bits_per_token", trained.finalTrainBitsPerToken());
    out.put("validation_bits_per_token", trained.validationBitsPerToken());
    out.put("uniform_bits_per_token", Math.log(train.codebookSize()) / Math.log(2));
    // 3. samples without and with guidance, scored; 4. sampling speed with and without the KV cache
    try (ArCheckpoint.Loaded model = ArCheckpoint.load(trained.checkpoint(), manager);
        OnnxDecoder decoder = OnnxDecoder.open(t.decoder())) {
      int[] labels = new int[10 * o.perClass()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = i / o.perClass();
      }
      for (float scale : new float[] {1f, o.cfgScale()}) {
        SamplingOptions sampling = new SamplingOptions(scale, 1f, 0, 1f, 1, true);
        ArSampler.Result sampled = ArSampler.sample(model.model(), labels, sampling);
        float[] images = decoder.decode(sampled.tokens());
        GenerationMetrics.Scores scores = GenerationMetrics.score(classifier, images, labels, real);
        String key = scale == 1f ? "no_guidance" : "cfg_" + scale;
        out.put(key + "_class_accuracy", scores.classAccuracy());
        out.put(key + "_domain_fid", scores.domainFid());
        LOG.info("{} {}: class accuracy {}, domain FID {}", t.name(), key, scores.classAccuracy(), scores.domainFid());
        if (scale != 1f || o.cfgScale() == 1f) {
          Path png = Path.of(o.results() + "-samples-" + t.name() + ".png");
          writeGrid(png, images, classifier.spec(), o.perClass());
          out.put("sample_grid", png.toString());
        }
      }
      int[] speedLabels = new int[o.speedRows()];
      for (int i = 0; i < speedLabels.length; i++) {
        speedLabels[i] = i % 10;
      }
      for (boolean cache : new boolean[] {true, false}) {
        SamplingOptions sampling = new SamplingOptions(o.cfgScale(), 1f, 0, 1f, 2, cache);
        ArSampler.sample(model.model(), new int[] {0}, sampling); // warm-up
        ArSampler.Result timed = ArSampler.sample(model.model(), speedLabels, sampling);
        out.put(cache ? "sampling_tokens_per_second_kv_cache" : "sampling_tokens_per_second_no_cache",
            timed.tokensPerSecond());
      }
      out.put("speed_rows", o.speedRows());
    }
    return out;
  }

  private static Path classifier(Options o) {
    if (o.classifier() != null) {
      return o.classifier();
    }
    Path file = o.workDir().resolve("fmnist-classifier.bin");
    try (OnnxDecoder d = OnnxDecoder.open(o.tokenizers().get(0).decoder())) {
      PreprocessingSpec spec = PreprocessingSpec.parse(d.info().preprocessingDescriptor());
      ClassifierTrainer.run(new ClassifierTrainer.Options(spec, o.classifierEpochs(), 64, 1e-3f, 0, 0, 0), file);
    }
    return file;
  }

  /** The first {@code perClass} test images of each class, ordered by class. */
  record Balanced(float[] pixels, int[] labels) {}

  static Balanced balanced(ClassifierTrainer.Images images, int perClass, PreprocessingSpec spec) {
    int size = spec.tensorSize();
    float[] pixels = new float[10 * perClass * size];
    int[] labels = new int[10 * perClass];
    int[] taken = new int[10];
    for (int i = 0; i < images.count(); i++) {
      int c = images.labels()[i];
      if (c < 10 && taken[c] < perClass) {
        int slot = c * perClass + taken[c]++;
        System.arraycopy(images.pixels(), i * size, pixels, slot * size, size);
        labels[slot] = c;
      }
    }
    for (int c = 0; c < 10; c++) {
      if (taken[c] < perClass) {
        throw new IllegalArgumentException(
            "The test set has only " + taken[c] + " images of class " + c + "; asked for " + perClass + " per class.");
      }
    }
    return new Balanced(pixels, labels);
  }

  /** Code usage of a token dataset: codes used at least once and the unigram entropy in bits. */
  record TokenStatistics(int used, double entropyBits) {
    static TokenStatistics of(TokenDataset data) {
      CodeUsage usage = CodeUsage.unbounded(data.codebookSize());
      for (int[] row : data.tokens()) {
        usage.add(row);
      }
      return new TokenStatistics(usage.usedCodes(), usage.entropy() / Math.log(2));
    }
  }

  private static void writeGrid(Path png, float[] images, PreprocessingSpec spec, int perClass) {
    SampleGrid.writeClassRows(
        png, images, spec, 10, perClass, GRID_PER_CLASS, c -> c + " " + FashionMnist.CLASS_NAMES.get(c));
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create " + dir + ": " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static void write(Path results, Map<String, Object> out) {
    Path json = Path.of(results + ".json");
    Path md = Path.of(results + ".md");
    StringBuilder text = new StringBuilder();
    text.append("# AR benchmark (class-conditional transformer on Fashion-MNIST tokens)\n\n");
    text.append("Reproduce with:\n\n```\n").append(out.get("command")).append("\n```\n\n");
    text.append("| setting / reference | value |\n|---|---|\n");
    out.forEach(
        (k, v) -> {
          if (!k.equals("command") && !k.equals("tokenizers")) {
            text.append("| ").append(k).append(" | ").append(format(v)).append(" |\n");
          }
        });
    Map<String, Map<String, Object>> tokenizers = (Map<String, Map<String, Object>>) out.get("tokenizers");
    if (tokenizers != null && !tokenizers.isEmpty()) {
      List<String> names = List.copyOf(tokenizers.keySet());
      Set<String> keys = new LinkedHashSet<>();
      tokenizers.values().forEach(m -> keys.addAll(m.keySet()));
      text.append("\n| figure | ").append(String.join(" | ", names)).append(" |\n|---|");
      names.forEach(n -> text.append("---|"));
      text.append('\n');
      for (String key : keys) {
        text.append("| ").append(key).append(" |");
        for (String n : names) {
          Object v = tokenizers.get(n).get(key);
          text.append(' ').append(v == null ? "-" : format(v)).append(" |");
        }
        text.append('\n');
      }
    }
    text.append(
        "\nThe domain FID is the Fréchet distance between the penultimate features of the project's Fashion-MNIST"
            + " classifier (train-classifier) on generated (or reconstructed) images and on all real test images. It"
            + " is NOT comparable with ImageNet FID, and only comparable between rows with the same sample count."
            + " Class accuracy is the fraction of images of class c that the classifier labels c. `real_subset_*` scores"
            + " the same number of real test images (balanced over classes): the floor of the domain FID at this sample"
            + " count. `reconstruction_*` scores the tokenizer's reconstructions of those images: how well its decoder"
            + " renders real token grids (guided samples can score above it: guidance favours typical images)."
            + " `unigram_entropy_bits` is what a model that ignores context reaches; compare"
            + " `validation_bits_per_token` with it, not across tokenizers.\n");
    try {
      Files.createDirectories(json.toAbsolutePath().getParent());
      Files.writeString(json, Json.pretty(out), StandardCharsets.UTF_8);
      Files.writeString(md, text.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the benchmark results to " + results + ": " + e.getMessage(), e);
    }
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.4f", d);
    }
    if (v instanceof Float f) {
      return String.format(Locale.ROOT, "%.4f", f);
    }
    return String.valueOf(v);
  }
}
