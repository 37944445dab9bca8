package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/**
 * Everything the rest of the project needs to know about one kind of quantizer, so that nobody else switches on
 * it: the trainer, the evaluator, the exporter, the parity check, the importer and the benchmarks ask the kind (or
 * the {@link Quantizer} it creates) instead. Kinds are looked up by their config name in {@link QuantizerKinds}.
 *
 * <p>Shape legend: D code dim, K codebook size, N token positions, Kc codes in one export chunk.
 *
 * <p>Only codebook quantizers whose token index is an argmax over per-code scores are covered: the export graph
 * chunks the codebook and reduces the kind's scores ({@link #exportScores}).
 */
public interface QuantizerKind {

  /**
   * The config name, as written in YAML files, in the config stored in checkpoints and in ONNX metadata
   * ({@code architecture.quantizer: IBQ}); looked up case-insensitively.
   */
  String name();

  /** One line for listings, e.g. "Index Backpropagation Quantization (the paper)". */
  String description();

  /**
   * A freshly initialised quantizer (codebook as the reference initialises it), to be registered under
   * {@code quantize} in the tokenizer.
   */
  Quantizer create(NDManager manager, int codebookSize, int codeDim);

  /**
   * Writes the ONNX nodes of the scores whose argmax over k is the token index, for the codes [from, from + size).
   * The exporter calls it once per chunk and reduces the chunks' maxima (ties go to the lowest k), so the scores must
   * be comparable across chunks.
   *
   * @param g the graph being written
   * @param z the flattened quantizer input, (N, D)
   * @param codesTransposed this chunk's codes as a (D, size) constant already in the graph
   * @param codebook the whole codebook (K, D) row-major, for constants derived from the codes
   * @param codeDim D
   * @param suffix appended to the stems of this chunk's values ("" for a single chunk, "_c" for chunk c)
   * @return the name of the (N, size) scores
   */
  String exportScores(
      GraphWriter g, String z, String codesTransposed, float[] codebook, int codeDim, int from, int size, String suffix);

  /**
   * The score of {@link #exportScores} for one position and one code, in double: the parity check compares two
   * implementations' choices with it.
   *
   * @param z the position's quantizer input (D)
   * @param codebook (K, D) row-major
   */
  double score(double[] z, float[] codebook, int code);

  /**
   * True when {@link #exportScores} is exactly z . c_k with no per-code term, so an exporter may search the codes with
   * int8 inner products and rescore a few candidates exactly (the export's coarse-rerank option). Default: false.
   */
  default boolean scoresAreInnerProducts() {
    return false;
  }

  /**
   * {@code key=value} overrides that make a training config train this kind the way the paper's comparison does
   * (applied by the utilization benchmark after the quantizer is set). Default: none.
   */
  default List<String> baselineOverrides() {
    return List.of();
  }

  /**
   * The reference (SEED-Voken / taming) model classes whose quantizer this kind computes, for the importer; the
   * first is the one written when exporting weights for the reference code. Default: none (no reference model).
   */
  default List<String> referenceModelClasses() {
    return List.of();
  }

  /**
   * Why a reference model with these {@code init_args} would choose other tokens than this kind (a clause that
   * follows "The config X ..."), or null when it would not. Default: null.
   */
  default String referenceMismatch(Map<String, Object> initArgs) {
    return null;
  }
}
