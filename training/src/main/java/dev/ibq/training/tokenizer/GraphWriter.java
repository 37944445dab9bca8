package dev.ibq.training.tokenizer;

/**
 * The two ONNX graph operations a {@link QuantizerKind} needs to write its part of the export graph. The exporter
 * ({@code dev.ibq.training.export.QuantizerGraph}) implements it over its graph builder, so this package does not
 * depend on the export package. Names are ONNX value names; every node has one output.
 */
public interface GraphWriter {

  /** Adds a float32 constant (an initializer) of shape {@code dims} with a fresh name from {@code stem}; returns it. */
  String constant(String stem, float[] values, long... dims);

  /**
   * Adds an ONNX node of type {@code opType} (default domain, opset 21, no attributes: {@code MatMul}, {@code Add},
   * {@code Mul}, {@code Sub}, ...) whose single output gets a fresh name from {@code stem}; returns that name.
   */
  String op(String opType, String stem, String... inputs);
}
