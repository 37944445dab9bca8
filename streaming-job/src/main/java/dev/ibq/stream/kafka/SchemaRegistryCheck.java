package dev.ibq.stream.kafka;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.SchemaRegistryClient;
import dev.ibq.schemas.codec.SchemaRegistryException;
import dev.ibq.stream.config.InvalidConfigException;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.config.ValueFormat;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the job checks in the Schema Registry on the client, before it is submitted, for every topic in the
 * Confluent wire format (subjects by TopicNameStrategy, {@code <topic>-value}):
 *
 * <ul>
 *   <li>input: the subject exists (registered by the producers; or here, with auto-registration) and the job's
 *       {@link ImageRecord} schema can read its latest version (Avro reader/writer compatibility);
 *   <li>outputs: the job's {@link TokenRecord} / {@link DeadLetterRecord} schema is registered under the subject, or
 *       auto-registration is on and the registry accepts it as compatible with the subject's latest version.
 * </ul>
 *
 * Each failure is an {@link InvalidConfigException} naming the setting, the subject, the registry and what to do.
 */
public final class SchemaRegistryCheck {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryCheck.class);

  private SchemaRegistryCheck() {}

  /** Runs the checks for the topics of {@code config} that use the Confluent wire format. */
  public static void check(JobConfig config) {
    SchemaRegistryClient registry = new SchemaRegistryClient(config.schemaRegistryUrl());
    try {
      if (config.inputValueFormat() == ValueFormat.CONFLUENT) {
        checkInput(registry, config.inputTopic(), config.schemaRegistryAutoRegister());
      }
      if (config.outputValueFormat() == ValueFormat.CONFLUENT) {
        checkOutput(registry, JobConfig.OUTPUT_VALUE_FORMAT, config.outputTopic(), TokenRecord.getClassSchema(),
            config.schemaRegistryAutoRegister());
      }
      if (config.deadLetterValueFormat() == ValueFormat.CONFLUENT) {
        checkOutput(registry, JobConfig.DEAD_LETTER_VALUE_FORMAT, config.deadLetterTopic(),
            DeadLetterRecord.getClassSchema(), config.schemaRegistryAutoRegister());
      }
    } catch (SchemaRegistryException e) {
      throw new InvalidConfigException(JobConfig.SCHEMA_REGISTRY_URL, "is '" + config.schemaRegistryUrl()
          + "', where the job's schemas could not be checked: " + e.getMessage());
    }
  }

  private static void checkInput(SchemaRegistryClient registry, String topic, boolean autoRegister) {
    String subject = SchemaRegistryClient.valueSubject(topic);
    Schema reader = ImageRecord.getClassSchema();
    Optional<SchemaRegistryClient.Registered> latest = registry.latest(subject);
    if (latest.isEmpty()) {
      if (!autoRegister) {
        throw new InvalidConfigException(JobConfig.INPUT_VALUE_FORMAT, "is confluent, but subject '" + subject
            + "' does not exist in the Schema Registry at " + registry.url() + ", so no producer has registered an"
            + " ImageRecord schema for topic '" + topic + "'; register ImageRecord's schema under '" + subject
            + "', set " + JobConfig.SCHEMA_REGISTRY_AUTO_REGISTER + "=true, or use single-object");
      }
      int id = registry.register(subject, reader);
      LOG.info("Registered {} under subject '{}' (id {}) in {}.", reader.getFullName(), subject, id, registry.url());
      return;
    }
    Schema writer = latest.get().schema();
    SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (c.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new InvalidConfigException(JobConfig.INPUT_VALUE_FORMAT, "is confluent, but the latest schema of subject '"
          + subject + "' (version " + latest.get().version() + ", id " + latest.get().id() + ", "
          + writer.getFullName() + ") in the Schema Registry at " + registry.url() + " cannot be read as this job's "
          + reader.getFullName() + ": " + c.getDescription() + "; the topic's producers must write a compatible"
          + " version of ImageRecord");
    }
    LOG.info("Input subject '{}': latest version {} (id {}) is readable as {}.", subject, latest.get().version(),
        latest.get().id(), reader.getFullName());
  }

  private static void checkOutput(
      SchemaRegistryClient registry, String key, String topic, Schema schema, boolean autoRegister) {
    String subject = SchemaRegistryClient.valueSubject(topic);
    OptionalInt id = registry.lookup(subject, schema);
    if (id.isPresent()) {
      LOG.info("Output subject '{}': {} is registered (id {}).", subject, schema.getFullName(), id.getAsInt());
      return;
    }
    if (!autoRegister) {
      throw new InvalidConfigException(key, "is confluent, but this job's " + schema.getFullName()
          + " schema is not registered under subject '" + subject + "' in the Schema Registry at " + registry.url()
          + " and " + JobConfig.SCHEMA_REGISTRY_AUTO_REGISTER + " is false; register it (POST " + registry.url()
          + "/subjects/" + subject + "/versions) or set " + JobConfig.SCHEMA_REGISTRY_AUTO_REGISTER + "=true");
    }
    if (registry.latest(subject).isPresent() && !registry.isCompatible(subject, schema)) {
      throw new InvalidConfigException(key, "is confluent, but this job's " + schema.getFullName() + " schema is not"
          + " compatible with the latest version of subject '" + subject + "' under that subject's compatibility"
          + " level in the Schema Registry at " + registry.url() + ", so it cannot be registered; write to another"
          + " topic or change the subject's compatibility level");
    }
    int registered = registry.register(subject, schema);
    LOG.info("Registered {} under subject '{}' (id {}) in {}.", schema.getFullName(), subject, registered, registry.url());
  }
}
