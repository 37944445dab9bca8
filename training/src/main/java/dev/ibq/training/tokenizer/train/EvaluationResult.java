package dev.ibq.training.tokenizer.train;

import java.nio.file.Path;

/**
 * Test-set figures of a tokenizer (EMA weights).
 *
 * @param images test images evaluated
 * @param tokens code indices counted (images x tokens per image)
 * @param codebookSize K
 * @param usedCodes codes used at least once
 * @param utilization usedCodes / K
 * @param perplexity exp(entropy) of the code-usage histogram
 * @param psnr mean per-image PSNR in dB, images in [0, 1], on the region named by {@code qualityRegion}
 * @param ssim mean per-image SSIM (Gaussian 11x11, sigma 1.5) on the same region
 * @param qualityRegion where PSNR and SSIM are measured, e.g. "central 28x28 (padding excluded)"
 * @param meanMaxProbability mean over positions of max_k softmax(z . c_k) (IBQ's p); near 1 means the
 *     softmax has saturated to one-hot and the all-code gradient vanishes; NaN for VQ
 * @param latentEffectiveDimension participation ratio of the covariance of the encoder latents z over the test
 *     positions (see {@link LatentGeometry}); between 1 and D
 * @param gaussianReachableCodes codes the quantizer selects at least once on {@code reachabilitySamples} draws from
 *     a Gaussian with z's mean and covariance: the utilization this codebook allows for latents of that shape
 * @param reachabilitySamples the number of those draws
 * @param step the training step of the weights
 * @param seconds wall time of the evaluation
 * @param grid the reconstruction grid PNG, or null
 */
public record EvaluationResult(
    int images,
    long tokens,
    int codebookSize,
    int usedCodes,
    double utilization,
    double perplexity,
    double psnr,
    double ssim,
    String qualityRegion,
    double meanMaxProbability,
    double latentEffectiveDimension,
    int gaussianReachableCodes,
    int reachabilitySamples,
    long step,
    double seconds,
    Path grid) {}
