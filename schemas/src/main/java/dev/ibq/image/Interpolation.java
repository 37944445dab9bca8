package dev.ibq.image;

/**
 * Resampling kernel, applied separably (rows, then columns) in 32-bit float arithmetic with
 * precomputed weights, so results are bit-for-bit reproducible on every JVM (Java 17 float
 * arithmetic is strict IEEE 754). Sample positions use half-pixel centers: output pixel {@code i}
 * of an axis scaled from {@code n} to {@code m} samples source coordinate
 * {@code (i + 0.5) * n / m - 0.5} (PyTorch {@code align_corners=False}).
 */
public enum Interpolation {
  /** Two taps per axis, edge samples clamped; no antialiasing when shrinking (as PyTorch's default). */
  BILINEAR,
  /** Four taps per axis, Keys cubic with a = -0.75 (as PyTorch and OpenCV), edge clamped; results clamped to [0, 255]. */
  BICUBIC,
  /**
   * Box filter: every output pixel is the mean of the source area it covers, each source pixel
   * weighted by its overlap. The right choice when shrinking; when enlarging it is nearest-neighbour
   * with blended edges.
   */
  AREA
}
