package dev.ibq.training.importer;

import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import dev.ibq.training.weights.TorchCheckpoint;
import dev.ibq.training.weights.TorchTensor;
import dev.ibq.training.weights.WeightFileException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named tensors of a weight file, read on demand: a torch / Lightning checkpoint (its {@code state_dict}) or a
 * safetensors file. Which one is decided by the file's first bytes, not its name.
 */
public interface WeightSource extends AutoCloseable {

  /** Every key with its shape, in file order. */
  Map<String, long[]> shapes();

  /** One tensor's values as float32. */
  float[] read(String key) throws IOException;

  /** What the file is, for reports ("Lightning checkpoint (epoch 3, global_step 1234)"). */
  String description();

  @Override
  void close() throws IOException;

  /** Opens {@code file}; {@code allowPickleClasses} extends a checkpoint's pickle allow-list (inert data only). */
  static WeightSource open(Path file, Set<String> allowPickleClasses) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new WeightFileException(file + " does not exist or is not a file; expected a .ckpt (torch / Lightning) or .safetensors file.");
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(9);
    }
    boolean zip = head.length >= 2 && head[0] == 'P' && head[1] == 'K';
    boolean safetensors = head.length == 9 && head[8] == '{';
    if (safetensors && !zip) {
      return ofSafetensors(file, Safetensors.read(file));
    }
    return ofCheckpoint(file, TorchCheckpoint.open(file, allowPickleClasses));
  }

  private static WeightSource ofSafetensors(Path file, Safetensors.Contents contents) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    contents.tensors().forEach((k, v) -> shapes.put(k, v.shape()));
    return new WeightSource() {
      @Override
      public Map<String, long[]> shapes() {
        return Collections.unmodifiableMap(shapes);
      }

      @Override
      public float[] read(String key) {
        TensorData t = contents.tensors().get(key);
        if (!t.dtype().isFloating()) {
          throw new ImportException(file + ": the tensor '" + key + "' is " + t.dtype() + "; tokenizer weights must be floating point.");
        }
        return t.toFloatArray();
      }

      @Override
      public String description() {
        return "safetensors file " + file.getFileName() + " (" + shapes.size() + " tensors)";
      }

      @Override
      public void close() {}
    };
  }

  private static WeightSource ofCheckpoint(Path file, TorchCheckpoint ckpt) throws IOException {
    Map<String, TorchTensor> sd;
    try {
      sd = ckpt.stateDict();
    } catch (IOException | RuntimeException e) {
      ckpt.close();
      throw e;
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    sd.forEach((k, v) -> shapes.put(k, v.shape()));
    Map<String, Object> scalars = ckpt.scalars();
    return new WeightSource() {
      @Override
      public Map<String, long[]> shapes() {
        return Collections.unmodifiableMap(shapes);
      }

      @Override
      public float[] read(String key) throws IOException {
        TorchTensor t = sd.get(key);
        if (!t.dtype().isFloating()) {
          throw new ImportException(file + ": the tensor '" + key + "' is " + t.dtype() + "; tokenizer weights must be floating point.");
        }
        return ckpt.read(t).toFloatArray();
      }

      @Override
      public String description() {
        StringBuilder s = new StringBuilder("torch checkpoint " + file.getFileName());
        if (scalars.containsKey("epoch") || scalars.containsKey("global_step")) {
          s.append(" (Lightning: epoch ").append(scalars.get("epoch")).append(", global_step ").append(scalars.get("global_step")).append(')');
        }
        return s.toString();
      }

      @Override
      public void close() throws IOException {
        ckpt.close();
      }
    };
  }
}
