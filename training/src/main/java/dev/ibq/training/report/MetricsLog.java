package dev.ibq.training.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.ibq.training.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON-lines metrics log: one object per line, each with a {@code step} and any number of named
 * numbers ({@code {"step":25,"loss":0.41,"l1":0.12,...}}). The rows are also kept in memory for the
 * curve figures. Opening an existing log for a resumed run keeps only the rows up to the resume step,
 * so a crash between a checkpoint and the next one leaves no duplicate steps.
 */
public final class MetricsLog implements AutoCloseable {

  private static final TypeReference<LinkedHashMap<String, Double>> ROW = new TypeReference<>() {};

  private final Path file;
  private final BufferedWriter writer;
  private final List<Map<String, Double>> rows = new ArrayList<>();

  private MetricsLog(Path file, List<Map<String, Double>> kept) throws IOException {
    this.file = file;
    this.rows.addAll(kept);
    StringBuilder text = new StringBuilder();
    for (Map<String, Double> row : kept) {
      text.append(Json.write(row)).append('\n');
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
    this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** Starts a new log (an existing file is replaced). */
  public static MetricsLog create(Path file) {
    try {
      return new MetricsLog(file, List.of());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create metrics log " + file, e);
    }
  }

  /** Continues the log of a resumed run: rows with a step above {@code resumeStep} are dropped. */
  public static MetricsLog resume(Path file, long resumeStep) {
    List<Map<String, Double>> kept = new ArrayList<>();
    for (Map<String, Double> row : read(file)) {
      if (row.getOrDefault("step", 0.0) <= resumeStep) {
        kept.add(row);
      }
    }
    try {
      return new MetricsLog(file, kept);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open metrics log " + file, e);
    }
  }

  /** Reads every row of a log (an absent file has none). */
  public static List<Map<String, Double>> read(Path file) {
    List<Map<String, Double>> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        out.add(Json.MAPPER.readValue(line, ROW));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "The metrics log " + file + " has a line that is not a JSON object of numbers: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read metrics log " + file, e);
    }
    return out;
  }

  /** Appends one row and flushes it, so the file can be followed while training runs. */
  public void append(Map<String, Double> row) {
    rows.add(new LinkedHashMap<>(row));
    try {
      writer.write(Json.write(row));
      writer.write('\n');
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write metrics log " + file, e);
    }
  }

  /** The rows so far (including those kept from before a resume). */
  public List<Map<String, Double>> rows() {
    return List.copyOf(rows);
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close metrics log " + file, e);
    }
  }
}
