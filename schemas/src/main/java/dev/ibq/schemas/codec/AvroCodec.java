package dev.ibq.schemas.codec;

import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (see {@link SingleObjectFormat}) of one generated record class, with
 * no schema registry: bytes written with any schema in the {@link SchemaStore} (older or newer
 * versions of {@code T}'s schema) are resolved to {@code T}'s current schema.
 *
 * <p>The header and the schema resolution are Avro's own ({@link BinaryMessageEncoder}, {@link
 * BinaryMessageDecoder}); this class adds what they lack: typed errors with full sentences, a
 * compatibility check before a writer schema is admitted, and the {@link BoundedBodyCheck} before
 * anything is allocated for a record's values.
 *
 * <p>Thread-safe: one instance can be shared by all threads (so are Avro's message encoder and decoder).
 */
public final class AvroCodec<T extends SpecificRecord> {

  private final Class<T> type;
  private final Schema schema;
  private final long fingerprint;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final SchemaStore store;
  /** Writer schemas admitted so far (checked compatible and added to {@link #decoder}), by fingerprint. */
  private final Map<Long, Schema> writers = new ConcurrentHashMap<>();

  private AvroCodec(Class<T> type, SchemaStore store) {
    this.type = Objects.requireNonNull(type, "record class");
    this.store = Objects.requireNonNull(store, "schema store");
    SpecificData model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.fingerprint = SingleObjectFormat.fingerprint(schema);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    // No resolver: a writer schema reaches the decoder only through admit(), after the compatibility check.
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    writers.put(fingerprint, schema);
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
    ByteBuffer encoded;
    try {
      encoded = encoder.encode(record);
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory failed.", e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("The " + type.getSimpleName() + " cannot be encoded (" + e.getMessage()
          + "); a required field is probably null or out of range.", e);
    }
    byte[] out = new byte[encoded.remaining()];
    encoded.get(out);
    return out;
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
    Schema writer = admit(writerFingerprint);
    int bodyLength = bytes.length - SingleObjectFormat.HEADER_LENGTH;
    try {
      // Also refuses bytes left over after the record, which Avro's decoder would ignore.
      BoundedBodyCheck.check(writer, bytes, SingleObjectFormat.HEADER_LENGTH, bodyLength);
    } catch (BoundedBodyCheck.OutOfBounds e) {
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body (" + bodyLength
          + " bytes after the header) does not parse under writer schema "
          + SingleObjectFormat.fingerprintHex(writerFingerprint) + ": " + e.getMessage()
          + "; the bytes are truncated or corrupt.");
    }
    try {
      return decoder.decode(bytes);
    } catch (IOException | RuntimeException e) {
      throw new RecordDecodingException(Problem.CORRUPT_BODY, "The " + type.getSimpleName() + " body ("
          + bodyLength + " bytes after the header) does not parse under writer schema "
          + SingleObjectFormat.fingerprintHex(writerFingerprint) + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the bytes are truncated or corrupt.", e);
    }
  }

  /** Like {@link #decode(byte[])}, but returns the failure instead of throwing it. */
  public DecodeResult<T> tryDecode(byte[] bytes) {
    try {
      return DecodeResult.ok(decode(bytes));
    } catch (RecordDecodingException e) {
      return DecodeResult.failed(e);
    }
  }

  /** The writer schema of {@code writerFingerprint}, added to the decoder the first time it is seen and found compatible. */
  private Schema admit(long writerFingerprint) {
    Schema cached = writers.get(writerFingerprint);
    if (cached != null) {
      return cached;
    }
    Schema writerSchema = store.find(writerFingerprint).orElseThrow(() ->
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
    decoder.addSchema(writerSchema);
    writers.putIfAbsent(writerFingerprint, writerSchema);
    return writerSchema;
  }
}
