package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter 2019) with decoupled weight decay, global-norm gradient clipping, and state that a
 * checkpoint can save, so training resumes exactly.
 *
 * <pre>
 *   g  = grad * min(1, clip / ||grad||_global)
 *   m  = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
 *   p  = p (1 - lr wd)   [only tensors with 2+ dims, {@link ArParameters#decays}]
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 *
 * Updates run in place outside any gradient collector (grad mode off).
 */
public final class AdamW implements AutoCloseable {

  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
  private long step;

  public AdamW(NDManager parent, float beta1, float beta2, float eps, float weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.manager = parent.newSubManager();
  }

  /** Number of updates applied so far. */
  public long stepCount() {
    return step;
  }

  /**
   * Clips the gradients to a global L2 norm of at most {@code maxNorm} (in place) and returns the norm before
   * clipping.
   */
  public static double clipGradients(Map<String, NDArray> params, double maxNorm) {
    double sumSquares = 0;
    for (NDArray p : params.values()) {
      NDArray g = p.getGradient();
      sumSquares += g.square().sum().getFloat();
    }
    double norm = Math.sqrt(sumSquares);
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (NDArray p : params.values()) {
        p.getGradient().muli(scale);
      }
    }
    return norm;
  }

  /** Sets every gradient to zero (without reading it: NaN * 0 would stay NaN). */
  public static void zeroGradients(Map<String, NDArray> params) {
    for (NDArray p : params.values()) {
      try (NDArray g = p.getGradient()) {
        g.set(new NDIndex("..."), 0f);
      }
    }
  }

  /** One update of every tensor from its gradient, then zeroes the gradients. */
  public void update(Map<String, NDArray> params, float lr) {
    step++;
    float bias1 = (float) (1 - Math.pow(beta1, step));
    float bias2 = (float) (1 - Math.pow(beta2, step));
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray g = p.getGradient();
      NDArray m = firstMoments.computeIfAbsent(e.getKey(), k -> persistent(manager.zeros(p.getShape())));
      NDArray v = secondMoments.computeIfAbsent(e.getKey(), k -> persistent(manager.zeros(p.getShape())));
      m.muli(beta1).addi(g.mul(1 - beta1));
      v.muli(beta2).addi(g.square().mul(1 - beta2));
      if (weightDecay > 0 && ArParameters.decays(p)) {
        p.muli(1 - lr * weightDecay);
      }
      p.subi(m.div(bias1).div(v.div(bias2).sqrt().add(eps)).mul(lr));
      g.muli(0); // zero the gradient for the next step (gradients accumulate otherwise)
    }
  }

  /** Moments outlive the step's {@link ai.djl.ndarray.NDScope} they are created in. */
  private static NDArray persistent(NDArray array) {
    ai.djl.ndarray.NDScope.unregister(array);
    return array;
  }

  Map<String, NDArray> firstMoments() {
    return firstMoments;
  }

  Map<String, NDArray> secondMoments() {
    return secondMoments;
  }

  /** Restores saved moments (copied into this optimizer's manager) and the step count. */
  void restore(Map<String, NDArray> first, Map<String, NDArray> second, long steps) {
    first.forEach(
        (k, a) -> {
          a.attach(manager);
          firstMoments.put(k, a);
        });
    second.forEach(
        (k, a) -> {
          a.attach(manager);
          secondMoments.put(k, a);
        });
    this.step = steps;
  }

  @Override
  public void close() {
    manager.close();
  }
}
