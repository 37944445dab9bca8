package dev.ibq.stream.config;

import java.util.Locale;

/**
 * What a {@code read_committed} consumer of the output topics may see after failures and restarts.
 *
 * <p>{@link #EXACTLY_ONCE}: every valid input exactly once (Kafka transactions committed on checkpoint
 * completion; output becomes visible one checkpoint interval late). {@link #AT_LEAST_ONCE}: nothing lost,
 * duplicates possible after a restart, output visible as soon as it is written (lower latency).
 */
public enum DeliveryGuarantee {
  EXACTLY_ONCE,
  AT_LEAST_ONCE;

  /** Parses {@code exactly-once}, {@code EXACTLY_ONCE}, {@code at-least-once}, ... (case-insensitive). */
  public static DeliveryGuarantee parse(String key, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (DeliveryGuarantee g : values()) {
      if (g.name().equals(v)) {
        return g;
      }
    }
    throw new InvalidConfigException(
        key, "is '" + value + "'; expected exactly-once or at-least-once");
  }

  /** The connector's enum of the same meaning. */
  public org.apache.flink.connector.base.DeliveryGuarantee toFlink() {
    return this == EXACTLY_ONCE
        ? org.apache.flink.connector.base.DeliveryGuarantee.EXACTLY_ONCE
        : org.apache.flink.connector.base.DeliveryGuarantee.AT_LEAST_ONCE;
  }

  /** The spelling used in properties files and flags. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
