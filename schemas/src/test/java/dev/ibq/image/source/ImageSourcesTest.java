package dev.ibq.image.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's names, and one image reached through each kind giving the same tensor and the same ids everywhere. */
class ImageSourcesTest {

  @Test
  void everyKindOpensByItsNameAndNamesItselfTheSameWay(@TempDir Path dir) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    Path png = dir.resolve("imgs/shoe/first.png");
    Files.createDirectories(png.getParent());
    ImageIO.write(test.image(0), "png", png.toFile());

    ImageSource idx = ImageSources.open("fashion-mnist:test");
    ImageSource folder = ImageSources.open("folder:" + dir.resolve("imgs"));
    ImageSource files = ImageSources.open("files:" + png);
    assertThat(idx.name()).isEqualTo("fashion-mnist:test");
    assertThat(ImageSources.open(idx.name()).fingerprint()).isEqualTo(idx.fingerprint());
    assertThat(ImageSources.open(folder.name()).fingerprint()).isEqualTo(folder.fingerprint());
    assertThat(ImageSources.open(files.name()).fingerprint()).isEqualTo(files.fingerprint());
    assertThat(ImageSources.kinds()).containsExactly("fashion-mnist", "folder", "files");

    assertThat(idx.size()).isEqualTo(10_000);
    assertThat(idx.id(42)).isEqualTo("fmnist-test-00042");
    assertThat(idx.label(0)).isEqualTo(test.label(0));
    assertThat(folder.id(0)).isEqualTo("shoe/first.png");
    assertThat(folder.label(0)).isZero();
    assertThat(files.id(0)).isEqualTo(png.toString());
    assertThat(files.label(0)).isNull();

    // The same image as an IDX entry, in a folder and as a listed file gives one tensor.
    Preprocessor pre = new Preprocessor(PreprocessingSpec.fashionMnist32());
    float[][] t = new float[3][pre.spec().tensorSize()];
    idx.preprocessInto(0, pre, DecodeLimits.defaults(), t[0], 0);
    folder.preprocessInto(0, pre, DecodeLimits.defaults(), t[1], 0);
    files.preprocessInto(0, pre, DecodeLimits.defaults(), t[2], 0);
    assertThat(t[1]).containsExactly(t[0]);
    assertThat(t[2]).containsExactly(t[0]);

    ImageRecord r = idx.record(7);
    assertThat(r.getImageId()).isEqualTo("fmnist-test-00007");
    assertThat(r.getContentType()).isEqualTo("image/png");
    assertThat(r.getAttributes()).containsEntry("dataset", "fashion-mnist").containsEntry("split", "test")
        .containsEntry("index", "7").containsEntry("class", FashionMnist.className(test.label(7)));
  }

  @Test
  void unknownNamesAndBadArgumentsAreClearErrors(@TempDir Path dir) {
    assertThatThrownBy(() -> ImageSources.open("mnist:test"))
        .hasMessage("The image source 'mnist:test' is not one this project reads; expected fashion-mnist:test,"
            + " fashion-mnist:train, folder:PATH or files:A,B,....");
    assertThatThrownBy(() -> ImageSources.open("folder:")).hasMessageContaining("is not one this project reads");
    assertThatThrownBy(() -> ImageSources.open("fashion-mnist:validation")).hasMessageContaining("expected test or train");
    assertThatThrownBy(() -> ImageSources.open("files:" + dir.resolve("missing.png"))).hasMessageContaining("does not exist");
  }
}
