package dev.ibq.cli;

import dev.ibq.stream.config.ValueFormat;
import dev.ibq.stream.kafka.TopicValueFormat;
import picocli.CommandLine.Option;

/** {@code --value-format single-object|confluent} and {@code --schema-registry URL} of produce and consume (a picocli mixin). */
final class ValueFormatOptions {

  @Option(names = "--value-format", defaultValue = "single-object",
      description = "single-object (Avro single-object encoding) or confluent (Confluent wire format; needs --schema-registry)"
          + " (default: ${DEFAULT-VALUE})")
  String valueFormat;

  @Option(names = "--schema-registry", description = "Schema Registry URL (Confluent REST API) for --value-format confluent")
  String schemaRegistry;

  /** The topic's format; {@code autoRegister}: register the written schema under {@code <topic>-value} when missing. */
  TopicValueFormat format(boolean autoRegister) {
    ValueFormat f = ValueFormat.parse("--value-format", valueFormat);
    if (f == ValueFormat.SINGLE_OBJECT) {
      if (schemaRegistry != null) {
        throw new IllegalArgumentException("--schema-registry is set, but --value-format is single-object, which uses no"
            + " registry; add --value-format confluent.");
      }
      return TopicValueFormat.SINGLE_OBJECT;
    }
    if (schemaRegistry == null) {
      throw new IllegalArgumentException("--value-format confluent needs --schema-registry URL (e.g. the URL ./ibq registry prints).");
    }
    return TopicValueFormat.confluent(schemaRegistry, autoRegister);
  }
}
