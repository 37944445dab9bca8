package dev.ibq.training.autoregressive;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.optim.AdamW;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An AR checkpoint: the {@link ArConfig} that built the model, the tokenizer it was trained for, the training step,
 * the weights by name, and (optionally) the AdamW moments for resuming.
 *
 * <p>File layout: magic {@code IBQ-AR-1}, a UTF-8 JSON header ({@link Header}), then the weights and the
 * moments, each as (name, DJL-encoded tensor). Written to a temporary file and moved into place atomically.
 */
public final class ArCheckpoint {

  private static final String MAGIC = "IBQ-AR-1";

  private ArCheckpoint() {}

  /**
   * What a checkpoint says about itself.
   *
   * @param config the model shape
   * @param tokenizerId SHA-256 id of the tokenizer whose tokens the model was trained on
   * @param tokenizerName human-readable tokenizer name
   * @param preprocessing canonical preprocessing string of the training records
   * @param step optimizer steps done
   * @param trainConfig the training settings (null when unknown)
   * @param classNames names of the classes, index = label (may be empty)
   */
  public record Header(
      ArConfig config,
      String tokenizerId,
      String tokenizerName,
      String preprocessing,
      long step,
      ArTrainConfig trainConfig,
      java.util.List<String> classNames) {}

  /** A loaded checkpoint: the rebuilt model (caller closes it) and the optimizer moments if saved. */
  public record Loaded(Header header, Transformer model, Map<String, NDArray> firstMoments,
      Map<String, NDArray> secondMoments) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  public static void save(Path file, Header header, Transformer model, AdamW optimizer) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = dir.resolve(file.getFileName() + ".tmp"); // default permissions, unlike createTempFile
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
        out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
        byte[] json = Json.pretty(header).getBytes(StandardCharsets.UTF_8);
        out.writeInt(json.length);
        out.write(json);
        writeTensors(out, model.parameters().tensors());
        writeTensors(out, optimizer == null ? Map.of() : optimizer.firstMoments());
        writeTensors(out, optimizer == null ? Map.of() : optimizer.secondMoments());
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the AR checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads only the header (no tensors). */
  public static Header readHeader(Path file) {
    try (DataInputStream in = open(file)) {
      return header(in, file);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the AR checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  /** Rebuilds the model from the checkpoint's own config and loads its weights, without the optimizer state. */
  public static Loaded load(Path file, NDManager manager) {
    return load(file, manager, false);
  }

  /**
   * Rebuilds the model from the checkpoint's own config and loads its weights; with {@code optimizerState} also
   * the AdamW moments (for resuming), otherwise they are skipped.
   */
  public static Loaded load(Path file, NDManager manager, boolean optimizerState) {
    try (DataInputStream in = open(file)) {
      Header header = header(in, file);
      Transformer model = new Transformer(manager, header.config(), 0);
      Map<String, NDArray> weights = readTensors(in, manager);
      if (!weights.keySet().equals(model.parameters().tensors().keySet())) {
        model.close();
        throw new IllegalArgumentException(
            "AR checkpoint " + file + " holds tensors " + weights.keySet() + " but its config builds "
                + model.parameters().tensors().keySet() + ".");
      }
      weights.forEach(
          (name, values) -> {
            model.parameters().assign(name, values);
            values.close();
          });
      if (!optimizerState) {
        return new Loaded(header, model, Map.of(), Map.of());
      }
      Map<String, NDArray> first = readTensors(in, manager);
      Map<String, NDArray> second = readTensors(in, manager);
      return new Loaded(header, model, first, second);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the AR checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("AR checkpoint " + file + " does not exist.");
    }
    return new DataInputStream(new BufferedInputStream(Files.newInputStream(file)));
  }

  private static Header header(DataInputStream in, Path file) throws IOException {
    byte[] magic = new byte[MAGIC.length()];
    in.readFully(magic);
    if (!MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
      throw new IllegalArgumentException(
          file + " is not an AR checkpoint (it does not start with " + MAGIC + "); pass a file written by train-ar.");
    }
    byte[] json = new byte[in.readInt()];
    in.readFully(json);
    return Json.readAnyCase(new String(json, StandardCharsets.UTF_8), Header.class, "the AR checkpoint header");
  }

  private static void writeTensors(DataOutputStream out, Map<String, NDArray> tensors) throws IOException {
    out.writeInt(tensors.size());
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      out.writeUTF(e.getKey());
      byte[] bytes = e.getValue().encode();
      out.writeInt(bytes.length);
      out.write(bytes);
    }
  }

  private static Map<String, NDArray> readTensors(DataInputStream in, NDManager manager) throws IOException {
    int count = in.readInt();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = in.readUTF();
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      out.put(name, NDArray.decode(manager, bytes));
    }
    return out;
  }
}
