/**
 * Stage 1 of the method: the IBQ visual tokenizer on DJL (PyTorch engine).
 *
 * <p>Model: {@link dev.ibq.training.tokenizer.IbqTokenizerModel} built from a
 * {@link dev.ibq.training.tokenizer.TokenizerArchitecture} (presets {@code paperImageNet()} and
 * {@code fashionMnistCpu()}); blocks named after the reference ({@code GroupNorm}, {@code ResnetBlock},
 * {@code AttnBlock}, {@code Downsample}, {@code Upsample}, {@code Encoder}, {@code Decoder}); quantizers
 * {@link dev.ibq.training.tokenizer.IndexPropagationQuantizer} (the paper) and
 * {@link dev.ibq.training.tokenizer.VectorQuantizer} (the baseline); the adversary
 * {@link dev.ibq.training.tokenizer.PatchDiscriminator}; loss terms and weights in
 * {@link dev.ibq.training.tokenizer.TokenizerLosses} with {@link dev.ibq.training.tokenizer.LecamEma}; an optional
 * {@link dev.ibq.training.tokenizer.PerceptualLoss} fed by a {@link dev.ibq.training.tokenizer.FeatureNetwork}.
 *
 * <p>Every block is a {@link dev.ibq.training.tokenizer.TokenizerModule}: its {@code stateDict()} uses the
 * reference checkpoint keys, which checkpoints and the ONNX exporter rely on. The training loop lives in the
 * subpackage {@code train}.
 *
 * <p>A training step, in outline (one manager per step; gradients accumulate, so zero them):
 * <pre>{@code
 * try (NDManager step = manager.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
 *   TokenizerOutput out = model.forward(images, true);
 *   NDArray loss = TokenizerLosses.l1(out.reconstruction(), images)
 *       .add(out.quantizer().quantizationLoss())
 *       .add(Scalars.mul(out.quantizer().entropyLoss(), TokenizerLosses.ENTROPY_WEIGHT))
 *       .add(Scalars.mul(TokenizerLosses.generatorAdversarialLoss(discriminator.forward(out.reconstruction(), true)),
 *           TokenizerLosses.GENERATOR_ADVERSARIAL_WEIGHT)); // never x.mul(javaNumber) before backward: see Scalars
 *   gc.backward(loss);
 * }
 * model.parameters().forEach((key, p) -> { try (NDArray g = p.getGradient()) { optimizer.update(key, p, g); } });
 * model.zeroGradients();
 * }</pre>
 */
package dev.ibq.training.tokenizer;
