package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;

/**
 * The tokenizer's loss terms and their weights, as stated in {@code shared/IBQ.md}.
 *
 * <p>Generator total = {@link #RECONSTRUCTION_WEIGHT} L1 + {@link #PERCEPTUAL_WEIGHT} perceptual (optional) +
 * {@link #GENERATOR_ADVERSARIAL_WEIGHT} adversarial + {@link #QUANTIZATION_WEIGHT} quantization +
 * {@link #ENTROPY_WEIGHT} entropy. Discriminator total = hinge + {@link #LECAM_WEIGHT} LeCAM (the discriminator
 * is updated first each step, from step 0).
 *
 * <p>Scalars: multiply 0-dim losses by a {@code float}, never a {@code double}: DJL turns a double into a
 * float64 0-dim tensor and PyTorch promotes two 0-dim tensors to float64 (then {@code getFloat()} throws).
 *
 * <p>All methods are pure functions of NDArrays (results live on the first argument's manager), so they are
 * differentiable inside a DJL {@code GradientCollector}.
 */
public final class TokenizerLosses {

  /** Weight of the L1 reconstruction loss. */
  public static final double RECONSTRUCTION_WEIGHT = 1.0;
  /** Weight of the perceptual loss when a feature network is supplied (LPIPS-VGG in the paper). */
  public static final double PERCEPTUAL_WEIGHT = 1.0;
  /** Fixed weight of the non-saturating generator loss (no adaptive weight). */
  public static final double GENERATOR_ADVERSARIAL_WEIGHT = 0.1;
  /** Weight of the quantizer's loss (IBQ double quantization / VQ codebook + commitment). */
  public static final double QUANTIZATION_WEIGHT = 1.0;
  /** Weight of the entropy loss. */
  public static final double ENTROPY_WEIGHT = 0.05;
  /** Softmax temperature of the entropy loss. */
  public static final double ENTROPY_TEMPERATURE = 0.01;
  /** Epsilon inside the logarithms of the entropy loss. */
  public static final double ENTROPY_EPSILON = 1e-5;
  /** Weight of the LeCAM regulariser in the discriminator loss. */
  public static final double LECAM_WEIGHT = 0.05;
  /** Decay of the LeCAM EMAs of mean D(real) and mean D(fake). */
  public static final double LECAM_DECAY = 0.999;

  private TokenizerLosses() {}

  /** Mean absolute error over all elements: the reconstruction loss. */
  public static NDArray l1(NDArray reconstruction, NDArray target) {
    return reconstruction.sub(target).abs().mean();
  }

  /**
   * Entropy loss on logits (N, K): q = softmax(l / temperature) per row; sample entropy = mean_n H(q_n); batch
   * entropy = H(mean_n q_n); returns sample entropy - batch entropy. Minimising it makes each position confident
   * and the batch use many codes.
   *
   * <p>As in IBQ.md: the sample entropy uses the exact log q, i.e. log_softmax(l / T) (the reference adds its
   * 1e-5 to the logits, where it cancels inside the softmax); only the batch entropy has log(mean q + 1e-5).
   */
  public static NDArray entropyLoss(NDArray logits, double temperature) {
    long n = logits.getShape().get(0);
    try (NDManager work = logits.getManager().newSubManager()) {
      // Everything below is computed on detached tensors: no autograd graph over (N, K).
      NDArray scaled = Scalars.div(logits.stopGradient(), temperature); // (N, K)
      scaled.attach(work);
      NDArray logQ = scaled.logSoftmax(1); // (N, K), exact
      logQ.attach(work);
      scaled.close();
      // NOTE: q is floored at e^LOG_Q_FLOOR before exp. At temperature 0.01 most of the (N, K) values of q are far
      // smaller, and denormal float32 arithmetic is 3-10x slower on these CPUs. The floor must keep more than q
      // itself normal: the gradient g below is about q (-log q) / (N T) on those entries, and the generator loss
      // multiplies it by the entropy weight (0.05) in the backward pass. With q floored only at the smallest normal
      // float32 (e^-87.3, as before), that product was denormal, and two (N, K) passes of the backward (the weight
      // times g, and its sum with the softmax's gradient) took 8x the time of a normal pass. At e^-60 (8.8e-27) g
      // stays above 1e-30 for any N up to 2^20 positions, and each such q changes by < 8.8e-27, every sum below by
      // < K * 8.8e-27 (2.3e-21 at K = 2^18): far below the float32 resolution of the loss.
      NDArray clipped = logQ.clip(LOG_Q_FLOOR, 0f); // (N, K)
      NDArray q = clipped.exp(); // (N, K)
      clipped.close();
      double sample = -q.flatten().dot(logQ.flatten()).getFloat() / n; // mean_n H(q_n), H(q_n) = -q_n . log q_n
      NDArray meanQ = q.mean(new int[] {0}); // (K)
      NDArray logMean = meanQ.add((float) ENTROPY_EPSILON).log(); // (K)
      double batch = -meanQ.mul(logMean).sum().getFloat();
      // dLoss/dmean_k = log(mean_k + eps) + mean_k / (mean_k + eps)
      NDArray b = logMean.add(meanQ.div(meanQ.add((float) ENTROPY_EPSILON))); // (K)
      // dLoss/dl_nj = q_nj (w_nj - rowsum(q w)_n) with w_nj = (b_j - log q_nj) / (N T): the softmax's backward of
      // b - log q. w is written into logQ's buffer; q is multiplied in last, which keeps the products of tiny q out
      // of the denormal range (w is then large).
      float scale = (float) (1.0 / (n * temperature));
      NDArray w = logQ.muli(-scale).addi(b.mul(scale).reshape(1, -1)); // (N, K)
      NDArray qw = q.mul(w); // (N, K)
      NDArray rowSums = qw.sum(new int[] {1}, true); // (N, 1)
      qw.close();
      NDArray g = w.subi(rowSums).muli(q); // (N, K)
      g.attach(logits.getManager()); // autograd keeps it for the backward pass of the dot product below
      // value sample - batch; gradient g through sum(l * sg(g)), whose own value cancels
      NDArray dot = logits.flatten().dot(g.flatten()); // ()
      return dot.sub(dot.stopGradient()).add(Scalars.like(logits, sample - batch));
    }
  }

  /** The floor of log q in {@link #entropyLoss}: e^-60 = 8.8e-27, see the note there. */
  static final float LOG_Q_FLOOR = -60f;

  /** Hinge discriminator loss: 0.5 (mean relu(1 - D(x)) + mean relu(1 + D(x_hat))). */
  public static NDArray hingeDiscriminatorLoss(NDArray logitsReal, NDArray logitsFake) {
    NDArray real = Activation.relu(logitsReal.neg().add(1)).mean();
    NDArray fake = Activation.relu(logitsFake.add(1)).mean();
    return Scalars.mul(real.add(fake), 0.5);
  }

  /**
   * LeCAM regulariser (Tseng et al. 2021): mean relu(D(x) - ema_fake)^2 + mean relu(ema_real - D(x_hat))^2,
   * with the EMAs from {@link LecamEma} (update them with this batch first, as the reference does).
   */
  public static NDArray lecamRegularizer(NDArray logitsReal, NDArray logitsFake, LecamEma ema) {
    NDArray real = Activation.relu(logitsReal.sub((float) ema.fakeEma())).square().mean();
    NDArray fake = Activation.relu(logitsFake.neg().add((float) ema.realEma())).square().mean();
    return real.add(fake);
  }

  /**
   * The discriminator's total loss: updates {@code ema} with this batch's mean logits, then returns hinge +
   * {@link #LECAM_WEIGHT} LeCAM.
   */
  public static NDArray discriminatorLoss(NDArray logitsReal, NDArray logitsFake, LecamEma ema) {
    ema.update(logitsReal, logitsFake);
    return hingeDiscriminatorLoss(logitsReal, logitsFake).add(Scalars.mul(lecamRegularizer(logitsReal, logitsFake, ema), LECAM_WEIGHT));
  }

  /**
   * Non-saturating generator loss, PER IMAGE as in IBQ.md: each image's patch logits (B, 1, h', w') are averaged,
   * softplus(-that mean) is taken per image, then averaged over the batch: mean_b softplus(-mean_patches D(x_hat)_b).
   * Unweighted (multiply by {@link #GENERATOR_ADVERSARIAL_WEIGHT}). For fake logits [2, -2] (two images of one
   * patch) it is (softplus(-2) + softplus(2)) / 2 = 1.127, not softplus(0) = 0.693.
   */
  public static NDArray generatorAdversarialLoss(NDArray logitsFake) {
    long b = logitsFake.getShape().get(0);
    NDArray perImage = logitsFake.reshape(b, -1).mean(new int[] {1}); // (B)
    return softplus(perImage.neg()).mean();
  }

  /** log(1 + e^x) (PyTorch's softplus, stable for large |x|). */
  public static NDArray softplus(NDArray x) {
    return Activation.softPlus(x);
  }
}
