package dev.ibq.stream.config;

import java.util.Locale;

/**
 * How the Avro records of one topic are framed.
 *
 * <p>{@link #SINGLE_OBJECT}: Avro single-object encoding ({@code C3 01}, 8-byte schema fingerprint, body), no
 * registry; readers resolve every released schema version bundled with the project. {@link #CONFLUENT}: the
 * Confluent wire format (magic byte 0, 4-byte Schema Registry id, body) with a Schema Registry
 * ({@code schema-registry.url}), what Kafka UIs, Kafka Connect, Flink SQL's {@code avro-confluent} format and
 * Confluent clients read.
 */
public enum ValueFormat {
  SINGLE_OBJECT,
  CONFLUENT;

  /** Parses {@code single-object} or {@code confluent} (case-insensitive, {@code _} for {@code -} allowed). */
  public static ValueFormat parse(String key, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (ValueFormat f : values()) {
      if (f.name().equals(v)) {
        return f;
      }
    }
    throw new InvalidConfigException(key, "is '" + value + "'; expected single-object or confluent");
  }

  /** The spelling used in properties files and flags. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
