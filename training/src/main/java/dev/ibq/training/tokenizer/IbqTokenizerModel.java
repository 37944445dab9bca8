package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The IBQ visual tokenizer (SEED-Voken {@code IBQ} / taming {@code VQModel}): encoder -> quant_conv (1x1,
 * zChannels -> D) -> quantizer (a {@link QuantizerKind}: IBQ, VQ, ...) -> post_quant_conv (1x1, D -> zChannels) -> decoder.
 *
 * <p>Shape legend: B batch, C image channels, R resolution, D code dim, K codebook size, h x w token grid
 * (R / 2^(levels-1)), N = B*h*w. Images are (B, C, R, R) float32 in [-1, 1]; tokens are INT32 (B, h, w) in raster
 * order.
 *
 * <h2>State-dict contract (the ONNX exporter and checkpoints rely on it)</h2>
 * {@link #stateDict()} returns the reference checkpoint keys, in the reference's construction order (encoder,
 * decoder, quantize, quant_conv, post_quant_conv); conv weights are
 * (out, in, kh, kw) and conv biases (out); GroupNorm affine parameters are {@code .weight}/{@code .bias} (C);
 * the codebook is {@code quantize.embedding.weight} (K, D). With L levels and n = numResBlocks:
 * <pre>
 * encoder.conv_in.{weight,bias}                                 3x3, C -> ch
 * encoder.down.{i}.block.{j}.{norm1,conv1,norm2,conv2}.*       i < L, j < n; conv1/conv2 3x3
 * encoder.down.{i}.block.{j}.nin_shortcut.*                    1x1, only where in != out channels
 * encoder.down.{i}.attn.{j}.{norm,q,k,v,proj_out}.*            only at attention resolutions; q/k/v/proj_out 1x1
 * encoder.down.{i}.downsample.conv.*                           i < L-1; 3x3 stride 2 after pad (0,1,0,1)
 * encoder.mid.{block_1,attn_1,block_2}.*  encoder.norm_out.*  encoder.conv_out.*   (3x3 -> zChannels)
 * quant_conv.{weight,bias}                                      1x1, zChannels -> D
 * quantize.embedding.weight                                     (K, D)
 * post_quant_conv.{weight,bias}                                 1x1, D -> zChannels
 * decoder.conv_in.*  decoder.mid.{block_1,attn_1,block_2}.*
 * decoder.up.{i}.block.{j}.*   j < n+1   decoder.up.{i}.attn.{j}.*   decoder.up.{i}.upsample.conv.* (i > 0)
 * decoder.norm_out.*  decoder.conv_out.*                        3x3 -> outChannels
 * </pre>
 * {@code decoder.up.{i}} is level i (0 = full resolution); the decoder runs i = L-1 .. 0. There are no buffers:
 * every tensor is trainable. The reference's {@code nonlinearity} is swish; GroupNorm eps 1e-6.
 *
 * <h2>Training</h2>
 * Call {@link #forward} inside a DJL {@code GradientCollector}; combine
 * {@link TokenizerLosses#l1}, each of the quantizer's {@link QuantizerOutput#losses()} times the weight its
 * {@link LossTerm#weightKey()} names, and the adversarial term;
 * update every entry of {@link #parameters()} by key. Seed DJL ({@code Engine.getInstance().setRandomSeed})
 * before {@link #create} for reproducible initialisation.
 */
public final class IbqTokenizerModel extends TokenizerModule {

  /** The key of the codebook C (K, D) in {@link #parameters()} and the state dict. */
  public static final String CODEBOOK_KEY = "quantize.embedding.weight";

  private final TokenizerArchitecture architecture;
  private final Encoder encoder;
  private final Conv2dLayer quantConv;
  private final Quantizer quantizer;
  private final Conv2dLayer postQuantConv;
  private final Decoder decoder;

  private IbqTokenizerModel(NDManager manager, TokenizerArchitecture arch) {
    super(manager);
    this.architecture = arch;
    this.encoder = registerChild("encoder", new Encoder(manager, arch));
    this.decoder = registerChild("decoder", new Decoder(manager, arch));
    this.quantizer = registerChild("quantize", arch.quantizerKind().create(manager, arch.codebookSize(), arch.codeDim()));
    this.quantConv = registerChild("quant_conv", new Conv2dLayer(manager, arch.zChannels(), arch.codeDim(), 1, 1, 0));
    this.postQuantConv = registerChild("post_quant_conv", new Conv2dLayer(manager, arch.codeDim(), arch.zChannels(), 1, 1, 0));
  }

  /**
   * Builds and randomly initialises a tokenizer (convolutions PyTorch default, GroupNorm 1/0, codebook N(0, 1))
   * whose parameters live in {@code manager}.
   */
  public static IbqTokenizerModel create(TokenizerArchitecture architecture, NDManager manager) {
    return new IbqTokenizerModel(manager, architecture);
  }

  public TokenizerArchitecture architecture() {
    return architecture;
  }

  public Encoder encoder() {
    return encoder;
  }

  public Quantizer quantizer() {
    return quantizer;
  }

  public Decoder decoder() {
    return decoder;
  }

  /** The full training forward: images (B, C, R, R) -> reconstruction (B, C, R, R) plus quantizer output. */
  public TokenizerOutput forward(NDArray images, boolean training) {
    checkImages(images);
    NDArray z = encodeLatents(images, training); // (B, D, h, w)
    QuantizerOutput q = quantizer.quantize(z);
    NDArray reconstruction = decodeCodes(q.zQ(), training);
    return new TokenizerOutput(reconstruction, q);
  }

  /** Encoder then quant_conv: images (B, C, R, R) -> pre-quantization features z (B, D, h, w). */
  public NDArray encodeLatents(NDArray images, boolean training) {
    checkImages(images);
    return quantConv.forward(encoder.forward(images, training));
  }

  /** Images (B, C, R, R) -> token indices INT32 (B, h, w) (inference; no losses, no (N, K) softmax). */
  public NDArray encodeIndices(NDArray images) {
    return quantizer.indices(encodeLatents(images, false));
  }

  /** post_quant_conv then decoder: quantized features (B, D, h, w) -> images (B, C, R, R). */
  public NDArray decodeCodes(NDArray quantized, boolean training) {
    return decoder.forward(postQuantConv.forward(quantized), training);
  }

  /** Token indices (B, h, w), INT32 or INT64 -> images (B, C, R, R), via C[index] (inference). */
  public NDArray decodeIndices(NDArray indices) {
    Shape s = indices.getShape();
    if (s.dimension() != 3 || s.get(1) != architecture.gridHeight() || s.get(2) != architecture.gridWidth()) {
      throw new IllegalArgumentException(
          "Token indices must have shape (B, " + architecture.gridHeight() + ", " + architecture.gridWidth()
              + ") for this architecture; got " + s + ".");
    }
    return decodeCodes(quantizer.codes(indices), false);
  }

  private void checkImages(NDArray images) {
    Shape s = images.getShape();
    int r = architecture.resolution();
    if (s.dimension() != 4 || s.get(1) != architecture.inChannels() || s.get(2) != r || s.get(3) != r) {
      throw new IllegalArgumentException(
          "Images must have shape (B, " + architecture.inChannels() + ", " + r + ", " + r + ") for this architecture; got "
              + s + ".");
    }
  }
}
