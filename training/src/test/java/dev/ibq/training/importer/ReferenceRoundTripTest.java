package dev.ibq.training.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ibq.training.io.Json;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.export.TokenizerExporter;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import dev.ibq.training.weights.Safetensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both ways: weights this project builds, written with {@link ReferenceWeights#writeSafetensors}, load into the
 * PyTorch reference-layout module tree with {@code load_state_dict(strict=True)} and give the same tokens and decoder
 * output there as here. The PyTorch half runs where python3 with torch is installed (Debian: apt-get install
 * python3-torch python3-yaml python3-pil python3-numpy); elsewhere it is skipped with a message saying so.
 */
class ReferenceRoundTripTest {

  @TempDir Path dir;

  @Test
  void theReferenceYamlRebuildsTheSameArchitecture() throws IOException {
    TokenizerArchitecture fixture = ReferenceConfig.read(ReferenceFixture.config()).architecture();
    assertThat(ReferenceConfig.parse(ReferenceWeights.referenceYaml(fixture), "generated").architecture()).isEqualTo(fixture);
    TokenizerArchitecture paper = TokenizerArchitecture.paperImageNet();
    assertThat(ReferenceConfig.parse(ReferenceWeights.referenceYaml(paper), "generated").architecture()).isEqualTo(paper);
    assertThatThrownBy(() -> ReferenceWeights.referenceYaml(TokenizerArchitecture.fashionMnistCpu()))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("GroupNorm with 8 groups");
  }

  @Test
  void projectWeightsComeBackBitForBitThroughSafetensorsAndTheImporter() throws IOException {
    TokenizerArchitecture arch = ReferenceConfig.read(ReferenceFixture.config()).architecture();
    Path weights = dir.resolve("project.safetensors");
    Path yaml = dir.resolve("project.yaml");
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(5);
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
      ReferenceWeights.writeSafetensors(model, arch, weights);
      Files.writeString(yaml, ReferenceWeights.referenceYaml(arch));
      TokenizerImporter.Loaded back = TokenizerImporter.load(TokenizerImporter.Request.of(weights, yaml), manager);
      assertThat(back.config().architecture()).isEqualTo(arch);
      assertThat(back.model().stateDictKeys()).isEqualTo(model.stateDictKeys());
      for (Map.Entry<String, NDArray> e : model.stateDict().entrySet()) {
        assertThat(back.model().stateDict().get(e.getKey()).toFloatArray()).as(e.getKey()).isEqualTo(e.getValue().toFloatArray());
      }
    }
  }

  @Test
  void projectWeightsLoadStrictlyIntoThePyTorchReferenceAndTokenizeTheSame() throws Exception {
    String python = pythonWithTorch();
    Assumptions.assumeTrue(python != null,
        "python3 with torch, numpy, yaml and PIL is not installed (apt-get install python3-torch python3-yaml python3-pil): "
            + "the PyTorch half of the round trip is skipped.");
    TokenizerArchitecture arch = ReferenceConfig.read(ReferenceFixture.config()).architecture();
    Path weights = dir.resolve("project.safetensors");
    Path yaml = dir.resolve("project.yaml");
    Path export = dir.resolve("export");
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(99);
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
      // The project's init sets GroupNorm to 1 / 0; move those off so that a swapped weight / bias would show.
      for (Map.Entry<String, NDArray> e : model.stateDict().entrySet()) {
        if (e.getKey().contains("norm")) {
          NDArray p = e.getValue();
          p.set(p.add(manager.randomNormal(0f, 0.1f, p.getShape(), p.getDataType())).toFloatArray());
        }
      }
      ReferenceWeights.writeSafetensors(model, arch, weights);
      Files.writeString(yaml, ReferenceWeights.referenceYaml(arch));
      TokenizerExporter.export(model, new TokenizerExporter.Description(
          "round-trip", TokenizerImporter.paperPreprocessing(arch).toCanonicalString(), "{}", TokenizerExporter.DEFAULT_CHUNK), export);
    }
    assertThat(Safetensors.read(weights).metadata()).containsEntry("ibq.reference_class", "src.IBQ.models.ibqgan.IBQ");

    JsonNode reference = runCheck(python, weights, yaml);
    assertThat(reference.get("load_state_dict").asText()).isEqualTo("<All keys matched successfully>");

    float[] inputs = ReferenceFixture.preprocessed(TokenizerImporter.paperPreprocessing(arch));
    try (OnnxTokenizer encoder = OnnxTokenizer.open(export.resolve("encoder.onnx"), OnnxTokenizer.Options.cpu(1));
        OnnxDecoder decoder = OnnxDecoder.open(export.resolve("decoder.onnx"), OnnxTokenizer.Options.cpu(1))) {
      int[][] ours = encoder.encode(inputs, ReferenceFixture.IMAGES);
      JsonNode theirs = reference.get("tokens");
      JsonNode margins = reference.get("margins");
      int equal = 0;
      int total = 0;
      List<String> differences = new ArrayList<>();
      int[][] referenceTokens = new int[ReferenceFixture.IMAGES][];
      for (int i = 0; i < ReferenceFixture.IMAGES; i++) {
        JsonNode row = theirs.get(i);
        referenceTokens[i] = new int[row.size()];
        for (int p = 0; p < row.size(); p++) {
          referenceTokens[i][p] = row.get(p).asInt();
          total++;
          if (ours[i][p] == referenceTokens[i][p]) {
            equal++;
          } else {
            double margin = margins.get(i).get(p).asDouble();
            differences.add("image " + i + " position " + p + " margin " + margin);
            assertThat(margin).as("a differing token must be a near-tie").isLessThanOrEqualTo(ReferenceImportTest.NEAR_TIE);
          }
        }
      }
      System.out.printf("[round trip] tokens: %d of %d positions equal%s%n", equal, total, differences.isEmpty() ? "" : "; " + differences);
      assertThat(equal / (double) total).isGreaterThanOrEqualTo(ReferenceImportTest.MIN_AGREEMENT);

      float[] decoded = decoder.decode(referenceTokens);
      JsonNode theirDecoded = reference.get("decoded");
      double max = 0;
      int per = decoded.length / ReferenceFixture.IMAGES;
      for (int i = 0; i < ReferenceFixture.IMAGES; i++) {
        JsonNode row = theirDecoded.get(i);
        for (int j = 0; j < per; j++) {
          max = Math.max(max, Math.abs(decoded[i * per + j] - row.get(j).asDouble()));
        }
      }
      System.out.printf("[round trip] decoder: max abs diff %.3g%n", max);
      assertThat(max).isLessThanOrEqualTo(ReferenceImportTest.DECODER_TOLERANCE);
    }
  }

  private static Path script() {
    Path p = Path.of("src/test/python/make_reference_fixture.py");
    return Files.isRegularFile(p) ? p : Path.of("training/src/test/python/make_reference_fixture.py");
  }

  private JsonNode runCheck(String python, Path weights, Path yaml) throws IOException, InterruptedException {
    Path stdout = dir.resolve("check.json");
    Path stderr = dir.resolve("check.err");
    Process process = new ProcessBuilder(python, script().toString(), "check", "--weights", weights.toString(),
            "--images", ReferenceFixture.file("images").toString(), "--config", yaml.toString())
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("The PyTorch check did not finish in 5 minutes.");
    }
    assertThat(process.exitValue()).as("the PyTorch check failed: %s", Files.readString(stderr)).isZero();
    return Json.MAPPER.readTree(Files.readString(stdout, StandardCharsets.UTF_8));
  }

  /** A python3 that imports torch, numpy, yaml and PIL: $IBQ_PYTHON, /usr/bin/python3 or python3 on the PATH; null if none. */
  static String pythonWithTorch() {
    List<String> candidates = new ArrayList<>();
    if (System.getenv("IBQ_PYTHON") != null) {
      candidates.add(System.getenv("IBQ_PYTHON"));
    }
    candidates.add("/usr/bin/python3");
    candidates.add("python3");
    for (String c : candidates) {
      try {
        Process p = new ProcessBuilder(c, "-c", "import torch, numpy, yaml, PIL").redirectErrorStream(true).start();
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
