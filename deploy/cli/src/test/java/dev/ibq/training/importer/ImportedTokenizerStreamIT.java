package dev.ibq.training.importer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.local.embedded.EmbeddedPipeline;
import dev.ibq.runtime.OnnxTokenizer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An imported reference tokenizer in the real stream job (Kafka broker, Flink mini cluster, ONNX Runtime), fed real
 * photos of many sizes and formats (src/test/resources/reference/photos: the python3-skimage test photos shrunk to
 * 48 pixels, as PNG, baseline and progressive JPEG, CMYK JPEG, EXIF-rotated JPEG, grayscale, 16-bit PNG and TIFF,
 * palette, alpha). Every photo comes out as a token record or a dead letter with a reason, and every token record
 * equals what the exported encoder gives for the same bytes outside the stream. A picture of the photos beside the
 * images decoded from the streamed tokens is written to target/.
 *
 * <p>The paper-scale run uses the same code: {@code -Dibq.import.model=DIR} (an import of a paper-size checkpoint),
 * {@code -Dibq.import.photos=DIR}, {@code -Dibq.import.sheet=FILE.png}, {@code -Dibq.import.caption=TEXT}; the batch size
 * ({@code -Dibq.import.batch}, default 4) and ONNX Runtime threads ({@code -Dibq.import.onnxThreads}, default 1) are the
 * same in the job and in the timed encoder-alone pass, which gives the stream / raw rate ratio it prints.
 */
class ImportedTokenizerStreamIT {
  private static EmbeddedPipeline pipeline;

  @TempDir Path dir;

  @BeforeAll
  static void startBroker() {
    pipeline = EmbeddedPipeline.start();
  }

  @AfterAll
  static void stopBroker() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void realPhotosThroughTheStreamMatchTheExportedEncoder() throws Exception {
    Path model;
    String caption;
    if (System.getProperty("ibq.import.model") != null) {
      model = Path.of(System.getProperty("ibq.import.model"));
      caption = System.getProperty("ibq.import.caption", "imported tokenizer " + model);
    } else {
      model = dir.resolve("tiny");
      TokenizerImporter.run(TokenizerImporter.Request.of(ReferenceFixture.checkpoint(), ReferenceFixture.config()), model);
      caption = "RANDOM WEIGHTS (mechanics only): the tiny reference fixture (16x16 -> 8x8 tokens, K=64), streamed";
    }
    Path photos = System.getProperty("ibq.import.photos") != null ? Path.of(System.getProperty("ibq.import.photos")) : ReferenceFixture.file("photos");
    List<Path> files;
    try (Stream<Path> s = Files.list(photos)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    List<ImageRecord> records = new ArrayList<>();
    for (Path f : files) {
      records.add(ImageRecord.newBuilder()
          .setImageId(f.getFileName().toString())
          .setImage(ByteBuffer.wrap(Files.readAllBytes(f)))
          .setContentType(contentType(f))
          .setLabel(null)
          .setSourceUri(f.toUri().toString())
          .setEventTime(Instant.now())
          .setAttributes(Map.of())
          .build());
    }

    int batch = Integer.getInteger("ibq.import.batch", 4);
    int threads = Integer.getInteger("ibq.import.onnxThreads", 1);
    // The encoder alone before the stream and again after it (below): the stream's rate is compared with the mean
    // of the two, so a load change on a shared machine shows up as a gap between them instead of in the ratio.
    double rawBefore = rawImagesPerSecond(model, photos, files, batch, threads);
    EmbeddedPipeline.Result result = pipeline.run(EmbeddedPipeline.Request.of(model, records)
        .withBatch(batch, 200)
        .withExecutionProvider("cpu")
        .withSettings(Map.of(JobConfig.ONNX_THREADS, Integer.toString(threads))));
    System.out.println(result.summary());
    for (DeadLetterRecord d : result.deadLetters()) {
      System.out.println("dead letter: " + d.getImageId() + " " + d.getErrorCode() + " at " + d.getStage() + ": " + d.getMessage());
    }

    Set<String> accounted = new HashSet<>();
    result.tokens().forEach(t -> accounted.add(t.getImageId()));
    for (DeadLetterRecord d : result.deadLetters()) {
      accounted.add(String.valueOf(d.getImageId()));
    }
    assertThat(accounted).as("every photo is a token record or a dead letter").hasSize(files.size());
    assertThat(result.duplicateImageIds()).isZero();
    assertThat(result.tokenRecordsOut()).as("most photos are tokenized").isGreaterThanOrEqualTo(files.size() - 2);

    // The same records outside the stream: the exported encoder, same batch size and threads, timed.
    try (OnnxTokenizer direct = OnnxTokenizer.open(model.resolve("encoder.onnx"), OnnxTokenizer.Options.cpu(threads))) {
      Preprocessor pre = new Preprocessor(direct.info().preprocessing());
      List<TokenRecord> tokenized = result.tokens();
      int per = direct.info().valuesPerImage();
      long encodeNanos = 0;
      for (int from = 0; from < tokenized.size(); from += batch) {
        List<TokenRecord> group = tokenized.subList(from, Math.min(tokenized.size(), from + batch));
        float[] input = new float[group.size() * per];
        for (int i = 0; i < group.size(); i++) {
          TokenRecord t = group.get(i);
          assertThat(t.getTokenizerId()).isEqualTo(direct.info().tokenizerId());
          try {
            float[] one = pre.decodeAndApply(Files.readAllBytes(photos.resolve(t.getImageId())), DecodeLimits.defaults());
            System.arraycopy(one, 0, input, i * per, per);
          } catch (ImageRejectedException e) {
            throw new AssertionError("The stream tokenized " + t.getImageId() + " but it is rejected outside the stream: " + e.getMessage(), e);
          }
        }
        long t0 = System.nanoTime();
        int[][] expected = direct.encode(input, group.size());
        encodeNanos += System.nanoTime() - t0;
        for (int i = 0; i < group.size(); i++) {
          int[] streamed = group.get(i).getTokens().stream().mapToInt(Integer::intValue).toArray();
          assertThat(streamed).as("tokens of %s from the stream vs the exported encoder", group.get(i).getImageId()).isEqualTo(expected[i]);
        }
      }
      double raw = tokenized.size() / (encodeNanos / 1e9);
      double mean = (rawBefore + raw) / 2;
      System.out.printf(Locale.ROOT, "stream job %.3f images/s vs the exported encoder alone %.3f images/s before and %.3f after"
              + " (batch %d, %d ONNX thread(s)): ratio to their mean %.2f (to before %.2f, to after %.2f)%n",
          result.imagesPerSecond(), rawBefore, raw, batch, threads, result.imagesPerSecond() / mean,
          result.imagesPerSecond() / rawBefore, result.imagesPerSecond() / raw);
    }
    Path sheet = System.getProperty("ibq.import.sheet") != null
        ? Path.of(System.getProperty("ibq.import.sheet"))
        : Path.of("target", "import-stream-photos.png");
    PhotoSheet.Result picture = PhotoSheet.write(model, photos, result.tokens(), sheet, caption);
    System.out.println("picture of the streamed photos: " + picture.picture().toAbsolutePath() + "; not tokenized: " + picture.withoutRecord());
  }

  /** The exported encoder alone on every photo it accepts, in batches of {@code batch}: images per second of inference. */
  private static double rawImagesPerSecond(Path model, Path photos, List<Path> files, int batch, int threads) throws Exception {
    try (OnnxTokenizer direct = OnnxTokenizer.open(model.resolve("encoder.onnx"), OnnxTokenizer.Options.cpu(threads))) {
      Preprocessor pre = new Preprocessor(direct.info().preprocessing());
      int per = direct.info().valuesPerImage();
      List<float[]> inputs = new ArrayList<>();
      for (Path f : files) {
        try {
          inputs.add(pre.decodeAndApply(Files.readAllBytes(f), DecodeLimits.defaults()));
        } catch (ImageRejectedException e) {
          // the stream dead-letters it too; only accepted photos are timed
        }
      }
      long nanos = 0;
      for (int from = 0; from < inputs.size(); from += batch) {
        int n = Math.min(batch, inputs.size() - from);
        float[] input = new float[n * per];
        for (int i = 0; i < n; i++) {
          System.arraycopy(inputs.get(from + i), 0, input, i * per, per);
        }
        long t0 = System.nanoTime();
        direct.encode(input, n);
        nanos += System.nanoTime() - t0;
      }
      return inputs.size() / (nanos / 1e9);
    }
  }

  private static String contentType(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".png")) {
      return "image/png";
    }
    if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (n.endsWith(".tif") || n.endsWith(".tiff")) {
      return "image/tiff";
    }
    return "application/octet-stream";
  }
}
