package dev.ibq.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.ibq.model.OnnxModelException;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;

/**
 * Opens ONNX Runtime sessions for the tokenizer models: execution-provider choice with CPU fallback, and
 * the checks on file, metadata and graph signature shared by {@link OnnxTokenizer} and {@link OnnxDecoder}.
 */
final class OnnxSessions {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxSessions.class);

  /**
   * Why CUDA could not be added the first time AUTO tried it in this JVM, or null if it has not failed.
   * Adding CUDA unpacks a ~370 MB library on first use; a machine without a GPU does not grow one, so AUTO
   * does not pay that again for every session.
   */
  private static volatile String cudaFailure;

  private OnnxSessions() {}

  /** An opened session, its provider and its validated metadata. */
  record Opened(OrtSession session, TokenizerInfo info) {}

  static Opened open(Path model, OnnxTokenizer.Options options, String role) {
    checkReadableOnnxFile(model);
    String noGpu = options.provider() == ExecutionProvider.AUTO ? noGpuReason(Path.of("/dev"), System.getenv("CUDA_VISIBLE_DEVICES")) : null;
    boolean tryCuda = options.provider() == ExecutionProvider.CUDA
        || (options.provider() == ExecutionProvider.AUTO && cudaFailure == null && noGpu == null);
    OrtNatives.prepare(tryCuda);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session = null;
    ExecutionProvider chosen = null;
    try {
      if (tryCuda) {
        try {
          session = create(env, model, options, true);
          chosen = ExecutionProvider.CUDA;
          LOG.info(
              "ONNX Runtime runs {} on the CUDA execution provider (device 0), as {} asked.",
              model.getFileName(),
              options.provider());
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
          if (isModelProblem(e)) {
            throw unreadable(model, e);
          }
          if (options.provider() == ExecutionProvider.CUDA) {
            throw new OnnxModelException(
                "The CUDA execution provider was requested for "
                    + model
                    + " but could not be used ("
                    + e.getMessage()
                    + "); it needs an NVIDIA GPU with CUDA 12 and cuDNN 9 libraries, or use --provider CPU/AUTO.",
                e);
          }
          cudaFailure = String.valueOf(e.getMessage());
        }
      }
      if (session == null) {
        session = create(env, model, options, false);
        chosen = ExecutionProvider.CPU;
        if (options.provider() == ExecutionProvider.CPU) {
          LOG.info("ONNX Runtime runs {} on the CPU execution provider, as requested.", model.getFileName());
        } else if (noGpu != null) {
          LOG.info("ONNX Runtime runs {} on the CPU execution provider: AUTO did not try CUDA, {}.", model.getFileName(), noGpu);
        } else {
          LOG.info(
              "ONNX Runtime runs {} on the CPU execution provider: AUTO tried CUDA and it was not usable ({}).",
              model.getFileName(),
              cudaFailure);
        }
      }
    } catch (OrtException | RuntimeException e) {
      if (e instanceof OnnxModelException ome) {
        throw ome;
      }
      throw unreadable(model, e);
    }
    try {
      Map<String, String> props = session.getMetadata().getCustomMetadata();
      TokenizerInfo info = TokenizerMetadata.parse(model, props, role, chosen);
      checkSignature(model, session, info);
      return new Opened(session, info);
    } catch (OrtException | RuntimeException e) {
      closeQuietly(session);
      if (e instanceof OnnxModelException ome) {
        throw ome;
      }
      throw new OnnxModelException("Could not read the metadata of the ONNX model " + model + ": " + e.getMessage(), e);
    }
  }

  /**
   * Why AUTO need not try CUDA here, or null when it should. Trying costs seconds (ONNX Runtime loads a 370 MB
   * provider library before it finds no device), so AUTO first looks for what every CUDA machine has: on Linux a
   * device node {@code /dev/nvidiactl} or {@code /dev/nvidia0} (or WSL's {@code /dev/dxg}); and
   * {@code CUDA_VISIBLE_DEVICES} not set to hide every GPU. On other systems AUTO tries.
   *
   * @param dev the device folder ({@code /dev}; a parameter so that tests can give another)
   * @param visibleDevices the value of {@code CUDA_VISIBLE_DEVICES}, or null when unset
   */
  static String noGpuReason(Path dev, String visibleDevices) {
    if (visibleDevices != null && (visibleDevices.isBlank() || visibleDevices.trim().equals("-1"))) {
      return "CUDA_VISIBLE_DEVICES='" + visibleDevices + "' hides every GPU";
    }
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return null;
    }
    for (String node : new String[] {"nvidiactl", "nvidia0", "dxg"}) {
      if (Files.exists(dev.resolve(node))) {
        return null;
      }
    }
    return "this machine has no NVIDIA GPU (no " + dev.resolve("nvidiactl") + ")";
  }

  private static OrtSession create(OrtEnvironment env, Path model, OnnxTokenizer.Options options, boolean cuda)
      throws OrtException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // NOTE: ONNX Runtime's threads spin-wait for work by default; on a host whose cores are shared (a TaskManager
      // beside other slots, a CI box) the spinning threads steal the cores the real work needs: 2 threads ran at
      // 0.5-0.7x of 1 thread here. Off, idle threads sleep (training/benchmarks/onnx-spinning.md).
      // -Dibq.onnx.spinning=true restores ONNX Runtime's own default (for side-by-side benchmarks of the two).
      String spinning = Boolean.getBoolean(OnnxTokenizer.SPINNING_PROPERTY) ? "1" : "0";
      so.addConfigEntry("session.intra_op.allow_spinning", spinning);
      so.addConfigEntry("session.inter_op.allow_spinning", spinning);
      if (options.intraOpThreads() > 0) {
        so.setIntraOpNumThreads(options.intraOpThreads());
      }
      if (options.interOpThreads() > 0) {
        so.setInterOpNumThreads(options.interOpThreads());
      }
      if (cuda) {
        so.addCUDA(0);
      }
      return env.createSession(model.toString(), so);
    }
  }

  /** True when ORT failed because of the model file rather than the execution provider. */
  private static boolean isModelProblem(Throwable e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("INVALID_PROTOBUF")
        || m.contains("Protobuf parsing failed")
        || m.contains("INVALID_GRAPH")
        || m.contains("NO_MODEL")
        || m.contains("Load model from");
  }

  private static OnnxModelException unreadable(Path model, Throwable e) {
    return new OnnxModelException(
        "The file "
            + model
            + " is not a loadable ONNX model ("
            + e.getMessage()
            + "); expected an encoder.onnx/decoder.onnx written by './ibq export'.",
        e);
  }

  private static void checkReadableOnnxFile(Path model) {
    if (model == null) {
      throw new OnnxModelException("No tokenizer model path was given; expected the path of an exported .onnx file.");
    }
    if (!Files.exists(model)) {
      throw new OnnxModelException(
          "The tokenizer model file " + model.toAbsolutePath() + " does not exist; expected an .onnx file written by './ibq export'.");
    }
    if (!Files.isRegularFile(model) || !Files.isReadable(model)) {
      throw new OnnxModelException(
          "The tokenizer model path " + model.toAbsolutePath() + " is not a readable regular file; expected an .onnx file.");
    }
    try (InputStream in = Files.newInputStream(model)) {
      // An ONNX ModelProto starts with field 1 (ir_version, varint) = tag byte 0x08.
      int first = in.read();
      if (first != 0x08) {
        throw new OnnxModelException(
            "The file "
                + model.toAbsolutePath()
                + " is not an ONNX model (it does not start like a serialized ModelProto); expected an .onnx file written by './ibq export'.");
      }
    } catch (IOException e) {
      throw new OnnxModelException("Could not read the tokenizer model file " + model.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  /** Checks that the graph's inputs and outputs are the ones the metadata promises. */
  private static void checkSignature(Path model, OrtSession session, TokenizerInfo info) throws OrtException {
    boolean encoder = TokenizerMetadata.ROLE_ENCODER.equals(info.role());
    String in = encoder ? TokenizerMetadata.IMAGES : TokenizerMetadata.TOKENS;
    String out = encoder ? TokenizerMetadata.TOKENS : TokenizerMetadata.IMAGES;
    long[] imageShape = {-1, info.imageChannels(), info.imageHeight(), info.imageWidth()};
    long[] tokenShape = {-1, info.gridHeight(), info.gridWidth()};
    checkTensor(model, "input", session.getInputInfo(), in, encoder ? OnnxJavaType.FLOAT : OnnxJavaType.INT32, encoder ? imageShape : tokenShape);
    checkTensor(model, "output", session.getOutputInfo(), out, encoder ? OnnxJavaType.INT32 : OnnxJavaType.FLOAT, encoder ? tokenShape : imageShape);
  }

  private static void checkTensor(
      Path model, String kind, Map<String, NodeInfo> infos, String name, OnnxJavaType type, long[] shape) {
    NodeInfo node = infos.get(name);
    if (node == null || !(node.getInfo() instanceof TensorInfo tensor)) {
      throw new OnnxModelException(
          "The ONNX model " + model + " has no tensor " + kind + " named '" + name + "' (it has " + infos.keySet() + ").");
    }
    long[] actual = tensor.getShape();
    boolean shapeOk = actual.length == shape.length;
    for (int i = 1; shapeOk && i < shape.length; i++) {
      shapeOk = actual[i] == shape[i];
    }
    if (tensor.type != type || !shapeOk) {
      throw new OnnxModelException(
          "The ONNX model "
              + model
              + " has "
              + kind
              + " '"
              + name
              + "' of type "
              + tensor.type
              + " and shape "
              + Arrays.toString(actual)
              + ", but its metadata implies "
              + type
              + " "
              + Arrays.toString(shape)
              + " (-1 = dynamic batch).");
    }
  }

  static void closeQuietly(OrtSession session) {
    if (session == null) {
      return;
    }
    try {
      session.close();
    } catch (OrtException e) {
      LOG.warn("Closing an ONNX Runtime session failed: {}", e.getMessage());
    }
  }
}
