package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Layout helpers shared by the quantizers (B batch, D code dim, h x w grid, N = B*h*w); public so that a quantizer
 * kind outside this package (see {@link QuantizerKinds}) can use them too.
 */
public final class CodebookOps {

  private CodebookOps() {}

  /** (B, D, h, w) -> (N, D) in raster order per image; (N, D) is returned as is. */
  public static NDArray flatten(NDArray z, int codeDim) {
    Shape s = z.getShape();
    if (s.dimension() == 2 && s.get(1) == codeDim) {
      return z;
    }
    if (s.dimension() != 4 || s.get(1) != codeDim) {
      throw new IllegalArgumentException(
          "The quantizer expects features of shape (B, " + codeDim + ", h, w) or (N, " + codeDim + "); got " + s + ".");
    }
    return z.transpose(0, 2, 3, 1).reshape(-1, codeDim); // (N, D)
  }

  /** (N, D) back to the layout of {@code like}: (B, D, h, w) when like is 4-D. */
  public static NDArray unflattenVectors(NDArray flat, NDArray like) {
    Shape s = like.getShape();
    if (s.dimension() == 2) {
      return flat;
    }
    return flat.reshape(s.get(0), s.get(2), s.get(3), s.get(1)).transpose(0, 3, 1, 2); // (B, D, h, w)
  }

  /** (N) indices to (B, h, w) when like is 4-D, as INT32. */
  public static NDArray unflattenIndices(NDArray flatIndices, NDArray like) {
    Shape s = like.getShape();
    NDArray ints = flatIndices.toType(DataType.INT32, false);
    return s.dimension() == 2 ? ints : ints.reshape(s.get(0), s.get(2), s.get(3));
  }

  /** C[indices] for INT32/INT64 indices of any shape: result shape = indices shape + (D). */
  public static NDArray gatherRows(NDArray embedding, NDArray indices) {
    Shape shape = indices.getShape();
    NDArray flat = indices.toType(DataType.INT64, false).reshape(-1); // (N)
    NDArray rows = embedding.get(new NDIndex("{}", flat)); // (N, D)
    rows = TokenizerModule.onManagerOf(indices, rows);
    return rows.reshape(shape.addAll(new Shape(embedding.getShape().get(1))));
  }

  /** C[indices] laid out for the decoder: (B, h, w) -> (B, D, h, w); (N) -> (N, D). */
  public static NDArray codesFor(NDArray embedding, NDArray indices) {
    NDArray rows = gatherRows(embedding, indices);
    if (indices.getShape().dimension() == 3) {
      return rows.transpose(0, 3, 1, 2); // (B, D, h, w)
    }
    if (indices.getShape().dimension() != 1) {
      throw new IllegalArgumentException("Token indices must be (B, h, w) or (N); got " + indices.getShape() + ".");
    }
    return rows;
  }

  /**
   * one_hot(index) as FLOAT32: (N) INT64 -> (N, K). NOTE: built from a comparison with arange(K) because the
   * PyTorch engine of DJL 0.36 does not implement {@code NDArray.oneHot}.
   */
  public static NDArray oneHot(NDArray index, int codebookSize) {
    NDArray codes = index.getManager().arange(0, codebookSize, 1, DataType.INT64).reshape(1, codebookSize); // (1, K)
    return index.toType(DataType.INT64, false).reshape(-1, 1).eq(codes).toType(DataType.FLOAT32, false); // (N, K)
  }

  /** How often each code occurs in {@code index} (any shape, integer): (K) FLOAT32, counted on the host. */
  public static NDArray counts(NDArray index, int codebookSize) {
    long[] ids = index.toType(DataType.INT64, false).toLongArray();
    float[] counts = new float[codebookSize];
    for (long id : ids) {
      counts[(int) id]++;
    }
    return index.getManager().create(counts);
  }

  /** Mean squared error over all elements. */
  public static NDArray mse(NDArray a, NDArray b) {
    return a.sub(b).square().mean();
  }
}
