package dev.ibq.training.tokenizer.train;

/**
 * Loss weights of the tokenizer objective (IBQ.md, "Losses"). Generator total:
 * {@code l1 * L1 + perceptual * P + adversarial * softplus(-D(x_hat)) + quantization * Lq + entropy * Le}.
 * Discriminator: {@code hinge + lecam * LeCAM} with EMAs of decay {@code lecamDecay}.
 *
 * @param l1 weight of the L1 reconstruction loss (1)
 * @param perceptual weight of the perceptual loss (IBQ: 1 with LPIPS-VGG; 0 here by default because no
 *     pretrained feature network ships with the project; a non-zero weight needs {@code perceptual_network})
 * @param perceptualNetwork the perceptual loss's network ({@link PerceptualNetworks}): {@code none},
 *     {@code lpips-vgg:PATH} (LPIPS-VGG from the safetensors file the converter writes; the paper's loss) or
 *     {@code random-conv} (random frozen conv features, NOT LPIPS)
 * @param adversarial FIXED weight of the generator's non-saturating loss (0.1; no adaptive weight)
 * @param quantization weight of the double quantization loss (1.0) or, for VQ, of its codebook+commitment loss
 * @param entropy weight of the entropy loss (0.05; IBQ only)
 * @param lecam weight of the LeCAM regulariser in the discriminator loss (0.05)
 * @param lecamDecay decay of the LeCAM EMAs of mean D(real) and mean D(fake) (0.999)
 * @param discriminator whether the PatchGAN discriminator and the adversarial loss are used at all
 * @param discriminatorStartStep first step at which the discriminator is trained and the adversarial loss
 *     is applied (IBQ: 0)
 * @param discriminatorChannels base channels of the PatchGAN discriminator (IBQ: 64)
 * @param discriminatorLayers strided layers of the PatchGAN discriminator (IBQ: 3)
 */
public record LossWeights(
    double l1,
    double perceptual,
    String perceptualNetwork,
    double adversarial,
    double quantization,
    double entropy,
    double lecam,
    double lecamDecay,
    boolean discriminator,
    int discriminatorStartStep,
    int discriminatorChannels,
    int discriminatorLayers) {

  public LossWeights {
    for (double w : new double[] {l1, perceptual, adversarial, quantization, entropy, lecam}) {
      if (w < 0 || Double.isNaN(w)) {
        throw new IllegalArgumentException("loss weights must be non-negative numbers; got " + w + ".");
      }
    }
    PerceptualNetworks.checkName(perceptualNetwork);
    if (lecamDecay < 0 || lecamDecay >= 1) {
      throw new IllegalArgumentException("lecam_decay is " + lecamDecay + "; it must lie in [0, 1).");
    }
    if (discriminatorChannels <= 0 || discriminatorLayers <= 0) {
      throw new IllegalArgumentException("discriminator_channels and discriminator_layers must be positive.");
    }
    if (discriminatorStartStep < 0) {
      throw new IllegalArgumentException("discriminator_start_step is " + discriminatorStartStep + "; it must be >= 0.");
    }
  }

  /**
   * The weight under {@code losses.<key>}, for the loss terms a quantizer names by weight key
   * ({@code dev.ibq.training.tokenizer.LossTerm#weightKey}), e.g. {@code quantization} or {@code entropy}.
   *
   * @throws IllegalArgumentException when there is no such weight
   */
  public double weight(String key) {
    Object value = RecordTree.toTree(this).get(key);
    if (!(value instanceof Double d) || key.startsWith("lecam") || key.startsWith("discriminator")) {
      throw new IllegalArgumentException(
          "A loss term asks for the weight losses." + key + ", which does not exist; the generator's loss weights are l1,"
              + " perceptual, adversarial, quantization and entropy (a new weight needs a field in LossWeights).");
    }
    return d;
  }

  /**
   * The paper's weights, with the perceptual loss off. NOTE: the paper trains with LPIPS-VGG at weight 1; its
   * weights are the user's download, so a preset cannot assume them ({@code losses.perceptual=1}
   * {@code losses.perceptual_network=lpips-vgg:PATH} turns it on).
   */
  public static LossWeights paper() {
    return new LossWeights(1.0, 0.0, PerceptualNetworks.NONE, 0.1, 1.0, 0.05, 0.05, 0.999, true, 0, 64, 3);
  }
}
