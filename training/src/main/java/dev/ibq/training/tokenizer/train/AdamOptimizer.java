package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba) over a named parameter group, with its moments held as named tensors so that a
 * checkpoint can save and restore them exactly.
 *
 * <p>Per parameter p with gradient g, at update t = 1, 2, ...: {@code g += weightDecay * p};
 * {@code m = b1 m + (1 - b1) g}; {@code v = b2 v + (1 - b2) g^2};
 * {@code p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)} (PyTorch's {@code torch.optim.Adam}).
 *
 * <p>NOTE: not DJL's {@code Optimizer.adam()}: DJL keeps its moments private, so a resumed run would restart
 * them from zero; this class makes resume exact. Updates run in place, outside any GradientCollector, and
 * reset the gradients to zero afterwards (DJL's PyTorch engine accumulates gradients).
 */
public final class AdamOptimizer implements AutoCloseable {

  private final OptimizerSettings settings;
  private final NDManager stateManager;
  private final LinkedHashMap<String, NDArray> firstMoments = new LinkedHashMap<>();
  private final LinkedHashMap<String, NDArray> secondMoments = new LinkedHashMap<>();
  private final Map<String, Double> learningRateScales;
  private long updates;

  /**
   * @param parameters the parameter group (live arrays, e.g. {@code model.parameters()})
   * @param manager a manager on the parameters' device; the moments live on a sub-manager of it
   */
  public AdamOptimizer(OptimizerSettings settings, Map<String, NDArray> parameters, NDManager manager) {
    this(settings, parameters, manager, Map.of());
  }

  /**
   * @param learningRateScales per-parameter multipliers of the learning rate, by key (absent = 1); every key
   *     must name a parameter of the group
   */
  public AdamOptimizer(
      OptimizerSettings settings, Map<String, NDArray> parameters, NDManager manager, Map<String, Double> learningRateScales) {
    for (String key : learningRateScales.keySet()) {
      if (!parameters.containsKey(key)) {
        throw new IllegalArgumentException("A learning-rate scale names '" + key + "', which is not a parameter of this group.");
      }
    }
    this.learningRateScales = Map.copyOf(learningRateScales);
    this.settings = settings;
    this.stateManager = manager.newSubManager();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray p = e.getValue();
      firstMoments.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      secondMoments.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
  }

  /** Applies one update at the base learning rate to every parameter that has a gradient, then zeroes the gradients. */
  public void step(Map<String, NDArray> parameters) {
    step(parameters, settings.learningRate());
  }

  /** Applies one update at learning rate {@code lr} (a schedule's value) to every parameter that has a gradient. */
  public void step(Map<String, NDArray> parameters, double lr) {
    updates++;
    double b1 = settings.beta1();
    double b2 = settings.beta2();
    double biasCorrection1 = 1 - Math.pow(b1, updates);
    double biasCorrection2 = 1 - Math.pow(b2, updates);
    double stepSize = lr / biasCorrection1;
    double rootCorrection2 = Math.sqrt(biasCorrection2);
    try (NDManager scratch = stateManager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray p = e.getValue();
        NDArray m = firstMoments.get(e.getKey());
        NDArray v = secondMoments.get(e.getKey());
        if (m == null) {
          throw new IllegalArgumentException("Parameter '" + e.getKey() + "' was not in the group this optimiser was built for.");
        }
        NDArray grad = gradientOf(p);
        if (grad == null) {
          continue;
        }
        grad.attach(scratch);
        NDArray g = grad;
        if (settings.weightDecay() > 0) {
          g = onto(scratch, p.mul(settings.weightDecay())).addi(grad);
        }
        m.muli(b1).addi(onto(scratch, g.mul(1 - b1)));
        v.muli(b2).addi(onto(scratch, g.square()).muli(1 - b2));
        NDArray denominator = onto(scratch, v.sqrt()).divi(rootCorrection2).addi(settings.epsilon());
        double scale = learningRateScales.getOrDefault(e.getKey(), 1.0);
        p.subi(onto(scratch, m.div(denominator)).muli(stepSize * scale));
        grad.subi(grad);
      }
    }
  }

  /** The gradient of {@code p}, or null when none was computed (the parameter took no part). */
  static NDArray gradientOf(NDArray p) {
    try {
      return p.getGradient();
    } catch (IllegalStateException | NullPointerException e) {
      return null;
    }
  }

  /** Zeroes the gradients of a group without updating it (for example D's gradients left by G's backward). */
  public static void zeroGradients(Map<String, NDArray> parameters) {
    for (NDArray p : parameters.values()) {
      NDArray grad = gradientOf(p);
      if (grad != null) {
        grad.subi(grad);
        grad.close();
      }
    }
  }

  private static NDArray onto(NDManager scratch, NDArray array) {
    array.attach(scratch);
    return array;
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

  /** Restores moments and the update count saved by {@link #state()} and {@link #updates()}. */
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

  @Override
  public void close() {
    stateManager.close();
  }
}
