package dev.ibq.image.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderSourceTest {

  @Test
  void everyFileIsListedRecursivelyInPathOrderWithClassesFromSubFolders(@TempDir Path root) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    // test image 0 is an ankle boot, image 1 a pullover
    write(root.resolve("Pullover/b.png"), test, 1);
    write(root.resolve("Pullover/a.png"), test, 1);
    write(root.resolve("Ankle boot/nested/z.PNG"), test, 0);
    write(root.resolve("Ankle boot/c.jpg"), test, 0);
    write(root.resolve("loose.png"), test, 1);
    Files.writeString(root.resolve("Ankle boot/notes.txt"), "not an image");
    Files.writeString(root.resolve("Ankle boot/.hidden.png"), "hidden");
    Files.createDirectories(root.resolve(".cache"));
    Files.writeString(root.resolve(".cache/x.png"), "hidden folder");

    FolderSource folder = FolderSource.open(root);
    assertThat(folder.classes()).containsExactly("Ankle boot", "Pullover");
    assertThat(folder.size()).isEqualTo(6);
    assertThat(java.util.stream.IntStream.range(0, folder.size()).mapToObj(folder::id))
        .containsExactly("Ankle boot/c.jpg", "Ankle boot/nested/z.PNG", "Ankle boot/notes.txt", "Pullover/a.png",
            "Pullover/b.png", "loose.png");
    assertThat(java.util.stream.IntStream.range(0, folder.size()).mapToObj(folder::label))
        .containsExactly(0, 0, 0, 1, 1, null);
    assertThat(folder.name()).isEqualTo("folder:" + root.toAbsolutePath().normalize());

    // The lossless files give exactly the IDX tensor of the image they were written from; a text file is refused.
    Preprocessor pre = new Preprocessor(PreprocessingSpec.fashionMnist32());
    float[] tensor = new float[pre.spec().tensorSize()];
    folder.preprocessInto(3, pre, DecodeLimits.defaults(), tensor, 0);
    assertThat(tensor).containsExactly(pre.apply(test.image(1)));
    assertThatThrownBy(() -> folder.preprocessInto(2, pre, DecodeLimits.defaults(), tensor, 0))
        .isInstanceOf(ImageRejectedException.class);

    // The producer's record: the file's bytes untouched, the relative path as id, the class.
    ImageRecord r = folder.record(4);
    assertThat(r.getImageId()).isEqualTo("Pullover/b.png");
    assertThat(r.getLabel()).isEqualTo(1);
    assertThat(r.getAttributes()).containsEntry("class", "Pullover");
    assertThat(ImageRecords.bytes(r)).isEqualTo(Files.readAllBytes(root.resolve("Pullover/b.png")));
    assertThat(folder.record(5).getLabel()).isNull();
  }

  @Test
  void aFileOverTheByteLimitIsRefusedUnread(@TempDir Path root) throws Exception {
    write(root.resolve("a.png"), FashionMnist.load(FashionMnist.Split.TEST), 0);
    FolderSource folder = FolderSource.open(root);
    Preprocessor pre = new Preprocessor(PreprocessingSpec.fashionMnist32());
    assertThatThrownBy(() -> folder.preprocessInto(0, pre, DecodeLimits.defaults().withMaxEncodedBytes(10), new float[1024], 0))
        .isInstanceOf(ImageRejectedException.class)
        .hasMessageContaining("so it was not read");
  }

  @Test
  void aMissingOrEmptyFolderIsRefused(@TempDir Path root) throws IOException {
    assertThatThrownBy(() -> FolderSource.open(root)).hasMessageContaining("holds no files");
    Path file = Files.writeString(root.resolve("x.png"), "x");
    assertThatThrownBy(() -> FolderSource.open(file)).hasMessageContaining("is not a directory");
  }

  private static void write(Path file, FashionMnist data, int index) throws IOException {
    Files.createDirectories(file.getParent());
    String name = file.getFileName().toString().toLowerCase();
    ImageIO.write(data.image(index), name.endsWith(".jpg") ? "jpeg" : "png", file.toFile());
  }
}
