package dev.ibq.image;

/**
 * How a source image of any size becomes the model's {@code height x width} input. Every crop and
 * every pad is centered: the offset of an axis is {@code (larger - smaller) / 2}, rounded down.
 */
public enum ResizePolicy {
  /**
   * No resampling: the source is placed in the middle of a canvas of the pad value, and any side
   * longer than the target is center-cropped. Fashion-MNIST 28x28 becomes 32x32 with a 2-pixel
   * border. Interpolation is not used.
   */
  PAD_CENTER,
  /** Resample each axis to the target independently; the aspect ratio is not kept. */
  STRETCH,
  /**
   * Scale so that the shorter side fits the target (both sides then cover it), then center-crop
   * the longer side. Nothing is padded; the borders of the longer side are lost.
   */
  RESIZE_SHORTER_CENTER_CROP,
  /**
   * Scale so that the longer side fits the target (the whole image stays visible), then center-pad
   * the shorter side with the pad value.
   */
  RESIZE_FIT_PAD
}
