package dev.ibq.training.export;

import dev.ibq.training.io.Json;
import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.ImageSource;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.training.report.ProgressBar;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes an {@link ImageSource} into an Avro container file of {@link TokenRecord}s, in batches, and
 * can resume after an interruption without duplicates.
 *
 * <p>Resumability: inputs are read in a fixed order. After every batch the Avro block is flushed and
 * fsynced, and a checkpoint {@code OUT.progress} (JSON, replaced atomically) records how many inputs are
 * done and the file length at that point. A resumed run truncates the file to that length (dropping a
 * partly written batch), appends from the next input, and deletes the checkpoint at the end. So every
 * input ends up in the file exactly once (or is counted as rejected when it is not a decodable image).
 * An output without a checkpoint is a finished encode and is only replaced with {@code overwrite}.
 */
public final class TokenFileEncoder {
  private static final Logger LOG = LoggerFactory.getLogger(TokenFileEncoder.class);

  /** Avro file metadata keys written in the container header. */
  public static final String META_TOKENIZER_ID = "ibq.tokenizer_id";

  public static final String META_INPUTS = "ibq.inputs";

  private TokenFileEncoder() {}

  /**
   * @param batch images per ONNX Runtime call
   * @param limit encode only the first N inputs (0 = all)
   * @param stopAfterBatches test hook simulating a crash: after this many batches, write one more batch to the file
   *     WITHOUT checkpointing it and stop (0 = never)
   * @param overwrite replace a finished output file
   * @param progress draw a progress bar on stderr
   * @param limits the decode limits for encoded image files (the stream job's {@link DecodeLimits})
   * @param checkpointSeconds how often the file is fsynced and the checkpoint replaced (0 = after every batch); a
   *     crash loses at most this much work, never a record's uniqueness
   */
  public record Options(
      int batch, int limit, int stopAfterBatches, boolean overwrite, boolean progress, DecodeLimits limits,
      double checkpointSeconds) {
    public Options {
      if (batch < 1) {
        throw new IllegalArgumentException("--batch-size is " + batch + "; expected at least 1.");
      }
      if (limit < 0 || stopAfterBatches < 0) {
        throw new IllegalArgumentException("--limit and --stop-after-batches must be >= 0.");
      }
      if (limits == null) {
        throw new IllegalArgumentException("The encode needs decode limits; pass DecodeLimits.defaults() for the job's.");
      }
      if (!(checkpointSeconds >= 0) || Double.isInfinite(checkpointSeconds)) {
        throw new IllegalArgumentException("--checkpoint-seconds is " + checkpointSeconds + "; expected a number >= 0.");
      }
    }
  }

  /** Seconds between checkpoints by default: each costs an fsync, which dominated small batches. */
  public static final double DEFAULT_CHECKPOINT_SECONDS = 2.0;

  /**
   * @param total inputs this encode covers
   * @param resumedFrom inputs already done by an earlier, interrupted run (0 for a fresh run)
   * @param written records written by this run
   * @param rejected inputs that were not decodable images (all runs)
   * @param interrupted true when stopped by {@code stopAfterBatches}
   */
  public record Result(
      Path output, String tokenizerId, int total, int resumedFrom, int written, int rejected, boolean interrupted,
      double seconds) {
    public double imagesPerSecond() {
      return seconds > 0 ? written / seconds : 0;
    }
  }

  /** The checkpoint file's content. */
  record Checkpoint(int version, String tokenizerId, String inputs, int total, int done, int rejected, long committedBytes) {}

  public static Path checkpointFile(Path output) {
    return output.resolveSibling(output.getFileName() + ".progress");
  }

  public static Result encode(OnnxTokenizer tokenizer, ImageSource inputs, Path output, Options options)
      throws IOException {
    TokenizerInfo info = tokenizer.info();
    PreprocessingSpec spec = PreprocessingSpec.parse(info.preprocessingDescriptor());
    if (spec.tensorSize() != info.valuesPerImage()) {
      throw new IllegalStateException(
          "The model's preprocessing spec " + spec + " gives " + spec.tensorSize() + " floats per image but its input takes "
              + info.valuesPerImage() + "; the export is inconsistent.");
    }
    Preprocessor pre = new Preprocessor(spec);
    TokenRecords.Model model = TokenRecords.Model.of(info);
    int total = options.limit() > 0 ? Math.min(options.limit(), inputs.size()) : inputs.size();
    Path cp = checkpointFile(output);
    SpecificDatumWriter<TokenRecord> datum = new SpecificDatumWriter<>(TokenRecord.class);
    DataFileWriter<TokenRecord> writer = new DataFileWriter<>(datum);
    Checkpoint state;
    if (Files.exists(cp) && Files.exists(output)) {
      state = Json.readAnyCase(Files.readString(cp), Checkpoint.class, cp.toString());
      checkResumable(state, info, inputs, total, output);
      truncate(output, state.committedBytes());
      writer.appendTo(output.toFile());
      LOG.info("Resuming {}: {} of {} inputs were done by an interrupted run.", output, state.done(), total);
    } else {
      if (Files.exists(output) && !options.overwrite()) {
        throw new IllegalArgumentException(
            "The output " + output + " already exists and has no " + cp.getFileName()
                + " checkpoint, so it is a finished encode; pass --overwrite to replace it or choose another --out.");
      }
      if (output.getParent() != null) {
        Files.createDirectories(output.getParent());
      }
      writer.setMeta(META_TOKENIZER_ID, info.tokenizerId());
      writer.setMeta(META_INPUTS, inputs.fingerprint());
      writer.setCodec(org.apache.avro.file.CodecFactory.zstandardCodec(3)).create(TokenRecord.getClassSchema(), output.toFile());
      writer.fSync();
      state = new Checkpoint(1, info.tokenizerId(), inputs.fingerprint(), total, 0, 0, Files.size(output));
      writeCheckpoint(cp, state);
    }
    int resumedFrom = state.done();
    int done = state.done();
    int rejected = state.rejected();
    int written = 0;
    int batches = 0;
    boolean interrupted = false;
    ProgressBar bar = options.progress() ? ProgressBar.onStderr(total, 20) : null;
    long start = System.nanoTime();
    long lastCheckpoint = start;
    long checkpointNanos = (long) (options.checkpointSeconds() * 1e9);
    int perImage = info.valuesPerImage();
    // The next batch is read, decoded and preprocessed on this thread while ONNX Runtime encodes the current one.
    ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ibq-encode-reader");
      t.setDaemon(true);
      return t;
    });
    float[][] buffers = {new float[options.batch() * perImage], new float[options.batch() * perImage]};
    try {
      Future<Batch> next = done < total
          ? reader.submit(read(inputs, pre, options.limits(), done, Math.min(total, done + options.batch()), buffers[0], perImage))
          : null;
      while (done < total) {
        boolean crashAfterThis = options.stopAfterBatches() > 0 && batches == options.stopAfterBatches();
        long t0 = System.nanoTime();
        Batch current = await(next);
        int end = current.end();
        next = end < total
            ? reader.submit(read(inputs, pre, options.limits(), end, Math.min(total, end + options.batch()),
                buffers[(batches + 1) % 2], perImage))
            : null;
        rejected += current.rejected();
        List<Integer> accepted = current.accepted();
        if (!accepted.isEmpty()) {
          int b = accepted.size();
          int[][] tokens = tokenizer.encode(Arrays.copyOf(current.pixels(), b * perImage), b);
          Instant now = Instant.now();
          long micros = (System.nanoTime() - t0) / 1000 / b;
          for (int j = 0; j < b; j++) {
            int i = accepted.get(j);
            writer.append(record(model, inputs, i, tokens[j], now, micros));
          }
          written += b;
        }
        if (crashAfterThis) {
          // Simulated crash: this batch reaches the file but never the checkpoint; a resume must drop it.
          writer.flush();
          interrupted = true;
          written -= accepted.size();
          LOG.warn("Stopping after {} batches, with batch {} written but not checkpointed (--stop-after-batches).", batches, batches + 1);
          break;
        }
        done = end;
        batches++;
        long now = System.nanoTime();
        if (done == total || now - lastCheckpoint >= checkpointNanos) {
          writer.fSync();
          state = new Checkpoint(1, info.tokenizerId(), inputs.fingerprint(), total, done, rejected, Files.size(output));
          writeCheckpoint(cp, state);
          lastCheckpoint = now;
        }
        if (bar != null) {
          double secs = (now - start) / 1e9;
          double rate = (done - resumedFrom) / Math.max(secs, 1e-9);
          bar.update(done, "rejected " + rejected, rate, Duration.ofSeconds((long) ((total - done) / Math.max(rate, 1e-9))));
        }
      }
    } finally {
      reader.shutdownNow();
      writer.close();
      if (bar != null) {
        bar.finish();
      }
    }
    if (!interrupted) {
      Files.deleteIfExists(cp);
    }
    return new Result(
        output, info.tokenizerId(), total, resumedFrom, written, rejected, interrupted, (System.nanoTime() - start) / 1e9);
  }

  /** One batch as the reader thread prepared it: its inputs [from, end), the accepted ones' pixels in order. */
  private record Batch(int end, List<Integer> accepted, float[] pixels, int rejected) {}

  private static Callable<Batch> read(
      ImageSource inputs, Preprocessor pre, DecodeLimits limits, int from, int end, float[] buffer, int perImage) {
    return () -> {
      List<Integer> accepted = new ArrayList<>();
      int rejected = 0;
      for (int i = from; i < end; i++) {
        try {
          inputs.preprocessInto(i, pre, limits, buffer, accepted.size() * perImage);
          accepted.add(i);
        } catch (ImageRejectedException e) {
          rejected++;
          LOG.warn("Skipping input {} ({}): {}", i, inputs.id(i), e.getMessage());
        }
      }
      return new Batch(end, accepted, buffer, rejected);
    };
  }

  /** The reader's batch, with its failure (an I/O error, a bug) rethrown as it was on this thread. */
  private static Batch await(Future<Batch> batch) throws IOException {
    try {
      return batch.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("Interrupted while waiting for the next batch of images.");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IOException(cause);
    }
  }

  private static TokenRecord record(
      TokenRecords.Model model, ImageSource inputs, int i, int[] tokens, Instant now, long micros) {
    TokenRecords.Image image = TokenRecords.Image.of(inputs.id(i), inputs.label(i), Map.of("input_index", Integer.toString(i)), now);
    return TokenRecords.of(model, image, tokens, now, micros);
  }

  private static void checkResumable(Checkpoint s, TokenizerInfo info, ImageSource inputs, int total, Path output)
      throws IOException {
    String problem = null;
    if (s == null || s.version() != 1) {
      problem = "its checkpoint is unreadable";
    } else if (!info.tokenizerId().equals(s.tokenizerId())) {
      problem = "it was started with tokenizer " + s.tokenizerId() + " but this model is " + info.tokenizerId();
    } else if (!inputs.fingerprint().equals(s.inputs())) {
      problem = "it was started on inputs " + s.inputs() + " but these are " + inputs.fingerprint();
    } else if (s.total() != total) {
      problem = "it was started for " + s.total() + " inputs but this run asks for " + total + " (--limit)";
    } else if (s.committedBytes() > Files.size(output)) {
      problem = "the checkpoint says " + s.committedBytes() + " bytes were written but the file holds " + Files.size(output);
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "Cannot resume the interrupted encode into " + output + ": " + problem
              + ". Rerun with the same model and inputs, or delete " + checkpointFile(output).getFileName()
              + " and pass --overwrite to start over.");
    }
  }

  private static void truncate(Path file, long length) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      if (raf.length() > length) {
        LOG.info("Dropping {} bytes of an unfinished batch from {}.", raf.length() - length, file);
        raf.setLength(length);
      }
    }
  }

  private static void writeCheckpoint(Path cp, Checkpoint state) throws IOException {
    Path tmp = cp.resolveSibling(cp.getFileName() + ".tmp");
    Files.writeString(tmp, Json.pretty(state), StandardCharsets.UTF_8);
    Files.move(tmp, cp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
