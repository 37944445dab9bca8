package dev.ibq.stream.tokenize;

import dev.ibq.model.TokenizerIdentity;

/**
 * Turns a batch of preprocessed images into token grids. One instance per parallel task, used from a
 * single thread.
 *
 * <p>Shapes: input {@code (B, C, H, W)} flattened row-major into {@code nchw} (at least
 * {@code B * C * H * W} values); output {@code (B, H' * W')} codebook indices in raster order.
 */
public interface BatchTokenizer extends AutoCloseable {

  /** The model's identity and geometry. */
  TokenizerIdentity identity();

  /**
   * Encodes the first {@code batch} images of {@code nchw}.
   *
   * @return {@code batch} arrays of {@code H' * W'} tokens
   * @throws Exception when inference fails; the caller dead-letters the batch
   */
  int[][] encode(float[] nchw, int batch) throws Exception;

  @Override
  void close();
}
