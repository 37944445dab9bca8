package dev.ibq.training.export;

import static dev.ibq.training.export.OnnxGraph.intAttr;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A reduced-precision variant of the IBQ index argmax_k z . c_k (IBQ.md step 3) for large K: int8 coarse scores
 * pick a few candidates per position, and only those are scored exactly in float32.
 *
 * <p>Shape legend: N positions, D code dim, K codebook size, Kc chunk size, M = ceil(K / Kc) chunks, T
 * candidates kept per chunk, C candidates rescored exactly per position.
 *
 * <ol>
 *   <li>Per chunk: z (N, D) float -> DynamicQuantizeLinear (uint8, per-tensor scale and zero point) and
 *       MatMulInteger with the chunk's codes (D, Kc) in int8 (one symmetric per-tensor scale for the whole
 *       codebook, so int32 scores of all chunks compare directly) -> (N, Kc) int32; TopK keeps T per chunk.
 *   <li>The M*T coarse candidates (N, M*T) -> TopK C -> candidate ids (N, C).
 *   <li>Exact: Gather the float32 codes (N, C, D), MatMul with z (N, D, 1) -> (N, C) scores; ArgMax picks the token.
 * </ol>
 *
 * <p>NOTE: a departure from the exact argmax: a code whose int8 score is not among the top T of its chunk and
 * top C overall is never rescored, so tokens can differ from the float32 argmax where the coarse error exceeds
 * the gap between the best code and the C-th; the benchmark measures that agreement. Exact float32 ties among
 * candidates go to the candidate with the better coarse score, not always the lowest index.
 *
 * <p>Only for the inner-product score of IBQ: the codebook's int8 image is the scores' whole input, with no per-code
 * bias.
 */
final class CoarseRerankGraph {
  private final OnnxGraph g;
  private final float[] codebook;
  private final int k;
  private final int d;
  private final int chunk;
  private final int perChunk;
  private final int candidates;

  /**
   * @param codebook (K, D) row-major
   * @param chunk codes per chunk Kc
   * @param perChunk candidates T kept per chunk by the coarse scores
   * @param candidates candidates C rescored in float32 per position
   */
  CoarseRerankGraph(OnnxGraph g, float[] codebook, int k, int d, int chunk, int perChunk, int candidates) {
    int size = Math.min(chunk, k);
    int chunks = (k + size - 1) / size;
    if (perChunk < 1 || perChunk > size || candidates < 1 || candidates > (long) perChunk * chunks) {
      throw new IllegalArgumentException(
          "The coarse-rerank quantizer got " + perChunk + " candidates per chunk of " + size + " codes and " + candidates
              + " rescored candidates over " + chunks + " chunks; expected 1 <= per-chunk <= chunk size and 1 <="
              + " rescored <= per-chunk * chunks.");
    }
    this.g = g;
    this.codebook = codebook;
    this.k = k;
    this.d = d;
    this.chunk = size;
    this.perChunk = perChunk;
    this.candidates = candidates;
  }

  /** The int8 scale of the codebook: max |c| / 127 (symmetric, per tensor). */
  static float codebookScale(float[] codebook) {
    float max = 0f;
    for (float v : codebook) {
      max = Math.max(max, Math.abs(v));
    }
    return max == 0f ? 1f : max / 127f;
  }

  /** argmax_k z . c_k for z (N, D), coarse-then-exact; returns (N) int64 indices. */
  String argmaxFlat(String z) {
    float scale = codebookScale(codebook);
    int chunks = (k + chunk - 1) / chunk;
    List<String> values = new ArrayList<>();
    List<String> indices = new ArrayList<>();
    String zc = z;
    String kPer = g.longs("coarse_topk", perChunk);
    for (int c = 0; c < chunks; c++) {
      int from = c * chunk;
      int size = Math.min(chunk, k - from);
      String q = g.fresh("zq_" + c);
      String qScale = g.fresh("zq_scale_" + c);
      String qZero = g.fresh("zq_zero_" + c);
      g.node("DynamicQuantizeLinear", new String[] {zc}, new String[] {q, qScale, qZero}); // (N, D) uint8, scalars
      String ct = g.int8s(g.fresh("codebook_q_t_" + c), quantizedTransposed(from, size, scale), d, size); // (D, Kc)
      String scores = g.op("MatMulInteger", "coarse_" + c, new String[] {q, ct, qZero}); // (N, Kc) int32
      String value = g.fresh("coarse_value_" + c);
      String local = g.fresh("coarse_local_" + c);
      g.node("TopK", new String[] {scores, kPer}, new String[] {value, local}, intAttr("axis", 1), intAttr("largest", 1),
          intAttr("sorted", 1)); // (N, T) each
      if (c + 1 < chunks) {
        // NOTE: the same ordering dependency as QuantizerGraph: without it ONNX Runtime would run every chunk's
        // MatMulInteger first and hold all (N, K) int32 scores at once. z + 0 * (a value of this chunk) is exactly z.
        String first = g.op("ReduceMax", "chain_max_" + c, new String[] {local, g.longs("axis_1", 1)}, intAttr("keepdims", 1)); // (N, 1)
        String asFloat = g.op("Cast", "chain_index_" + c, new String[] {first}, intAttr("to", TensorProto.DataType.FLOAT.getNumber())); // (N, 1)
        String zero = g.op("Mul", "chain_zero_" + c, new String[] {asFloat, g.scalar("zero", 0f)}); // (N, 1), all 0
        zc = g.op("Add", "z_after_chunk_" + c, new String[] {z, zero}); // (N, D) == z
      }
      values.add(value);
      indices.add(from == 0 ? local : g.op("Add", "coarse_index_" + c, new String[] {local, g.longs("chunk_offset", from)}));
    }
    String allValues = chunks == 1 ? values.get(0) : g.op("Concat", "coarse_values", values.toArray(String[]::new), intAttr("axis", 1)); // (N, M*T)
    String allIndices = chunks == 1 ? indices.get(0) : g.op("Concat", "coarse_indices", indices.toArray(String[]::new), intAttr("axis", 1)); // (N, M*T)
    String bestValue = g.fresh("candidate_value");
    String bestPos = g.fresh("candidate_pos");
    g.node("TopK", new String[] {allValues, g.longs("rescored", candidates)}, new String[] {bestValue, bestPos},
        intAttr("axis", 1), intAttr("largest", 1), intAttr("sorted", 1)); // (N, C) each
    String ids = g.op("GatherElements", "candidate_ids", new String[] {allIndices, bestPos}, intAttr("axis", 1)); // (N, C)
    String table = g.floats("codebook", codebook, k, d); // (K, D)
    String codes = g.op("Gather", "candidate_codes", new String[] {table, ids}, intAttr("axis", 0)); // (N, C, D)
    String column = g.op("Unsqueeze", "z_column", new String[] {z, g.longs("axis_2", 2)}); // (N, D, 1)
    String exact = g.op("MatMul", "exact_scores_3d", new String[] {codes, column}); // (N, C, 1)
    String scores = g.op("Squeeze", "exact_scores", new String[] {exact, g.longs("axis_2", 2)}); // (N, C)
    String winner = g.op("ArgMax", "winner", new String[] {scores}, intAttr("axis", 1), intAttr("keepdims", 1)); // (N, 1)
    String picked = g.op("GatherElements", "picked", new String[] {ids, winner}, intAttr("axis", 1)); // (N, 1)
    return g.op("Squeeze", "token_index", new String[] {picked, g.longs("squeeze_axes", 1)}); // (N)
  }

  /** Codes [from, from+size) as round(c / scale) in int8, (D, size) row-major. */
  private byte[] quantizedTransposed(int from, int size, float scale) {
    byte[] t = new byte[d * size];
    for (int j = 0; j < size; j++) {
      int row = (from + j) * d;
      for (int i = 0; i < d; i++) {
        long q = Math.round(codebook[row + i] / scale);
        t[i * size + j] = (byte) Math.max(-127, Math.min(127, q));
      }
    }
    return t;
  }
}
