package dev.ibq.training.autoregressive;

import dev.ibq.training.io.Json;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.report.MetricsLog;
import dev.ibq.training.report.ProgressBar;
import dev.ibq.training.report.TrainingCurves;
import dev.ibq.training.run.BatchOrder;
import dev.ibq.training.run.Checkpoint;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the class-conditional AR {@link Transformer} on token grids (IBQ.md stage 2): teacher-forced
 * cross-entropy over [class, t_1 .. t_{N-1}] -> t_1 .. t_N, AdamW (0.9, 0.95), warm-up then linear decay,
 * weight decay 0.05, global gradient clip 1.0, dropout and class-label dropout (labels replaced by the null class,
 * which teaches the unconditional model that guidance needs).
 *
 * <p>Writes to the output folder: {@code checkpoints/step-N/} and the link {@code checkpoints/last} (each an
 * {@link ArCheckpoint}: config, tokenizer id, weights under LlamaGen's keys, optimizer and RNG state; the same run
 * layout as the tokenizer's),
 * {@code metrics.jsonl} (one JSON object per step and per validation), {@code loss-curve.png}. With resume, an
 * existing checkpoint there is continued (same config and tokenizer required).
 */
public final class ArTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(ArTrainer.class);
  private static final double LN2 = Math.log(2);


  private ArTrainer() {}

  /**
   * What a run did.
   *
   * @param checkpoint the checkpoint written last
   * @param steps optimizer steps done in total (including resumed ones)
   * @param finalTrainBitsPerToken mean training cross-entropy of the last 10% of this run's steps, bits/token
   * @param validationBitsPerToken validation NLL in bits per token at the end (NaN without validation data)
   * @param trainTokensPerSecond training throughput of this run
   */
  public record Result(
      ArConfig config,
      Path checkpoint,
      long steps,
      double finalTrainBitsPerToken,
      double validationBitsPerToken,
      double trainTokensPerSecond,
      double seconds,
      Path metrics,
      Path lossCurve) {}

  /** Splits {@code dataset} by {@link ArTrainConfig#validationFraction()} (after a seeded shuffle) and trains. */
  public static Result run(ArConfig config, ArTrainConfig train, TokenDataset dataset, Path outDir) {
    return run(config, train, dataset, outDir, false, List.of());
  }

  public static Result run(
      ArConfig config, ArTrainConfig train, TokenDataset dataset, Path outDir, boolean resume,
      List<String> classNames) {
    TokenDataset shuffled = dataset.shuffled(train.seed());
    int validation = (int) Math.round(dataset.size() * (double) train.validationFraction());
    TokenDataset trainSet = shuffled.slice(0, dataset.size() - validation);
    TokenDataset validationSet = validation == 0 ? null : shuffled.slice(dataset.size() - validation, dataset.size());
    return run(config, train, trainSet, validationSet, outDir, resume, classNames);
  }

  /** Trains on {@code trainSet}, validating on {@code validationSet} (may be null). */
  public static Result run(
      ArConfig config, ArTrainConfig train, TokenDataset trainSet, TokenDataset validationSet, Path outDir,
      boolean resume, List<String> classNames) {
    checkCompatible(config, trainSet);
    if (validationSet != null) {
      checkCompatible(config, validationSet);
      if (!validationSet.tokenizerId().equals(trainSet.tokenizerId())) {
        throw new IllegalArgumentException(
            "Training tokens come from tokenizer " + trainSet.tokenizerId() + " but validation tokens from "
                + validationSet.tokenizerId() + ".");
      }
    }
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create the output folder " + outDir + ": " + e.getMessage(), e);
    }
    Path checkpoint = Checkpoint.last(outDir);
    Path metricsFile = outDir.resolve("metrics.jsonl");
    Path curveFile = outDir.resolve("loss-curve.png");
    Engine.getInstance().setRandomSeed((int) train.seed()); // dropout masks

    try (NDManager manager = NDManager.newBaseManager()) {
      Transformer model;
      ArCheckpoint.Loaded resumed = null;
      long startStep = 0;
      BatchOrder.Position startPosition = new BatchOrder.Position(0, 0);
      if (resume && !Files.exists(checkpoint) && Files.exists(outDir.resolve(ArCheckpoint.LEGACY_FILE))) {
        ArCheckpoint.load(outDir, manager); // throws: says how to convert the earlier format
      }
      if (resume && Files.exists(checkpoint)) {
        ArCheckpoint.Loaded loaded = ArCheckpoint.load(checkpoint, manager);
        ArCheckpoint.Header header = loaded.header();
        if (!header.config().equals(config)) {
          loaded.close();
          throw new IllegalArgumentException(
              "Cannot resume: " + checkpoint + " was built with " + header.config() + " but this run asks for "
                  + config + ". Use the same preset and tokens, or a new output folder.");
        }
        if (!header.tokenizerId().equals(trainSet.tokenizerId())) {
          loaded.close();
          throw new IllegalArgumentException(
              "Cannot resume: " + checkpoint + " was trained on tokens of tokenizer " + header.tokenizerId()
                  + " but these records come from tokenizer " + trainSet.tokenizerId() + ".");
        }
        model = loaded.model();
        resumed = loaded;
        startStep = header.step();
        startPosition = loaded.state().position();
        LOG.info("Resuming {} at step {}", checkpoint, startStep);
      } else {
        model = new Transformer(manager, config, train.seed());
      }
      Map<String, NDArray> tensors = model.parameters();
      AdamW optimizer = new AdamW(
          tensors, manager, train.beta1(), train.beta2(), 1e-8, train.weightDecay(), Map.of(),
          key -> Transformer.decays(tensors.get(key)));
      if (resumed != null) {
        resumed.restoreOptimizer(optimizer);
      }
      try (model;
          optimizer;
          MetricsLog metrics = startStep == 0 ? MetricsLog.create(metricsFile) : MetricsLog.resume(metricsFile, startStep)) {
        LOG.info(
            "Training AR model: {} parameters, {} training and {} validation sequences of {} tokens, K {}",
            model.parameterCount(), trainSet.size(), validationSet == null ? 0 : validationSet.size(),
            config.sequenceLength(), config.vocabSize());
        return loop(
            model, optimizer, train, trainSet, validationSet, startStep, startPosition, outDir, metrics, curveFile,
            classNames);
      }
    }
  }

  private static Result loop(
      Transformer model, AdamW optimizer, ArTrainConfig train, TokenDataset trainSet, TokenDataset validationSet,
      long startStep, BatchOrder.Position startPosition, Path outDir, MetricsLog metrics, Path curveFile,
      List<String> classNames) {
    ArConfig config = model.config();
    Map<String, NDArray> params = model.parameters();
    NDManager manager = model.manager();
    int n = config.sequenceLength();
    int batch = train.batchSize();
    BatchOrder order = new BatchOrder(trainSet.size(), batch, train.seed());
    order.seek(startPosition);
    ProgressBar progress = ProgressBar.onStderr(train.steps(), (int) Math.max(1, train.steps() / 50), "seq/s");
    double validationBits = Double.NaN;
    double tailSum = 0;
    int tailCount = 0;
    long tailStart = startStep + Math.max(0, (train.steps() - startStep) * 9 / 10);
    long startNanos = System.nanoTime();
    int skipped = 0;
    Path checkpoint = null;
    for (long step = startStep; step < train.steps(); step++) {
      float lr = train.learningRateAt(step);
      long[] inputs = new long[batch * (n - 1)];
      long[] targets = new long[batch * n];
      long[] labels = new long[batch];
      Random labelDrop = new Random(train.seed() * 1_000_003L + step);
      // Dropout masks seeded by (seed, step) too, so a resumed run draws the masks an uninterrupted one would.
      Engine.getInstance().setRandomSeed((int) (train.seed() * 1_000_003L + step));
      int[] indices = order.next();
      for (int b = 0; b < batch; b++) {
        int index = indices[b];
        int[] row = trainSet.tokens()[index];
        for (int i = 0; i < n; i++) {
          targets[b * n + i] = row[i];
          if (i < n - 1) {
            inputs[b * (n - 1) + i] = row[i];
          }
        }
        int label = trainSet.labels()[index];
        boolean drop = label < 0 || labelDrop.nextFloat() < config.classDropout();
        labels[b] = drop ? config.nullClass() : label;
      }
      double loss;
      double gradNorm;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray in = manager.create(inputs, new Shape(batch, n - 1));
        NDArray target = manager.create(targets, new Shape(batch, n));
        NDArray label = manager.create(labels);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray logits = model.forward(in, label, true); // (B, N, K)
          NDArray ce = Transformer.crossEntropy(logits, target);
          collector.backward(ce);
          loss = ce.getFloat();
        }
        gradNorm = AdamW.clipGradientNorm(params, train.gradClip());
        if (Double.isFinite(gradNorm)) {
          optimizer.step(params, lr);
        } else {
          // NOTE: not in IBQ.md; a step whose gradient is not finite would turn every weight into NaN, so it is
          // skipped (gradients zeroed, no update) and reported, as mixed-precision trainers do.
          skipped++;
          LOG.warn(
              "Step {}: the gradient norm is {} (non-finite in {}); skipping this update ({} skipped so far).",
              step + 1, gradNorm, nonFiniteGradients(params), skipped);
          AdamW.zeroGradients(params);
          if (skipped > Math.max(10, train.steps() / 20)) {
            throw new IllegalStateException(
                "Skipped " + skipped + " updates with non-finite gradients by step " + (step + 1)
                    + "; lower the learning rate or check the token records.");
          }
        }
      }
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException(
            "The training loss became " + loss + " at step " + step + "; lower the learning rate.");
      }
      long done = step + 1;
      double bits = loss / LN2;
      if (step >= tailStart) {
        tailSum += bits;
        tailCount++;
      }
      Map<String, Double> row = new LinkedHashMap<>();
      row.put("step", (double) done);
      row.put("lr", (double) lr);
      row.put("train_bits_per_token", bits);
      if (Double.isFinite(gradNorm)) {
        row.put("grad_norm", gradNorm); // absent on a skipped update
      }
      row.put("skipped_updates", (double) skipped);
      metrics.append(row);
      double elapsed = (System.nanoTime() - startNanos) / 1e9;
      long ran = done - startStep;
      progress.update(
          done, String.format(Locale.ROOT, "loss %.3f bits/token lr %.2e", bits, lr), ran * (double) batch / elapsed,
          Duration.ofMillis((long) (elapsed / ran * (train.steps() - done) * 1000)));
      boolean last = done == train.steps();
      if (validationSet != null && (last || (train.evalEvery() > 0 && done % train.evalEvery() == 0))) {
        validationBits = validationBitsPerToken(model, validationSet, 64);
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("step", (double) done);
        v.put("validation_bits_per_token", validationBits);
        metrics.append(v);
        LOG.info("step {}: validation NLL {} bits/token", done, String.format(Locale.ROOT, "%.4f", validationBits));
      }
      if (last || (train.checkpointEvery() > 0 && done % train.checkpointEvery() == 0)) {
        checkpoint = ArCheckpoint.save(
            Checkpoint.stepDirectory(outDir, done),
            new ArCheckpoint.Header(
                config, trainSet.tokenizerId(), trainSet.tokenizerName(), trainSet.preprocessing(), done, train,
                classNames),
            model, optimizer, order.position());
        Checkpoint.pointLastAt(outDir, checkpoint);
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    long stepsRun = train.steps() - startStep;
    progress.finish();
    if (!metrics.rows().isEmpty()) {
      TrainingCurves.write(
          curveFile, metrics.rows(), "AR model on " + trainSet.tokenizerName() + " tokens", 540,
          List.of(new TrainingCurves.Panel(
              "cross-entropy (bits per token)", List.of("train_bits_per_token", "validation_bits_per_token"), false, null, 1,
              false)));
    }
    return new Result(
        config, checkpoint, train.steps(), tailCount == 0 ? Double.NaN : tailSum / tailCount, validationBits,
        stepsRun * (double) batch * n / Math.max(seconds, 1e-9), seconds, metrics.file(), curveFile);
  }

  private static List<String> nonFiniteGradients(Map<String, NDArray> params) {
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      try (NDArray g = e.getValue().getGradient()) {
        float sum = g.abs().sum().getFloat();
        if (!Float.isFinite(sum)) {
          names.add(e.getKey());
        }
      }
    }
    return names;
  }

  /** Validation negative log-likelihood in bits per token (eval mode, true labels, no label dropout). */
  public static double validationBitsPerToken(Transformer model, TokenDataset data, int batchSize) {
    ArConfig config = model.config();
    int n = config.sequenceLength();
    NDManager manager = model.manager();
    double totalNats = 0;
    long tokens = 0;
    for (int from = 0; from < data.size(); from += batchSize) {
      int rows = Math.min(batchSize, data.size() - from);
      long[] inputs = new long[rows * (n - 1)];
      long[] targets = new long[rows * n];
      long[] labels = new long[rows];
      for (int b = 0; b < rows; b++) {
        int[] row = data.tokens()[from + b];
        for (int i = 0; i < n; i++) {
          targets[b * n + i] = row[i];
          if (i < n - 1) {
            inputs[b * (n - 1) + i] = row[i];
          }
        }
        int label = data.labels()[from + b];
        labels[b] = label < 0 ? config.nullClass() : label;
      }
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray logits =
            model.forward(
                manager.create(inputs, new Shape(rows, n - 1)), manager.create(labels), false);
        double meanNats = Transformer.crossEntropy(logits, manager.create(targets, new Shape(rows, n))).getFloat();
        totalNats += meanNats * rows * n;
        tokens += (long) rows * n;
      }
    }
    return totalNats / tokens / LN2;
  }

  private static void checkCompatible(ArConfig config, TokenDataset data) {
    if (data.codebookSize() != config.vocabSize()
        || data.gridHeight() != config.gridHeight()
        || data.gridWidth() != config.gridWidth()) {
      throw new IllegalArgumentException(
          "The token records have a " + data.gridHeight() + "x" + data.gridWidth() + " grid with K "
              + data.codebookSize() + " but the AR config expects " + config.gridHeight() + "x"
              + config.gridWidth() + " with K " + config.vocabSize() + ".");
    }
    if (data.numClasses() > config.numClasses()) {
      throw new IllegalArgumentException(
          "The token records carry labels up to " + (data.numClasses() - 1) + " but the AR config has only "
              + config.numClasses() + " classes.");
    }
    if (data.sequenceLength() < 2) {
      throw new IllegalArgumentException("A token grid of one token leaves nothing to model autoregressively.");
    }
  }
}
