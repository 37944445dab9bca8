package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.training.autoregressive.data.TokenRecordFiles;
import dev.ibq.training.autoregressive.eval.ClassifierTrainer;
import dev.ibq.training.autoregressive.eval.FmnistClassifier;
import dev.ibq.training.autoregressive.eval.GenerationMetrics;
import dev.ibq.image.source.FashionMnist;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples token grids from an AR checkpoint for every class, decodes them to images with the tokenizer's ONNX
 * decoder (which must come from the same tokenizer: ids are checked), and writes a labelled PNG grid, optionally
 * the sampled token records (Avro container file) and, given a classifier, the class accuracy and domain FID.
 */
public final class ArGenerator {

  private static final Logger LOG = LoggerFactory.getLogger(ArGenerator.class);

  private ArGenerator() {}

  /**
   * @param tokensOut where to write the sampled TokenRecords (null = do not write)
   * @param classifier classifier checkpoint for accuracy and domain FID (null = skip)
   * @param realTestImages real test images for the domain FID (0 = all 10000)
   */
  public record Options(
      Path checkpoint, Path decoder, Path png, Path tokensOut, SamplingOptions sampling, int perClass,
      Path classifier, int realTestImages) {}

  /**
   * @param scores accuracy and domain FID, or null without a classifier
   */
  public record Result(
      Path png, Path tokensOut, int images, double samplingSeconds, double tokensPerSecond,
      GenerationMetrics.Scores scores, int[][] tokens, int[] labels) {}

  public static Result run(Options options) {
    ArCheckpoint.Header header = ArCheckpoint.readHeader(options.checkpoint());
    try (OnnxDecoder decoder = OnnxDecoder.open(options.decoder());
        NDManager manager = NDManager.newBaseManager();
        ArCheckpoint.Loaded loaded = ArCheckpoint.load(options.checkpoint(), manager)) {
      TokenizerInfo info = decoder.info();
      checkSameTokenizer(header, info, options);
      ArConfig config = header.config();
      int classes = config.numClasses();
      int[] labels = new int[classes * options.perClass()];
      for (int c = 0; c < classes; c++) {
        for (int i = 0; i < options.perClass(); i++) {
          labels[c * options.perClass() + i] = c;
        }
      }
      ArSampler.Result sampled = ArSampler.sample(loaded.model(), labels, options.sampling());
      LOG.info(
          "Sampled {} grids of {} tokens in {} s ({} tokens/s)", labels.length, config.sequenceLength(),
          String.format(Locale.ROOT, "%.1f", sampled.seconds()),
          String.format(Locale.ROOT, "%.0f", sampled.tokensPerSecond()));
      float[] images = decoder.decode(sampled.tokens()); // (n, C, H, W) in [-1, 1]
      PreprocessingSpec spec = PreprocessingSpec.parse(info.preprocessingDescriptor());
      writeGrid(options.png(), images, spec, header, options.perClass(), classes);
      if (options.tokensOut() != null) {
        TokenRecordFiles.write(options.tokensOut(), records(sampled, header, spec, options));
      }
      GenerationMetrics.Scores scores = null;
      if (options.classifier() != null) {
        try (FmnistClassifier.Loaded classifier = FmnistClassifier.load(options.classifier(), manager)) {
          PreprocessingSpec classifierSpec = classifier.classifier().spec();
          GenerationMetrics.checkCompatible(classifierSpec, info.imageChannels(), info.imageHeight(), info.imageWidth());
          ClassifierTrainer.Images real =
              ClassifierTrainer.load(FashionMnist.Split.TEST, classifierSpec, options.realTestImages());
          scores = GenerationMetrics.score(classifier.classifier(), images, labels, real);
          LOG.info(
              "Generated samples: class accuracy {}, domain FID {} ({} generated vs {} real test images; not"
                  + " comparable with ImageNet FID)",
              String.format(Locale.ROOT, "%.3f", scores.classAccuracy()),
              String.format(Locale.ROOT, "%.2f", scores.domainFid()), scores.generated(), scores.real());
        }
      }
      return new Result(
          options.png(), options.tokensOut(), labels.length, sampled.seconds(), sampled.tokensPerSecond(), scores,
          sampled.tokens(), labels);
    }
  }

  private static void checkSameTokenizer(ArCheckpoint.Header header, TokenizerInfo info, Options options) {
    if (!header.tokenizerId().equals(info.tokenizerId())) {
      throw new IllegalArgumentException(
          "The AR checkpoint " + options.checkpoint() + " was trained on tokens of tokenizer " + header.tokenizerId()
              + " but the decoder " + options.decoder() + " belongs to tokenizer " + info.tokenizerId()
              + "; decode with the decoder exported with the encoder that made the training tokens.");
    }
    ArConfig config = header.config();
    if (info.codebookSize() != config.vocabSize()
        || info.gridHeight() != config.gridHeight()
        || info.gridWidth() != config.gridWidth()) {
      throw new IllegalArgumentException(
          "The decoder expects " + info.gridHeight() + "x" + info.gridWidth() + " tokens with K "
              + info.codebookSize() + " but the AR model makes " + config.gridHeight() + "x" + config.gridWidth()
              + " with K " + config.vocabSize() + ".");
    }
  }

  private static void writeGrid(
      Path png, float[] images, PreprocessingSpec spec, ArCheckpoint.Header header, int perClass, int classes) {
    SampleGrid.writeClassRows(png, images, spec, classes, perClass, perClass, c -> className(header, c));
  }

  static String className(ArCheckpoint.Header header, int label) {
    List<String> names = header.classNames();
    return names != null && label < names.size() ? label + " " + names.get(label) : "class " + label;
  }

  private static List<TokenRecord> records(
      ArSampler.Result sampled, ArCheckpoint.Header header, PreprocessingSpec spec, Options options) {
    List<TokenRecord> out = new ArrayList<>();
    Instant now = Instant.now();
    ArConfig config = header.config();
    SamplingOptions s = options.sampling();
    Map<String, String> attributes =
        Map.of(
            "source", "ar-sample",
            "ar_checkpoint", options.checkpoint().getFileName().toString(),
            "cfg_scale", Float.toString(s.cfgScale()),
            "temperature", Float.toString(s.temperature()),
            "top_k", Integer.toString(s.topK()),
            "top_p", Float.toString(s.topP()),
            "seed", Long.toString(s.seed()));
    TokenRecords.Model model = new TokenRecords.Model(
        header.tokenizerId(), header.tokenizerName(), config.vocabSize(), config.gridHeight(), config.gridWidth(),
        spec.toDescriptor());
    for (int i = 0; i < sampled.tokens().length; i++) {
      String id = "ar-sample-" + sampled.labels()[i] + "-" + i;
      TokenRecords.Image image = TokenRecords.Image.of(id, sampled.labels()[i], attributes, now);
      out.add(TokenRecords.of(model, image, sampled.tokens()[i], now, 0L));
    }
    return out;
  }
}
