package dev.ibq.schemas.codec;

import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
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
 * Avro single-object encoding (see {@link SingleObjectFormat}) of one generated record class, with
 * no schema registry: bytes written with any schema in the {@link SchemaStore} (older or newer
 * versions of {@code T}'s schema) are resolved to {@code T}'s current schema.
 *
 * <p>Thread-safe: one instance can be shared by all threads. Encoders and decoders are made per
 * call; the Avro datum writer and the per-writer-schema datum readers are shared (Avro's datum
 * readers keep their resolution state per thread).
 */
public final class AvroCodec<T extends SpecificRecord> {

  private final Class<T> type;
  private final Schema schema;
  private final long fingerprint;
  private final byte[] header = new byte[SingleObjectFormat.HEADER_LENGTH];
  private final SpecificData model;
  private final SpecificDatumWriter<T> writer;
  private final SchemaStore store;
  private final Map<Long, Resolved<T>> readers = new ConcurrentHashMap<>();

  /** A known writer schema and the datum reader that resolves it to {@code T}. */
  private record Resolved<T>(Schema writer, SpecificDatumReader<T> reader) {}

  private AvroCodec(Class<T> type, SchemaStore store) {
    this.type = Objects.requireNonNull(type, "record class");
    this.store = Objects.requireNonNull(store, "schema store");
    this.model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.fingerprint = SingleObjectFormat.fingerprint(schema);
    SingleObjectFormat.writeHeader(fingerprint, header);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /** A codec for {@code type} that resolves every version in {@link SchemaStore#bundled()}. */
  public static <T extends SpecificRecord> AvroCodec<T> forClass(Class<T> type) {
    return new AvroCodec<>(type, SchemaStore.bundled());
  }

  /** A codec for {@code type} that resolves the writer schemas in {@code store} (and {@code type}'s own). */
  public static <T extends SpecificRecord> AvroCodec<T> forClass(Class<T> type, SchemaStore store) {
    return new AvroCodec<>(type, store);
  }

  public Class<T> type() {
    return type;
  }

  /** The reader (and writer) schema: the one {@code T} was generated from. */
  public Schema schema() {
    return schema;
  }

  /** CRC-64-AVRO fingerprint this codec writes into every header. */
  public long fingerprint() {
    return fingerprint;
  }

  /** Single-object bytes of {@code record}. */
  public byte[] encode(T record) {
    Objects.requireNonNull(record, "record");
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(header, 0, header.length);
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
   * Decodes single-object bytes into {@code T}.
   *
   * <p>Before anything is allocated for the record's values, its body is walked under the writer schema
   * ({@link BoundedBodyCheck}): every string, bytes, array and map length it declares must fit in the
   * bytes actually there, so a small record cannot make the reader allocate a large buffer.
   *
   * @throws RecordDecodingException for empty input, a bad marker, a truncated header, an unknown
   *     or incompatible writer schema, or a corrupt body (including a declared length that exceeds it)
   */
  public T decode(byte[] bytes) {
    long writerFingerprint = SingleObjectFormat.readFingerprint(bytes);
    Resolved<T> resolved = readerFor(writerFingerprint);
    int bodyLength = bytes.length - SingleObjectFormat.HEADER_LENGTH;
    try {
      BoundedBodyCheck.check(resolved.writer(), bytes, SingleObjectFormat.HEADER_LENGTH, bodyLength);
    } catch (BoundedBodyCheck.OutOfBounds e) {
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body (" + bodyLength
          + " bytes after the header) does not parse under writer schema "
          + SingleObjectFormat.fingerprintHex(writerFingerprint) + ": " + e.getMessage()
          + "; the bytes are truncated or corrupt.");
    }
    SpecificDatumReader<T> reader = resolved.reader();
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
        bytes, SingleObjectFormat.HEADER_LENGTH, bytes.length - SingleObjectFormat.HEADER_LENGTH, null);
    T record;
    try {
      record = reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body ("
          + (bytes.length - SingleObjectFormat.HEADER_LENGTH) + " bytes after the header) does not parse under writer schema "
          + SingleObjectFormat.fingerprintHex(writerFingerprint) + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the bytes are truncated or corrupt.", e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName()
            + " body has bytes left over after the record; the bytes are corrupt or not a single record.");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return record;
  }

  /** Like {@link #decode(byte[])}, but returns the failure instead of throwing it. */
  public DecodeResult<T> tryDecode(byte[] bytes) {
    try {
      return DecodeResult.ok(decode(bytes));
    } catch (RecordDecodingException e) {
      return DecodeResult.failed(e);
    }
  }

  private Resolved<T> readerFor(long writerFingerprint) {
    Resolved<T> cached = readers.get(writerFingerprint);
    if (cached != null) {
      return cached;
    }
    Schema writerSchema = writerFingerprint == fingerprint ? schema : store.find(writerFingerprint).orElseThrow(() ->
        new RecordDecodingException(Problem.UNKNOWN_FINGERPRINT, "The record was written with schema fingerprint "
            + SingleObjectFormat.fingerprintHex(writerFingerprint) + ", which is not among the " + store.size()
            + " known schemas; expected a released version of " + schema.getFullName()
            + " (add new versions to schema-history/ and rebuild the reader)."));
    SchemaPairCompatibility compatibility = SchemaCompatibility.checkReaderWriterCompatibility(schema, writerSchema);
    if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new RecordDecodingException(Problem.INCOMPATIBLE_SCHEMA, "The record was written with schema "
          + writerSchema.getFullName() + " (fingerprint " + SingleObjectFormat.fingerprintHex(writerFingerprint)
          + "), which " + schema.getFullName() + " cannot read: " + compatibility.getDescription() + ".");
    }
    Resolved<T> resolved = new Resolved<>(writerSchema, new SpecificDatumReader<>(writerSchema, schema, model));
    readers.putIfAbsent(writerFingerprint, resolved);
    return resolved;
  }
}
