package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of every layer for the positions already processed, so each sampling step only runs the new
 * token through the model.
 *
 * <p>Shapes: per layer k, v (B, heads, P, d) where P = {@link #length()} positions so far. The cached arrays are
 * kept out of any {@link NDScope} (a step's scope must not free them) and closed here.
 */
public final class KvCache implements AutoCloseable {

  private final NDArray[] keys;
  private final NDArray[] values;
  private int length;

  public KvCache(int layers) {
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  /** Positions cached so far (the next token's sequence position). */
  public int length() {
    return length;
  }

  /** Appends one layer's new keys and values (B, heads, l, d); returns the full (B, heads, P + l, d) pair. */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray fullK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
    NDArray fullV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
    NDScope.unregister(fullK, fullV);
    if (keys[layer] != null) {
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = fullK;
    values[layer] = fullV;
    return new NDArray[] {fullK, fullV};
  }

  /** Called once per forward pass after every layer appended l positions. */
  void advance(int added) {
    length += added;
  }

  @Override
  public void close() {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        keys[i].close();
        values[i].close();
        keys[i] = null;
        values[i] = null;
      }
    }
    length = 0;
  }
}
