package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.ibq.training.tokenizer.IndexPropagationQuantizer;
import dev.ibq.training.tokenizer.VectorQuantizer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The chunked in-graph argmax against a brute-force Java argmax, including exact ties. */
class QuantizerGraphTest {

  /** Runs argmax_k z . c_k on ONNX Runtime for z (n, d), codebook (k, d). */
  static long[] onnxArgmax(float[] z, int n, float[] codebook, int k, int d, int chunk) throws Exception {
    return onnxIndex(z, n, codebook, k, d, chunk, false);
  }

  static long[] onnxIndex(float[] z, int n, float[] codebook, int k, int d, int chunk, boolean nearest)
      throws Exception {
    OnnxGraph g = new OnnxGraph("q");
    g.input("z", TensorProto.DataType.FLOAT, -1, d);
    String idx = new QuantizerGraph(g, codebook, k, d, chunk, nearest ? VectorQuantizer.KIND : IndexPropagationQuantizer.KIND).argmaxFlat("z");
    g.node("Identity", new String[] {idx}, new String[] {"index"});
    g.output("index", TensorProto.DataType.INT64, -1);
    byte[] bytes = g.model("test", Map.of()).toByteArray();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(bytes, new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(z), new long[] {n, d});
        OrtSession.Result r = s.run(Map.of("z", in))) {
      return (long[]) r.get(0).getValue();
    }
  }

  static long[] javaArgmax(float[] z, int n, float[] codebook, int k, int d) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        float dot = 0;
        for (int t = 0; t < d; t++) {
          dot += z[i * d + t] * codebook[j * d + t];
        }
        if (dot > best) {
          best = dot;
          out[i] = j;
        }
      }
    }
    return out;
  }

  @Test
  void chunkedArgmaxEqualsBruteForceForEveryChunkSize() throws Exception {
    int n = 200;
    int d = 8;
    int k = 1000;
    Random rnd = new Random(3);
    // Small integers make every inner product exact in float, so the comparison has no rounding noise.
    float[] z = new float[n * d];
    float[] c = new float[k * d];
    for (int i = 0; i < z.length; i++) {
      z[i] = rnd.nextInt(7) - 3;
    }
    for (int i = 0; i < c.length; i++) {
      c[i] = rnd.nextInt(7) - 3;
    }
    long[] expected = javaArgmax(z, n, c, k, d);
    // 128, 256 and 320 take the two-level (block max, then in-block argmax) path; the rest plain TopK/ArgMax.
    for (int chunk : new int[] {1, 7, 128, 256, 320, 999, 1000, 4096}) {
      assertThat(onnxArgmax(z, n, c, k, d, chunk)).as("chunk %d", chunk).containsExactly(expected);
    }
  }

  @Test
  void tiesGoToTheLowestIndexAcrossBlocksInsideAChunk() throws Exception {
    int d = 2;
    int k = 512;
    float[] c = new float[k * d];
    // Ties at 70 (block 1), 64 (block 1, lower), 300 (block 4) and 511; 64 must win in every layout.
    for (int j : new int[] {70, 64, 300, 511}) {
      c[j * d] = 5f;
    }
    float[] z = {1f, 0f};
    for (int chunk : new int[] {128, 256, 512, 192}) {
      assertThat(onnxArgmax(z, 1, c, k, d, chunk)).as("chunk %d", chunk).containsExactly(64L);
    }
  }

  @Test
  void tiesGoToTheLowestIndexAcrossChunks() throws Exception {
    int d = 2;
    int k = 12;
    float[] c = new float[k * d];
    // Codes 3, 7 and 11 tie for z = (1, 0); 3 must win, whatever the chunking.
    for (int j : new int[] {3, 7, 11}) {
      c[j * d] = 5f;
    }
    float[] z = {1f, 0f};
    for (int chunk : new int[] {1, 2, 4, 5, 12}) {
      assertThat(onnxArgmax(z, 1, c, k, d, chunk)).as("chunk %d", chunk).containsExactly(3L);
    }
  }

  @Test
  void vqModePicksTheNearestCodeNotTheLargestInnerProduct() throws Exception {
    int d = 2;
    // z = (1, 0): code 1 = (10, 0) has the largest inner product, code 0 = (1, 0.1) is nearest.
    float[] c = {1f, 0.1f, 10f, 0f, -1f, 0f};
    float[] z = {1f, 0f};
    assertThat(onnxIndex(z, 1, c, 3, d, 3, false)).containsExactly(1L);
    for (int chunk : new int[] {1, 2, 3}) {
      assertThat(onnxIndex(z, 1, c, 3, d, chunk, true)).as("chunk %d", chunk).containsExactly(0L);
    }
  }

  @Test
  void eachChunksMatMulWaitsForThePreviousChunkSoOnlyOneChunksLogitsAreAlive() {
    int k = 256;
    int d = 4;
    OnnxGraph g = new OnnxGraph("q");
    g.input("z", TensorProto.DataType.FLOAT, -1, d);
    new QuantizerGraph(g, new float[k * d], k, d, 64, IndexPropagationQuantizer.KIND).argmaxFlat("z");
    var nodes = g.model("q", Map.of()).getGraph().getNodeList();
    Map<String, ai.onnx.proto.OnnxMl.NodeProto> producer = new java.util.HashMap<>();
    nodes.forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
    List<ai.onnx.proto.OnnxMl.NodeProto> matmuls = nodes.stream().filter(n -> n.getOpType().equals("MatMul")).toList();
    assertThat(matmuls).hasSize(4);
    for (int c = 1; c < matmuls.size(); c++) {
      // The previous chunk's logits must be an ancestor of this chunk's MatMul input.
      String previousLogits = matmuls.get(c - 1).getOutput(0);
      assertThat(ancestors(matmuls.get(c).getInput(0), producer)).as("chunk %d", c).contains(previousLogits);
    }
  }

  private static java.util.Set<String> ancestors(String value, Map<String, ai.onnx.proto.OnnxMl.NodeProto> producer) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(value));
    while (!todo.isEmpty()) {
      var node = producer.get(todo.pop());
      if (node == null) {
        continue;
      }
      for (String in : node.getInputList()) {
        if (seen.add(in)) {
          todo.push(in);
        }
      }
    }
    return seen;
  }
}
