package dev.ibq.cli;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.model.CodeUsage;
import dev.ibq.stream.kafka.TopicValueFormat;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq consume}: reads a token or dead-letter topic from the beginning to its current end as a
 * {@code read_committed} consumer (no group, nothing committed), prints the first records and a summary.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {"Print and summarise TokenRecords or DeadLetterRecords of a topic (read_committed)."})
public final class ConsumeCommand implements Callable<Integer> {

  /** What the topic holds. */
  public enum Kind {
    TOKENS,
    DEAD_LETTERS
  }

  @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers")
  String bootstrap;

  @Option(names = "--topic", defaultValue = "ibq.tokens", description = "topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--type", description = "tokens or dead-letters (default: dead-letters when the topic name contains 'dead', else tokens)")
  String type;

  @Option(names = "--print", defaultValue = "10", description = "records to print (default: ${DEFAULT-VALUE})")
  int print;

  @Option(names = "--timeout-s", defaultValue = "60", description = "give up reading after this many seconds")
  int timeoutS;

  @Option(names = "--kafka", description = "consumer property KEY=VALUE, e.g. security.protocol=SSL (repeatable)")
  Map<String, String> kafka = new LinkedHashMap<>();

  @Mixin ValueFormatOptions valueFormat = new ValueFormatOptions();

  /**
   * A topic summary.
   *
   * @param records records read
   * @param undecodable records that are not the expected Avro type
   * @param distinctImageIds distinct image ids (token topics)
   * @param tokenizerIds record counts per tokenizer id (token topics)
   * @param codebookUtilization distinct codes used / K over all tokens (token topics)
   * @param perplexity exp(entropy) of the code distribution (token topics)
   * @param deadLettersByCode record counts per error code (dead-letter topics)
   */
  public record Result(
      Kind kind,
      long records,
      long undecodable,
      long distinctImageIds,
      Map<String, Long> tokenizerIds,
      double codebookUtilization,
      double perplexity,
      Map<ErrorCode, Long> deadLettersByCode) {}

  @Override
  public Integer call() {
    Kind kind = type == null
        ? (topic.contains("dead") ? Kind.DEAD_LETTERS : Kind.TOKENS)
        : Kind.valueOf(type.toUpperCase(Locale.ROOT).replace('-', '_'));
    Properties extra = new Properties();
    extra.putAll(kafka);
    Result r = run(bootstrap, topic, kind, print, Duration.ofSeconds(timeoutS), extra, valueFormat.format(false));
    if (kind == Kind.TOKENS) {
      System.out.printf(Locale.ROOT,
          "%d token records (%d distinct images, %d undecodable); tokenizers %s; utilization %.1f%%, perplexity %.1f%n",
          r.records(), r.distinctImageIds(), r.undecodable(), r.tokenizerIds(), 100 * r.codebookUtilization(), r.perplexity());
    } else {
      System.out.printf(Locale.ROOT, "%d dead letters (%d undecodable) by code: %s%n", r.records(), r.undecodable(), r.deadLettersByCode());
    }
    return 0;
  }

  /** Reads the topic to its end, printing the first {@code print} records to standard output. */
  public static Result run(String bootstrap, String topic, Kind kind, int print, Duration timeout, Properties extra) {
    return run(bootstrap, topic, kind, print, timeout, extra, TopicValueFormat.SINGLE_OBJECT);
  }

  /** {@link #run(String, String, Kind, int, Duration, Properties)} for values in {@code format}. */
  public static Result run(
      String bootstrap, String topic, Kind kind, int print, Duration timeout, Properties extra, TopicValueFormat format) {
    long[] n = new long[2]; // records, undecodable
    if (kind == Kind.TOKENS) {
      Set<String> ids = new HashSet<>();
      Map<String, Long> tokenizers = new TreeMap<>();
      CodeUsage[] usage = new CodeUsage[1];
      AvroTopicReader.readAll(bootstrap, topic, format.decoder(TokenRecord.class), extra, timeout, e -> {
        n[0]++;
        TokenRecord t = e.value();
        if (t == null) {
          n[1]++;
          return;
        }
        ids.add(t.getImageId());
        tokenizers.merge(t.getTokenizerId(), 1L, Long::sum);
        if (usage[0] == null) {
          usage[0] = CodeUsage.unbounded(t.getCodebookSize());
        }
        int[] tokens = TokenRecords.tokens(t);
        usage[0].add(tokens);
        if (n[0] <= print) {
          System.out.printf(Locale.ROOT, "%s label=%s grid=%dx%d tokenizer=%.12s latency=%dus tokens=%s%n",
              t.getImageId(), t.getLabel(), t.getGridHeight(), t.getGridWidth(), t.getTokenizerId(),
              t.getEncodeLatencyMicros(), abbreviate(tokens));
        }
      });
      return new Result(kind, n[0], n[1], ids.size(), tokenizers,
          usage[0] == null ? 0 : usage[0].utilization(), usage[0] == null ? 0 : usage[0].perplexity(), Map.of());
    }
    Map<ErrorCode, Long> byCode = new EnumMap<>(ErrorCode.class);
    AvroTopicReader.readAll(bootstrap, topic, format.decoder(DeadLetterRecord.class), extra, timeout, e -> {
      n[0]++;
      DeadLetterRecord d = e.value();
      if (d == null) {
        n[1]++;
        return;
      }
      byCode.merge(d.getErrorCode(), 1L, Long::sum);
      if (n[0] <= print) {
        System.out.printf(Locale.ROOT, "%s %s at %s (%s-%s@%s): %s%n", d.getImageId(), d.getErrorCode(), d.getStage(),
            d.getSourceTopic(), d.getSourcePartition(), d.getSourceOffset(), d.getMessage());
      }
    });
    return new Result(kind, n[0], n[1], 0, Map.of(), 0, 0, byCode);
  }

  private static String abbreviate(int[] tokens) {
    return tokens.length <= 16
        ? Arrays.toString(tokens)
        : Arrays.toString(Arrays.copyOf(tokens, 16)).replace("]", ", ...] (" + tokens.length + ")");
  }
}
