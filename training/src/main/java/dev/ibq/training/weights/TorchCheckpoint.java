package dev.ibq.training.weights;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads a torch checkpoint ({@code torch.save} since torch 1.6, and so PyTorch Lightning's {@code .ckpt}): a zip
 * holding {@code <archive>/data.pkl}, a pickle of the saved object whose tensors point by persistent id to
 * storages {@code <archive>/data/<key>} (raw little-endian bytes), plus {@code <archive>/byteorder} and
 * {@code <archive>/version}.
 *
 * <h2>Allow-list</h2>
 * A pickle can name any Python global and ask for it to be called; torch's own {@code weights_only} loader refuses
 * all but a few, and so does this reader. The pickle is read with Pyrolite ({@code net.razorvine:pickle}), but every
 * GLOBAL / STACK_GLOBAL opcode is resolved here, never through Pyrolite's registry:
 * <ul>
 *   <li>executed (as Java code of this class): {@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_tensor},
 *       {@code _rebuild_parameter}, {@code _rebuild_parameter_with_state}, {@code torch._tensor._rebuild_from_type_v2}
 *       (for {@code torch.Tensor} / {@code torch.nn.parameter.Parameter} only), the storage classes
 *       {@code torch.FloatStorage} etc. (as type tags inside persistent ids), {@code collections.OrderedDict}, and
 *       {@code _codecs.encode} (protocol 2's spelling of bytes);
 *   <li>kept as inert data ({@link InertObject}, nothing called): {@link #DEFAULT_INERT_CLASSES}, the metadata types
 *       Lightning writes beside the weights, plus any the caller names;
 *   <li>anything else, {@code os.system} for example: a {@link WeightFileException} that names the global.
 * </ul>
 * The INST opcode (which would construct a class named inline) is refused too.
 *
 * <p>Tensors are read lazily: {@link #stateDict()} gives {@link TorchTensor} descriptors, {@link #read} reads one.
 * The zip stays open until {@link #close()}.
 */
public final class TorchCheckpoint implements Closeable {

  /** Metadata classes read as inert {@link InertObject}s by default (Lightning hyper-parameters, callback states). */
  public static final Set<String> DEFAULT_INERT_CLASSES = Set.of(
      "argparse.Namespace",
      "lightning.fabric.utilities.data.AttributeDict",
      "lightning_fabric.utilities.data.AttributeDict",
      "pytorch_lightning.utilities.parsing.AttributeDict",
      "pathlib.PosixPath",
      "pathlib.WindowsPath",
      "torch.torch_version.TorchVersion",
      "collections.defaultdict",
      "copyreg._reconstructor",
      "builtins.object",
      "builtins.set",
      "builtins.list",
      "builtins.dict",
      "numpy.core.multiarray.scalar",
      "numpy.core.multiarray._reconstruct",
      "numpy.ndarray",
      "numpy.dtype");

  private static final String REBUILD_V2 = "torch._utils._rebuild_tensor_v2";
  private static final String REBUILD_V1 = "torch._utils._rebuild_tensor";
  private static final String REBUILD_PARAMETER = "torch._utils._rebuild_parameter";
  private static final String REBUILD_PARAMETER_STATE = "torch._utils._rebuild_parameter_with_state";
  private static final String REBUILD_FROM_TYPE = "torch._tensor._rebuild_from_type_v2";
  private static final Set<String> TENSOR_TYPES = Set.of("torch.Tensor", "torch.nn.parameter.Parameter");

  private final Path file;
  private final ZipFile zip;
  private final String prefix;
  private final Object root;

  private TorchCheckpoint(Path file, ZipFile zip, String prefix, Object root) {
    this.file = file;
    this.zip = zip;
    this.prefix = prefix;
    this.root = root;
  }

  /** Opens {@code file} with the default allow-list. */
  public static TorchCheckpoint open(Path file) throws IOException {
    return open(file, Set.of());
  }

  /**
   * Opens {@code file}, reading the pickle with the default allow-list plus {@code extraInertClasses}
   * ({@code module.name}, read as inert data).
   *
   * @throws WeightFileException when the file is not a torch zip checkpoint, is truncated, or its pickle names a
   *     global outside the allow-list
   */
  public static TorchCheckpoint open(Path file, Set<String> extraInertClasses) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new WeightFileException(file + " does not exist or is not a file; expected a torch checkpoint (.ckpt / .pt / .pth).");
    }
    checkSignature(file);
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new WeightFileException(
          file + " starts like a zip archive but its central directory cannot be read (" + e.getMessage()
              + "); the file is truncated or damaged: download or copy it again.", e);
    }
    try {
      String prefix = findPrefix(file, zip);
      checkByteOrder(file, zip, prefix);
      Set<String> inert = new TreeSet<>(DEFAULT_INERT_CLASSES);
      inert.addAll(extraInertClasses);
      ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
      Object root;
      try (InputStream in = new BufferedInputStream(zip.getInputStream(pkl))) {
        root = new RestrictedUnpickler(file, inert).load(in);
      } catch (WeightFileException e) {
        throw e;
      } catch (EOFException | ZipException e) {
        throw new WeightFileException(file + ": the pickle " + pkl.getName() + " ends early (" + e + "); the file is truncated or damaged.", e);
      } catch (PickleException | ClassCastException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
        throw new WeightFileException(file + ": the pickle " + pkl.getName() + " is malformed (" + e + "); expected a torch.save pickle.", e);
      }
      return new TorchCheckpoint(file, zip, prefix, root);
    } catch (IOException | RuntimeException e) {
      zip.close();
      throw e;
    }
  }

  private static void checkSignature(Path file) throws IOException {
    byte[] head = new byte[16];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return;
    }
    if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
      throw new WeightFileException(
          file + " is a bare pickle: torch's legacy (pre-1.6) format, which this reader does not take. Re-save it with"
              + " torch >= 1.6 (torch.save(torch.load(path, map_location='cpu'), 'new.ckpt')) or convert it to safetensors.");
    }
    if (n >= 9 && head[8] == '{') {
      throw new WeightFileException(
          file + " looks like a safetensors file (an 8-byte length and a JSON header), not a torch checkpoint; pass it as .safetensors.");
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(n, 8); i++) {
      hex.append(String.format("%02x", head[i] & 0xff));
    }
    throw new WeightFileException(
        file + " is not a torch checkpoint: it does not start with a zip signature (first bytes " + hex + (n == 0 ? ", the file is empty" : "")
            + "); expected the .ckpt / .pt file written by torch.save or PyTorch Lightning.");
  }

  private static String findPrefix(Path file, ZipFile zip) throws WeightFileException {
    List<String> candidates = new ArrayList<>();
    for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
      String name = e.nextElement().getName();
      if (name.endsWith("data.pkl") && (name.equals("data.pkl") || name.endsWith("/data.pkl"))
          && name.indexOf('/') == name.lastIndexOf('/')) {
        candidates.add(name.substring(0, name.length() - "data.pkl".length()));
      }
    }
    if (candidates.size() != 1) {
      throw new WeightFileException(
          file + " is a zip archive but not a torch checkpoint: expected exactly one <archive>/data.pkl entry, found "
              + candidates.size() + ".");
    }
    return candidates.get(0);
  }

  private static void checkByteOrder(Path file, ZipFile zip, String prefix) throws IOException {
    ZipEntry entry = zip.getEntry(prefix + "byteorder");
    if (entry == null) {
      return; // torch wrote no byteorder record before 2.1: little-endian
    }
    try (InputStream in = zip.getInputStream(entry)) {
      String order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).strip();
      if (!order.equals("little")) {
        throw new WeightFileException(file + " was written on a " + order + "-endian machine; only little-endian checkpoints are supported.");
      }
    }
  }

  /** The whole unpickled object: maps, lists, tuples ({@code Object[]}), numbers, strings, {@link TorchTensor}s, {@link InertObject}s. */
  public Object root() {
    return root;
  }

  /**
   * The checkpoint's state dict: the {@code state_dict} entry of a Lightning checkpoint, or the root itself when
   * it is a plain {@code torch.save(model.state_dict())}. Keys in pickle order.
   *
   * @throws WeightFileException when there is no map of tensors, naming what the top level holds
   */
  public Map<String, TorchTensor> stateDict() throws WeightFileException {
    if (!(root instanceof Map<?, ?> top)) {
      throw new WeightFileException(
          file + " holds a " + describe(root) + " at its top level; expected a dict (a Lightning checkpoint or a state dict).");
    }
    Object candidate = top.containsKey("state_dict") ? top.get("state_dict") : top;
    if (!(candidate instanceof Map<?, ?> sd)) {
      throw new WeightFileException(file + ": 'state_dict' is a " + describe(candidate) + "; expected a dict of tensors.");
    }
    Map<String, TorchTensor> out = new LinkedHashMap<>();
    List<String> other = new ArrayList<>();
    for (Map.Entry<?, ?> e : sd.entrySet()) {
      if (e.getKey() instanceof String k && e.getValue() instanceof TorchTensor t) {
        out.put(k, t);
      } else {
        other.add(e.getKey() + " (" + describe(e.getValue()) + ")");
      }
    }
    if (out.isEmpty()) {
      throw new WeightFileException(
          file + " holds no tensors under " + (candidate == top ? "its top level" : "'state_dict'") + "; its keys are "
              + abbreviate(new ArrayList<>(top.keySet())) + ". Expected a Lightning checkpoint or torch.save(model.state_dict()).");
    }
    if (!other.isEmpty()) {
      throw new WeightFileException(
          file + ": the state dict has entries that are not tensors: " + abbreviate(other) + "; expected name -> tensor only.");
    }
    return Collections.unmodifiableMap(out);
  }

  /** Top-level entries other than the state dict, for reports (epoch, global_step, ...), with simple values only. */
  public Map<String, Object> scalars() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (root instanceof Map<?, ?> top) {
      for (Map.Entry<?, ?> e : top.entrySet()) {
        if (e.getKey() instanceof String k && (e.getValue() instanceof Number || e.getValue() instanceof String)) {
          out.put(k, e.getValue());
        }
      }
    }
    return out;
  }

  /**
   * Reads one tensor's values (row-major, little-endian), gathering strided views.
   *
   * @throws WeightFileException when its storage entry is missing or shorter than the tensor needs
   */
  public TensorData read(TorchTensor t) throws IOException {
    String name = prefix + "data/" + t.storageKey();
    ZipEntry entry = zip.getEntry(name);
    if (entry == null) {
      throw new WeightFileException(file + " lacks the storage " + name + " of a " + t + "; the archive is incomplete.");
    }
    int es = t.dtype().bytes();
    long needed = t.extent() * es;
    if (t.extent() > t.storageElements() || (entry.getSize() >= 0 && entry.getSize() < needed)) {
      throw new WeightFileException(
          file + ": the storage " + name + " holds " + (entry.getSize() >= 0 ? entry.getSize() : t.storageElements() * es)
              + " bytes but a " + t + " at offset " + t.offset() + " needs " + needed + "; the file is damaged.");
    }
    long n = t.numel();
    if (n * es > Integer.MAX_VALUE) {
      throw new WeightFileException(file + ": a " + t + " is over 2 GiB; such tensors are not supported.");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      if (t.contiguous()) {
        skipFully(in, t.offset() * es);
        byte[] bytes = readExactly(in, (int) (n * es), name);
        return new TensorData(t.dtype(), t.shape(), ByteBuffer.wrap(bytes));
      }
      byte[] storage = readExactly(in, (int) needed, name);
      byte[] out = new byte[(int) (n * es)];
      long[] shape = t.shape();
      long[] stride = t.stride();
      long[] index = new long[shape.length];
      for (long i = 0; i < n; i++) {
        long src = t.offset();
        for (int d = 0; d < shape.length; d++) {
          src += index[d] * stride[d];
        }
        System.arraycopy(storage, (int) (src * es), out, (int) (i * es), es);
        for (int d = shape.length - 1; d >= 0; d--) {
          if (++index[d] < shape[d]) {
            break;
          }
          index[d] = 0;
        }
      }
      return new TensorData(t.dtype(), shape, ByteBuffer.wrap(out));
    } catch (EOFException | ZipException e) {
      throw new WeightFileException(file + ": the storage " + name + " cannot be read in full (" + e.getMessage() + "); the file is truncated or damaged.", e);
    }
  }

  private static void skipFully(InputStream in, long bytes) throws IOException {
    long left = bytes;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException("storage ends " + left + " bytes before the tensor starts");
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  private static byte[] readExactly(InputStream in, int bytes, String name) throws IOException {
    byte[] out = in.readNBytes(bytes);
    if (out.length != bytes) {
      throw new EOFException(name + " holds " + out.length + " of the " + bytes + " bytes needed");
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }

  static String describe(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof InertObject io) {
      return io.className();
    }
    if (o instanceof Object[]) {
      return "tuple";
    }
    return o.getClass().getSimpleName();
  }

  static String abbreviate(List<?> items) {
    if (items.size() <= 10) {
      return items.toString();
    }
    return items.subList(0, 10) + " and " + (items.size() - 10) + " more";
  }

  /** A storage named by a persistent id: ('storage', torch.FloatStorage, key, location, numel). */
  private record StorageRef(String key, DType dtype, long elements) {}

  /** The type tag that a storage-class GLOBAL resolves to. */
  private record StorageType(DType dtype) {}

  /** The marker a tensor-type GLOBAL (torch.Tensor, Parameter) resolves to; never called. */
  private record TensorType(String name) {}

  /** Pyrolite's unpickler with GLOBAL, STACK_GLOBAL, INST and BUILD under this class's control. */
  private static final class RestrictedUnpickler extends Unpickler {
    private final Path file;
    private final Set<String> inert;

    RestrictedUnpickler(Path file, Set<String> inert) {
      this.file = file;
      this.inert = inert;
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
      if (key == Opcodes.GLOBAL) {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        stack.add(resolve(module, name));
        return NO_RETURN_VALUE;
      }
      if (key == Opcodes.STACK_GLOBAL) {
        Object name = stack.pop();
        Object module = stack.pop();
        if (!(module instanceof String m) || !(name instanceof String n)) {
          throw new WeightFileException(file + ": the pickle's STACK_GLOBAL names a non-string global; the pickle is malformed.");
        }
        stack.add(resolve(m, n));
        return NO_RETURN_VALUE;
      }
      if (key == Opcodes.INST) {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        throw refused(module + "." + name);
      }
      if (key == Opcodes.BUILD) {
        Object state = stack.pop();
        Object target = stack.peek();
        if (target instanceof InertObject io) {
          io.setState(state);
        } else if (!(target instanceof Map<?, ?>)) {
          // OrderedDict carries attributes such as torch's _metadata as BUILD state; tensors and storages never do.
          throw new WeightFileException(
              file + ": the pickle sets state on a " + describe(target) + ", which a torch checkpoint never does; the pickle is malformed.");
        }
        return NO_RETURN_VALUE;
      }
      return super.dispatch(key);
    }

    @Override
    protected Object persistentLoad(Object pid) {
      if (pid instanceof Object[] t && t.length >= 5 && "storage".equals(t[0]) && t[1] instanceof StorageType type
          && t[2] instanceof String storageKey && t[4] instanceof Number numel) {
        return new StorageRef(storageKey, type.dtype(), numel.longValue());
      }
      throw new PickleException(
          "unexpected persistent id " + (pid instanceof Object[] t ? Arrays.deepToString(t) : String.valueOf(pid))
              + "; expected ('storage', torch.<Type>Storage, key, location, numel)");
    }

    private WeightFileException refused(String global) {
      return new WeightFileException(
          file + ": the pickle refers to the Python global '" + global + "', which is not on the allow-list (torch's"
              + " tensor-rebuild functions and storage types, collections.OrderedDict and known Lightning metadata"
              + " classes); refusing to read it. A checkpoint of weights needs nothing else: if the file is trusted and '"
              + global + "' is plain metadata, name it with --allow-pickle-class " + global
              + " to read it as inert data (nothing is executed either way), or convert the weights to safetensors.");
    }

    private Object resolve(String pickledModule, String name) throws WeightFileException {
      // Protocol 2 spells Python 3's builtins and copyreg with their Python 2 names (pickle's fix_imports).
      String module = switch (pickledModule) {
        case "__builtin__" -> "builtins";
        case "copy_reg" -> "copyreg";
        default -> pickledModule;
      };
      String global = module + "." + name;
      if (module.equals("torch") && name.endsWith("Storage")) {
        DType dtype = DType.ofTorchStorage(name);
        if (dtype == null) {
          throw new WeightFileException(
              file + ": the pickle uses the storage type '" + global + "', which this reader does not support; supported are "
                  + Arrays.stream(DType.values()).map(d -> "torch." + d.torchStorage()).toList() + ".");
        }
        return new StorageType(dtype);
      }
      if (TENSOR_TYPES.contains(global)) {
        return new TensorType(global);
      }
      return switch (global) {
        case "collections.OrderedDict" -> (IObjectConstructor) args -> orderedDict(args);
        case "_codecs.encode" -> (IObjectConstructor) RestrictedUnpickler::encode;
        case REBUILD_V2, REBUILD_V1 -> (IObjectConstructor) this::rebuildTensor;
        case REBUILD_PARAMETER, REBUILD_PARAMETER_STATE -> (IObjectConstructor) args -> {
          if (args.length < 1 || !(args[0] instanceof TorchTensor)) {
            throw new PickleException(global + " expects a tensor as its first argument; got " + Arrays.deepToString(args));
          }
          return args[0];
        };
        case REBUILD_FROM_TYPE -> (IObjectConstructor) args -> {
          if (args.length < 3 || !(args[0] instanceof IObjectConstructor f) || !(args[1] instanceof TensorType)
              || !(args[2] instanceof Object[] inner)) {
            throw new PickleException(global + " is allowed only for torch.Tensor and Parameter with a tensor-rebuild function; got "
                + Arrays.deepToString(args));
          }
          return f.construct(inner);
        };
        default -> {
          if (inert.contains(global)) {
            yield (IObjectConstructor) args -> new InertObject(global, args);
          }
          throw refused(global);
        }
      };
    }

    private static Object orderedDict(Object[] args) {
      LinkedHashMap<Object, Object> map = new LinkedHashMap<>();
      if (args.length == 1 && args[0] instanceof List<?> items) {
        for (Object item : items) {
          if (item instanceof Object[] pair && pair.length == 2) {
            map.put(pair[0], pair[1]);
          } else if (item instanceof List<?> pair && pair.size() == 2) {
            map.put(pair.get(0), pair.get(1));
          } else {
            throw new PickleException("OrderedDict item " + item + " is not a (key, value) pair");
          }
        }
      } else if (args.length != 0) {
        throw new PickleException("OrderedDict expects no arguments or a list of pairs; got " + Arrays.deepToString(args));
      }
      return map;
    }

    private static Object encode(Object[] args) {
      if (args.length == 2 && args[0] instanceof String text && "latin1".equals(args[1])) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
      }
      throw new PickleException("_codecs.encode is allowed only as protocol 2's (text, 'latin1') bytes; got " + Arrays.deepToString(args));
    }

    private Object rebuildTensor(Object[] args) {
      if (args.length < 4 || !(args[0] instanceof StorageRef storage) || !(args[1] instanceof Number offset)
          || !(args[2] instanceof Object[] size) || !(args[3] instanceof Object[] stride)) {
        throw new PickleException(
            "the tensor-rebuild call has arguments " + Arrays.deepToString(args) + "; expected (storage, offset, size, stride, ...)");
      }
      return new TorchTensor(storage.key(), storage.dtype(), storage.elements(), offset.longValue(), longs(size), longs(stride));
    }

    private static long[] longs(Object[] values) {
      long[] out = new long[values.length];
      for (int i = 0; i < values.length; i++) {
        if (!(values[i] instanceof Number n)) {
          throw new PickleException("expected integers in a tensor size or stride; got " + Arrays.deepToString(values));
        }
        out[i] = n.longValue();
      }
      return out;
    }
  }
}
