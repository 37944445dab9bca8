package dev.ibq.training.export;

import static dev.ibq.training.export.OnnxGraph.intAttr;
import static dev.ibq.training.export.OnnxGraph.ints;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.ibq.training.tokenizer.GraphWriter;
import dev.ibq.training.tokenizer.QuantizerKind;
import java.util.ArrayList;
import java.util.List;

/**
 * The quantizer's index inside an ONNX graph: index = argmax_k s_k(z) per token position, ties broken toward the
 * lowest k as {@code argmax} does, where the scores s_k are written by the {@link QuantizerKind} ({@link
 * QuantizerKind#exportScores}): for IBQ s_k = z . c_k (maximum inner product, IBQ.md step 3). The chunking below
 * is the same for every kind; the text speaks of "logits" for the scores.
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, H' x W' grid, N = B*H'*W', Kc chunk size, M
 * number of chunks = ceil(K / Kc).
 *
 * <p>A single MatMul would materialise the (N, K) logits: 8.6 GB for N = 8192 (32 images of 16x16) at
 * K = 2^18. Instead the codebook is stored transposed in M chunks (D, Kc) and, chunk by chunk,
 * the best value and index of z C_c^T (N, Kc) are kept (see {@link #bestInChunk}); the M candidates (N, M) are
 * then reduced with ArgMax (first maximum = lowest chunk) and GatherElements. Each chunk's MatMul takes a
 * z that depends on the previous chunk's result, so the executor must finish (and free) one chunk's
 * logits before computing the next: peak extra memory is N*Kc floats. Each chunk's search breaks ties toward the lower index, and chunk offsets are increasing,
 * so the overall tie rule equals a single argmax over K.
 *
 * <p>For the VQ baseline the index is argmin_k ||z - c_k||^2, which its kind writes as argmax_k (z . c_k -
 * ||c_k||^2 / 2) with the per-code bias stored beside each chunk.
 */
final class QuantizerGraph {
  /** Codes per block of the two-level in-chunk search. */
  static final int BLOCK = 64;

  private final OnnxGraph g;
  private final float[] codebook;
  private final int k;
  private final int d;
  private final int chunk;
  private final QuantizerKind kind;
  private final TokenizerExporter.CoarseRerank coarse;

  /**
   * @param codebook (K, D) row-major
   * @param chunk codes per chunk Kc; K or more means a single MatMul + ArgMax
   * @param kind writes the scores of each chunk
   */
  QuantizerGraph(OnnxGraph g, float[] codebook, int k, int d, int chunk, QuantizerKind kind) {
    this(g, codebook, k, d, chunk, kind, null);
  }

  /**
   * @param coarse the int8 coarse + float32 rerank search ({@link CoarseRerankGraph}) instead of the exact argmax, or
   *     null; only for kinds whose scores are plain inner products
   */
  QuantizerGraph(
      OnnxGraph g, float[] codebook, int k, int d, int chunk, QuantizerKind kind, TokenizerExporter.CoarseRerank coarse) {
    if (coarse != null && !kind.scoresAreInnerProducts()) {
      throw new IllegalArgumentException("The coarse-rerank token search needs scores that are plain inner products z . c_k,"
          + " but the quantizer kind " + kind.name() + " scores codes otherwise; export it without the coarse-rerank option.");
    }
    this.coarse = coarse;
    if (chunk < 1) {
      throw new IllegalArgumentException("The quantizer chunk size is " + chunk + "; expected at least 1 code.");
    }
    this.g = g;
    this.codebook = codebook;
    this.k = k;
    this.d = d;
    this.chunk = Math.min(chunk, k);
    this.kind = kind;
  }

  /** Token ids (B, H', W') int32 of z (B, D, H', W'). */
  String tokens(String z, int gridSide) {
    String nhwc = g.op("Transpose", "z_nhwc", new String[] {z}, ints("perm", 0, 2, 3, 1)); // (B, H', W', D)
    String flat = g.op("Reshape", "z_flat", new String[] {nhwc, g.longs("z_flat_shape", -1, d)}); // (N, D)
    String index = coarse == null
        ? argmaxFlat(flat)
        : new CoarseRerankGraph(g, codebook, k, d, chunk, coarse.perChunk(), coarse.candidates()).argmaxFlat(flat); // (N) int64
    String grid = g.op("Reshape", "tokens_i64", new String[] {index, g.longs("grid_shape", -1, gridSide, gridSide)});
    return g.op("Cast", "tokens_i32", new String[] {grid}, intAttr("to", TensorProto.DataType.INT32.getNumber()));
  }

  /** argmax_k of the kind's scores s_k(z) for z (N, D); returns (N) int64 indices. */
  String argmaxFlat(String z) {
    int chunks = (k + chunk - 1) / chunk;
    if (chunks == 1) {
      String ct = g.floats("codebook_t", transposed(0, k), d, k); // (D, K)
      String logits = logits(z, ct, 0, k, ""); // (N, K)
      String index = bestInChunk(logits, k, 0)[1]; // (N, 1)
      return g.op("Squeeze", "token_index", new String[] {index, g.longs("squeeze_axes", 1)}); // (N)
    }
    List<String> bestValues = new ArrayList<>();
    List<String> bestIndices = new ArrayList<>();
    String zc = z;
    for (int c = 0; c < chunks; c++) {
      int from = c * chunk;
      int size = Math.min(chunk, k - from);
      String ct = g.floats("codebook_t_" + c, transposed(from, size), d, size); // (D, Kc)
      String logits = logits(zc, ct, from, size, "_" + c); // (N, Kc)
      String[] best = bestInChunk(logits, size, c); // value (N, 1), local index (N, 1)
      if (c + 1 < chunks) {
        // NOTE: a data dependency that orders the chunks. Every chunk's MatMul only needs z, so ONNX Runtime's
        // topological sort would run ALL MatMuls first and hold all (N, K) logits at once (measured: +1 GB at
        // N = 1024, K = 2^18). z + 0 * float(index of this chunk) is exactly z, but the next MatMul now waits
        // until this chunk's search is done and its logits are freed.
        String asFloat = g.op("Cast", "chain_index_" + c, new String[] {best[1]}, intAttr("to", TensorProto.DataType.FLOAT.getNumber())); // (N, 1)
        String zero = g.op("Mul", "chain_zero_" + c, new String[] {asFloat, g.scalar("zero", 0f)}); // (N, 1), all 0
        zc = g.op("Add", "z_after_chunk_" + c, new String[] {z, zero}); // (N, D) == z
      }
      bestValues.add(best[0]);
      bestIndices.add(
          from == 0 ? best[1] : g.op("Add", "best_index_" + c, new String[] {best[1], g.longs("chunk_offset", from)}));
    }
    String values = g.op("Concat", "chunk_best_values", bestValues.toArray(String[]::new), intAttr("axis", 1)); // (N, M)
    String indices = g.op("Concat", "chunk_best_indices", bestIndices.toArray(String[]::new), intAttr("axis", 1)); // (N, M)
    String winner =
        g.op("ArgMax", "winning_chunk", new String[] {values}, intAttr("axis", 1), intAttr("keepdims", 1)); // (N, 1)
    String picked = g.op("GatherElements", "picked_index", new String[] {indices, winner}, intAttr("axis", 1)); // (N, 1)
    return g.op("Squeeze", "token_index", new String[] {picked, g.longs("squeeze_axes", 1)}); // (N)
  }

  /**
   * The best value and its first index in one chunk's logits (N, Kc).
   *
   * <p>When Kc is a multiple of {@value #BLOCK}: a two-level search. ReduceMax over blocks of {@value #BLOCK}
   * codes (N, Kc/S) is a vectorised scan; TopK then picks the first block holding the maximum, and ArgMax
   * searches only that block's S logits (gathered with GatherElements). This reads each logit once in the
   * cheap ReduceMax instead of in the slower index-tracking TopK/ArgMax kernels; ties still resolve to the
   * lowest index (first block with the maximum, first position in it). Otherwise a plain TopK(k=1).
   */
  private String[] bestInChunk(String logits, int size, int c) {
    String one = g.longs("topk_k", 1);
    String value = g.fresh("best_value_" + c);
    if (size % BLOCK != 0 || size / BLOCK < 2) {
      String local = g.fresh("best_local_" + c);
      g.node("TopK", new String[] {logits, one}, new String[] {value, local}, intAttr("axis", 1), intAttr("largest", 1),
          intAttr("sorted", 1)); // (N, 1) each
      return new String[] {value, local};
    }
    int blocks = size / BLOCK;
    String blocked = g.op("Reshape", "blocked_" + c, new String[] {logits, g.longs("blocked_shape", -1, blocks, BLOCK)}); // (N, Kc/S, S)
    String blockMax = g.op("ReduceMax", "block_max_" + c, new String[] {blocked, g.longs("last_axis", 2)}, intAttr("keepdims", 0)); // (N, Kc/S)
    String block = g.fresh("best_block_" + c);
    g.node("TopK", new String[] {blockMax, one}, new String[] {value, block}, intAttr("axis", 1), intAttr("largest", 1),
        intAttr("sorted", 1)); // (N, 1) each
    String blockIdx = g.op("Unsqueeze", "best_block_3d_" + c, new String[] {block, g.longs("axis_2", 2)}); // (N, 1, 1)
    blockIdx = g.op("Expand", "best_block_rows_" + c, new String[] {blockIdx, g.longs("block_row", 1, 1, BLOCK)}); // (N, 1, S)
    String row = g.op("GatherElements", "best_block_logits_" + c, new String[] {blocked, blockIdx}, intAttr("axis", 1)); // (N, 1, S)
    String within = g.op("ArgMax", "best_in_block_" + c, new String[] {row}, intAttr("axis", 2), intAttr("keepdims", 0)); // (N, 1)
    String base = g.op("Mul", "best_block_start_" + c, new String[] {block, g.longs("block_size", BLOCK)}); // (N, 1)
    String local = g.op("Add", "best_local_" + c, new String[] {base, within}); // (N, 1)
    return new String[] {value, local};
  }

  /** The kind's scores of the codes [from, from+size), (N, size). */
  private String logits(String z, String ct, int from, int size, String suffix) {
    return kind.exportScores(writer(g), z, ct, codebook, d, from, size, suffix);
  }

  /** The kind's view of the graph being built. */
  static GraphWriter writer(OnnxGraph g) {
    return new GraphWriter() {
      @Override
      public String constant(String stem, float[] values, long... dims) {
        return g.floats(g.fresh(stem), values, dims);
      }

      @Override
      public String op(String opType, String stem, String... inputs) {
        return g.op(opType, stem, inputs);
      }
    };
  }

  /** Codes [from, from+size) of the (K, D) codebook as a (D, size) row-major block. */
  private float[] transposed(int from, int size) {
    float[] t = new float[d * size];
    for (int j = 0; j < size; j++) {
      int row = (from + j) * d;
      for (int i = 0; i < d; i++) {
        t[i * size + j] = codebook[row + i];
      }
    }
    return t;
  }
}
