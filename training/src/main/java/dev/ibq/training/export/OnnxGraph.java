package dev.ibq.training.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small builder for ONNX graphs: initializers, nodes with attributes, typed inputs and outputs, and the
 * final {@code ModelProto}. Nodes are emitted in call order, which is a valid topological order because
 * every node only consumes names created before it; ONNX Runtime's sequential executor follows it, which
 * the chunked quantizer relies on to keep one chunk's logits alive at a time.
 */
final class OnnxGraph {
  /** GroupNormalization with per-channel scale/bias needs opset 21 (opset 18 wants per-group). */
  static final int OPSET = 21;

  /** ONNX IR version 10 is the one that goes with opset 21. */
  static final long IR_VERSION = 10;

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, Integer> counters = new LinkedHashMap<>();

  OnnxGraph(String name) {
    graph.setName(name);
  }

  /** A fresh, unique value name with the given stem. */
  String fresh(String stem) {
    int n = counters.merge(stem, 1, Integer::sum);
    return n == 1 ? stem : stem + "_" + n;
  }

  /** Adds a float initializer with the given name and dims; returns the name. */
  String floats(String name, float[] data, long... dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count != data.length) {
      throw new IllegalArgumentException(
          "Initializer " + name + " has " + data.length + " values but shape " + java.util.Arrays.toString(dims) + ".");
    }
    ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    graph.addInitializer(
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .addAllDims(box(dims))
            .setRawData(ByteString.copyFrom(bytes.array())));
    return name;
  }

  /** Adds an int8 initializer with the given name and dims; returns the name. */
  String int8s(String name, byte[] data, long... dims) {
    graph.addInitializer(
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.INT8.getNumber())
            .addAllDims(box(dims))
            .setRawData(ByteString.copyFrom(data)));
    return name;
  }

  /** Adds an int64 initializer (shapes, axes, offsets); returns its fresh name. */
  String longs(String stem, long... values) {
    String name = fresh(stem);
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asLongBuffer().put(values);
    graph.addInitializer(
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.INT64.getNumber())
            .addDims(values.length)
            .setRawData(ByteString.copyFrom(bytes.array())));
    return name;
  }

  /** Adds a scalar float initializer; returns its fresh name. */
  String scalar(String stem, float value) {
    String name = fresh(stem);
    graph.addInitializer(
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .addFloatData(value));
    return name;
  }

  /** Adds a node with one output named after {@code stem}; returns the output name. */
  String op(String opType, String stem, String[] inputs, AttributeProto... attributes) {
    String out = fresh(stem);
    node(opType, inputs, new String[] {out}, attributes);
    return out;
  }

  /** Adds a node with the given inputs and outputs. */
  void node(String opType, String[] inputs, String[] outputs, AttributeProto... attributes) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(outputs[0] + "_" + opType);
    for (String in : inputs) {
      node.addInput(in);
    }
    for (String out : outputs) {
      node.addOutput(out);
    }
    for (AttributeProto a : attributes) {
      node.addAttribute(a);
    }
    graph.addNode(node);
  }

  /** Declares a graph input; a dim of -1 becomes the symbolic dimension "batch". */
  void input(String name, TensorProto.DataType type, long... dims) {
    graph.addInput(valueInfo(name, type, dims));
  }

  /** Declares a graph output; a dim of -1 becomes the symbolic dimension "batch". */
  void output(String name, TensorProto.DataType type, long... dims) {
    graph.addOutput(valueInfo(name, type, dims));
  }

  /** The finished model with opset {@value #OPSET} and the given metadata_props. */
  ModelProto model(String docString, Map<String, String> metadata) {
    ModelProto.Builder model =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName("ibq")
            .setProducerVersion("1")
            .setDomain("dev.ibq")
            .setModelVersion(1)
            .setDocString(docString)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setGraph(graph);
    metadata.forEach(
        (k, v) -> model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return model.build();
  }

  static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value))
        .build();
  }

  private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(
          d < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
        .build();
  }

  private static Iterable<Long> box(long[] dims) {
    java.util.List<Long> list = new java.util.ArrayList<>(dims.length);
    for (long d : dims) {
      list.add(d);
    }
    return list;
  }
}
