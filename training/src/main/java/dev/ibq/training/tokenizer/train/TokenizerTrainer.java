package dev.ibq.training.tokenizer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.CodeUsage;
import dev.ibq.training.data.ImageBatches;
import dev.ibq.training.data.LabelledImages;
import dev.ibq.training.data.TrainingData;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.report.MetricsLog;
import dev.ibq.training.run.BatchOrder;
import dev.ibq.training.report.ProgressBar;
import dev.ibq.training.report.TrainingCurves;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.LecamEma;
import dev.ibq.training.tokenizer.LossTerm;
import dev.ibq.training.tokenizer.PatchDiscriminator;
import dev.ibq.training.tokenizer.QuantizerOutput;
import dev.ibq.training.tokenizer.TokenizerLosses;
import dev.ibq.training.tokenizer.TokenizerOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the IBQ tokenizer (or the VQ baseline) on Fashion-MNIST with DJL, following IBQ.md.
 *
 * <p>Each step, on a batch x (B, C, H, W) in [-1, 1]:
 *
 * <ol>
 *   <li>generator forward: x_hat, quantizer losses, indices;
 *   <li>discriminator update FIRST: {@code hinge(D(x), D(sg(x_hat))) + lecam * LeCAM} (the LeCAM EMAs of
 *       decay {@code lecam_decay} are updated with this batch first), Adam step on D;
 *   <li>generator update: {@code l1 |x - x_hat| + (each quantizer loss term times the weight it names, e.g.
 *       quantization Lq + entropy Le for IBQ) + perceptual P + adversarial softplus(-mean D(x_hat))} with the
 *       just-updated D, Adam step on encoder, quant_conv, codebook, post_quant_conv and decoder;
 *   <li>weight EMA of every generator tensor.
 * </ol>
 *
 * <p>Two hand-driven optimisers on explicit parameter groups replace DJL's single-model {@code Trainer}.
 * Everything a step allocates lives on a per-step sub-manager and is freed when the step ends.
 *
 * <p>Outputs in the run directory: {@code config.yaml}, {@code metrics.jsonl} (one JSON line per
 * {@code log_every} steps), {@code reconstructions.png} and {@code curves.png} (every {@code figure_every}
 * steps and at the end), {@code checkpoints/step-N/} and {@code checkpoints/last}, and at the end
 * {@code evaluation.json} with the test-set evaluation of the EMA weights.
 */
public final class TokenizerTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(TokenizerTrainer.class);

  public static final String METRICS_FILE = "metrics.jsonl";
  public static final String GRID_FILE = "reconstructions.png";
  public static final String CURVES_FILE = "curves.png";
  public static final String EVALUATION_FILE = "evaluation.json";

  /** The metrics-log columns the trainer itself writes; a quantizer's loss terms and diagnostics take other names. */
  static final List<String> OWN_COLUMNS = List.of(
      "step", "loss", "l1", "d_loss", "g_adv", "perceptual", "utilization", "used_codes", "images_per_s", "lr", "gc_in_step",
      "codebook_drift");

  private TokenizerTrainer() {}

  /** The preprocessing spec a config names. */
  public static PreprocessingSpec preprocessingSpec(TokenizerTrainingConfig config) {
    return preprocessingSpec(config.preprocessing());
  }

  /**
   * The preprocessing spec of a name: {@value TokenizerTrainingConfig#FASHION_MNIST_32}, {@value
   * TokenizerTrainingConfig#IMAGENET_256} (= rgb-256), {@code rgb-N} or {@code gray-N} (shorter side to N, center crop).
   */
  public static PreprocessingSpec preprocessingSpec(String name) {
    if (TokenizerTrainingConfig.FASHION_MNIST_32.equals(name)) {
      return PreprocessingSpec.fashionMnist32();
    }
    if (TokenizerTrainingConfig.IMAGENET_256.equals(name)) {
      return PreprocessingSpec.rgbCenterCrop(256);
    }
    if (name != null && name.matches("(rgb|gray)-[1-9][0-9]{0,3}")) {
      int size = Integer.parseInt(name.substring(name.indexOf('-') + 1));
      PreprocessingSpec rgb = PreprocessingSpec.rgbCenterCrop(size);
      return name.startsWith("rgb")
          ? rgb
          : new PreprocessingSpec(size, size, 1, rgb.resize(), rgb.interpolation(), rgb.padValue());
    }
    throw new IllegalArgumentException(
        "preprocessing is '" + name + "'; expected " + TokenizerTrainingConfig.FASHION_MNIST_32 + ", "
            + TokenizerTrainingConfig.IMAGENET_256 + ", rgb-N or gray-N (N pixels, e.g. rgb-64).");
  }

  /** The config stored with a checkpoint that {@code --resume} would continue. */
  public static TokenizerTrainingConfig resumeConfig(Path checkpoint) {
    return TokenizerCheckpoint.config(checkpoint);
  }

  /**
   * Trains (or resumes) and returns what was produced.
   *
   * @param config what to train; ignored except for {@code steps} when resuming, where the checkpoint's
   *     stored config is used (a larger {@code steps} extends the run)
   * @param outputDir the run directory; when resuming and null, the checkpoint's run directory
   */
  public static TrainingResult run(TokenizerTrainingConfig config, Path outputDir, TrainingOptions options) {
    Path resumeDir = null;
    TrainingState resumeState = null;
    if (options.resumeFrom() != null) {
      resumeDir = TokenizerCheckpoint.resolve(options.resumeFrom());
      TokenizerTrainingConfig stored = TokenizerCheckpoint.config(resumeDir);
      resumeState = TokenizerCheckpoint.readState(resumeDir);
      if (config != null && config.steps() != stored.steps()) {
        stored = stored.withSteps(config.steps());
      }
      config = stored;
      if (outputDir == null) {
        outputDir = resumeDir.getParent().getParent();
      }
      if (resumeState.step() >= config.steps()) {
        throw new IllegalArgumentException(
            "The checkpoint " + resumeDir + " is at step " + resumeState.step() + ", and the run has " + config.steps()
                + " steps; pass a larger --steps to continue it.");
      }
    }
    if (options.perceptual() == null) {
      PerceptualNetworks.checkAvailable(config.losses());
    }
    PreprocessingSpec spec = preprocessingSpec(config);
    if (spec.channels() != config.architecture().inChannels() || spec.height() != config.architecture().resolution()) {
      throw new IllegalArgumentException(
          "The preprocessing " + spec + " makes " + spec.channels() + "x" + spec.height() + "x" + spec.width()
              + " tensors but the architecture expects " + config.architecture().inChannels() + "x" + config.architecture().resolution()
              + "x" + config.architecture().resolution() + ".");
    }
    if (config.losses().discriminator()) {
      PatchDiscriminator.requireFits(config.architecture().resolution(), config.losses().discriminatorLayers());
    }
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create run directory " + outputDir, e);
    }
    DeviceSelection.Choice device = DeviceSelection.select(options.device());
    TrainingData.Splits data = TrainingData.open(config.dataset(), spec, options.dataDir());
    LabelledImages train = data.train();
    LabelledImages test = data.test();
    LOG.info("Training images: {}; evaluation images: {}", train.describe(), test.describe());
    try (NDManager root = NDManager.newBaseManager(device.device())) {
      return new Run(config, outputDir, options, device, spec, train, test, root, resumeDir, resumeState).train();
    }
  }

  /** One training invocation's mutable state. */
  private static final class Run {
    final TokenizerTrainingConfig config;
    final Path runDir;
    final TrainingOptions options;
    final DeviceSelection.Choice device;
    final PreprocessingSpec spec;
    final Preprocessor preprocessor;
    final LabelledImages test;
    final NDManager root;
    final IbqTokenizerModel model;
    final IbqTokenizerModel emaModel;
    final PatchDiscriminator discriminator;
    final AdamW generatorAdam;
    final AdamW discriminatorAdam;
    final WeightEma ema;
    final LecamEma lecam;
    final ImageBatches batches;
    final CodeUsage recent;
    final long startStep;
    final double elapsedBefore;
    final LossWeights w;
    /** The perceptual loss: the options' hook, else the config's losses.perceptual_network; null when off. */
    final TrainingOptions.PerceptualLoss perceptualLoss;
    final GcGuard gcGuard = new GcGuard();
    /** The codebook as initialised (same seed, same init, also on resume): the reference of codebook_drift. */
    final float[] initialCodebook;
    /** The names of the quantizer's loss terms, in its order, as of the last step (for the curves and the bar). */
    List<String> lossTermNames = List.of();

    Run(TokenizerTrainingConfig config, Path runDir, TrainingOptions options, DeviceSelection.Choice device, PreprocessingSpec spec,
        LabelledImages train, LabelledImages test, NDManager root, Path resumeDir, TrainingState resumeState) {
      this.config = config;
      this.runDir = runDir;
      this.options = options;
      this.device = device;
      this.spec = spec;
      this.preprocessor = new Preprocessor(spec);
      this.test = test;
      this.root = root;
      this.w = config.losses();
      // Before the seeded initialisation: building the perceptual network draws random numbers.
      this.perceptualLoss = options.perceptual() != null
          ? options.perceptual()
          : PerceptualNetworks.open(w, root, config.architecture().inChannels());
      // Seeded initialisation: same seed, same initial weights.
      Engine.getInstance().setRandomSeed((int) config.seed());
      this.model = IbqTokenizerModel.create(config.architecture(), root);
      this.discriminator = new PatchDiscriminator(
          root, config.architecture().inChannels(), w.discriminatorChannels(), w.discriminatorLayers());
      this.emaModel = IbqTokenizerModel.create(config.architecture(), root);
      this.initialCodebook = model.quantizer().embedding().toFloatArray();
      this.generatorAdam = optimizer(config.optimizer(), model.parameters(), root, codebookScale(config));
      this.discriminatorAdam = optimizer(config.optimizer(), discriminator.parameters(), root, Map.of());
      this.ema = new WeightEma(config.emaDecay(), config.emaWarmup(), emaModel.stateDict(), model.stateDict());
      this.lecam = new LecamEma(w.lecamDecay());
      this.batches = new ImageBatches(train, preprocessor, config.batchSize(), config.seed());
      this.recent = CodeUsage.lastSteps(config.architecture().codebookSize(), config.utilizationWindow());
      if (resumeDir != null) {
        TokenizerCheckpoint.restore(resumeDir, contents(resumeState));
        ema.restoreUpdates(resumeState.emaUpdates());
        lecam.restore(resumeState.lecamRealEma(), resumeState.lecamFakeEma());
        batches.seek(new BatchOrder.Position(resumeState.dataEpoch(), resumeState.dataOffset()));
        this.startStep = resumeState.step();
        this.elapsedBefore = resumeState.elapsedSeconds();
        LOG.info("Resuming {} from step {} ({})", config.preset(), startStep, resumeDir);
      } else {
        this.startStep = 0;
        this.elapsedBefore = 0;
      }
      ConfigFiles.write(config, runDir.resolve(ConfigFiles.CONFIG_FILE));
      LOG.info(
          "Tokenizer {} {} K={} D={}: {} generator and {} discriminator parameters; {} steps of batch {} on {}; run dir {}",
          config.preset(), config.architecture().quantizer(), config.architecture().codebookSize(), config.architecture().codeDim(),
          model.parameterCount(), discriminator.parameterCount(), config.steps(), config.batchSize(), device.device(), runDir);
    }

    TokenizerCheckpoint.Contents contents(TrainingState state) {
      return new TokenizerCheckpoint.Contents(config, state, model, emaModel, discriminator, generatorAdam, discriminatorAdam, recent);
    }

    TrainingResult train() {
      Path metricsFile = runDir.resolve(METRICS_FILE);
      ProgressBar bar = options.progressBar() ? ProgressBar.onStderr(config.steps(), config.logEvery()) : null;
      Map<String, Double> lastRow = Map.of();
      Path lastCheckpoint = null;
      long runStarted = System.nanoTime();
      long windowStarted = runStarted;
      int windowSteps = 0;
      double emaStepSeconds = Double.NaN;
      long lastCheckpointNanos = runStarted;
      Path unscheduledCheckpoint = null;
      String stoppedBy = null;
      long stoppedAt = config.steps();
      Sums sums = new Sums();
      try (MetricsLog log = startStep == 0 ? MetricsLog.create(metricsFile) : MetricsLog.resume(metricsFile, startStep);
          StepProfiler profiler = StepProfiler.fromSystemProperty(runDir)) {
        for (long step = startStep; step < config.steps(); step++) {
          gcGuard.beforeStep();
          long t0 = System.nanoTime();
          profiler.beforeStep(step);
          trainStep(step, sums);
          profiler.afterStep(step);
          if (gcGuard.afterStep() && gcGuard.unsafeCollections() == 1) {
            LOG.warn("A Java garbage collection ran inside step {} ({} bytes allocated in the step); gradients of such a step"
                + " may read freed memory (see GcGuard). Give the JVM a larger young generation (e.g. -Xmn1g).", step + 1,
                gcGuard.lastStepBytes());
          }
          long t1 = System.nanoTime();
          double seconds = (t1 - t0) / 1e9;
          emaStepSeconds = Double.isNaN(emaStepSeconds) ? seconds : 0.9 * emaStepSeconds + 0.1 * seconds;
          windowSteps++;
          long done = step + 1;
          if (done % config.logEvery() == 0 || done == config.steps()) {
            double windowSeconds = (System.nanoTime() - windowStarted) / 1e9;
            lastRow = sums.row(done, windowSteps, windowSteps * (double) config.batchSize() / windowSeconds, recent, config);
            lastRow.put("gc_in_step", (double) gcGuard.unsafeCollections());
            lastRow.put("codebook_drift", codebookDrift(initialCodebook, model.quantizer().embedding().toFloatArray()));
            log.append(lastRow);
            sums = new Sums();
            windowStarted = System.nanoTime();
            windowSteps = 0;
          }
          if (bar != null) {
            bar.update(done, progressFields(lastRow), lastRow.getOrDefault("images_per_s", 0.0),
                Duration.ofMillis((long) (emaStepSeconds * 1000 * (config.steps() - done))));
          }
          boolean end = done == config.steps();
          boolean stopping = options.stop().requested() && !end;
          if ((config.figureEvery() > 0 && done % config.figureEvery() == 0) || end) {
            figures(done, log);
          }
          boolean scheduled = (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0) || end;
          boolean clock = options.checkpointMinutes() > 0
              && System.nanoTime() - lastCheckpointNanos >= options.checkpointMinutes() * 60e9;
          if (scheduled || clock || stopping) {
            if (stopping && done % config.logEvery() != 0) {
              // The partial window goes into the log so a resumed run's log has no hole.
              double windowSeconds = (System.nanoTime() - windowStarted) / 1e9;
              lastRow = sums.row(done, windowSteps, windowSteps * (double) config.batchSize() / windowSeconds, recent, config);
              log.append(lastRow);
            }
            double elapsed = elapsedBefore + (System.nanoTime() - runStarted) / 1e9;
            Path written = TokenizerCheckpoint.save(runDir, contents(state(done, elapsed)));
            if (unscheduledCheckpoint != null && !unscheduledCheckpoint.equals(written)) {
              TokenizerCheckpoint.delete(unscheduledCheckpoint);
            }
            unscheduledCheckpoint = scheduled ? null : written;
            lastCheckpoint = written;
            lastCheckpointNanos = System.nanoTime();
          }
          if (stopping) {
            stoppedBy = options.stop().reason();
            stoppedAt = done;
            break;
          }
        }
        if (bar != null) {
          bar.finish();
        }
      }
      if (stoppedBy != null) {
        LOG.info("Stopped by {} after step {}; checkpoint {}", stoppedBy, stoppedAt, lastCheckpoint);
        double seconds = (System.nanoTime() - runStarted) / 1e9;
        long ran = Math.max(1, stoppedAt - startStep);
        return new TrainingResult(
            runDir, config, startStep, stoppedAt, lastCheckpoint, metricsFile, lastRow,
            ran * config.batchSize() / seconds, seconds / ran, device.device().toString(), null, stoppedBy);
      }
      double runSeconds = (System.nanoTime() - runStarted) / 1e9;
      long stepsRun = config.steps() - startStep;
      EvaluationResult evaluation = null;
      if (options.evaluate()) {
        evaluation = TokenizerEvaluator.evaluate(
            emaModel, test, preprocessor, config.evalImages(), config.gridImages(), runDir.resolve(GRID_FILE), config.steps(), root);
        TokenizerEvaluator.writeJson(runDir.resolve(EVALUATION_FILE), evaluation, config);
        LOG.info("EMA weights on the test set: {}", TokenizerEvaluator.summary(evaluation));
      }
      return new TrainingResult(
          runDir, config, startStep, config.steps(), lastCheckpoint, metricsFile, lastRow,
          stepsRun * config.batchSize() / runSeconds, runSeconds / Math.max(1, stepsRun), device.device().toString(), evaluation,
          null);
    }

    TrainingState state(long step, double elapsed) {
      BatchOrder.Position p = batches.position();
      return new TrainingState(
          step, p.epoch(), p.offset(), lecam.realEma(), lecam.fakeEma(), ema.updates(), generatorAdam.updates(),
          discriminatorAdam.updates(), spec.toCanonicalString(), device.device().toString(), elapsed);
    }

    /** One discriminator-then-generator step. */
    void trainStep(long step, Sums sums) {
      boolean adversarial = w.discriminator() && step >= w.discriminatorStartStep();
      Engine engine = Engine.getInstance();
      try (NDManager scope = root.newSubManager()) {
        NDArray x = batches.next(scope); // (B, C, H, W)
        TokenizerOutput out;
        double dLoss = 0;
        try (GradientCollector collector = engine.newGradientCollector()) {
          out = model.forward(x, true);
          if (adversarial) {
            NDArray fake = out.reconstruction().stopGradient(); // (B, C, H, W), no path into the generator
            NDArray logitsReal = discriminator.forward(x, true); // (B, 1, h', w')
            NDArray logitsFake = discriminator.forward(fake, true);
            lecam.update(logitsReal, logitsFake);
            // hinge: 0.5 (mean relu(1 - D(x)) + mean relu(1 + D(x_hat))), with NDArray constants (see GcGuard)
            NDArray hinge = Activation.relu(logitsReal.neg().add(1)).mean()
                .add(Activation.relu(logitsFake.add(1)).mean()).mul(constant(scope, 0.5));
            NDArray loss = hinge.add(TokenizerLosses.lecamRegularizer(logitsReal, logitsFake, lecam).mul(constant(scope, w.lecam())));
            collector.backward(loss);
            dLoss = scalar(loss);
          }
        }
        double lr = config.optimizer().learningRateAt(step);
        if (adversarial) {
          discriminatorAdam.step(discriminator.parameters(), lr);
        }
        QuantizerOutput q = out.quantizer();
        NDArray reconstruction = out.reconstruction();
        double l1;
        Map<String, Double> terms = new LinkedHashMap<>();
        double gAdv = 0;
        double perceptual = 0;
        double total;
        try (GradientCollector collector = engine.newGradientCollector()) {
          NDArray l1Loss = TokenizerLosses.l1(reconstruction, x);
          NDArray loss = l1Loss.mul(constant(scope, w.l1()));
          // The quantizer's own terms, by the weights they name; the trainer knows neither the terms nor the keys.
          for (LossTerm term : q.losses()) {
            double weight = w.weight(term.weightKey());
            if (weight != 0) {
              loss = loss.add(term.value().mul(constant(scope, weight)));
            }
          }
          if (w.perceptual() > 0) {
            NDArray p = perceptualLoss.distance(reconstruction, x);
            perceptual = scalar(p);
            loss = loss.add(p.mul(constant(scope, w.perceptual())));
          }
          if (adversarial) {
            NDArray adv = TokenizerLosses.generatorAdversarialLoss(discriminator.forwardForGenerator(reconstruction));
            gAdv = scalar(adv);
            loss = loss.add(adv.mul(constant(scope, w.adversarial())));
          }
          collector.backward(loss);
          l1 = scalar(l1Loss);
          for (LossTerm term : q.losses()) {
            terms.put(term.name(), scalar(term.value()));
          }
          total = scalar(loss);
        }
        // D's gradients from its own step (the generator's backward gave D none): cleared before D's next update.
        AdamW.zeroGradients(discriminator.parameters());
        generatorAdam.step(model.parameters(), lr);
        ema.update(model.stateDict(), scope);

        int[] indices = q.indices().toType(DataType.INT32, false).toIntArray();
        recent.addStep(indices);
        lossTermNames = List.copyOf(terms.keySet());
        sums.add(total, l1, terms, dLoss, gAdv, perceptual, model.quantizer().diagnostics(q));
        if (sums.sampled == null) {
          sums.sampled = model.quantizer().sampledDiagnostics(q);
        }
      }
      if (!Double.isFinite(sums.lastTotal)) {
        throw new IllegalStateException(
            "The generator loss became " + sums.lastTotal + " at step " + (step + 1) + "; training diverged (try a lower learning rate).");
      }
    }

    void figures(long step, MetricsLog log) {
      int n = Math.min(config.gridImages(), test.size());
      TokenizerEvaluator.evaluate(emaModel, test, preprocessor, n, n, runDir.resolve(GRID_FILE), step, root);
      List<String> curves = new ArrayList<>(List.of("loss", "l1"));
      curves.addAll(lossTermNames);
      if (w.perceptual() > 0) {
        curves.add("perceptual");
      }
      curves.addAll(List.of("d_loss", "g_adv"));
      TrainingCurves.write(
          runDir.resolve(CURVES_FILE), log.rows(), curves, "utilization",
          String.format(Locale.ROOT, "%s %s K=%d D=%d", config.preset(), config.architecture().quantizer(),
              config.architecture().codebookSize(), config.architecture().codeDim()));
    }

    String progressFields(Map<String, Double> row) {
      if (row.isEmpty()) {
        return "";
      }
      StringBuilder terms = new StringBuilder();
      for (String name : lossTermNames) {
        terms.append(String.format(Locale.ROOT, " %s %.4f", name, row.getOrDefault(name, Double.NaN)));
      }
      return String.format(Locale.ROOT, "loss %.4f l1 %.4f%s util %.1f%%",
          row.get("loss"), row.get("l1"), terms, 100 * row.get("utilization"));
    }
  }

  /**
   * How far the codebook has moved from its initialisation: RMS(C - C0) / RMS(C0). Adam moves each entry by at
   * most about lr per step, so with the paper's lr 1e-4 and an N(0, 1) init this stays small for thousands of
   * steps; it says whether utilization is limited by a codebook that has not moved.
   */
  static double codebookDrift(float[] initial, float[] current) {
    double diff = 0;
    double base = 0;
    for (int i = 0; i < initial.length; i++) {
      double d = current[i] - initial[i];
      diff += d * d;
      base += (double) initial[i] * initial[i];
    }
    return base == 0 ? Double.NaN : Math.sqrt(diff / base);
  }

  /**
   * The optimiser of one parameter group: Adam (beta1, beta2, eps) with the settings' decoupled weight decay on
   * every tensor (the paper: none).
   */
  static AdamW optimizer(OptimizerSettings s, Map<String, NDArray> parameters, NDManager manager, Map<String, Double> scales) {
    return new AdamW(parameters, manager, s.beta1(), s.beta2(), s.epsilon(), s.weightDecay(), scales, key -> true);
  }

  /** The codebook learning-rate multiplier as the generator optimiser's per-parameter scale (none at 1). */
  static Map<String, Double> codebookScale(TokenizerTrainingConfig config) {
    double scale = config.optimizer().codebookLrScale();
    return scale == 1.0 ? Map.of() : Map.of(IbqTokenizerModel.CODEBOOK_KEY, scale);
  }

  /**
   * A float32 0-dim constant on the step's manager: it stays alive (with its Java buffer) until the step
   * ends, after the backward passes that read it (see {@link GcGuard} for why {@code mul(double)} is not used).
   */
  static NDArray constant(NDManager scope, double value) {
    return scope.create((float) value);
  }

  /**
   * The value of a 0-dim array as a double, whatever its float type. NOTE: DJL promotes a 0-dim float32
   * times a Java double to float64 (PyTorch's rule for two 0-dim tensors), so scalar losses can be either.
   */
  static double scalar(NDArray a) {
    return a.toType(DataType.FLOAT64, false).getDouble();
  }

  /** Running sums of the loss terms and diagnostics between two log lines. */
  private static final class Sums {
    double loss;
    double l1;
    /** The quantizer's loss terms by name, in its order. */
    final Map<String, Double> terms = new LinkedHashMap<>();
    double dLoss;
    double gAdv;
    double perceptual;
    /** The quantizer's per-step diagnostics by name, averaged over the window. */
    final Map<String, Double> diagnostics = new LinkedHashMap<>();
    /** The quantizer's sampled diagnostics, taken on the window's first step (null until then). */
    Map<String, Double> sampled;
    double lastTotal;
    int n;

    void add(double total, double l1v, Map<String, Double> termValues, double dLossV, double gAdvV, double perceptualV,
        Map<String, Double> diagnosticValues) {
      loss += total;
      l1 += l1v;
      termValues.forEach((k, v) -> terms.merge(k, v, Double::sum));
      dLoss += dLossV;
      gAdv += gAdvV;
      perceptual += perceptualV;
      diagnosticValues.forEach((k, v) -> diagnostics.merge(k, v, Double::sum));
      lastTotal = total;
      n++;
    }

    Map<String, Double> row(long step, int steps, double imagesPerSecond, CodeUsage recent, TokenizerTrainingConfig config) {
      int k = Math.max(1, n);
      Map<String, Double> row = new LinkedHashMap<>();
      row.put("step", (double) step);
      row.put("loss", loss / k);
      row.put("l1", l1 / k);
      terms.forEach((name, sum) -> putQuantizerColumn(row, name, sum / k, config));
      row.put("d_loss", dLoss / k);
      row.put("g_adv", gAdv / k);
      row.put("perceptual", perceptual / k);
      row.put("utilization", recent.utilization());
      row.put("used_codes", (double) recent.usedCodes());
      diagnostics.forEach((name, sum) -> putQuantizerColumn(row, name, sum / k, config));
      if (sampled != null) {
        sampled.forEach((name, value) -> putQuantizerColumn(row, name, value, config));
      }
      row.put("images_per_s", imagesPerSecond);
      row.put("lr", config.optimizer().learningRateAt(step - 1));
      return row;
    }

    private static void putQuantizerColumn(Map<String, Double> row, String name, double value, TokenizerTrainingConfig config) {
      if (OWN_COLUMNS.contains(name) || row.containsKey(name)) {
        throw new IllegalStateException(
            "The quantizer " + config.architecture().quantizer() + " reports a loss term or diagnostic named '" + name
                + "', a metrics column that is already taken (the trainer's own are " + String.join(", ", OWN_COLUMNS)
                + "); give it another name.");
      }
      row.put(name, value);
    }
  }

}
