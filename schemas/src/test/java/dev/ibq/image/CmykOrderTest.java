package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A CMYK JPEG without an ICC profile (skimage's coffee, converted by make_photo_set.py) decodes to the same
 * pixels whatever was decoded before it and from however many threads. Issue 12 saw it accepted or refused
 * depending on the image decoded before; that was the decoder before colour advisories were told apart from
 * damage warnings ({@link ImageDecoder#isColorAdvisory}), and this test keeps it that way.
 */
class CmykOrderTest {
  private static final String CMYK = "11-coffee-cmyk.jpg";
  private static final List<String> OTHERS =
      List.of("03-rocket.jpg", "10-astronaut-progressive.jpg", "12-chelsea-exif-rotated.jpg", "00-astronaut.png");

  @Test
  void theSamePixelsFirstAfterAnyOtherImageAndFromManyThreads() throws Exception {
    String alone = pixels(decode(CMYK));
    for (String other : OTHERS) {
      decode(other);
      assertThat(pixels(decode(CMYK))).as("after %s", other).isEqualTo(alone);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> runs = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        String other = OTHERS.get(i % OTHERS.size());
        runs.add(pool.submit(() -> {
          decode(other);
          return pixels(decode(CMYK));
        }));
      }
      Set<String> seen = new TreeSet<>();
      for (Future<String> r : runs) {
        seen.add(r.get());
      }
      assertThat(seen).containsExactly(alone);
    } finally {
      pool.shutdownNow();
    }
  }

  private static DecodedImage decode(String name) throws IOException, ImageRejectedException {
    try (InputStream in = CmykOrderTest.class.getResourceAsStream("/photos/" + name)) {
      assertThat(in).as(name).isNotNull();
      return ImageDecoder.decode(in.readAllBytes(), DecodeLimits.defaults());
    }
  }

  /** SHA-256 of the RGB pixels, as a short hex string. */
  private static String pixels(DecodedImage d) throws NoSuchAlgorithmException {
    BufferedImage img = d.image();
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        md.update(new byte[] {(byte) (p >> 16), (byte) (p >> 8), (byte) p});
      }
    }
    return img.getWidth() + "x" + img.getHeight() + ":" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
  }
}
