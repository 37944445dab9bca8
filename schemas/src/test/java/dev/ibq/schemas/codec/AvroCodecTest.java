package dev.ibq.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.Records;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class AvroCodecTest {

  private final AvroCodec<ImageRecord> images = AvroCodec.forClass(ImageRecord.class);
  private final AvroCodec<TokenRecord> tokens = AvroCodec.forClass(TokenRecord.class);
  private final AvroCodec<DeadLetterRecord> deadLetters = AvroCodec.forClass(DeadLetterRecord.class);

  @Test
  void everyRecordRoundTrips() {
    assertThat(images.decode(images.encode(Records.image()))).isEqualTo(Records.image());
    assertThat(tokens.decode(tokens.encode(Records.tokens()))).isEqualTo(Records.tokens());
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(deadLetters.decode(deadLetters.encode(Records.deadLetter(code)))).isEqualTo(Records.deadLetter(code));
    }
  }

  @Test
  void bytesFollowTheSingleObjectSpecAndAvrosOwnCodecAgrees() throws IOException {
    byte[] bytes = images.encode(Records.image());
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = SchemaNormalization.parsingFingerprint64(ImageRecord.getClassSchema());
    assertThat(ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(fingerprint);
    // Avro's BinaryMessageEncoder/Decoder are an independent implementation of the same format.
    assertThat(ImageRecord.getDecoder().decode(bytes)).isEqualTo(Records.image());
    byte[] theirs = TokenRecord.getEncoder().encode(Records.tokens()).array();
    assertThat(tokens.decode(theirs)).isEqualTo(Records.tokens());
  }

  @Test
  void newReaderReadsRecordsWrittenWithVersionOne() {
    Schema v1 = SchemaStore.history("ImageRecord").get(0);
    assertThat(v1.getField("attributes")).isNull();
    GenericRecord old = new GenericData.Record(v1);
    old.put("image_id", "old-1");
    old.put("image", ByteBuffer.wrap(new byte[] {1, 2}));
    old.put("content_type", "image/jpeg");
    old.put("label", 3);
    old.put("source_uri", null);
    old.put("event_time", 1_000L);
    ImageRecord read = images.decode(encodeGeneric(old));
    assertThat(read.getImageId()).isEqualTo("old-1");
    assertThat(read.getLabel()).isEqualTo(3);
    assertThat(read.getEventTime().toEpochMilli()).isEqualTo(1_000L);
    assertThat(read.getAttributes()).isEmpty(); // the v2 default

    Schema deadV1 = SchemaStore.history("DeadLetterRecord").get(0);
    GenericRecord oldDead = new GenericData.Record(deadV1);
    oldDead.put("image_id", "x");
    oldDead.put("payload", ByteBuffer.wrap(new byte[0]));
    oldDead.put("error_code", new GenericData.EnumSymbol(deadV1.getField("error_code").schema(), "CORRUPT_IMAGE"));
    oldDead.put("message", "m");
    oldDead.put("stage", "decode");
    oldDead.put("time", 5L);
    DeadLetterRecord dead = deadLetters.decode(encodeGeneric(oldDead));
    assertThat(dead.getErrorCode()).isEqualTo(ErrorCode.CORRUPT_IMAGE);
    assertThat(dead.getSourceTopic()).isNull();
    assertThat(dead.getSourceOffset()).isNull();
  }

  @Test
  void versionOneReaderReadsRecordsWrittenByTheCurrentSchema() throws IOException {
    Schema imageV1 = SchemaStore.history("ImageRecord").get(0);
    GenericRecord image = readAs(images.encode(Records.image()), imageV1);
    assertThat(image.get("image_id").toString()).isEqualTo("fmnist-train-00000");
    assertThat(image.get("label")).isEqualTo(9);
    assertThat(image.getSchema().getField("attributes")).isNull();

    // A symbol added in v2 reads as the enum default in a v1 reader.
    Schema deadV1 = SchemaStore.history("DeadLetterRecord").get(0);
    GenericRecord dead = readAs(deadLetters.encode(Records.deadLetter(ErrorCode.EMPTY_PAYLOAD)), deadV1);
    assertThat(dead.get("error_code").toString()).isEqualTo("UNKNOWN");
    GenericRecord known = readAs(deadLetters.encode(Records.deadLetter(ErrorCode.TOO_LARGE)), deadV1);
    assertThat(known.get("error_code").toString()).isEqualTo("TOO_LARGE");
  }

  @Test
  void emptyBadMarkerAndTruncatedHeaderAreRejectedClearly() {
    assertProblem(() -> images.decode(new byte[0]), Problem.EMPTY_INPUT, "The record is empty");
    assertThat(images.tryDecode(null).error().errorCode()).isEqualTo(ErrorCode.EMPTY_PAYLOAD);
    assertProblem(() -> images.decode("{\"image_id\":1}".getBytes()), Problem.BAD_MARKER, "starts with 7B 22");
    byte[] bytes = images.encode(Records.image());
    assertProblem(() -> images.decode(Arrays.copyOf(bytes, 6)), Problem.TRUNCATED_HEADER, "is 6 bytes long");
    assertProblem(() -> images.decode(Arrays.copyOf(bytes, 1)), Problem.TRUNCATED_HEADER, "is 1 bytes long");
    assertThat(images.tryDecode(Arrays.copyOf(bytes, 6)).error().errorCode()).isEqualTo(ErrorCode.UNDECODABLE_RECORD);
  }

  @Test
  void unknownFingerprintIsRejectedClearly() {
    byte[] bytes = images.encode(Records.image());
    bytes[5] ^= 0x55;
    assertProblem(() -> images.decode(bytes), Problem.UNKNOWN_FINGERPRINT, "which is not among the");
  }

  @Test
  void anotherRecordTypeIsIncompatible() {
    byte[] tokenBytes = tokens.encode(Records.tokens());
    assertProblem(() -> images.decode(tokenBytes), Problem.INCOMPATIBLE_SCHEMA, "dev.ibq.schemas.TokenRecord");
  }

  @Test
  void corruptBodiesAreRejectedNotCrashed() {
    byte[] bytes = tokens.encode(Records.tokens());
    assertProblem(() -> tokens.decode(Arrays.copyOf(bytes, bytes.length - 5)), Problem.CORRUPT_BODY, "does not parse");
    assertProblem(() -> tokens.decode(Arrays.copyOf(bytes, bytes.length + 3)), Problem.CORRUPT_BODY, "left over");
    assertProblem(() -> tokens.decode(Arrays.copyOf(bytes, SingleObjectFormat.HEADER_LENGTH)), Problem.CORRUPT_BODY, "does not parse");
    // A string length claiming ~1 GB in a tiny body.
    byte[] huge = Arrays.copyOf(bytes, SingleObjectFormat.HEADER_LENGTH + 5);
    byte[] varint = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
    System.arraycopy(varint, 0, huge, SingleObjectFormat.HEADER_LENGTH, 5);
    assertProblem(() -> tokens.decode(huge), Problem.CORRUPT_BODY, "does not parse");
    assertThat(tokens.tryDecode(huge).isOk()).isFalse();
  }

  @Test
  void oneCodecServesManyThreads() throws Exception {
    List<byte[]> inputs = new ArrayList<>();
    List<ImageRecord> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ImageRecord r = Records.image();
      r.setImageId("id-" + i);
      r.setAttributes(new HashMap<>(r.getAttributes()));
      expected.add(r);
      inputs.add(images.encode(r));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          int ok = 0;
          for (int round = 0; round < 20; round++) {
            for (int i = 0; i < inputs.size(); i++) {
              ImageRecord r = images.decode(inputs.get(i));
              if (r.equals(expected.get(i)) && images.decode(images.encode(r)).equals(r)) {
                ok++;
              }
            }
          }
          return ok;
        }));
      }
      for (Future<Integer> f : results) {
        assertThat(f.get()).isEqualTo(20 * inputs.size());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertProblem(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Problem problem, String text) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(problem))
        .hasMessageContaining(text)
        .hasMessageEndingWith(".");
  }

  /** Single-object bytes of a generic record written with its own (e.g. an old) schema. */
  static byte[] encodeGeneric(GenericRecord record) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] header = new byte[SingleObjectFormat.HEADER_LENGTH];
      SingleObjectFormat.writeHeader(SingleObjectFormat.fingerprint(record.getSchema()), header);
      out.write(header);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** What an old consumer does: look the writer schema up by fingerprint and resolve it to its own reader schema. */
  static GenericRecord readAs(byte[] bytes, Schema reader) throws IOException {
    Schema writer = SchemaStore.bundled().find(SingleObjectFormat.readFingerprint(bytes)).orElseThrow();
    return new GenericDatumReader<GenericRecord>(writer, reader).read(null,
        DecoderFactory.get().binaryDecoder(bytes, SingleObjectFormat.HEADER_LENGTH, bytes.length - SingleObjectFormat.HEADER_LENGTH, null));
  }
}
