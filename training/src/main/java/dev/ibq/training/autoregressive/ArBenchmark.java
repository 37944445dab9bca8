package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.onnx.OnnxDecoder;
import dev.ibq.stream.onnx.OnnxTokenizer;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AR benchmark (issue 6): tokenizes Fashion-MNIST with an exported encoder, trains the AR preset on the train
 * tokens, and reports validation bits per token on the test tokens, the class accuracy and domain FID of samples
 * without and with guidance, and sampling tokens/s with and without the KV cache. Writes JSON and Markdown
 * results with the command that reproduces them. A benchmark, not a test: it takes as long as its settings say.
 */
public final class ArBenchmark {

  private static final Logger LOG = LoggerFactory.getLogger(ArBenchmark.class);

  private ArBenchmark() {}

  /**
   * @param classifier an existing classifier checkpoint, or null to train one (classifierEpochs) into workDir
   * @param perClass samples per class for accuracy and domain FID
   * @param speedRows rows sampled (with guidance) for the tokens/s figures
   */
  public record Options(
      Path encoder, Path decoder, String preset, int trainImages, int testImages, int steps, int batchSize,
      float cfgScale, int perClass, Path classifier, int classifierEpochs, int speedRows, Path workDir,
      Path results, String command) {}

  public static Map<String, Object> run(Options o) {
    Instant started = Instant.now();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("command", o.command());
    out.put("started", started.toString());
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    try {
      Files.createDirectories(o.workDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // 1. tokens of the real train and test images
    TokenDataset train;
    TokenDataset test;
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(o.encoder())) {
      long t0 = System.nanoTime();
      List<TokenRecord> trainRecords =
          TokenRecordEncoder.encode(tokenizer, FashionMnist.load(FashionMnist.Split.TRAIN), o.trainImages());
      List<TokenRecord> testRecords =
          TokenRecordEncoder.encode(tokenizer, FashionMnist.load(FashionMnist.Split.TEST), o.testImages());
      Path trainFile = o.workDir().resolve("train-tokens.avro");
      Path testFile = o.workDir().resolve("test-tokens.avro");
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
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read Fashion-MNIST: " + e.getMessage(), e);
    }
    // 2. AR training, validated on the test tokens
    ArConfig config =
        ArPreset.byId(o.preset()).config(train.codebookSize(), train.gridHeight(), train.gridWidth(), 10);
    ArTrainConfig trainConfig =
        new ArTrainConfig(
            o.steps(), o.batchSize(), 3e-4f, Math.max(1, o.steps() / 20), 0.05f, 0.9f, 0.95f, 1.0f, 0,
            Math.max(1, o.steps() / 5), Math.max(1, o.steps() / 5), 0f);
    ArTrainer.Result trained =
        ArTrainer.run(config, trainConfig, train, test, o.workDir().resolve("ar"), false, FashionMnist.CLASS_NAMES);
    out.put("preset", o.preset());
    out.put("parameters", config.parameterCount());
    out.put("steps", trained.steps());
    out.put("batch_size", o.batchSize());
    out.put("train_seconds", trained.seconds());
    out.put("train_tokens_per_second", trained.trainTokensPerSecond());
    out.put("final_train_bits_per_token", trained.finalTrainBitsPerToken());
    out.put("validation_bits_per_token", trained.validationBitsPerToken());
    out.put("uniform_bits_per_token", Math.log(train.codebookSize()) / Math.log(2));
    // 3. classifier
    Path classifierFile = o.classifier();
    if (classifierFile == null) {
      classifierFile = o.workDir().resolve("fmnist-classifier.bin");
      try (OnnxDecoder d = OnnxDecoder.open(o.decoder())) {
        PreprocessingSpec spec = PreprocessingSpec.parse(d.info().preprocessingDescriptor());
        ClassifierTrainer.run(
            new ClassifierTrainer.Options(spec, o.classifierEpochs(), 64, 1e-3f, 0, 0, 0), classifierFile);
      }
    }
    // 4. samples without and with guidance, scored; 5. sampling speed with and without the KV cache
    try (NDManager manager = NDManager.newBaseManager();
        ArCheckpoint.Loaded model = ArCheckpoint.load(trained.checkpoint(), manager);
        OnnxDecoder decoder = OnnxDecoder.open(o.decoder());
        FmnistClassifier.Loaded classifier = FmnistClassifier.load(classifierFile, manager)) {
      out.put("classifier_test_accuracy", classifier.header().testAccuracy());
      ClassifierTrainer.Images real =
          ClassifierTrainer.load(FashionMnist.Split.TEST, classifier.classifier().spec(), 0);
      int[] labels = new int[10 * o.perClass()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = i / o.perClass();
      }
      for (float scale : new float[] {1f, o.cfgScale()}) {
        SamplingOptions sampling = new SamplingOptions(scale, 1f, 0, 1f, 1, true);
        ArSampler.Result sampled = ArSampler.sample(model.model(), labels, sampling);
        float[] images = decoder.decode(sampled.tokens());
        GenerationMetrics.Scores scores = GenerationMetrics.score(classifier.classifier(), images, labels, real);
        String key = scale == 1f ? "no_guidance" : "cfg_" + scale;
        out.put(key + "_class_accuracy", scores.classAccuracy());
        out.put(key + "_domain_fid", scores.domainFid());
        LOG.info("{}: class accuracy {}, domain FID {}", key, scores.classAccuracy(), scores.domainFid());
      }
      out.put("samples_per_class", o.perClass());
      out.put("real_test_images_for_fid", real.count());
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
    out.put("finished", Instant.now().toString());
    write(o.results(), out);
    return out;
  }

  private static void write(Path results, Map<String, Object> out) {
    Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
    Path json = Path.of(results + ".json");
    Path md = Path.of(results + ".md");
    StringBuilder text = new StringBuilder();
    text.append("# AR benchmark (class-conditional transformer on Fashion-MNIST tokens)\n\n");
    text.append("Reproduce with:\n\n```\n").append(out.get("command")).append("\n```\n\n");
    text.append("| figure | value |\n|---|---|\n");
    out.forEach(
        (k, v) -> {
          if (!k.equals("command")) {
            text.append("| ").append(k).append(" | ").append(format(v)).append(" |\n");
          }
        });
    text.append(
        "\nThe domain FID is the Fréchet distance between the penultimate features of the project's Fashion-MNIST"
            + " classifier (train-classifier) on generated and on real test images. It is NOT comparable with"
            + " ImageNet FID. Class accuracy is the fraction of samples of class c that the classifier labels c.\n");
    try {
      Files.createDirectories(json.toAbsolutePath().getParent());
      Files.writeString(json, gson.toJson(out), StandardCharsets.UTF_8);
      Files.writeString(md, text.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the benchmark results to " + results + ": " + e.getMessage(), e);
    }
  }

  private static String format(Object v) {
    return v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
  }
}
