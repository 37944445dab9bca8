package dev.ibq.cli;

import dev.ibq.image.source.FashionMnistSource;
import dev.ibq.image.source.FileListSource;
import dev.ibq.image.source.FolderSource;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.image.source.ImageSources;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.stream.config.ValueFormat;
import dev.ibq.stream.kafka.TopicValueFormat;
import dev.ibq.training.report.ProgressBar;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./ibq produce}: writes images as ImageRecords (single-object Avro) to a topic. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Write images to a Kafka topic as ImageRecords: Fashion-MNIST (--idx test|train), a folder, or files."
    })
public final class ProduceCommand implements Callable<Integer> {

  @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers")
  String bootstrap;

  @Option(names = "--topic", defaultValue = "ibq.images", description = "topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--source", paramLabel = "NAME",
      description = "An image source by name (repeatable): fashion-mnist:test, fashion-mnist:train, folder:PATH or files:A,B,...")
  List<String> sources = new ArrayList<>();

  @Option(names = "--idx", description = "Fashion-MNIST split: test or train (PNG-encoded, with labels; = --source fashion-mnist:SPLIT)")
  String idx;

  @Option(names = "--from", defaultValue = "0", description = "first Fashion-MNIST index (default: ${DEFAULT-VALUE})")
  int from;

  @Option(names = "--count", description = "number of Fashion-MNIST images (default: the rest of the split)")
  Integer count;

  @Option(names = "--folder", description = "every file under this folder (recursive, sorted by relative path, labelled by class sub-folder), as in encode (= --source folder:DIR)")
  Path folder;

  @Parameters(arity = "0..*", description = "image files")
  List<Path> files = new ArrayList<>();

  @Option(names = "--rate", defaultValue = "0", description = "records per second; 0 = as fast as possible")
  double rate;

  @Option(names = "--kafka", description = "producer property KEY=VALUE, e.g. security.protocol=SSL (repeatable)")
  Map<String, String> kafka = new LinkedHashMap<>();

  /** With confluent, ImageRecord's schema is registered under {@code <topic>-value} when missing (as Confluent's serializer does). */
  @Mixin ValueFormatOptions valueFormat = new ValueFormatOptions();

  /** What was produced. */
  public record Result(String topic, long records, long millis) {
    public double recordsPerSecond() {
      return records * 1000.0 / Math.max(1, millis);
    }
  }

  @Override
  public Integer call() throws Exception {
    Result r = run(bootstrap, topic, records(), rate, kafka, valueFormat.format(true));
    System.out.printf(Locale.ROOT, "Produced %d records to %s in %.1f s (%.0f records/s).%n",
        r.records(), r.topic(), r.millis() / 1000.0, r.recordsPerSecond());
    return 0;
  }

  /** The records the options select, source by source from the one registry (event time is set when each is sent). */
  List<ImageRecord> records() throws IOException {
    List<ImageRecord> out = new ArrayList<>();
    for (String name : sources) {
      out.addAll(ImageRecords.all(ImageSources.open(name)));
    }
    if (idx != null) {
      FashionMnistSource data = (FashionMnistSource) ImageSources.open(FashionMnistSource.KIND + ":" + idx);
      int n = count == null ? data.size() - from : count;
      out.addAll(ImageRecords.fashionMnist(data.data(), from, n));
    }
    if (folder != null) {
      out.addAll(ImageRecords.all(FolderSource.open(folder)));
    }
    if (!files.isEmpty()) {
      out.addAll(ImageRecords.all(new FileListSource(files)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "Nothing to produce: give --source NAME (" + ImageSources.expected() + "), --idx test|train, --folder DIR or image files.");
    }
    return out;
  }

  /** Sends the records (each stamped with the send time as event time), paced at {@code rate} per second. */
  public static Result run(String bootstrap, String topic, List<ImageRecord> records, double rate, Map<String, String> kafka) {
    return run(bootstrap, topic, records, rate, kafka, TopicValueFormat.SINGLE_OBJECT);
  }

  /** {@link #run(String, String, List, double, Map)} in {@code format} (single-object, or Confluent with a registry). */
  public static Result run(
      String bootstrap, String topic, List<ImageRecord> records, double rate, Map<String, String> kafka, TopicValueFormat format) {
    Function<ImageRecord, byte[]> encoder =
        format.format() == ValueFormat.SINGLE_OBJECT ? null : format.encoder(ImageRecord.class, topic);
    Properties extra = new Properties();
    extra.putAll(kafka);
    long t0 = System.nanoTime();
    ProgressBar bar = ProgressBar.onStderr(records.size(), 20); // plain mode: a line per 1000 records
    long sent = 0;
    try (ImageProducer p = new ImageProducer(bootstrap, topic, rate, extra)) {
      for (ImageRecord r : records) {
        r.setEventTime(Instant.now());
        if (encoder == null) {
          p.send(r);
        } else {
          p.sendRaw(r.getImageId(), encoder.apply(r));
        }
        sent++;
        if (sent % 50 == 0 || sent == records.size()) {
          double seconds = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
          double perSecond = sent / seconds;
          bar.update(sent, "", perSecond, Duration.ofMillis((long) ((records.size() - sent) / perSecond * 1000)));
        }
      }
    }
    bar.finish();
    return new Result(topic, records.size(), (System.nanoTime() - t0) / 1_000_000);
  }
}
