package dev.ibq.training.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.ibq.model.OnnxModelException;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.tokenizer.train.ConfigFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an ONNX file says about itself, read from its protobuf (no ONNX Runtime session): IR version,
 * opsets, producer, metadata_props, graph inputs/outputs with shapes, node and parameter counts.
 */
public record ModelFileSummary(
    Path file,
    long fileBytes,
    long irVersion,
    Map<String, Long> opsets,
    String producer,
    Map<String, String> metadata,
    List<String> inputs,
    List<String> outputs,
    int nodes,
    Map<String, Integer> operators,
    long parameters) {

  /**
   * The summaries of an {@code .onnx} file, or of both files of an export directory ({@code encoder.onnx},
   * {@code decoder.onnx}, whichever are there).
   *
   * @throws IllegalArgumentException when a directory holds neither file
   */
  public static java.util.List<ModelFileSummary> readAll(Path fileOrDirectory) {
    if (!java.nio.file.Files.isDirectory(fileOrDirectory)) {
      return java.util.List.of(read(fileOrDirectory));
    }
    java.util.List<ModelFileSummary> out = new java.util.ArrayList<>();
    for (String name : new String[] {"encoder.onnx", "decoder.onnx"}) {
      Path f = fileOrDirectory.resolve(name);
      if (java.nio.file.Files.isRegularFile(f)) {
        out.add(read(f));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("The directory " + fileOrDirectory
          + " holds neither encoder.onnx nor decoder.onnx; pass an .onnx file or an export directory.");
    }
    return out;
  }

  /** Parses {@code file}; a missing or non-ONNX file is an {@link OnnxModelException} with a full sentence. */
  public static ModelFileSummary read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new OnnxModelException("The model file " + file.toAbsolutePath() + " does not exist or is not a regular file.");
    }
    ModelProto model;
    try (InputStream in = Files.newInputStream(file)) {
      model = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new OnnxModelException(
          "The file " + file.toAbsolutePath() + " is not an ONNX model (protobuf parsing failed: " + e.getMessage() + ").", e);
    } catch (IOException e) {
      throw new OnnxModelException("Could not read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
    }
    if (!model.hasGraph() || model.getIrVersion() == 0) {
      throw new OnnxModelException(
          "The file " + file.toAbsolutePath() + " parsed as protobuf but holds no ONNX graph (ir_version "
              + model.getIrVersion() + "); it is not an ONNX model.");
    }
    Map<String, Long> opsets = new LinkedHashMap<>();
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      opsets.put(o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain(), o.getVersion());
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      metadata.put(e.getKey(), e.getValue());
    }
    Map<String, Integer> ops = new TreeMap<>();
    model.getGraph().getNodeList().forEach(n -> ops.merge(n.getOpType(), 1, Integer::sum));
    long params = 0;
    for (var t : model.getGraph().getInitializerList()) {
      long n = 1;
      for (long d : t.getDimsList()) {
        n *= d;
      }
      params += n;
    }
    long bytes;
    try {
      bytes = Files.size(file);
    } catch (IOException e) {
      bytes = -1;
    }
    return new ModelFileSummary(
        file,
        bytes,
        model.getIrVersion(),
        opsets,
        (model.getProducerName() + " " + model.getProducerVersion()).trim(),
        metadata,
        describe(model.getGraph().getInputList()),
        describe(model.getGraph().getOutputList()),
        model.getGraph().getNodeCount(),
        ops,
        params);
  }

  private static List<String> describe(List<ValueInfoProto> values) {
    List<String> out = new ArrayList<>();
    for (ValueInfoProto v : values) {
      var t = v.getType().getTensorType();
      List<String> dims = new ArrayList<>();
      for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
        dims.add(d.hasDimParam() ? d.getDimParam() : Long.toString(d.getDimValue()));
      }
      String type = ai.onnx.proto.OnnxMl.TensorProto.DataType.forNumber(t.getElemType()) == null
          ? "type " + t.getElemType()
          : ai.onnx.proto.OnnxMl.TensorProto.DataType.forNumber(t.getElemType()).name().toLowerCase(java.util.Locale.ROOT);
      out.add(v.getName() + ": " + type + "[" + String.join(", ", dims) + "]");
    }
    return out;
  }

  /** A human-readable multi-line report. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("file:       ").append(file).append(" (").append(fileBytes).append(" bytes)\n");
    sb.append("onnx:       IR version ").append(irVersion).append(", opsets ").append(opsets).append(", producer ").append(producer).append('\n');
    sb.append("inputs:     ").append(String.join("; ", inputs)).append('\n');
    sb.append("outputs:    ").append(String.join("; ", outputs)).append('\n');
    sb.append("graph:      ").append(nodes).append(" nodes, ").append(parameters).append(" parameters; ").append(operators).append('\n');
    sb.append("metadata:\n");
    metadata.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
    String config = trainingConfigYaml();
    if (config != null) {
      sb.append("training config (").append(TokenizerMetadata.CONFIG).append(" as YAML; save it as a file for --config):\n");
      config.lines().forEach(line -> sb.append("  ").append(line).append('\n'));
    }
    return sb.toString();
  }

  /**
   * The {@code ibq.config} of a trained tokenizer as the snake_case YAML {@code --config} reads (also for models
   * exported when it was stored in camelCase); null when the model has none or it is not a training config (an
   * imported tokenizer stores its import record there).
   */
  public String trainingConfigYaml() {
    String json = metadata.get(TokenizerMetadata.CONFIG);
    if (json == null) {
      return null;
    }
    try {
      return ConfigFiles.toYaml(ConfigFiles.fromJson(json, file + " " + TokenizerMetadata.CONFIG));
    } catch (IllegalArgumentException notATrainingConfig) {
      return null;
    }
  }
}
