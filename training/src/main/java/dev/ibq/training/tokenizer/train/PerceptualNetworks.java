package dev.ibq.training.tokenizer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.tokenizer.LpipsVgg;
import dev.ibq.training.tokenizer.PerceptualLoss;
import dev.ibq.training.tokenizer.RandomConvFeatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The named networks of the perceptual loss, the values of {@code losses.perceptual_network}:
 *
 * <ul>
 *   <li>{@value #NONE}: no perceptual loss ({@code losses.perceptual} must then be 0);
 *   <li>{@code lpips-vgg:PATH}: LPIPS-VGG ({@link LpipsVgg}), the paper's perceptual loss, from the safetensors file
 *       that {@code training/src/main/python/convert_lpips_vgg.py} writes from torchvision's VGG16 and lpips' lin
 *       weights, both downloaded by the user. A relative PATH is resolved against the working directory;
 *   <li>{@value #RANDOM_CONV}: a NO-DOWNLOAD stand-in, and NOT LPIPS: {@link RandomConvFeatures} with
 *       {@value #RANDOM_CONV_BASE} base channels and {@value #RANDOM_CONV_STAGES} stride-2 3x3 conv + ReLU stages, He-normal
 *       weights drawn from the fixed seed {@value #RANDOM_CONV_SEED} and frozen, compared with LPIPS' normalisation and
 *       uniform channel weights. Random conv features respond to local edges and texture, so this is a texture /
 *       edge-sensitive distance; it was never calibrated against human judgements and has no ImageNet knowledge.
 *       It shares no network with any evaluation metric: not VGG or Inception (LPIPS / FID elsewhere), and not the
 *       project's Fashion-MNIST classifier ({@code FmnistClassifier}) behind the reconstruction class accuracy and the
 *       domain FID, so training on it does not optimise an evaluation metric's own features.
 * </ul>
 */
public final class PerceptualNetworks {

  private static final Logger LOG = LoggerFactory.getLogger(PerceptualNetworks.class);

  public static final String NONE = "none";
  public static final String RANDOM_CONV = "random-conv";
  public static final String LPIPS_VGG_PREFIX = "lpips-vgg:";
  static final int RANDOM_CONV_BASE = 32;
  static final int RANDOM_CONV_STAGES = 3;
  static final int RANDOM_CONV_SEED = 1234;

  private static final String EXPECTED =
      "expected none, random-conv (random frozen conv features, not LPIPS) or lpips-vgg:PATH (the safetensors file"
          + " convert_lpips_vgg.py writes; see the README, \"Perceptual loss\")";

  private PerceptualNetworks() {}

  /** Checks the form of a {@code losses.perceptual_network} value (not whether its file exists). */
  static void checkName(String name) {
    if (name == null || !(NONE.equals(name) || RANDOM_CONV.equals(name) || name.startsWith(LPIPS_VGG_PREFIX))) {
      throw new IllegalArgumentException("losses.perceptual_network is '" + name + "'; " + EXPECTED + ".");
    }
    if (name.startsWith(LPIPS_VGG_PREFIX)) {
      lpipsPath(name);
    }
  }

  private static Path lpipsPath(String name) {
    String path = name.substring(LPIPS_VGG_PREFIX.length()).trim();
    if (path.isEmpty()) {
      throw new IllegalArgumentException(
          "losses.perceptual_network is '" + name + "' with no file after 'lpips-vgg:'; name the safetensors file, e.g."
              + " lpips-vgg:/path/to/lpips-vgg.safetensors.");
    }
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("losses.perceptual_network names the file '" + path + "', which is not a valid path.", e);
    }
  }

  /**
   * Fails before training starts when the losses ask for a perceptual term that cannot be computed: a positive
   * weight with the network {@value #NONE}, or an LPIPS-VGG file that does not exist.
   */
  static void checkAvailable(LossWeights losses) {
    if (losses.perceptual() <= 0) {
      return;
    }
    String name = losses.perceptualNetwork();
    if (NONE.equals(name)) {
      throw new IllegalArgumentException(
          "losses.perceptual is " + losses.perceptual() + " but losses.perceptual_network is none; set"
              + " losses.perceptual_network to lpips-vgg:PATH (the paper's LPIPS; see the README, \"Perceptual loss\") or"
              + " random-conv (no download, not LPIPS), or set losses.perceptual to 0.");
    }
    if (name.startsWith(LPIPS_VGG_PREFIX)) {
      Path file = lpipsPath(name);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "losses.perceptual_network is " + name + " but there is no file " + file.toAbsolutePath() + "; make it with"
                + " /usr/bin/python3 training/src/main/python/convert_lpips_vgg.py --vgg vgg16-397923af.pth --lin vgg.pth"
                + " --out " + file + " (see the README, \"Perceptual loss\", for where to get the two files).");
      }
    }
  }

  /**
   * The perceptual loss the losses name, its tensors on {@code manager}, or null for {@value #NONE}.
   *
   * <p>NOTE: {@value #RANDOM_CONV} re-seeds the engine's generator to build its weights; call this before the
   * model's seeded initialisation so the model's weights do not depend on the choice of perceptual network.
   */
  static TrainingOptions.PerceptualLoss open(LossWeights losses, NDManager manager, int inChannels) {
    String name = losses.perceptualNetwork();
    if (losses.perceptual() <= 0 || NONE.equals(name)) {
      return null;
    }
    checkAvailable(losses);
    if (RANDOM_CONV.equals(name)) {
      Engine.getInstance().setRandomSeed(RANDOM_CONV_SEED);
      PerceptualLoss loss = new PerceptualLoss(
          new RandomConvFeatures(manager, inChannels, RANDOM_CONV_BASE, RANDOM_CONV_STAGES));
      LOG.info("Perceptual loss: random-conv (random frozen conv features, seed {}; NOT LPIPS), weight {}",
          RANDOM_CONV_SEED, losses.perceptual());
      return loss::compute;
    }
    Path file = lpipsPath(name);
    LpipsVgg lpips;
    try {
      lpips = LpipsVgg.load(file, manager);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the LPIPS-VGG weight file " + file + ": " + e.getMessage(), e);
    }
    if (lpips.isFullSize()) {
      LOG.info("Perceptual loss: LPIPS-VGG from {}, weight {}", file, losses.perceptual());
    } else {
      LOG.warn("Perceptual loss: {} has slice widths {}, not VGG16's {}: a test network, not LPIPS", file, lpips.widths(),
          dev.ibq.training.tokenizer.Vgg16Features.VGG16_WIDTHS);
    }
    return lpips::compute;
  }
}
