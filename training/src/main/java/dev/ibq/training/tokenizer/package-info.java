/**
 * Stage 1 of the method: the IBQ visual tokenizer on DJL (PyTorch engine).
 *
 * <p>Model: {@link dev.ibq.training.tokenizer.IbqTokenizerModel} built from a
 * {@link dev.ibq.training.tokenizer.TokenizerArchitecture} (presets {@code paperImageNet()} and
 * {@code fashionMnistCpu()}); blocks named after the reference ({@code GroupNorm}, {@code ResnetBlock},
 * {@code AttnBlock}, {@code Downsample}, {@code Upsample}, {@code Encoder}, {@code Decoder}); quantizers
 * {@link dev.ibq.training.tokenizer.IndexPropagationQuantizer} (the paper) and
 * {@link dev.ibq.training.tokenizer.VectorQuantizer} (the baseline), registered by name in
 * {@link dev.ibq.training.tokenizer.QuantizerKinds}; the adversary
 * {@link dev.ibq.training.tokenizer.PatchDiscriminator}; loss terms and weights in
 * {@link dev.ibq.training.tokenizer.TokenizerLosses} with {@link dev.ibq.training.tokenizer.LecamEma}; an optional
 * {@link dev.ibq.training.tokenizer.PerceptualLoss} fed by a {@link dev.ibq.training.tokenizer.FeatureNetwork}: the
 * paper's LPIPS-VGG ({@link dev.ibq.training.tokenizer.LpipsVgg} over {@link dev.ibq.training.tokenizer.Vgg16Features},
 * weights the user converts) or random frozen conv features ({@link dev.ibq.training.tokenizer.RandomConvFeatures}).
 *
 * <p>Every block is a {@link dev.ibq.training.tokenizer.TokenizerModule}: its {@code stateDict()} uses the
 * reference checkpoint keys, which checkpoints and the ONNX exporter rely on. The training loop lives in the
 * subpackage {@code train}.
 *
 * <p>A training step, in outline (one manager per step; gradients accumulate, so zero them):
 * <pre>{@code
 * try (NDManager step = manager.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
 *   TokenizerOutput out = model.forward(images, true);
 *   NDArray loss = TokenizerLosses.l1(out.reconstruction(), images);
 *   for (LossTerm term : out.quantizer().losses()) { // IBQ: quant, entropy; VQ: quant; by name, unweighted
 *     loss = loss.add(Scalars.mul(term.value(), weights.weight(term.weightKey()))); // losses.quantization, ...
 *   }
 *   loss = loss.add(Scalars.mul(TokenizerLosses.generatorAdversarialLoss(discriminator.forward(out.reconstruction(), true)),
 *       TokenizerLosses.GENERATOR_ADVERSARIAL_WEIGHT)); // never x.mul(javaNumber) before backward: see Scalars
 *   gc.backward(loss);
 * }
 * model.parameters().forEach((key, p) -> { try (NDArray g = p.getGradient()) { optimizer.update(key, p, g); } });
 * model.zeroGradients();
 * }</pre>
 *
 * <h2>The quantizer owns itself</h2>
 * A {@link dev.ibq.training.tokenizer.Quantizer} returns its loss terms by name with the config key of each weight
 * ({@link dev.ibq.training.tokenizer.LossTerm}; the trainer sums and logs them without knowing the names), reports its
 * own metrics-log diagnostics ({@code diagnostics}: every step, averaged; {@code sampledDiagnostics}: once per log
 * window; {@code maxProbabilities} for the evaluator), and its {@link dev.ibq.training.tokenizer.QuantizerKind}
 * writes its export scores (the part of the ONNX token-id graph that differs between kinds: IBQ's z . c_k, VQ's
 * z . c_k - ||c_k||^2 / 2), scores disagreements for the parity check, names its reference model classes for the
 * importer and its baseline overrides for the utilization benchmark. {@link dev.ibq.training.tokenizer.QuantizerKinds}
 * maps the config name ({@code architecture.quantizer: IBQ}, case-insensitive; the same string is stored in
 * checkpoints and ONNX metadata) to the kind. Nobody outside the quantizer classes switches on the kind.
 *
 * <p>Files that change to add a quantizer (say {@code FooQuantizer}, config name {@code FOO}):
 * <ol>
 *   <li>{@code training/src/main/java/dev/ibq/training/tokenizer/FooQuantizer.java}: the new class, a
 *       {@code CodebookQuantizer} when its codebook is one (K, D) {@code embedding.weight}, else a
 *       {@code Quantizer} with its {@code KIND} (loss terms, diagnostics, export scores, parity score);
 *   <li>{@code training/src/main/java/dev/ibq/training/tokenizer/QuantizerKinds.java}: one line,
 *       {@code register(FooQuantizer.KIND);};
 *   <li>{@code training/src/test/java/dev/ibq/training/tokenizer/FooQuantizerTest.java}: its tests (gradients by hand,
 *       as {@code QuantizerTest}; an export parity run, as {@code ParityCheckTest} or {@code ThirdQuantizerKindTest}).
 * </ol>
 * Only when its loss needs a weight that does not exist yet (a term may reuse {@code quantization} or
 * {@code entropy}): one field in {@code tokenizer/train/LossWeights.java} with its value in {@code paper()} and the two
 * {@code new LossWeights(...)} calls ({@code LossWeights}, {@code TokenizerPresets}), plus a default for configs
 * stored without it in {@code tokenizer/train/ConfigFiles.java} (as {@code codebook_lr_scale} has).
 * Only when it should be a benchmark row: one line in {@code tokenizer/train/QuantizerVariant.java}. The trainer,
 * evaluator, exporter ({@code export/TokenizerGraphs}, {@code export/QuantizerGraph}), parity check, importer and the
 * benchmarks do not change: {@code dev.ibq.training.quantizerkind.ThirdQuantizerKindTest} trains, checkpoints,
 * evaluates and exports a kind that is registered only in that test.
 */
package dev.ibq.training.tokenizer;
