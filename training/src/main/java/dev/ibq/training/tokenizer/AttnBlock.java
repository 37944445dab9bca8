package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Single-head spatial self-attention with a residual (taming {@code AttnBlock}).
 *
 * <p>Shape legend: B batch, C channels, N = H*W positions. h = norm(x); q, k, v = 1x1 convolutions of h;
 * w = softmax(q^T k / sqrt(C)) over keys (B, N, N); out = v w^T (B, C, N); output = x + proj_out(out).
 * Keys: {@code norm.*}, {@code q.*}, {@code k.*}, {@code v.*}, {@code proj_out.*} (all convolutions 1x1, C -> C).
 */
public final class AttnBlock extends TokenizerModule {

  private final int channels;
  private final GroupNorm norm;
  private final Conv2dLayer q;
  private final Conv2dLayer k;
  private final Conv2dLayer v;
  private final Conv2dLayer projOut;

  public AttnBlock(NDManager manager, int channels, int groups) {
    super(manager);
    this.channels = channels;
    this.norm = registerChild("norm", new GroupNorm(manager, groups, channels));
    this.q = registerChild("q", new Conv2dLayer(manager, channels, channels, 1, 1, 0));
    this.k = registerChild("k", new Conv2dLayer(manager, channels, channels, 1, 1, 0));
    this.v = registerChild("v", new Conv2dLayer(manager, channels, channels, 1, 1, 0));
    this.projOut = registerChild("proj_out", new Conv2dLayer(manager, channels, channels, 1, 1, 0));
  }

  /** (B, C, H, W) -> (B, C, H, W). */
  public NDArray forward(NDArray x) {
    Shape shape = x.getShape();
    long b = shape.get(0);
    long n = shape.get(2) * shape.get(3);
    NDArray h = norm.forward(x);
    // The 1/sqrt(C) scale on the (B, C, N) queries, not on the (B, N, N) scores: 4x fewer elements at N = 256,
    // C = 64, and bit-identical there (1/8 is a power of two).
    NDArray query = Scalars.mul(q.forward(h).reshape(b, channels, n), 1.0 / Math.sqrt(channels)).transpose(0, 2, 1); // (B, N, C)
    NDArray key = k.forward(h).reshape(b, channels, n); // (B, C, N)
    NDArray value = v.forward(h).reshape(b, channels, n); // (B, C, N)
    NDArray weights = query.batchMatMul(key).softmax(2); // (B, N query, N key)
    // (W V^T)^T rather than V W^T: the same products (bit-identical here), but the copy that makes the result
    // contiguous is of (B, N, C), not of the (B, N, N) weights.
    NDArray attended = weights.batchMatMul(value.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(shape); // (B, C, H, W)
    return x.add(projOut.forward(attended));
  }
}
