package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ibq.training.weights.DType;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LPIPS-VGG against the values and gradients that Python computes on a reduced-width network written by the
 * converter's own code path ({@code src/test/python/make_lpips_fixture.py}; it also checks its numbers against lpips'
 * own {@code LPIPS} class), and the loading rules on a full-size VGG16 key set built here.
 *
 * <p>Tolerances: per-image LPIPS within 1e-5 relative of the float64 reference (float32 here, float32 weights);
 * each gradient element within 1e-5 of the largest gradient magnitude of its case.
 */
class LpipsVggTest {

  static final Path FIXTURE = Path.of("src/test/resources/lpips");
  static final Path TINY = FIXTURE.resolve("lpips-vgg-tiny.safetensors");

  private NDManager manager;

  @BeforeEach
  void setUp() {
    Engine.getInstance().setRandomSeed(7);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void reproducesLpipsValuesAndGradientsOfTheFixtureNetwork() throws Exception {
    LpipsVgg lpips = LpipsVgg.load(TINY, manager);
    assertThat(lpips.widths()).containsExactly(4, 8, 16, 32, 32);
    assertThat(lpips.isFullSize()).isFalse();
    assertThat(lpips.stateDictKeys()).containsExactlyElementsOf(LpipsVgg.keys());
    Map<String, TensorData> expected = Safetensors.read(FIXTURE.resolve("expected.safetensors")).tensors();
    for (String name : List.of("rgb", "gray")) {
      NDArray target = array(expected.get(name + "_target"));
      NDArray reconstruction = array(expected.get(name + "_reconstruction"));
      double[] values = doubles(expected.get(name + "_lpips"));
      double[] grad = doubles(expected.get(name + "_grad"));
      reconstruction.setRequiresGradient(true);
      NDArray perImage;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        perImage = lpips.perImage(reconstruction, target);
        collector.backward(perImage.mean());
      }
      float[] got = perImage.toFloatArray();
      assertThat(got).hasSize(values.length);
      for (int i = 0; i < values.length; i++) {
        assertThat(Math.abs(got[i] - values[i]) / values[i])
            .as("%s image %d: LPIPS %s, Python %s", name, i, got[i], values[i]).isLessThan(1e-5);
      }
      float[] g = reconstruction.getGradient().toFloatArray();
      double scale = 0;
      for (double e : grad) {
        scale = Math.max(scale, Math.abs(e));
      }
      assertThat(scale).isGreaterThan(0);
      double worst = 0;
      for (int i = 0; i < grad.length; i++) {
        worst = Math.max(worst, Math.abs(g[i] - grad[i]) / scale);
      }
      assertThat(worst).as("%s: largest gradient difference relative to the largest gradient", name).isLessThan(1e-5);
    }
    // Frozen: the loss trained nothing of the network.
    lpips.stateDict().values().forEach(p -> assertThat(p.hasGradient()).isFalse());
  }

  @Test
  void aGrayImageIsTheSameAsItsGrayValueRepeatedOnThreeChannels() throws Exception {
    LpipsVgg lpips = LpipsVgg.load(TINY, manager);
    NDArray a = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    NDArray b = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    float[] gray = lpips.perImage(a, b).toFloatArray();
    float[] rgb = lpips.perImage(a.repeat(1, 3), b.repeat(1, 3)).toFloatArray();
    assertThat(gray[0]).isEqualTo(rgb[0]);
    assertThat(gray[1]).isEqualTo(rgb[1]);
    assertThat(lpips.perImage(a, a).toFloatArray()).containsOnly(0f);
    assertThatThrownBy(() -> lpips.perImage(manager.zeros(new Shape(1, 1, 8, 8)), manager.zeros(new Shape(1, 1, 8, 8))))
        .hasMessageContaining("H, W >= 16");
  }

  @Test
  void loadsAFullSizeVgg16KeySetAndNamesEveryMistake(@TempDir Path dir) throws Exception {
    Map<String, TensorData> full = fullSize(new SplittableRandom(3));
    Path good = dir.resolve("lpips-vgg.safetensors");
    Safetensors.write(good, full, Map.of("format", "lpips-vgg"));
    LpipsVgg lpips = LpipsVgg.load(good, manager);
    assertThat(lpips.widths()).containsExactly(64, 128, 256, 512, 512);
    assertThat(lpips.isFullSize()).isTrue();
    assertThat(lpips.stateDict().get("net.slice4.19.weight").getShape()).isEqualTo(new Shape(512, 512, 3, 3));
    assertThat(lpips.stateDict().get("lin2.model.1.weight").getShape()).isEqualTo(new Shape(1, 256, 1, 1));
    assertThat(lpips.stateDict().get("net.slice3.14.bias").toFloatArray()).containsExactly(full.get("net.slice3.14.bias").toFloatArray());
    assertThat(lpips.parameterCount()).isEqualTo(14_714_688L + 1472L); // VGG16 features + the five lin layers
    NDArray x = manager.randomUniform(-1, 1, new Shape(2, 1, 32, 32));
    assertThat(lpips.perImage(x, x.mul(0.5f)).getShape()).isEqualTo(new Shape(2));

    Map<String, TensorData> missing = new LinkedHashMap<>(full);
    missing.remove("net.slice2.7.bias");
    missing.put("net.slice2.7.running_mean", full.get("net.slice2.7.bias"));
    assertThatThrownBy(() -> LpipsVgg.load(write(dir, "missing", missing), manager))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing keys [net.slice2.7.bias]")
        .hasMessageContaining("unexpected keys [net.slice2.7.running_mean]");

    Map<String, TensorData> misShaped = new LinkedHashMap<>(full);
    misShaped.put("net.slice3.12.weight", random(new long[] {256, 128, 3, 3}, new SplittableRandom(1)));
    assertThatThrownBy(() -> LpipsVgg.load(write(dir, "shape", misShaped), manager))
        .hasMessageContaining("net.slice3.12.weight is [256, 128, 3, 3] but [256, 256, 3, 3] is expected");

    Map<String, TensorData> negative = new LinkedHashMap<>(full);
    float[] lin = full.get("lin1.model.1.weight").toFloatArray();
    lin[5] = -0.25f;
    negative.put("lin1.model.1.weight", TensorData.ofFloats(new long[] {1, 128, 1, 1}, lin));
    assertThatThrownBy(() -> LpipsVgg.load(write(dir, "negative", negative), manager))
        .hasMessageContaining("lin1.model.1.weight has a negative weight (-0.25)");

    Map<String, TensorData> integers = new LinkedHashMap<>(full);
    integers.put("lin0.model.1.weight", new TensorData(DType.I32, new long[] {1, 64, 1, 1},
        ByteBuffer.allocate(64 * 4).order(ByteOrder.LITTLE_ENDIAN)));
    assertThatThrownBy(() -> LpipsVgg.load(write(dir, "ints", integers), manager))
        .hasMessageContaining("lin0.model.1.weight holds I32 values");

    assertThatThrownBy(() -> LpipsVgg.load(dir.resolve("absent.safetensors"), manager))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("convert_lpips_vgg.py");
  }

  /** Random VGG16-sized tensors under the LPIPS-VGG keys (lin weights non-negative). */
  static Map<String, TensorData> fullSize(SplittableRandom random) {
    Map<String, TensorData> out = new LinkedHashMap<>();
    int in = 3;
    for (int s = 0; s < 5; s++) {
      int width = Vgg16Features.VGG16_WIDTHS.get(s);
      for (int index : Vgg16Features.CONV_INDICES[s]) {
        String prefix = "net.slice" + (s + 1) + "." + index;
        out.put(prefix + ".weight", random(new long[] {width, in, 3, 3}, random));
        out.put(prefix + ".bias", random(new long[] {width}, random));
        in = width;
      }
    }
    for (int i = 0; i < 5; i++) {
      float[] w = new float[Vgg16Features.VGG16_WIDTHS.get(i)];
      for (int c = 0; c < w.length; c++) {
        w[c] = (float) random.nextDouble(0, 0.1);
      }
      out.put("lin" + i + ".model.1.weight", TensorData.ofFloats(new long[] {1, w.length, 1, 1}, w));
    }
    return out;
  }

  private static TensorData random(long[] shape, SplittableRandom random) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    double bound = shape.length == 4 ? 1 / Math.sqrt(shape[1] * 9.0) : 0.05;
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextDouble(-bound, bound);
    }
    return TensorData.ofFloats(shape, v);
  }

  private static Path write(Path dir, String name, Map<String, TensorData> tensors) throws Exception {
    Path file = dir.resolve(name + ".safetensors");
    Safetensors.write(file, tensors, Map.of());
    return file;
  }

  private NDArray array(TensorData t) {
    return manager.create(t.toFloatArray(), new Shape(t.shape()));
  }

  private static double[] doubles(TensorData t) {
    double[] out = new double[(int) t.numel()];
    ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getDouble(i * 8);
    }
    return out;
  }
}
