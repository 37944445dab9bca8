package dev.ibq.image.source;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Builds {@link ImageRecord}s from Fashion-MNIST or image files, as a producer would. */
public final class ImageRecords {
  private ImageRecords() {}

  /**
   * Fashion-MNIST images {@code [from, from + count)} of a split as PNG records with id
   * {@code fmnist-<split>-<index>}, the class label, and attributes {@code dataset}, {@code split},
   * {@code index}, {@code class}.
   */
  public static List<ImageRecord> fashionMnist(FashionMnist data, int from, int count) {
    if (from < 0 || count < 0 || from + count > data.size()) {
      throw new IllegalArgumentException(
          "Images [" + from + ", " + (from + count) + ") were requested; the " + data.split() + " split has "
              + data.size() + ".");
    }
    String split = data.split().name().toLowerCase(Locale.ROOT);
    List<ImageRecord> out = new ArrayList<>(count);
    Instant now = Instant.now();
    for (int i = from; i < from + count; i++) {
      out.add(
          ImageRecord.newBuilder()
              .setImageId(String.format(Locale.ROOT, "fmnist-%s-%05d", split, i))
              .setImage(ByteBuffer.wrap(png(data.image(i))))
              .setContentType("image/png")
              .setLabel(data.label(i))
              .setSourceUri(null)
              .setEventTime(now)
              .setAttributes(
                  Map.of("dataset", "fashion-mnist", "split", split, "index", String.valueOf(i), "class", FashionMnist.className(data.label(i))))
              .build());
    }
    return out;
  }

  /** One record per file, with the file name as id and the file's bytes, untouched. */
  public static ImageRecord fromFile(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String name = file.getFileName().toString();
      return ImageRecord.newBuilder()
          .setImageId(name)
          .setImage(ByteBuffer.wrap(bytes))
          .setContentType(contentType(name))
          .setLabel(null)
          .setSourceUri(file.toAbsolutePath().toUri().toString())
          .setEventTime(Instant.now())
          .setAttributes(Map.of())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the image file " + file + ".", e);
    }
  }

  /** A PNG encoding of an image. */
  public static byte[] png(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("No PNG writer is available.");
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not encode an image as PNG.", e);
    }
  }

  /** The image bytes of a record. */
  public static byte[] bytes(ImageRecord r) {
    ByteBuffer b = r.getImage().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static String contentType(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".png")) {
      return "image/png";
    }
    if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (n.endsWith(".webp")) {
      return "image/webp";
    }
    if (n.endsWith(".gif")) {
      return "image/gif";
    }
    if (n.endsWith(".bmp")) {
      return "image/bmp";
    }
    if (n.endsWith(".tif") || n.endsWith(".tiff")) {
      return "image/tiff";
    }
    return "application/octet-stream";
  }
}
