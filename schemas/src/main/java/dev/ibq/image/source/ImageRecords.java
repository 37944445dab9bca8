package dev.ibq.image.source;

import dev.ibq.schemas.ImageRecord;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Builds {@link ImageRecord}s from image sources, as a producer would, and PNG-encodes pixels. */
public final class ImageRecords {
  private ImageRecords() {}

  /**
   * Fashion-MNIST images {@code [from, from + count)} of a split as PNG records, as {@link FashionMnistSource#record}
   * makes them: id {@link FashionMnist#imageId} ({@code fmnist-test-00042}), the class label, and attributes
   * {@code dataset}, {@code split}, {@code index}, {@code class}.
   */
  public static List<ImageRecord> fashionMnist(FashionMnist data, int from, int count) {
    if (from < 0 || count < 0 || from + count > data.size()) {
      throw new IllegalArgumentException(
          "Images [" + from + ", " + (from + count) + ") were requested; the " + data.split() + " split has "
              + data.size() + ".");
    }
    FashionMnistSource source = new FashionMnistSource(data);
    List<ImageRecord> out = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      out.add(source.record(i));
    }
    return out;
  }

  /** Every image of a source as a producer sends it ({@link ImageSource#record}). */
  public static List<ImageRecord> all(ImageSource source) {
    List<ImageRecord> out = new ArrayList<>(source.size());
    for (int i = 0; i < source.size(); i++) {
      out.add(source.record(i));
    }
    return out;
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

  /** The media type a file name suggests (informative: the decoder sniffs the bytes). */
  static String contentType(String name) {
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
