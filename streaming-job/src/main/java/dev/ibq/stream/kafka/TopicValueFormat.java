package dev.ibq.stream.kafka;

import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.ConfluentCodec;
import dev.ibq.schemas.codec.SchemaRegistryClient;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.config.ValueFormat;
import java.io.Serializable;
import java.util.Objects;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;

/**
 * How one topic's values are framed, with what the task needs to make its codec: the {@link ValueFormat} and, for
 * {@link ValueFormat#CONFLUENT}, the Schema Registry. Serializable (it travels with the operators); the codecs
 * themselves are made in the tasks.
 *
 * @param format single-object or confluent
 * @param registryUrl the Schema Registry (confluent only)
 * @param autoRegister register the written schema under the topic's subject when it is not there
 */
public record TopicValueFormat(ValueFormat format, String registryUrl, boolean autoRegister) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Avro single-object encoding, no registry. */
  public static final TopicValueFormat SINGLE_OBJECT = new TopicValueFormat(ValueFormat.SINGLE_OBJECT, null, false);

  public TopicValueFormat {
    Objects.requireNonNull(format, "value format");
    if (format == ValueFormat.CONFLUENT && registryUrl == null) {
      throw new IllegalArgumentException("The confluent value format needs a Schema Registry URL.");
    }
  }

  /** The Confluent wire format with the registry at {@code url}. */
  public static TopicValueFormat confluent(String url, boolean autoRegister) {
    return new TopicValueFormat(ValueFormat.CONFLUENT, url, autoRegister);
  }

  /** The input topic's format in {@code config}. */
  public static TopicValueFormat input(JobConfig config) {
    return of(config.inputValueFormat(), config);
  }

  /** The output (token) topic's format in {@code config}. */
  public static TopicValueFormat output(JobConfig config) {
    return of(config.outputValueFormat(), config);
  }

  /** The dead-letter topic's format in {@code config}. */
  public static TopicValueFormat deadLetter(JobConfig config) {
    return of(config.deadLetterValueFormat(), config);
  }

  private static TopicValueFormat of(ValueFormat f, JobConfig config) {
    return f == ValueFormat.SINGLE_OBJECT
        ? SINGLE_OBJECT
        : confluent(config.schemaRegistryUrl(), config.schemaRegistryAutoRegister());
  }

  /** An encoder of {@code type} for values of {@code topic} (under subject {@code <topic>-value} for confluent). */
  public <T extends SpecificRecord> Function<T, byte[]> encoder(Class<T> type, String topic) {
    if (format == ValueFormat.SINGLE_OBJECT) {
      return AvroCodec.forClass(type)::encode;
    }
    return ConfluentCodec.forTopic(type, new SchemaRegistryClient(registryUrl), topic, autoRegister)::encode;
  }

  /**
   * A decoder into {@code type}: throws {@link dev.ibq.schemas.codec.RecordDecodingException} for bad bytes and, for
   * confluent, {@link dev.ibq.schemas.codec.SchemaRegistryException} when the registry cannot be reached.
   */
  public <T extends SpecificRecord> Function<byte[], T> decoder(Class<T> type) {
    if (format == ValueFormat.SINGLE_OBJECT) {
      return AvroCodec.forClass(type)::decode;
    }
    return new ConfluentCodec<>(type, new SchemaRegistryClient(registryUrl), null, false)::decode;
  }

  /** How the values are described in messages: "single-object encoded" or "Confluent wire-format". */
  public String describe() {
    return format == ValueFormat.SINGLE_OBJECT ? "single-object encoded" : "Confluent wire-format";
  }
}
