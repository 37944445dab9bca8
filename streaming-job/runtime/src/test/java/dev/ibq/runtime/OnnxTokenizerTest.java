package dev.ibq.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.ibq.model.OnnxModelException;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.model.TokenizerInfo;

/** The runtime on the committed test tokenizer (deploy/models/fmnist-small). */
class OnnxTokenizerTest {
  static final OnnxTokenizer.Options CPU = new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1);
  static OnnxTokenizer tokenizer;

  static Path resource(String name) {
    return dev.ibq.model.ProjectRoot.model("fmnist-small").resolve(name);
  }

  @BeforeAll
  static void open() {
    tokenizer = OnnxTokenizer.open(resource("encoder.onnx"), CPU);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static float[] images(int batch, long seed) {
    Random rnd = new Random(seed);
    float[] x = new float[batch * 32 * 32];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat() * 2 - 1;
    }
    return x;
  }

  @Test
  void infoComesFromTheMetadata() {
    TokenizerInfo info = tokenizer.info();
    assertThat(info.role()).isEqualTo("encoder");
    assertThat(info.tokenizerId()).matches("[0-9a-f]{64}");
    assertThat(info.codebookSize()).isEqualTo(1024);
    assertThat(info.codeDim()).isEqualTo(256);
    assertThat(info.gridHeight()).isEqualTo(8);
    assertThat(info.gridWidth()).isEqualTo(8);
    assertThat(info.valuesPerImage()).isEqualTo(32 * 32);
    assertThat(info.preprocessingDescriptor()).startsWith("ibq-preprocess:v1;h=32;w=32;c=1");
    assertThat(info.preprocessing()).isEqualTo(dev.ibq.image.PreprocessingSpec.fashionMnist32());
    assertThat(info.configJson()).contains("\"codebookSize\":1024");
    assertThat(info.provider()).isEqualTo(ExecutionProvider.CPU);
  }

  @Test
  void batchedEncodingEqualsOneByOneAndDirectBuffersEqualArrays() {
    float[] x = images(4, 7);
    int[][] batch = tokenizer.encode(x, 4);
    assertThat(batch).hasDimensions(4, 64);
    for (int[] row : batch) {
      assertThat(java.util.Arrays.stream(row).min().getAsInt()).isGreaterThanOrEqualTo(0);
      assertThat(java.util.Arrays.stream(row).max().getAsInt()).isLessThan(1024);
    }
    for (int b = 0; b < 4; b++) {
      float[] one = java.util.Arrays.copyOfRange(x, b * 1024, (b + 1) * 1024);
      assertThat(tokenizer.encode(one, 1)[0]).containsExactly(batch[b]);
    }
    FloatBuffer direct = ByteBuffer.allocateDirect(x.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    direct.put(x).flip();
    assertThat(tokenizer.encode(direct, 4)).isDeepEqualTo(batch);
    assertThat(direct.position()).isZero();
    // A direct buffer in the other byte order must be read by value, not reinterpreted.
    ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    FloatBuffer swapped = ByteBuffer.allocateDirect(x.length * 4).order(other).asFloatBuffer();
    swapped.put(x).flip();
    assertThat(tokenizer.encode(swapped, 4)).isDeepEqualTo(batch);
    // A buffer whose position is not 0: only position..limit is read.
    FloatBuffer offset = FloatBuffer.allocate(x.length + 10);
    offset.position(10);
    offset.put(x).position(10);
    assertThat(tokenizer.encode(offset, 4)).isDeepEqualTo(batch);
  }

  @Test
  void concurrentCallersGetTheSameTokens() throws Exception {
    float[] x = images(2, 11);
    int[][] expected = tokenizer.encode(x, 2);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      var futures = new java.util.ArrayList<java.util.concurrent.Future<int[][]>>();
      for (int i = 0; i < 6; i++) {
        futures.add(pool.submit(() -> tokenizer.encode(x, 2)));
      }
      for (var f : futures) {
        assertThat(f.get()).isDeepEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void inputOfTheWrongSizeIsRejectedWithTheExpectedShape() {
    assertThatThrownBy(() -> tokenizer.encode(new float[28 * 28], 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("784 floats")
        .hasMessageContaining("1x32x32")
        .hasMessageContaining("need 1024");
    assertThatThrownBy(() -> tokenizer.encode(new float[1024], 0)).hasMessageContaining("at least 1 image");
  }

  @Test
  void decoderRoundTripShapesAndIdChecks() {
    try (OnnxDecoder decoder = OnnxDecoder.open(resource("decoder.onnx"), CPU)) {
      assertThat(decoder.info().tokenizerId()).isEqualTo(tokenizer.info().tokenizerId());
      int[][] tokens = tokenizer.encode(images(3, 5), 3);
      float[] out = decoder.decode(tokens);
      assertThat(out).hasSize(3 * 32 * 32);
      assertThat(decoder.decode(new int[][] {tokens[1]}))
          .containsExactly(java.util.Arrays.copyOfRange(out, 1024, 2048), org.assertj.core.data.Offset.offset(1e-5f));
      int[][] bad = {new int[64]};
      bad[0][5] = 1024;
      assertThatThrownBy(() -> decoder.decode(bad)).hasMessageContaining("outside the codebook [0, 1024)");
      assertThatThrownBy(() -> decoder.decode(new int[][] {new int[10]})).hasMessageContaining("8x8 = 64 tokens");
    }
  }

  @Test
  void autoFallsBackToCpuWhenCudaIsNotUsable() {
    // On a machine with a working GPU this is CUDA; either way AUTO must open and report a real provider.
    try (OnnxTokenizer auto = OnnxTokenizer.open(resource("encoder.onnx"))) {
      assertThat(auto.info().provider()).isIn(ExecutionProvider.CPU, ExecutionProvider.CUDA);
      assertThat(auto.encode(images(1, 1), 1)[0]).hasSize(64);
    }
  }

  @Test
  void missingCorruptAndWrongRoleModelsFailWithClearMessages(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> OnnxTokenizer.open(dir.resolve("nope.onnx"), CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("does not exist");
    Path text = Files.writeString(dir.resolve("text.onnx"), "hello, not a model");
    assertThatThrownBy(() -> OnnxTokenizer.open(text, CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not an ONNX model");
    byte[] good = Files.readAllBytes(resource("encoder.onnx"));
    Path truncated = Files.write(dir.resolve("truncated.onnx"), java.util.Arrays.copyOf(good, good.length / 3));
    assertThatThrownBy(() -> OnnxTokenizer.open(truncated, CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not a loadable ONNX model");
    assertThatThrownBy(() -> OnnxTokenizer.open(resource("decoder.onnx"), CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is a tokenizer decoder, but a encoder was expected");
    assertThatThrownBy(() -> OnnxTokenizer.open(dir, CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("not a readable regular file");
  }
}
