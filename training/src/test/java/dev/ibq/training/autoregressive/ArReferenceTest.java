package dev.ibq.training.autoregressive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both ways between the AR model and a PyTorch module tree with LlamaGen's GPT keys (plus this project's AdaLN keys),
 * written by src/test/python/make_ar_fixture.py:
 * <ul>
 *   <li>Python -> Java, no Python needed: the committed {@code ar-tiny.safetensors} (random init in PyTorch, every
 *       tensor non-trivial) loads strictly into {@link Transformer} and gives the logits PyTorch recorded in
 *       {@code ar-expected.safetensors}.
 *   <li>Java -> Python, only where python3 with torch is installed (skipped otherwise): a checkpoint written by
 *       {@link ArCheckpoint} loads with {@code load_state_dict(strict=True)} into that module and gives Java's logits.
 * </ul>
 */
class ArReferenceTest {

  /** float32 in both, different operation order (fused vs split RoPE, rsqrt vs sqrt-and-divide). */
  private static final double TOLERANCE = 1e-4;

  @TempDir Path dir;

  @Test
  void pythonMadeWeightsLoadStrictlyAndReproduceTheReferenceLogits() throws IOException {
    Safetensors.Contents expected = Safetensors.read(fixture("ar-expected.safetensors"));
    ArConfig config = configOf(fixture("ar-tiny.safetensors"));
    float[] reference = expected.tensors().get("logits").toFloatArray();
    try (NDManager manager = NDManager.newBaseManager(); Transformer model = new Transformer(manager, config, 0)) {
      Checkpoint.loadStateDict(fixture("ar-tiny.safetensors"), model.parameters().tensors());
      float[] logits = logits(model, manager, expected.tensors().get("tokens"), expected.tensors().get("labels"));
      assertThat(logits).hasSameSizeAs(reference);
      double diff = maxAbsDiff(logits, reference);
      System.out.printf("AR reference logits (PyTorch -> Java): max |diff| %.2e over %d logits%n", diff, logits.length);
      assertThat(diff).isLessThanOrEqualTo(TOLERANCE);
      assertThat(spread(reference)).as("the fixture's logits are not trivial").isGreaterThan(0.5);
    }
  }

  @Test
  void weightsOfAnotherShapeAreRefusedWithEveryMismatchAndBothShapes() {
    ArConfig config = configOf(fixture("ar-tiny.safetensors"));
    ArConfig fewerClasses = new ArConfig(
        "tiny", config.dim(), config.nLayers(), config.nHeads(), config.ffnMultipleOf(), config.vocabSize(),
        config.gridHeight(), config.gridWidth(), config.numClasses() - 1, 0f, 0f, config.ropeBase(), config.normEps(),
        config.initStd());
    try (NDManager manager = NDManager.newBaseManager(); Transformer model = new Transformer(manager, fewerClasses, 0)) {
      assertThatThrownBy(() -> Checkpoint.loadStateDict(fixture("ar-tiny.safetensors"), model.parameters().tensors()))
          .hasMessageContaining("cls_embedding.embedding_table.weight: file F32[6, 32] vs model F32[5, 32]");
    }
  }

  @Test
  void aJavaWrittenCheckpointLoadsStrictlyIntoThePythonModuleAndGivesTheSameLogits() throws Exception {
    String python = pythonWithTorch();
    Assumptions.assumeTrue(python != null,
        "python3 with torch and numpy is not installed (apt-get install python3-torch python3-numpy): the Java -> PyTorch"
            + " direction is skipped; the PyTorch -> Java direction runs without it.");
    ArConfig config = configOf(fixture("ar-tiny.safetensors"));
    Safetensors.Contents inputs = Safetensors.read(fixture("ar-expected.safetensors"));
    Path checkpoint = dir.resolve("ar");
    float[] javaLogits;
    try (NDManager manager = NDManager.newBaseManager(); Transformer model = new Transformer(manager, config, 5)) {
      randomiseEverything(model, 17); // the head starts at 0 and norms at 1: make every tensor count
      javaLogits = logits(model, manager, inputs.tensors().get("tokens"), inputs.tensors().get("labels"));
      ArCheckpoint.save(checkpoint, new ArCheckpoint.Header(config, "tok", "tok", "pre", 0, null, List.of()), model, null);
    }
    Path script = Path.of("src/test/python/make_ar_fixture.py");
    Path out = dir.resolve("check.json");
    Path err = dir.resolve("check.err");
    Process process = new ProcessBuilder(python, script.toString(), "check", "--weights",
            checkpoint.resolve("model.safetensors").toString(), "--tokens", fixture("ar-expected.safetensors").toString())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("The PyTorch check did not finish in 5 minutes.");
    }
    assertThat(process.exitValue()).as("the PyTorch check failed: %s", Files.readString(err)).isZero();
    JsonObject result = JsonParser.parseString(Files.readString(out, StandardCharsets.UTF_8)).getAsJsonObject();
    assertThat(result.get("keys").getAsInt()).isEqualTo(4 + 9 * config.nLayers() + 2); // strict: every key, no other
    JsonArray values = result.getAsJsonArray("logits");
    float[] torchLogits = new float[values.size()];
    for (int i = 0; i < torchLogits.length; i++) {
      torchLogits[i] = values.get(i).getAsFloat();
    }
    assertThat(torchLogits).hasSameSizeAs(javaLogits);
    double diff = maxAbsDiff(javaLogits, torchLogits);
    System.out.printf("AR reference logits (Java -> PyTorch): max |diff| %.2e over %d logits%n", diff, javaLogits.length);
    assertThat(diff).isLessThanOrEqualTo(TOLERANCE);
    assertThat(spread(javaLogits)).isGreaterThan(0.5);
  }

  /** The ArConfig of LlamaGen-style ModelArgs in a weight file's {@code ibq.model_args} metadata (dropout off). */
  static ArConfig configOf(Path weights) {
    try {
      JsonObject a = JsonParser.parseString(Safetensors.read(weights).metadata().get("ibq.model_args")).getAsJsonObject();
      return new ArConfig(
          "reference", a.get("dim").getAsInt(), a.get("n_layer").getAsInt(), a.get("n_head").getAsInt(),
          a.get("multiple_of").getAsInt(), a.get("vocab_size").getAsInt(), a.get("grid_height").getAsInt(),
          a.get("grid_width").getAsInt(), a.get("num_classes").getAsInt(), 0f, a.get("class_dropout_prob").getAsFloat(),
          a.get("rope_base").getAsFloat(), a.get("norm_eps").getAsFloat(), 0.02f);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read " + weights, e);
    }
  }

  private static float[] logits(Transformer model, NDManager manager, TensorData tokens, TensorData labels) {
    NDArray in = manager.create(tokens.toLongArray(), new Shape(tokens.shape()));
    NDArray label = manager.create(labels.toLongArray(), new Shape(labels.shape()));
    return model.forward(in, label, false).toFloatArray(); // (B, N, K)
  }

  private static void randomiseEverything(Transformer model, long seed) {
    Random random = new Random(seed);
    for (Map.Entry<String, NDArray> e : model.parameters().tensors().entrySet()) {
      NDArray p = e.getValue();
      float[] values = new float[Math.toIntExact(p.size())];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) ((e.getKey().endsWith("norm.weight") ? 1 : 0) + 0.2 * random.nextGaussian());
      }
      p.set(values);
    }
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static double spread(float[] values) {
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (float v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return max - min;
  }

  private static Path fixture(String name) {
    try {
      return Path.of(ArReferenceTest.class.getResource("/reference/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("The AR fixture lacks " + name + "; regenerate it with make_ar_fixture.py make.", e);
    }
  }

  /** A python3 that imports torch and numpy: $IBQ_PYTHON, /usr/bin/python3 or python3 on the PATH; null if none. */
  private static String pythonWithTorch() {
    for (String c : new String[] {System.getenv("IBQ_PYTHON"), "/usr/bin/python3", "python3"}) {
      if (c == null) {
        continue;
      }
      try {
        Process p = new ProcessBuilder(c, "-c", "import torch, numpy").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return c;
        }
      } catch (IOException | InterruptedException e) {
        // not this one
      }
    }
    return null;
  }
}
