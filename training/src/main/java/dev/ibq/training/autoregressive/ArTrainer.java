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
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
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
 * <p>Writes to the output folder: {@code ar-checkpoint.ar} (config, tokenizer id, weights, optimizer state),
 * {@code metrics.jsonl} (one JSON object per step and per validation), {@code loss-curve.png}. With resume, an
 * existing checkpoint there is continued (same config and tokenizer required).
 */
public final class ArTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(ArTrainer.class);
  private static final double LN2 = Math.log(2);

  /** The checkpoint file name inside the output folder. */
  public static final String CHECKPOINT = "ar-checkpoint.ar";

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
    Path checkpoint = outDir.resolve(CHECKPOINT);
    Path metricsFile = outDir.resolve("metrics.jsonl");
    Path curveFile = outDir.resolve("loss-curve.png");
    Engine.getInstance().setRandomSeed((int) train.seed()); // dropout masks

    try (NDManager manager = NDManager.newBaseManager()) {
      Transformer model;
      ArCheckpoint.Loaded resumed = null;
      long startStep = 0;
      if (resume && Files.isRegularFile(checkpoint)) {
        ArCheckpoint.Loaded loaded = ArCheckpoint.load(checkpoint, manager, true);
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
        LOG.info("Resuming {} at step {}", checkpoint, startStep);
      } else {
        model = new Transformer(manager, config, train.seed());
      }
      Map<String, NDArray> tensors = model.parameters().tensors();
      AdamW optimizer = new AdamW(
          tensors, manager, train.beta1(), train.beta2(), 1e-8, train.weightDecay(), Map.of(),
          key -> ArParameters.decays(tensors.get(key)));
      if (resumed != null) {
        optimizer.restore(resumed.firstMoments(), resumed.secondMoments(), startStep);
      }
      try (model;
          optimizer;
          BufferedWriter metrics =
              Files.newBufferedWriter(
                  metricsFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                  resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        LOG.info(
            "Training AR model: {} parameters, {} training and {} validation sequences of {} tokens, K {}",
            model.parameters().count(), trainSet.size(), validationSet == null ? 0 : validationSet.size(),
            config.sequenceLength(), config.vocabSize());
        return loop(
            model, optimizer, train, trainSet, validationSet, startStep, checkpoint, metrics, metricsFile,
            curveFile, classNames);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("AR training failed writing to " + outDir + ": " + e.getMessage(), e);
    }
  }

  private static Result loop(
      Transformer model, AdamW optimizer, ArTrainConfig train, TokenDataset trainSet, TokenDataset validationSet,
      long startStep, Path checkpoint, BufferedWriter metrics, Path metricsFile, Path curveFile,
      List<String> classNames)
      throws IOException {
    ArConfig config = model.config();
    Map<String, NDArray> params = model.parameters().tensors();
    NDManager manager = model.parameters().manager();
    int n = config.sequenceLength();
    int batch = train.batchSize();
    BatchOrder order = new BatchOrder(trainSet.size(), train.seed());
    List<double[]> trainCurve = new ArrayList<>();
    List<double[]> validationCurve = new ArrayList<>();
    ProgressBar progress = new ProgressBar(System.err, "train-ar", train.steps());
    double validationBits = Double.NaN;
    double tailSum = 0;
    int tailCount = 0;
    long tailStart = startStep + Math.max(0, (train.steps() - startStep) * 9 / 10);
    long startNanos = System.nanoTime();
    int skipped = 0;
    for (long step = startStep; step < train.steps(); step++) {
      float lr = train.learningRateAt(step);
      long[] inputs = new long[batch * (n - 1)];
      long[] targets = new long[batch * n];
      long[] labels = new long[batch];
      Random labelDrop = new Random(train.seed() * 1_000_003L + step);
      for (int b = 0; b < batch; b++) {
        int index = order.index(step * batch + b);
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
      trainCurve.add(new double[] {done, bits});
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", done);
      row.put("lr", lr);
      row.put("train_bits_per_token", bits);
      row.put("grad_norm", Double.isFinite(gradNorm) ? gradNorm : null); // JSON has no NaN
      row.put("skipped_updates", skipped);
      metrics.write(Json.write(row));
      metrics.newLine();
      progress.update(done, String.format(Locale.ROOT, "loss %.3f bits/token lr %.2e", bits, lr));
      boolean last = done == train.steps();
      if (validationSet != null && (last || (train.evalEvery() > 0 && done % train.evalEvery() == 0))) {
        validationBits = validationBitsPerToken(model, validationSet, 64);
        validationCurve.add(new double[] {done, validationBits});
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("step", done);
        v.put("validation_bits_per_token", validationBits);
        metrics.write(Json.write(v));
        metrics.newLine();
        LOG.info("step {}: validation NLL {} bits/token", done, String.format(Locale.ROOT, "%.4f", validationBits));
      }
      metrics.flush();
      if (last || (train.checkpointEvery() > 0 && done % train.checkpointEvery() == 0)) {
        ArCheckpoint.save(
            checkpoint,
            new ArCheckpoint.Header(
                config, trainSet.tokenizerId(), trainSet.tokenizerName(), trainSet.preprocessing(), done, train,
                classNames),
            model, optimizer);
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    long stepsRun = train.steps() - startStep;
    if (!trainCurve.isEmpty()) {
      LossCurve.write(curveFile, trainCurve, validationCurve, "AR model on " + trainSet.tokenizerName() + " tokens");
    }
    return new Result(
        config, checkpoint, train.steps(), tailCount == 0 ? Double.NaN : tailSum / tailCount, validationBits,
        stepsRun * (double) batch * n / Math.max(seconds, 1e-9), seconds, metricsFile, curveFile);
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
    NDManager manager = model.parameters().manager();
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

  /** Epoch-wise seeded permutations, so the batch of any step is known (and a resumed run continues exactly). */
  private static final class BatchOrder {
    private final int size;
    private final long seed;
    private final Map<Long, int[]> permutations = new HashMap<>();

    BatchOrder(int size, long seed) {
      this.size = size;
      this.seed = seed;
    }

    int index(long position) {
      long epoch = position / size;
      int[] perm = permutations.get(epoch);
      if (perm == null) {
        permutations.clear(); // keep one epoch's permutation
        perm = new int[size];
        for (int i = 0; i < size; i++) {
          perm[i] = i;
        }
        Random random = new Random(seed * 7919 + epoch);
        for (int i = size - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
        }
        permutations.put(epoch, perm);
      }
      return perm[(int) (position % size)];
    }
  }
}
