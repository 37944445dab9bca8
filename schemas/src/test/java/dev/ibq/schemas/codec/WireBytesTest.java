package dev.ibq.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * The bytes on the wire do not change when the codec's implementation does: topics hold records written by earlier
 * builds. {@code wire/single-object.txt} holds the single-object bytes the project's own header writer (before it used
 * Avro's {@code BinaryMessageEncoder}) produced for these records; today's codec must write exactly them and read them
 * back.
 */
class WireBytesTest {

  static Map<String, SpecificRecord> records() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("split", "train");
    Map<String, SpecificRecord> out = new LinkedHashMap<>();
    out.put("image", ImageRecord.newBuilder()
        .setImageId("fmnist-train-00000")
        .setImage(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}))
        .setContentType("image/png")
        .setLabel(9)
        .setSourceUri("file:///usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz#0")
        .setEventTime(Instant.ofEpochMilli(1_764_000_000_123L))
        .setAttributes(attributes)
        .build());
    out.put("tokens", TokenRecord.newBuilder()
        .setImageId("fmnist-train-00000")
        .setTokens(List.of(0, 1, 1023, 17, 5, 900, 12, 3))
        .setGridHeight(2)
        .setGridWidth(4)
        .setCodebookSize(1024)
        .setTokenizerId("3f".repeat(32))
        .setTokenizerName("ibq-fashion-mnist-32")
        .setPreprocessing(PreprocessingSpec.fashionMnist32().toDescriptor())
        .setLabel(null)
        .setAttributes(attributes)
        .setEventTime(Instant.ofEpochMilli(1_764_000_000_123L))
        .setProcessingTime(Instant.ofEpochMilli(1_764_000_000_456L))
        .setEncodeLatencyMicros(1234L)
        .build());
    out.put("dead-letter", DeadLetterRecord.newBuilder()
        .setImageId(null)
        .setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setErrorCode(ErrorCode.UNDECODABLE_RECORD)
        .setMessage("The record starts with 01 02.")
        .setStage("deserialize")
        .setTime(Instant.ofEpochMilli(1_764_000_000_789L))
        .setSourceTopic("images")
        .setSourcePartition(3)
        .setSourceOffset(42L)
        .build());
    return out;
  }

  static Map<String, byte[]> stored() throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = WireBytesTest.class.getResourceAsStream("/wire/single-object.txt")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          String[] parts = line.trim().split(" ");
          out.put(parts[0], HexFormat.of().parseHex(parts[1]));
        }
      }
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @Test
  void todaysCodecWritesAndReadsTheBytesEarlierBuildsWrote() throws IOException {
    Map<String, byte[]> stored = stored();
    assertThat(stored.keySet()).containsExactly("image", "tokens", "dead-letter");
    for (Map.Entry<String, SpecificRecord> e : records().entrySet()) {
      AvroCodec codec = AvroCodec.forClass(e.getValue().getClass());
      byte[] old = stored.get(e.getKey());
      assertThat(HexFormat.of().formatHex(codec.encode(e.getValue()))).as(e.getKey()).isEqualTo(HexFormat.of().formatHex(old));
      assertThat(codec.decode(old)).as(e.getKey()).isEqualTo(e.getValue());
    }
  }
}
