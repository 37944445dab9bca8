package dev.ibq.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's labelled folder, made from real Fashion-MNIST images written as RGB PNG and gray JPEG files of different
 * sizes, plus files that are not usable images: listing, splits, skipped files, preprocessing equal to the shared
 * preprocessor's, and a two-step tokenizer training on it.
 */
class FolderImagesTest {

  @TempDir static Path dir;
  static Path plain;
  static final PreprocessingSpec RGB_16 = TokenizerTrainer.preprocessingSpec("rgb-16");

  @BeforeAll
  static void writeFolders() throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    plain = dir.resolve("plain");
    for (int i = 0; i < 60; i++) {
      String cls = FashionMnist.className(test.label(i)).replace('/', '-');
      Path classDir = Files.createDirectories(plain.resolve(cls).resolve(i % 2 == 0 ? "" : "nested"));
      BufferedImage gray = test.image(i);
      if (i % 3 == 0) {
        ImageIO.write(gray, "jpg", classDir.resolve("img" + i + ".jpg").toFile());
      } else {
        // RGB, scaled to a non-square size: the preprocessing resizes the shorter side and crops.
        BufferedImage rgb = new BufferedImage(42 + i % 5, 56, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.drawImage(gray, 0, 0, rgb.getWidth(), rgb.getHeight(), null);
        g.dispose();
        ImageIO.write(rgb, "png", classDir.resolve("img" + i + ".png").toFile());
      }
    }
    Path firstClass = Files.list(plain).filter(Files::isDirectory).sorted().findFirst().orElseThrow();
    Files.writeString(firstClass.resolve("broken.png"), "not a png at all");
    Files.writeString(firstClass.resolve("notes.txt"), "listed, then skipped: not an image");
  }

  @Test
  void aPlainFolderIsSplitPerClassAndBadFilesAreSkippedWithTheirReason() throws Exception {
    FolderImages.Splits s = FolderImages.open(plain, RGB_16, 5, DecodeLimits.defaults(), 1L << 30);
    int classes = (int) Files.list(plain).filter(Files::isDirectory).count();
    assertThat(s.train().classes()).hasSize(classes).isSorted();
    // 60 good images + a broken png + a text file listed; the last two are skipped.
    assertThat(s.train().size() + s.test().size()).isEqualTo(60);
    assertThat(s.test().size()).isBetween(8, 14);
    assertThat(s.train().describe()).contains("train");
    // The stored tensor of an image is exactly what the shared preprocessor makes of its file.
    Preprocessor p = new Preprocessor(RGB_16);
    float[] stored = new float[RGB_16.tensorSize()];
    s.train().preprocessInto(0, p, stored, 0);
    dev.ibq.image.source.FolderSource listing = dev.ibq.image.source.FolderSource.open(plain);
    Path first = java.util.stream.IntStream.range(0, listing.size()).mapToObj(listing::path)
        .filter(f -> f.getFileName().toString().startsWith("img")).findFirst().orElseThrow();
    float[] direct = p.decodeAndApply(Files.readAllBytes(first), DecodeLimits.defaults());
    assertThat(stored).containsExactly(direct);
    assertThat(stored.length).isEqualTo(3 * 16 * 16);
  }

  @Test
  void theImageNetLayoutUsesItsOwnSplitsAndTheBudgetIsCheckedFirst() throws Exception {
    Path imagenet = dir.resolve("imagenet");
    for (String split : List.of("train", "val")) {
      for (String cls : List.of("n01", "n02")) {
        Path d = Files.createDirectories(imagenet.resolve(split).resolve(cls));
        try (var files = Files.list(plain.resolve(Files.list(plain).filter(Files::isDirectory).sorted().findFirst().orElseThrow()))) {
          for (Path f : files.filter(f -> f.toString().endsWith(".png")).limit(2).toList()) {
            Files.copy(f, d.resolve(f.getFileName()));
          }
        }
      }
    }
    TrainingData.Splits s = TrainingData.open("folder:" + imagenet, RGB_16, null);
    assertThat(s.train().classes()).containsExactly("n01", "n02");
    assertThat(s.train().size()).isEqualTo(s.test().size());
    assertThatThrownBy(() -> FolderImages.open(imagenet, RGB_16, 20, DecodeLimits.defaults(), 100))
        .hasMessageContaining("in-memory budget");
    assertThatThrownBy(() -> TrainingData.open("imagenet", RGB_16, null)).hasMessageContaining("dataset=folder:");
    assertThatThrownBy(() -> FolderImages.open(dir.resolve("missing"), RGB_16, 20, DecodeLimits.defaults(), 1L << 30))
        .hasMessageContaining("must be a directory");
  }

  @Test
  void aTokenizerTrainsOnTheFolderThroughTheRealTrainer() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    TokenizerTrainingConfig small = TokenizerPresets.get("rgb-cpu").withOverrides(Map.of(), "", List.of(
        "dataset=folder:" + plain, "preprocessing=rgb-16", "architecture.resolution=16", "architecture.ch=16",
        "architecture.ch_mult=[1,2]", "architecture.attn_resolutions=[8]", "architecture.z_channels=16",
        "architecture.code_dim=16", "architecture.codebook_size=64", "batch_size=4", "steps=2", "log_every=1",
        "checkpoint_every=0", "figure_every=0", "eval_images=0", "grid_images=4"));
    // 16x16 images are too small for the paper's 3-layer discriminator (it needs 24x24): a clear error at the start.
    assertThatThrownBy(() -> TokenizerTrainer.run(
            small, dir.resolve("small"), TrainingOptions.defaults().withDevice("cpu").withProgressBar(false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs images of at least 24x24; these are 16x16")
        .hasMessageContaining("losses.discriminator_layers=2");
    TokenizerTrainingConfig config = small.withOverrides(Map.of(), "", List.of("losses.discriminator_layers=2"));
    assertThat(config.architecture().inChannels()).isEqualTo(3);
    TrainingResult r = TokenizerTrainer.run(
        config, dir.resolve("run"), TrainingOptions.defaults().withDevice("cpu").withProgressBar(false));
    assertThat(r.finalStep()).isEqualTo(2);
    assertThat(r.evaluation().images()).as("the folder's test split is evaluated").isBetween(1, 20);
    assertThat(r.evaluation().psnr()).isFinite();
  }
}
