package dev.ibq.image.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {

  @Test
  void classesAreSortedSubFoldersAndFilesAreListedDeterministically(@TempDir Path root) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    // test image 0 is an ankle boot, image 1 a pullover
    write(root.resolve("Pullover/b.png"), test, 1);
    write(root.resolve("Pullover/a.png"), test, 1);
    write(root.resolve("Ankle boot/nested/z.PNG"), test, 0);
    write(root.resolve("Ankle boot/c.jpg"), test, 0);
    Files.writeString(root.resolve("Ankle boot/notes.txt"), "not an image");
    Files.writeString(root.resolve("Ankle boot/.hidden.png"), "hidden");
    Files.createDirectories(root.resolve(".cache"));
    Files.writeString(root.resolve("loose.png"), "not in a class folder");

    ImageFolder folder = ImageFolder.scan(root);
    assertThat(folder.classes()).containsExactly("Ankle boot", "Pullover");
    assertThat(folder.entries()).extracting(e -> root.relativize(e.path()).toString().replace('\\', '/'))
        .containsExactly("Ankle boot/c.jpg", "Ankle boot/nested/z.PNG", "Pullover/a.png", "Pullover/b.png");
    assertThat(folder.entries()).extracting(ImageFolder.Entry::label).containsExactly(0, 0, 1, 1);

    Preprocessor pre = new Preprocessor(PreprocessingSpec.fashionMnist32());
    List<ImageFolder.Sample> samples = folder.samples().toList();
    assertThat(samples).hasSize(4);
    // the lossless files give exactly the IDX tensor of the image they were written from
    assertThat(pre.decodeAndApply(samples.get(2).bytes(), DecodeLimits.defaults())).containsExactly(pre.apply(test.image(1)));
    assertThat(pre.decodeAndApply(samples.get(1).bytes(), DecodeLimits.defaults())).containsExactly(pre.apply(test.image(0)));
  }

  @Test
  void aFolderWithoutClassFoldersIsRefused(@TempDir Path root) throws IOException {
    assertThatThrownBy(() -> ImageFolder.scan(root)).hasMessageContaining("has no class sub-folders");
    Path file = Files.writeString(root.resolve("x.png"), "x");
    assertThatThrownBy(() -> ImageFolder.scan(file)).isInstanceOf(NotDirectoryException.class);
  }

  private static void write(Path file, FashionMnist data, int index) throws IOException {
    Files.createDirectories(file.getParent());
    String name = file.getFileName().toString().toLowerCase();
    ImageIO.write(data.image(index), name.endsWith(".jpg") ? "jpeg" : "png", file.toFile());
  }
}
