package dev.ibq.image;

import java.awt.image.BufferedImage;

/**
 * A decoded image and what the decoder learned about it.
 *
 * @param image the first frame, as the format's reader returned it (any {@link BufferedImage} type)
 * @param format lower-case format name, one of {@link DecodeLimits#ALL_FORMATS}
 */
public record DecodedImage(BufferedImage image, String format) {

  public int width() {
    return image.getWidth();
  }

  public int height() {
    return image.getHeight();
  }
}
