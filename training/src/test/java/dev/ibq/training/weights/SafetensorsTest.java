package dev.ibq.training.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer: round trips, hand-made files with known bytes, and every damaged-file error. */
class SafetensorsTest {

  @TempDir Path dir;

  @Test
  void roundTripKeepsOrderTypesShapesValuesAndMetadata() throws IOException {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    tensors.put("z.weight", TensorData.ofFloats(new long[] {2, 3}, new float[] {1f, -2.5f, 3.25f, 0f, Float.MIN_VALUE, -0f}));
    tensors.put("a.steps", TensorData.ofLongs(new long[] {}, new long[] {1L << 40}));
    tensors.put("m.empty", TensorData.ofFloats(new long[] {0, 4}, new float[0]));
    Path file = dir.resolve("t.safetensors");
    Safetensors.write(file, tensors, Map.of("format", "pt", "tokenizer", "ibq"));

    Safetensors.Contents back = Safetensors.read(file);
    assertThat(back.tensors().keySet()).containsExactly("z.weight", "a.steps", "m.empty");
    assertThat(back.tensors().get("z.weight").toFloatArray()).containsExactly(1f, -2.5f, 3.25f, 0f, Float.MIN_VALUE, -0f);
    assertThat(back.tensors().get("z.weight").shape()).containsExactly(2, 3);
    assertThat(back.tensors().get("a.steps").dtype()).isEqualTo(DType.I64);
    assertThat(back.tensors().get("a.steps").toLongArray()).containsExactly(1L << 40);
    assertThat(back.tensors().get("m.empty").numel()).isZero();
    assertThat(back.metadata()).containsEntry("format", "pt").containsEntry("tokenizer", "ibq");

    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertThat(headerLength % 8).as("header padded to 8 bytes").isZero();
    assertThat(bytes.length).isEqualTo(8 + headerLength + 6 * 4 + 8);
  }

  @Test
  void readsHalfAndBfloat16FromHandWrittenBytes() throws IOException {
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
        + "\"__metadata__\":{\"format\":\"pt\"}}";
    // F16: 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal); BF16: 1.0, 3.140625.
    short[] values = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x3F80, 0x4049};
    Path file = dir.resolve("h.safetensors");
    Files.write(file, file(header, values));

    Safetensors.Contents c = Safetensors.read(file);
    assertThat(c.tensors().get("h").toFloatArray()).containsExactly(1f, -2f, 65504f, (float) Math.pow(2, -24));
    assertThat(c.tensors().get("h").shape()).containsExactly(2, 2);
    assertThat(c.tensors().get("b").toFloatArray()).containsExactly(1f, 3.140625f);
    assertThat(c.metadata()).containsExactly(Map.entry("format", "pt"));
  }

  @Test
  void halfConversionRoundsToNearestEven() {
    assertThat(DType.floatToHalf(1f)).isEqualTo((short) 0x3C00);
    assertThat(DType.floatToHalf(-2f)).isEqualTo((short) 0xC000);
    assertThat(DType.floatToHalf(65504f)).isEqualTo((short) 0x7BFF);
    assertThat(DType.floatToHalf(70000f)).as("overflow").isEqualTo((short) 0x7C00);
    assertThat(DType.floatToHalf((float) Math.pow(2, -24))).isEqualTo((short) 0x0001);
    // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to the even mantissa, 1.0.
    assertThat(DType.floatToHalf(1f + (float) Math.pow(2, -11))).isEqualTo((short) 0x3C00);
    assertThat(DType.halfToFloat(DType.floatToHalf(0.1f))).isEqualTo(0.0999755859375f);
  }

  @Test
  void truncatedDataNamesTheTensorAndSaysTruncated() throws IOException {
    Path file = dir.resolve("full.safetensors");
    Safetensors.write(file, Map.of("w", TensorData.ofFloats(new long[] {16}, new float[16])), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));

    assertThatThrownBy(() -> Safetensors.read(cut))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("tensor 'w'")
        .hasMessageContaining("truncated");

    Path headerCut = dir.resolve("header-cut.safetensors");
    Files.write(headerCut, Arrays.copyOf(bytes, 20));
    assertThatThrownBy(() -> Safetensors.read(headerCut))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("header")
        .hasMessageContaining("truncated");

    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> Safetensors.read(tiny)).isInstanceOf(WeightFileException.class).hasMessageContaining("3 bytes long");
  }

  @Test
  void otherFilesAndInconsistentHeadersAreRefusedWithTheReason() throws IOException {
    Path png = dir.resolve("photo.safetensors");
    Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
    assertThatThrownBy(() -> Safetensors.read(png)).isInstanceOf(WeightFileException.class).hasMessageContaining("is this a safetensors file");

    Path notJson = dir.resolve("nj.safetensors");
    Files.write(notJson, file("{\"w\": [", new short[0]));
    assertThatThrownBy(() -> Safetensors.read(notJson)).isInstanceOf(WeightFileException.class).hasMessageContaining("not valid JSON");

    Path wrongSize = dir.resolve("ws.safetensors");
    Files.write(wrongSize, file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new short[6]));
    assertThatThrownBy(() -> Safetensors.read(wrongSize))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("tensor 'w' spans 8 bytes")
        .hasMessageContaining("needs 12");

    Path badType = dir.resolve("bt.safetensors");
    Files.write(badType, file("{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new short[4]));
    assertThatThrownBy(() -> Safetensors.read(badType)).isInstanceOf(WeightFileException.class).hasMessageContaining("'C64' is not supported");
  }

  private static byte[] file(String header, short[] values) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + 2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    for (short v : values) {
      b.putShort(v);
    }
    return b.array();
  }
}
