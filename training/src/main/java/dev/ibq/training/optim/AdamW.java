package dev.ibq.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The one optimiser of both training stages: Adam (Kingma and Ba) with decoupled weight decay (AdamW, Loshchilov
 * and Hutter), per-parameter learning-rate scales, optional global-norm gradient clipping, and state held as
 * named tensors so that a checkpoint resumes it exactly. The tokenizer uses it with weight decay 0 (the paper's
 * Adam), the AR model with 0.05 on matrices.
 *
 * <p>Per parameter p with gradient g at update t = 1, 2, ... (PyTorch's {@code torch.optim.AdamW}):
 * <pre>
 *   p = p (1 - lr wd)                   [only where {@code decays(key)}]
 *   m = b1 m + (1 - b1) g               v = b2 v + (1 - b2) g^2
 *   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 * with lr multiplied by the parameter's scale. The update is ONE native call per parameter (DJL's fused
 * {@code adamUpdate}, which also zeroes the gradient) instead of about ten tensor operations. That kernel takes the
 * step size lr c with the bias correction c = sqrt(1 - b2^t) / (1 - b1^t) and computes
 * {@code lr c m / (sqrt(v) + eps')} (the decoupled decay uses the plain lr); passing
 * eps' = eps sqrt(1 - b2^t) makes it exactly PyTorch's formula above ({@code AdamWTest} checks both against a
 * hand computation).
 *
 * <p>Updates run in place outside any gradient collector. Parameters without a gradient (they took no part in
 * the loss) are skipped and keep their moments.
 */
public final class AdamW implements AutoCloseable {

  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final Map<String, Double> learningRateScales;
  private final Predicate<String> decays;
  private final NDManager stateManager;
  private final LinkedHashMap<String, NDArray> firstMoments = new LinkedHashMap<>();
  private final LinkedHashMap<String, NDArray> secondMoments = new LinkedHashMap<>();
  private long updates;

  /**
   * @param parameters the parameter group (live arrays); the moments are created for exactly these keys
   * @param manager a manager on the parameters' device; the moments live on a sub-manager of it
   * @param learningRateScales multipliers of the learning rate by key (absent = 1); every key must be a parameter
   * @param decays which keys receive the decoupled weight decay (ignored when {@code weightDecay} is 0)
   */
  public AdamW(
      Map<String, NDArray> parameters,
      NDManager manager,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      Map<String, Double> learningRateScales,
      Predicate<String> decays) {
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
      throw new IllegalArgumentException("beta1 and beta2 are " + beta1 + " and " + beta2 + "; both must lie in [0, 1).");
    }
    if (!(epsilon > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("epsilon must be positive and weight decay non-negative; got " + epsilon + " and " + weightDecay + ".");
    }
    for (String key : learningRateScales.keySet()) {
      if (!parameters.containsKey(key)) {
        throw new IllegalArgumentException("A learning-rate scale names '" + key + "', which is not a parameter of this group.");
      }
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.learningRateScales = Map.copyOf(learningRateScales);
    this.decays = decays;
    this.stateManager = manager.newSubManager();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray p = e.getValue();
      firstMoments.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      secondMoments.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
  }

  /** Plain Adam (no weight decay) with per-parameter learning-rate scales: the tokenizer's optimiser. */
  public static AdamW adam(
      Map<String, NDArray> parameters, NDManager manager, double beta1, double beta2, double epsilon, Map<String, Double> scales) {
    return new AdamW(parameters, manager, beta1, beta2, epsilon, 0, scales, key -> false);
  }

  /** Applies one update at learning rate {@code lr} to every parameter that has a gradient and zeroes those gradients. */
  public void step(Map<String, NDArray> parameters, double lr) {
    updates++;
    double biasCorrection1 = 1 - Math.pow(beta1, updates);
    double rootBiasCorrection2 = Math.sqrt(1 - Math.pow(beta2, updates));
    float correction = (float) (rootBiasCorrection2 / biasCorrection1);
    float eps = (float) (epsilon * rootBiasCorrection2);
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      String key = e.getKey();
      NDArray p = e.getValue();
      NDArray m = firstMoments.get(key);
      if (m == null) {
        throw new IllegalArgumentException("Parameter '" + key + "' was not in the group this optimiser was built for.");
      }
      NDArray grad = gradientOf(p);
      if (grad == null) {
        continue;
      }
      float rate = (float) (lr * learningRateScales.getOrDefault(key, 1.0));
      float wd = weightDecay > 0 && decays.test(key) ? (float) weightDecay : 0f;
      p.getNDArrayInternal().adamUpdate(
          new NDList(p, grad, m, secondMoments.get(key)), new NDList(p), rate, rate * correction, wd, 1f, -1f,
          (float) beta1, (float) beta2, eps, false, true);
      grad.close();
    }
  }

  /**
   * Scales every gradient so that their global L2 norm is at most {@code maxNorm} (PyTorch's
   * {@code clip_grad_norm_}) and returns the norm before clipping (NaN or infinite when a gradient is).
   */
  public static double clipGradientNorm(Map<String, NDArray> parameters, double maxNorm) {
    double sumSquares = 0;
    for (NDArray p : parameters.values()) {
      NDArray g = gradientOf(p);
      if (g != null) {
        try (NDArray s = g.square().sum()) {
          sumSquares += s.getFloat();
        }
      }
    }
    double norm = Math.sqrt(sumSquares);
    if (Double.isFinite(norm) && norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (NDArray p : parameters.values()) {
        NDArray g = gradientOf(p);
        if (g != null) {
          g.muli(scale);
        }
      }
    }
    return norm;
  }

  /** Sets every gradient of a group to zero without reading it (NaN * 0 and g - g would stay NaN). */
  public static void zeroGradients(Map<String, NDArray> parameters) {
    for (NDArray p : parameters.values()) {
      NDArray g = gradientOf(p);
      if (g != null) {
        g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
        g.close();
      }
    }
  }

  /** The gradient of {@code p}, or null when none was computed (the parameter took no part). */
  public static NDArray gradientOf(NDArray p) {
    try {
      return p.getGradient();
    } catch (IllegalStateException | NullPointerException e) {
      return null;
    }
  }

  /** Updates applied so far (the t of the bias correction). */
  public long updates() {
    return updates;
  }

  /** The moments as named tensors ({@code m.<key>}, {@code v.<key>}), live arrays. */
  public LinkedHashMap<String, NDArray> state() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    firstMoments.forEach((k, v) -> out.put("m." + k, v));
    secondMoments.forEach((k, v) -> out.put("v." + k, v));
    return out;
  }

  /** The first moments by parameter key (live arrays). */
  public Map<String, NDArray> firstMoments() {
    return java.util.Collections.unmodifiableMap(firstMoments);
  }

  /** The second moments by parameter key (live arrays). */
  public Map<String, NDArray> secondMoments() {
    return java.util.Collections.unmodifiableMap(secondMoments);
  }

  /** Restores moments saved from {@link #firstMoments()} and {@link #secondMoments()} and the update count. */
  public void restore(Map<String, NDArray> first, Map<String, NDArray> second, long updateCount) {
    Map<String, NDArray> state = new LinkedHashMap<>();
    first.forEach((k, v) -> state.put("m." + k, v));
    second.forEach((k, v) -> state.put("v." + k, v));
    restore(state, updateCount);
  }

  /** Restores moments and the update count saved from {@link #state()} and {@link #updates()}. */
  public void restore(Map<String, NDArray> state, long updateCount) {
    for (Map.Entry<String, NDArray> e : state().entrySet()) {
      NDArray saved = state.get(e.getKey());
      if (saved == null || !saved.getShape().equals(e.getValue().getShape())) {
        throw new IllegalArgumentException(
            "The saved optimiser state has no tensor '" + e.getKey() + "' of shape " + e.getValue().getShape()
                + "; was it saved for the same model?");
      }
      e.getValue().set(saved.toByteBuffer());
    }
    this.updates = updateCount;
  }

  /** Sets the update count t (the moments are restored in place through {@link #firstMoments()} / {@link #secondMoments()}). */
  public void restoreUpdates(long updateCount) {
    this.updates = updateCount;
  }

  @Override
  public void close() {
    stateManager.close();
  }
}
