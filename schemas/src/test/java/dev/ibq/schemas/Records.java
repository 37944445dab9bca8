package dev.ibq.schemas;

import dev.ibq.image.PreprocessingSpec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
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
    return TokenRecord.newBuilder()
        .setImageId("fmnist-train-00000")
        .setTokens(List.of(0, 1, 1023, 17, 5, 5, 5, 900, 12, 0, 0, 1, 2, 3, 4, 5))
        .setGridHeight(4)
        .setGridWidth(4)
        .setCodebookSize(1024)
        .setTokenizerId("3f".repeat(32))
        .setTokenizerName("ibq-fashion-mnist-32")
        .setPreprocessing(PreprocessingSpec.fashionMnist32().toDescriptor())
        .setLabel(null)
        .setAttributes(Map.of("k", "v"))
        .setEventTime(Instant.ofEpochMilli(1_764_000_000_123L))
        .setProcessingTime(Instant.ofEpochMilli(1_764_000_000_456L))
        .setEncodeLatencyMicros(1234L)
        .build();
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
