package dev.ibq.training.importer;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The committed reference fixture (src/test/resources/reference, written by src/test/python/make_reference_fixture.py
 * with torch 1.13): a tiny IBQ in SEED-Voken's layout, its Lightning checkpoint and BF16 safetensors, eight 16x16
 * photo crops, and what the PyTorch model computed on them for each weight set (ema, raw, bf16).
 */
final class ReferenceFixture {
  static final int IMAGES = 8;
  static final int DECODED_IMAGES = 4;
  static final int TOKENS_PER_IMAGE = 64;

  private ReferenceFixture() {}

  /**
   * A fixture file on disk. From this module's own test classes it is the resource itself; from another module's
   * tests (deploy/cli reads this class out of the training test jar) it is the committed file in the repository.
   */
  static Path file(String name) {
    try {
      java.net.URL url = ReferenceFixture.class.getResource("/reference/" + name);
      if (url != null && "file".equals(url.getProtocol())) {
        return Path.of(url.toURI());
      }
      Path committed = dev.ibq.model.ProjectRoot.find().resolve("training/src/test/resources/reference").resolve(name);
      if (url != null && java.nio.file.Files.isRegularFile(committed)) {
        return committed;
      }
      throw new IllegalStateException("The reference fixture lacks " + name + "; regenerate it with make_reference_fixture.py.");
    } catch (URISyntaxException e) {
      throw new IllegalStateException("The reference fixture lacks " + name + "; regenerate it with make_reference_fixture.py.", e);
    }
  }

  static Path checkpoint() {
    return file("tiny-ibq.ckpt");
  }

  static Path config() {
    return file("tiny-ibq.yaml");
  }

  static Path safetensors() {
    return file("tiny-ibq-ema.safetensors");
  }

  static Map<String, TensorData> expected() {
    try {
      return Safetensors.read(file("expected.safetensors")).tensors();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Path> images() {
    try (Stream<Path> s = Files.list(file("images"))) {
      return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The fixture images through the project's one preprocessing, NCHW. */
  static float[] preprocessed(PreprocessingSpec spec) throws IOException, ImageRejectedException {
    Preprocessor pre = new Preprocessor(spec);
    List<Path> images = images();
    float[] out = new float[images.size() * spec.tensorSize()];
    for (int i = 0; i < images.size(); i++) {
      float[] one = pre.decodeAndApply(Files.readAllBytes(images.get(i)), DecodeLimits.defaults());
      System.arraycopy(one, 0, out, i * spec.tensorSize(), one.length);
    }
    return out;
  }
}
