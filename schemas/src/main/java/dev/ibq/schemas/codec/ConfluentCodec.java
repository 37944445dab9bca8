package dev.ibq.schemas.codec;

import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * One generated record class in the Confluent wire format ({@link ConfluentWireFormat}: magic byte, 4-byte schema
 * id, Avro body) with a Schema Registry ({@link SchemaRegistryClient}).
 *
 * <p>Writing: {@code T}'s schema must be registered under the subject (TopicNameStrategy: {@code <topic>-value}); its
 * id is looked up once, or registered when {@code autoRegister} is on. Reading: the writer schema is fetched by the
 * id in each record's header (cached), checked against {@code T}'s schema with Avro's reader/writer compatibility, and
 * the body resolved into {@code T}, so any compatible registered version is read. As {@link AvroCodec}, every declared
 * length of the body is checked against the bytes that are there before anything is allocated.
 *
 * <p>Thread-safe. Registry failures are {@link SchemaRegistryException}s, not {@link RecordDecodingException}s: an
 * unreachable registry says nothing about the record (callers should fail and retry, not dead-letter it).
 */
public final class ConfluentCodec<T extends SpecificRecord> {

  private final Class<T> type;
  private final Schema schema;
  private final SpecificData model;
  private final SpecificDatumWriter<T> writer;
  private final SchemaRegistryClient registry;
  private final String subject;
  private final boolean autoRegister;
  private volatile byte[] header; // of T's schema id, once known
  private final Map<Integer, Resolved<T>> readers = new ConcurrentHashMap<>();

  private record Resolved<T>(Schema writer, SpecificDatumReader<T> reader) {}

  /**
   * @param subject the subject {@code T}'s schema is written under (null for a codec that only reads)
   * @param autoRegister register {@code T}'s schema under {@code subject} when it is not there
   */
  public ConfluentCodec(Class<T> type, SchemaRegistryClient registry, String subject, boolean autoRegister) {
    this.type = Objects.requireNonNull(type, "record class");
    this.registry = Objects.requireNonNull(registry, "schema registry client");
    this.subject = subject;
    this.autoRegister = autoRegister;
    this.model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /** A codec that writes under {@code topic}'s value subject. */
  public static <T extends SpecificRecord> ConfluentCodec<T> forTopic(
      Class<T> type, SchemaRegistryClient registry, String topic, boolean autoRegister) {
    return new ConfluentCodec<>(type, registry, SchemaRegistryClient.valueSubject(topic), autoRegister);
  }

  public Schema schema() {
    return schema;
  }

  public String subject() {
    return subject;
  }

  /**
   * The id of {@code T}'s schema under the subject, registering it when {@code autoRegister} is on.
   *
   * @throws SchemaRegistryException when it is not registered and auto-registration is off, or the registry fails
   */
  public int writerSchemaId() {
    if (subject == null) {
      throw new IllegalStateException("This " + type.getSimpleName() + " codec only reads; it was made without a subject.");
    }
    OptionalInt id = registry.lookup(subject, schema);
    if (id.isPresent()) {
      return id.getAsInt();
    }
    if (autoRegister) {
      return registry.register(subject, schema);
    }
    throw new SchemaRegistryException("The schema of " + schema.getFullName() + " is not registered under subject '"
        + subject + "' in the Schema Registry at " + registry.url() + ", and schema-registry.auto-register is off;"
        + " register it (POST " + registry.url() + "/subjects/" + subject + "/versions) or set"
        + " schema-registry.auto-register=true.", 404, SchemaRegistryException.SCHEMA_NOT_FOUND, null);
  }

  /** Confluent wire-format bytes of {@code record}. */
  public byte[] encode(T record) {
    Objects.requireNonNull(record, "record");
    byte[] h = header;
    if (h == null) {
      h = new byte[ConfluentWireFormat.HEADER_LENGTH];
      ConfluentWireFormat.writeHeader(writerSchemaId(), h);
      header = h;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(h, 0, h.length);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory failed.", e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("The " + type.getSimpleName() + " cannot be encoded (" + e.getMessage()
          + "); a required field is probably null or out of range.", e);
    }
    return out.toByteArray();
  }

  /**
   * Decodes Confluent wire-format bytes into {@code T}.
   *
   * @throws RecordDecodingException for empty input, a wrong magic byte, a truncated header, a schema id the
   *     registry does not know, a writer schema {@code T} cannot read, or a corrupt body (including a declared
   *     length that exceeds it)
   * @throws SchemaRegistryException when the registry cannot be reached (nothing is known about the record)
   */
  public T decode(byte[] bytes) {
    int id = ConfluentWireFormat.readSchemaId(bytes);
    Resolved<T> resolved = readerFor(id);
    int offset = ConfluentWireFormat.HEADER_LENGTH;
    int bodyLength = bytes.length - offset;
    try {
      BoundedBodyCheck.check(resolved.writer(), bytes, offset, bodyLength);
    } catch (BoundedBodyCheck.OutOfBounds e) {
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body (" + bodyLength
          + " bytes after the header) does not parse under writer schema id " + id + ": " + e.getMessage()
          + "; the bytes are truncated or corrupt.");
    }
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, offset, bodyLength, null);
    try {
      T record = resolved.reader().read(null, decoder);
      if (!decoder.isEnd()) {
        throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName()
            + " body has bytes left over after the record; the bytes are corrupt or not a single record.");
      }
      return record;
    } catch (IOException | RuntimeException e) {
      if (e instanceof RecordDecodingException rde) {
        throw rde;
      }
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body (" + bodyLength
          + " bytes after the header) does not parse under writer schema id " + id + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the bytes are truncated or corrupt.", e);
    }
  }

  private Resolved<T> readerFor(int id) {
    Resolved<T> cached = readers.get(id);
    if (cached != null) {
      return cached;
    }
    Schema writerSchema;
    try {
      writerSchema = registry.schemaById(id);
    } catch (SchemaRegistryException e) {
      if (e.notFound()) {
        throw new RecordDecodingException(Problem.UNKNOWN_SCHEMA_ID, "The record names writer schema id " + id
            + ", which the Schema Registry at " + registry.url() + " does not know; expected the id of a registered"
            + " version of " + schema.getFullName() + ".", e);
      }
      throw e;
    }
    if (writerSchema.getType() != Schema.Type.RECORD || !writerSchema.getFullName().equals(schema.getFullName())) {
      throw new RecordDecodingException(Problem.INCOMPATIBLE_SCHEMA, "The record was written with schema id " + id
          + " (" + writerSchema.getFullName() + "); expected a version of " + schema.getFullName() + ".");
    }
    SchemaPairCompatibility compatibility = SchemaCompatibility.checkReaderWriterCompatibility(schema, writerSchema);
    if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new RecordDecodingException(Problem.INCOMPATIBLE_SCHEMA, "The record was written with schema id " + id
          + " (" + writerSchema.getFullName() + "), which " + schema.getFullName() + " cannot read: "
          + compatibility.getDescription() + ".");
    }
    Resolved<T> resolved = new Resolved<>(writerSchema, new SpecificDatumReader<>(writerSchema, schema, model));
    readers.putIfAbsent(id, resolved);
    return resolved;
  }
}
