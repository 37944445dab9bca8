package dev.ibq.training.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.QuantizerKind;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an ONNX export against the DJL model it came from, on the same preprocessed images.
 *
 * <p>Shape legend: B batch, C x H x W image, h x w token grid, D code dim, K codebook size.
 *
 * <ul>
 *   <li>Encoder: the ONNX token ids must equal DJL's at {@value #MIN_AGREEMENT} of all positions or more, and
 *       every disagreement must be a near-tie: the two codes' scores ({@link QuantizerKind#score}: z . c_k for IBQ,
 *       z . c_k - ||c_k||^2 / 2 for VQ, with DJL's z) differ by at most {@value #TIE_TOLERANCE} x max(1, |score|).
 *       Two float32 implementations sum a D-term dot product in different orders, so exact ties can flip.
 *   <li>Decoder: on DJL's tokens, ONNX and DJL images agree within {@value #DECODER_TOLERANCE} max abs.
 * </ul>
 */
public final class ParityCheck {
  public static final double MIN_AGREEMENT = 0.999;
  public static final double TIE_TOLERANCE = 1e-3;
  public static final double DECODER_TOLERANCE = 1e-4;

  private ParityCheck() {}

  /** One position where the two encoders chose different codes; margin = |score(djl) - score(onnx)|. */
  public record Disagreement(int image, int position, int djlToken, int onnxToken, double margin, double scale) {
    public boolean nearTie() {
      return margin <= TIE_TOLERANCE * Math.max(1.0, scale);
    }
  }

  /**
   * The outcome.
   *
   * @param disagreements every disagreeing position (there are few by construction of a passing check)
   * @param maxMargin the largest disagreement margin (0 when none)
   * @param decoderMaxAbsDiff max |ONNX - DJL| over all decoded pixels
   */
  public record Result(
      int images,
      long positions,
      long equal,
      List<Disagreement> disagreements,
      double maxMargin,
      double decoderMaxAbsDiff,
      double onnxSeconds,
      double djlSeconds) {

    public double agreement() {
      return positions == 0 ? 1.0 : (double) equal / positions;
    }

    public boolean passed() {
      return agreement() >= MIN_AGREEMENT
          && disagreements.stream().allMatch(Disagreement::nearTie)
          && decoderMaxAbsDiff <= DECODER_TOLERANCE;
    }

    public String summary() {
      return String.format(
          "%d images, %d positions: %d equal (%.4f%%), %d disagreements (max margin %.3g, all near-ties: %s);"
              + " decoder max abs diff %.3g (tolerance %.0e); %s",
          images,
          positions,
          equal,
          100 * agreement(),
          disagreements.size(),
          maxMargin,
          disagreements.stream().allMatch(Disagreement::nearTie),
          decoderMaxAbsDiff,
          DECODER_TOLERANCE,
          passed() ? "PASSED" : "FAILED");
    }
  }

  /**
   * Runs both models on {@code count} images held in {@code images} (NCHW, preprocessed).
   *
   * @param exportDir a directory with encoder.onnx and decoder.onnx exported from {@code model}
   */
  public static Result run(
      IbqTokenizerModel model, Path exportDir, float[] images, int count, int batch, OnnxTokenizer.Options options) {
    TokenizerArchitecture arch = model.architecture();
    int perImage = arch.inChannels() * arch.resolution() * arch.resolution();
    int tokens = arch.tokensPerImage();
    int d = arch.codeDim();
    float[] codebook = model.quantizer().embedding().toFloatArray(); // (K, D)
    QuantizerKind kind = arch.quantizerKind();
    long equal = 0;
    double maxMargin = 0;
    double decoderDiff = 0;
    long onnxNanos = 0;
    long djlNanos = 0;
    List<Disagreement> disagreements = new ArrayList<>();
    try (OnnxTokenizer encoder = OnnxTokenizer.open(exportDir.resolve(TokenizerMetadata.ENCODER_FILE), options);
        OnnxDecoder decoder = OnnxDecoder.open(exportDir.resolve(TokenizerMetadata.DECODER_FILE), options)) {
      for (int start = 0; start < count; start += batch) {
        int b = Math.min(batch, count - start);
        float[] x = java.util.Arrays.copyOfRange(images, start * perImage, (start + b) * perImage);
        long t0 = System.nanoTime();
        int[][] onnx = encoder.encode(x, b);
        long t1 = System.nanoTime();
        onnxNanos += t1 - t0;
        try (NDManager scope = model.manager().newSubManager()) {
          NDArray input = scope.create(x, new Shape(b, arch.inChannels(), arch.resolution(), arch.resolution()));
          long t2 = System.nanoTime();
          NDArray z = model.encodeLatents(input, false); // (B, D, h, w)
          NDArray idx = model.quantizer().indices(z); // (B, h, w) INT32
          int[] djl = idx.toIntArray();
          djlNanos += System.nanoTime() - t2;
          float[] zs = z.toFloatArray();
          for (int i = 0; i < b; i++) {
            for (int p = 0; p < tokens; p++) {
              int a = djl[i * tokens + p];
              int o = onnx[i][p];
              if (a == o) {
                equal++;
                continue;
              }
              double[] zp = position(zs, i, p, tokens, d);
              double sa = kind.score(zp, codebook, a);
              double so = kind.score(zp, codebook, o);
              double margin = Math.abs(sa - so);
              maxMargin = Math.max(maxMargin, margin);
              disagreements.add(new Disagreement(start + i, p, a, o, margin, Math.abs(sa)));
            }
          }
          float[] djlImages = model.decodeIndices(idx).toFloatArray();
          int[][] rows = new int[b][];
          for (int i = 0; i < b; i++) {
            rows[i] = java.util.Arrays.copyOfRange(djl, i * tokens, (i + 1) * tokens);
          }
          float[] onnxImages = decoder.decode(rows);
          for (int i = 0; i < djlImages.length; i++) {
            decoderDiff = Math.max(decoderDiff, Math.abs(djlImages[i] - onnxImages[i]));
          }
        }
      }
    }
    return new Result(
        count, (long) count * tokens, equal, disagreements, maxMargin, decoderDiff, onnxNanos / 1e9, djlNanos / 1e9);
  }

  /** The quantizer input (D) at position p of image i of z (B, D, h*w). */
  private static double[] position(float[] z, int i, int p, int tokens, int d) {
    double[] out = new double[d];
    for (int c = 0; c < d; c++) {
      out[c] = z[(i * d + c) * tokens + p];
    }
    return out;
  }

  /** The first {@code count} images of a Fashion-MNIST split, preprocessed with {@code spec}, NCHW. */
  public static float[] fashionMnist(FashionMnist.Split split, int count, PreprocessingSpec spec) throws IOException {
    FashionMnist data = FashionMnist.load(split);
    if (count > data.size()) {
      throw new IllegalArgumentException(
          "Asked for " + count + " Fashion-MNIST " + split + " images, but the split holds " + data.size() + ".");
    }
    Preprocessor pre = new Preprocessor(spec);
    float[] out = new float[count * spec.tensorSize()];
    for (int i = 0; i < count; i++) {
      pre.applyInto(data.image(i), out, i * spec.tensorSize());
    }
    return out;
  }
}
