package dev.ibq.local.embedded;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.training.io.Json;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.training.export.TokenizerExport;
import dev.ibq.training.report.ReconstructionGrid;
import dev.ibq.training.run.StopRequest;
import dev.ibq.training.tokenizer.train.ImageQuality;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's use case ({@code ./ibq demo}): the main job on an embedded default. A real Kafka broker (KRaft, a
 * child JVM) and a Flink mini cluster on this machine; Fashion-MNIST test images in, IBQ token records out.
 *
 * <p>Steps: obtain a tokenizer (an explicit model; else, with {@code trainSteps > 0}, the fmnist-sharp preset
 * trained now and exported with {@link TokenizerExport}; else the project's committed default tokenizer; it says
 * which), produce the images to the input topic, run the stream job until every record is processed, read the
 * committed output, draw originals beside the reconstructions decoded from the streamed tokens, and write a summary.
 */
public final class StreamDemo {

  private StreamDemo() {}

  /**
   * @param images Fashion-MNIST test images to stream (1 to 10000)
   * @param model an exported tokenizer directory, or null to find or build one
   * @param out where the demo keeps its tokenizer and pictures
   * @param trainSteps train the fmnist-sharp preset for this many steps now (0 = use the default tokenizer)
   * @param batch images per ONNX Runtime batch in the job
   * @param maxWaitMs longest wait for a batch to fill
   * @param provider ONNX Runtime execution provider: auto, cpu or cuda
   */
  public record Options(int images, Path model, Path out, int trainSteps, int batch, long maxWaitMs, String provider) {}

  /** What the demo did. */
  public record Result(Path tokenizerDir, String tokenizerOrigin, EmbeddedPipeline.Result pipeline, Path picture, Path summaryJson) {}

  /**
   * Obtains the tokenizer, streams the images through a real broker and a mini cluster, draws the reconstructions
   * and writes the summary (progress lines go to standard error).
   */
  public static Result run(Options o) throws Exception {
    int images = o.images();
    Path model = o.model();
    Path out = o.out();
    int trainSteps = o.trainSteps();
    int batch = o.batch();
    long maxWaitMs = o.maxWaitMs();
    String provider = o.provider();
    if (images < 1 || images > 10_000) {
      throw new IllegalArgumentException("--images is " + images + "; the Fashion-MNIST test set has 1 to 10000 images.");
    }
    Files.createDirectories(out);
    Tokenizer tokenizer = obtainTokenizer(model, out, trainSteps);
    System.err.println("[demo] tokenizer: " + tokenizer.origin());
    Path encoder = TokenizerMetadata.resolve(tokenizer.dir(), TokenizerMetadata.ROLE_ENCODER);
    Path decoder = TokenizerMetadata.resolve(tokenizer.dir(), TokenizerMetadata.ROLE_DECODER);

    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    List<ImageRecord> records = ImageRecords.fashionMnist(test, 0, images);
    EmbeddedPipeline.Result result;
    System.err.println("[demo] starting a Kafka broker (KRaft) and streaming " + images + " images through the job on a Flink mini cluster");
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start()) {
      result = pipeline.run(
          EmbeddedPipeline.Request.of(encoder, records).withBatch(batch, maxWaitMs).withExecutionProvider(provider));
    }
    Path picture = out.resolve("stream-reconstructions.png");
    drawReconstructions(test, result.tokens(), decoder, picture, provider);
    Path summary = out.resolve("summary.json");
    writeSummary(summary, tokenizer, result, picture);
    return new Result(tokenizer.dir(), tokenizer.origin(), result, picture, summary);
  }

  /** The tokenizer the demo streams with, and a sentence saying where it came from. */
  public record Tokenizer(Path dir, String origin) {}

  /**
   * The tokenizer the demo streams with: {@code --model DIR}; else, with {@code --train-steps N}, one trained now
   * (the fmnist-sharp recipe for N steps) and exported; else the project's committed default tokenizer.
   */
  static Tokenizer obtainTokenizer(Path model, Path out, int trainSteps) throws Exception {
    if (model != null) {
      return new Tokenizer(model, "the exported model given with --model: " + model);
    }
    if (trainSteps <= 0) {
      Path committed = ProjectPaths.root().resolve(DEFAULT_TOKENIZER);
      if (!Files.exists(committed.resolve("encoder.onnx"))) {
        throw new IllegalStateException(
            "The project's default tokenizer (" + committed + ") is missing; give one with --model DIR (an export"
                + " directory with encoder.onnx and decoder.onnx) or train one now with --train-steps N.");
      }
      return new Tokenizer(committed, "the project's default tokenizer (" + DEFAULT_TOKENIZER
          + ": the fmnist-sharp preset trained here; its README gives the commands and test-set figures)");
    }
    Path exported = out.resolve("tokenizer");
    System.err.println("[demo] training the fmnist-sharp preset for " + trainSteps + " steps, then exporting it to " + exported);
    TokenizerTrainingConfig config = TokenizerPresets.get("fmnist-sharp").withSteps(trainSteps);
    TrainingResult trainedRun;
    try (StopRequest stop = StopRequest.install()) {
      trainedRun = TokenizerTrainer.run(
          config, out.resolve("tokenizer-run"), TrainingOptions.defaults().withEvaluate(false).withStop(stop));
    }
    if (trainedRun.stoppedEarly()) {
      throw new IllegalStateException("Training was stopped by SIG" + trainedRun.stoppedBy() + " at step " + trainedRun.finalStep()
          + "; checkpoint " + trainedRun.lastCheckpoint() + " (resume it with ./ibq train-tokenizer --resume).");
    }
    TokenizerExport.run(TokenizerExport.Options.ofCheckpoint(trainedRun.lastCheckpoint(), exported));
    return new Tokenizer(
        exported,
        String.format(Locale.ROOT, "trained now: fmnist-sharp, %d steps (%.0f images/s), exported to %s",
            trainedRun.finalStep(), trainedRun.imagesPerSecond(), exported));
  }

  /** The project's default tokenizer, shared by the demo, the Docker image and the docs. */
  public static final String DEFAULT_TOKENIZER = "deploy/models/fmnist-sharp";

  /** Originals (through the shared preprocessing) beside the decoder's output for the first 32 records. */
  private static void drawReconstructions(FashionMnist test, List<TokenRecord> tokens, Path decoderFile, Path png, String provider) {
    int n = Math.min(32, tokens.size());
    if (n == 0) {
      return;
    }
    OnnxTokenizer.Options options = new OnnxTokenizer.Options(
        dev.ibq.model.ExecutionProvider.valueOf(provider.toUpperCase(Locale.ROOT)), 0, 0);
    try (OnnxDecoder decoder = OnnxDecoder.open(decoderFile, options)) {
      PreprocessingSpec spec = PreprocessingSpec.parse(decoder.info().preprocessingDescriptor());
      Preprocessor preprocessor = new Preprocessor(spec);
      int[][] grids = new int[n][];
      float[][] originals = new float[n][];
      for (int i = 0; i < n; i++) {
        TokenRecord r = tokens.get(i);
        grids[i] = r.getTokens().stream().mapToInt(Integer::intValue).toArray();
        int index = Integer.parseInt(r.getAttributes().get("index"));
        originals[i] = ImageQuality.toUnitRange(preprocessor.apply(test.image(index)), 0, spec.tensorSize());
      }
      float[] decoded = decoder.decode(grids);
      int per = spec.tensorSize();
      float[][] reconstructions = new float[n][];
      for (int i = 0; i < n; i++) {
        reconstructions[i] = ImageQuality.toUnitRange(decoded, i * per, per);
      }
      ReconstructionGrid.write(
          png, originals, reconstructions, spec.channels(), spec.height(), spec.width(), 8, 4,
          "Streamed through Kafka + Flink: originals | decoded from token records (tokenizer "
              + decoder.info().tokenizerId().substring(0, 12) + ")");
    }
  }


  private static void writeSummary(Path file, Tokenizer tokenizer, EmbeddedPipeline.Result r, Path picture) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("tokenizer_origin", tokenizer.origin());
    s.put("tokenizer_id", r.tokenizer().tokenizerId());
    s.put("records_in", r.recordsIn());
    s.put("token_records_out", r.tokenRecordsOut());
    s.put("dead_lettered", r.deadLettered());
    s.put("dead_letters_by_code", r.deadLettersByCode().toString());
    s.put("duplicate_image_ids", r.duplicateImageIds());
    s.put("job_seconds", r.jobMillis() / 1000.0);
    s.put("wall_seconds", r.wallMillis() / 1000.0);
    s.put("images_per_second", r.imagesPerSecond());
    s.put("codebook_utilization", r.codebookUtilization());
    s.put("used_codes", r.usedCodes());
    s.put("perplexity", r.perplexity());
    s.put("picture", picture.toString());
    Json.writePretty(file, s);
  }
}
