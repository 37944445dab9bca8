package dev.ibq.schemas;

import dev.ibq.image.PreprocessingSpec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

/** Fully populated sample records for tests. */
public final class Records {

  private Records() {}

  public static ImageRecord image() {
    return ImageRecord.newBuilder()
        .setImageId("fmnist-train-00000")
        .setImage(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}))
        .setContentType("image/png")
        .setLabel(9)
        .setSourceUri("file:///usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz#0")
        .setEventTime(Instant.ofEpochMilli(1_764_000_000_123L))
        .setAttributes(Map.of("split", "train", "class", "Ankle boot"))
        .build();
  }

  public static TokenRecord tokens() {
    TokenRecords.Model model =
        new TokenRecords.Model("3f".repeat(32), "ibq-fashion-mnist-32", 1024, 4, 4, PreprocessingSpec.fashionMnist32().toDescriptor());
    TokenRecords.Image image = new TokenRecords.Image(
        "fmnist-train-00000", null, Map.of("k", "v"), Map.of("trace", new byte[] {7}), Instant.ofEpochMilli(1_764_000_000_123L));
    int[] tokens = {0, 1, 1023, 17, 5, 5, 5, 900, 12, 0, 0, 1, 2, 3, 4, 5};
    return TokenRecords.of(model, image, tokens, Instant.ofEpochMilli(1_764_000_000_456L), 1234L);
  }

  public static DeadLetterRecord deadLetter(ErrorCode code) {
    return DeadLetterRecord.newBuilder()
        .setImageId(null)
        .setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setErrorCode(code)
        .setMessage("The record starts with 01 02; Avro single-object bytes start with the marker C3 01.")
        .setStage("deserialize")
        .setTime(Instant.ofEpochMilli(1_764_000_000_789L))
        .setSourceTopic("images")
        .setSourcePartition(3)
        .setSourceOffset(42L)
        .build();
  }
}
