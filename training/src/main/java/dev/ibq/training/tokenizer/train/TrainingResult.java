package dev.ibq.training.tokenizer.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a training run produced.
 *
 * @param runDir the run directory (config.yaml, metrics.jsonl, figures, checkpoints/)
 * @param config the config it trained (after overrides; for a resumed run the checkpoint's)
 * @param startStep the step it started from (0, or the resumed checkpoint's)
 * @param finalStep the step it reached
 * @param lastCheckpoint the checkpoint written at the end
 * @param metricsLog the JSON-lines metrics log
 * @param lastMetrics the last metrics-log row
 * @param imagesPerSecond mean training throughput of this invocation (images / wall second of the steps)
 * @param secondsPerStep mean wall seconds per step of this invocation
 * @param device the device it ran on
 * @param evaluation the test-set evaluation of the EMA weights, or null when disabled (or stopped early)
 * @param stoppedBy null when the run reached its last step; else the signal (INT, TERM) or reason that stopped it
 *     early, after writing {@code lastCheckpoint}
 */
public record TrainingResult(
    Path runDir,
    TokenizerTrainingConfig config,
    long startStep,
    long finalStep,
    Path lastCheckpoint,
    Path metricsLog,
    Map<String, Double> lastMetrics,
    double imagesPerSecond,
    double secondsPerStep,
    String device,
    EvaluationResult evaluation,
    String stoppedBy) {

  /** Whether the run stopped before its last step (a signal or a stop request). */
  public boolean stoppedEarly() {
    return stoppedBy != null;
  }
}
