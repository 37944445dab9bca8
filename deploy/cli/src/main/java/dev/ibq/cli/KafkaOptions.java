package dev.ibq.cli;

import dev.ibq.stream.config.JobConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one way the stream commands take Kafka client properties: {@code --kafka KEY=VALUE} (as produce and
 * consume do), turned into the job's {@code kafka.KEY} settings. {@code --set kafka.KEY=VALUE} is refused
 * with a pointer to {@code --kafka}, so there is a single spelling.
 */
final class KafkaOptions {
  private KafkaOptions() {}

  /** {@code set} with {@code kafka} added as {@code kafka.*} settings. */
  static Map<String, String> settings(Map<String, String> set, Map<String, String> kafka) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : set.entrySet()) {
      if (e.getKey().startsWith(JobConfig.KAFKA_PREFIX)) {
        throw new IllegalArgumentException(
            "--set " + e.getKey() + "=" + e.getValue() + " passes a Kafka client property; use --kafka "
                + e.getKey().substring(JobConfig.KAFKA_PREFIX.length()) + "=" + e.getValue() + " instead.");
      }
      out.put(e.getKey(), e.getValue());
    }
    kafka.forEach((k, v) -> out.put(JobConfig.KAFKA_PREFIX + k, v));
    return out;
  }
}
