package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import dev.ibq.training.tokenizer.Scalars;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.nn.Module;
import java.util.Random;

/**
 * Causal multi-head self-attention with 2-D RoPE on queries and keys and an optional KV cache; no biases.
 *
 * <p>{@code softmax(q k^T / sqrt(d) + mask) v}, with a fused {@code wqkv} projection (3C, C) and an output
 * projection {@code wo} (C, C), as in LlamaGen. Shapes: x (B, l, C) -> (B, l, C); heads H, head dim d = C / H;
 * with a cache of P earlier positions the keys span P + l positions.
 */
public final class Attention extends Module {

  private final NDArray wqkv; // (3C, C)
  private final NDArray wo; // (C, C)
  private final int heads;
  private final int headDim;
  private final float dropout;

  Attention(NDManager manager, Random random, ArConfig config) {
    super(manager);
    int c = config.dim();
    this.wqkv = registerParameter("wqkv.weight", normal(random, new Shape(3L * c, c), config.initStd()));
    this.wo = registerParameter("wo.weight", normal(random, new Shape(c, c), config.initStd()));
    this.heads = config.nHeads();
    this.headDim = config.headDim();
    this.dropout = config.dropout();
  }

  /**
   * @param x (B, l, C) inputs at sequence positions start .. start + l - 1
   * @param start sequence position of the first row of x (the cache length when a cache is used)
   * @param rope the rotary tables
   * @param cache this layer's cache, or null for a plain full-sequence pass
   * @param layer index of this layer in the cache
   */
  public NDArray forward(NDArray x, int start, Rope2d rope, KvCache cache, int layer, boolean training) {
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long length = shape.get(1);
    NDList qkv = Linear.linear(x, wqkv).singletonOrThrow().split(3, 2); // 3 x (B, l, C)
    NDArray q = rope.apply(qkv.get(0).reshape(batch, length, heads, headDim), start); // (B, l, H, d)
    NDArray k = rope.apply(qkv.get(1).reshape(batch, length, heads, headDim), start);
    NDArray v = qkv.get(2).reshape(batch, length, heads, headDim);
    q = q.transpose(0, 2, 1, 3); // (B, H, l, d)
    k = k.transpose(0, 2, 1, 3);
    v = v.transpose(0, 2, 1, 3);
    if (cache != null) {
      NDArray[] kv = cache.append(layer, k, v); // (B, H, P + l, d)
      k = kv[0];
      v = kv[1];
    }
    long keyLength = k.getShape().get(2);
    NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), 1.0 / Math.sqrt(headDim)); // (B, H, l, P + l)
    if (length > 1) {
      scores = scores.add(causalMask(x, length, keyLength)); // query i sees keys 0 .. (P + i)
    }
    NDArray attended = scores.softmax(-1).matMul(v); // (B, H, l, d)
    NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headDim); // (B, l, C)
    NDArray out = Linear.linear(merged, wo).singletonOrThrow();
    return training && dropout > 0 ? Dropout.dropout(out, dropout, true).singletonOrThrow() : out;
  }

  /** Additive mask (l, P + l): 0 where key j <= P + i, a large negative number above that diagonal. */
  private static NDArray causalMask(NDArray like, long queries, long keys) {
    long offset = keys - queries;
    float[] mask = new float[Math.toIntExact(queries * keys)];
    for (int i = 0; i < queries; i++) {
      for (int j = 0; j < keys; j++) {
        mask[(int) (i * keys + j)] = j <= offset + i ? 0f : -1e9f;
      }
    }
    return like.getManager().create(mask, new Shape(queries, keys));
  }
}
