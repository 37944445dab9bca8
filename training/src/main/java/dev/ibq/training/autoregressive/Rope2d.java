package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Two-dimensional rotary position embedding over the token grid (LlamaGen's {@code precompute_freqs_cis_2d}).
 *
 * <p>A head of dim d has d/2 rotary pairs (elements 2j and 2j+1). The first d/4 pairs rotate by the token's ROW,
 * the last d/4 by its COLUMN, each with frequencies {@code base^(-j / (d/4))}, j = 0 .. d/4 - 1:
 *
 * <pre>
 *   angle(pair j)       = row * base^(-j / (d/4))     for j in [0, d/4)
 *   angle(pair d/4 + j) = col * base^(-j / (d/4))     for j in [0, d/4)
 *   (x_2j, x_2j+1) -> (x_2j cos a - x_2j+1 sin a,  x_2j+1 cos a + x_2j sin a)
 * </pre>
 *
 * Sequence position 0 holds the class token and gets angle 0 (no rotation); position p >= 1 holds token t_p,
 * whose raster index p - 1 gives row = (p-1) / W and col = (p-1) % W.
 *
 * <p>Shapes: tables (N+1, d); {@link #apply} takes x (B, L, heads, d) for positions [start, start + L).
 */
public final class Rope2d implements AutoCloseable {

  private final int headDim;
  private final int gridWidth;
  private final int positions;
  private final float base;
  private final NDArray cos; // (N+1, d): cos of the pair's angle, repeated for both elements of a pair
  private final NDArray sin; // (N+1, d): sin, with the sign pattern (-, +) of the rotation folded in

  Rope2d(NDManager manager, ArConfig config) {
    this.headDim = config.headDim();
    this.gridWidth = config.gridWidth();
    this.positions = config.sequenceLength() + 1;
    this.base = config.ropeBase();
    float[] cosValues = new float[positions * headDim];
    float[] sinValues = new float[positions * headDim];
    for (int p = 0; p < positions; p++) {
      double[] angles = angles(p);
      for (int j = 0; j < headDim / 2; j++) {
        cosValues[p * headDim + 2 * j] = (float) Math.cos(angles[j]);
        cosValues[p * headDim + 2 * j + 1] = (float) Math.cos(angles[j]);
        sinValues[p * headDim + 2 * j] = (float) -Math.sin(angles[j]);
        sinValues[p * headDim + 2 * j + 1] = (float) Math.sin(angles[j]);
      }
    }
    this.cos = manager.create(cosValues, new Shape(positions, headDim));
    this.sin = manager.create(sinValues, new Shape(positions, headDim));
  }

  /** The d/2 rotation angles (radians) at sequence position p: row pairs first, then column pairs. */
  public double[] angles(int position) {
    if (position < 0 || position >= positions) {
      throw new IllegalArgumentException(
          "Sequence position " + position + " is outside [0, " + positions + "): the class token plus N tokens.");
    }
    int quarter = headDim / 4;
    double[] angles = new double[headDim / 2];
    if (position == 0) {
      return angles; // the class token: no rotation
    }
    int row = (position - 1) / gridWidth;
    int col = (position - 1) % gridWidth;
    for (int j = 0; j < quarter; j++) {
      double frequency = Math.pow(base, -(double) j / quarter);
      angles[j] = row * frequency;
      angles[quarter + j] = col * frequency;
    }
    return angles;
  }

  /** Rotates x (B, L, heads, d) whose L rows sit at sequence positions start .. start + L - 1. */
  public NDArray apply(NDArray x, int start) {
    Shape shape = x.getShape();
    long length = shape.get(1);
    if (start + length > positions) {
      throw new IllegalArgumentException(
          "Positions " + start + ".." + (start + length - 1) + " exceed the " + positions + " positions of this grid.");
    }
    NDArray c = cos.get(new NDIndex(start + ":" + (start + length))).reshape(1, length, 1, headDim);
    NDArray s = sin.get(new NDIndex(start + ":" + (start + length))).reshape(1, length, 1, headDim);
    // swap each pair: (x_2j, x_2j+1) -> (x_2j+1, x_2j); the signs live in the sin table
    NDArray swapped = x.reshape(shape.get(0), length, shape.get(2), headDim / 2, 2).flip(4).reshape(shape);
    return x.mul(c).add(swapped.mul(s));
  }

  @Override
  public void close() {
    cos.close();
    sin.close();
  }
}
