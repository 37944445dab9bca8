package dev.ibq.training.export;

import static dev.ibq.training.export.OnnxGraph.floatAttr;
import static dev.ibq.training.export.OnnxGraph.intAttr;
import static dev.ibq.training.export.OnnxGraph.ints;
import static dev.ibq.training.export.OnnxGraph.stringAttr;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.tokenizer.TokenizerArchitecture;

/**
 * Builds the encoder and decoder ONNX graphs of the IBQ tokenizer (VQGAN/taming architecture) from its
 * weights, node for node as the DJL model computes them.
 *
 * <p>Shape legend: B batch, C image channels, H x W image, H' x W' token grid, D code dim, K codebook size,
 * N = B*H'*W' token positions.
 *
 * <ul>
 *   <li>Encoder: images (B, C, H, W) float -> conv_in -> down levels (ResnetBlocks, AttnBlocks at
 *       attn_resolutions, Downsample) -> mid (block_1, attn_1, block_2) -> norm_out, swish, conv_out ->
 *       quant_conv (B, D, H', W') -> {@link QuantizerGraph} argmax_k of the quantizer kind's scores -> tokens (B, H', W') int32.
 *   <li>Decoder: tokens (B, H', W') int32 -> Gather(C, tokens) (B, H', W', D) -> (B, D, H', W') ->
 *       post_quant_conv -> conv_in -> mid -> up levels (ResnetBlocks x (n+1), AttnBlocks, Upsample) ->
 *       norm_out, swish, conv_out -> images (B, C, H, W) float.
 * </ul>
 *
 * <p>Blocks: GroupNorm(groups, eps 1e-6) as ONNX GroupNormalization (opset 21, per-channel scale/bias);
 * swish x * sigmoid(x); ResnetBlock x + conv2(swish(norm2(conv1(swish(norm1 x))))) with a 1x1
 * nin_shortcut when channels change (dropout is identity at inference); AttnBlock x +
 * proj_out(v softmax(q^T k / sqrt(C))^T) with 1x1 q/k/v; Downsample = pad (0,1,0,1) then 3x3 stride-2
 * conv, expressed as the conv's own pads [0, 0, 1, 1]; Upsample = nearest x2 (Resize asymmetric/floor,
 * an exact repeat) then 3x3 conv.
 */
final class TokenizerGraphs {
  static final float GROUP_NORM_EPS = 1e-6f;

  private final TokenizerArchitecture arch;
  private final NamedWeights weights;

  TokenizerGraphs(TokenizerArchitecture arch, NamedWeights weights) {
    this.arch = arch;
    this.weights = weights;
  }

  /** The encoder graph: images -> tokens, the quantizer's codebook split into chunks of {@code chunk} codes. */
  OnnxGraph encoder(int chunk) {
    return encoder(chunk, null);
  }

  /** The encoder graph with the quantizer's exact search, or its int8 coarse + rerank search when {@code coarse} is set. */
  OnnxGraph encoder(int chunk, TokenizerExporter.CoarseRerank coarse) {
    OnnxGraph g = new OnnxGraph("ibq_encoder");
    int r = arch.resolution();
    g.input(TokenizerMetadata.IMAGES, TensorProto.DataType.FLOAT, -1, arch.inChannels(), r, r);
    String x = conv(g, TokenizerMetadata.IMAGES, "encoder.conv_in", arch.inChannels(), arch.ch(), 3, 1, 1);
    int res = r;
    int blockIn = arch.ch();
    for (int i = 0; i < arch.levels(); i++) {
      int blockOut = arch.ch() * arch.chMult().get(i);
      for (int j = 0; j < arch.numResBlocks(); j++) {
        x = resnet(g, x, "encoder.down." + i + ".block." + j, blockIn, blockOut);
        blockIn = blockOut;
        if (arch.attnResolutions().contains(res)) {
          x = attention(g, x, "encoder.down." + i + ".attn." + j, blockIn, res);
        }
      }
      if (i != arch.levels() - 1) {
        // Downsample: F.pad (0,1,0,1) then a valid 3x3 stride-2 conv == conv pads [top 0, left 0, bottom 1, right 1].
        x = conv(g, x, "encoder.down." + i + ".downsample.conv", blockIn, blockIn, 3, 2, 0, 0, 1, 1);
        res /= 2;
      }
    }
    x = resnet(g, x, "encoder.mid.block_1", blockIn, blockIn);
    x = attention(g, x, "encoder.mid.attn_1", blockIn, res);
    x = resnet(g, x, "encoder.mid.block_2", blockIn, blockIn);
    x = swish(g, groupNorm(g, x, "encoder.norm_out", blockIn));
    x = conv(g, x, "encoder.conv_out", blockIn, arch.zChannels(), 3, 1, 1);
    String z = conv(g, x, "quant_conv", arch.zChannels(), arch.codeDim(), 1, 1, 0); // (B, D, H', W')
    float[] codebook = weights.take("quantize.embedding.weight", arch.codebookSize(), arch.codeDim()); // (K, D)
    String tokens =
        new QuantizerGraph(g, codebook, arch.codebookSize(), arch.codeDim(), chunk, arch.quantizerKind(), coarse).tokens(z, res);
    g.node("Identity", new String[] {tokens}, new String[] {TokenizerMetadata.TOKENS});
    g.output(TokenizerMetadata.TOKENS, TensorProto.DataType.INT32, -1, res, res);
    return g;
  }

  /** The decoder graph: tokens -> images. */
  OnnxGraph decoder() {
    OnnxGraph g = new OnnxGraph("ibq_decoder");
    int res = arch.gridHeight();
    int d = arch.codeDim();
    g.input(TokenizerMetadata.TOKENS, TensorProto.DataType.INT32, -1, res, res);
    float[] codebook = weights.take("quantize.embedding.weight", arch.codebookSize(), d);
    String cb = g.floats("quantize.embedding.weight", codebook, arch.codebookSize(), d); // (K, D)
    // Forward value of IBQ's z_q = Ind . C is exactly C[index].
    String zq = g.op("Gather", "z_q_nhwc", new String[] {cb, TokenizerMetadata.TOKENS}, intAttr("axis", 0)); // (B, H', W', D)
    String x = g.op("Transpose", "z_q", new String[] {zq}, ints("perm", 0, 3, 1, 2)); // (B, D, H', W')
    x = conv(g, x, "post_quant_conv", d, arch.zChannels(), 1, 1, 0);
    int levels = arch.levels();
    int blockIn = arch.ch() * arch.chMult().get(levels - 1);
    x = conv(g, x, "decoder.conv_in", arch.zChannels(), blockIn, 3, 1, 1);
    x = resnet(g, x, "decoder.mid.block_1", blockIn, blockIn);
    x = attention(g, x, "decoder.mid.attn_1", blockIn, res);
    x = resnet(g, x, "decoder.mid.block_2", blockIn, blockIn);
    for (int i = levels - 1; i >= 0; i--) {
      int blockOut = arch.ch() * arch.chMult().get(i);
      for (int j = 0; j < arch.decoderResBlocks(); j++) {
        x = resnet(g, x, "decoder.up." + i + ".block." + j, blockIn, blockOut);
        blockIn = blockOut;
        if (arch.attnResolutions().contains(res)) {
          x = attention(g, x, "decoder.up." + i + ".attn." + j, blockIn, res);
        }
      }
      if (i != 0) {
        String scales = g.floats(g.fresh("upsample_scales"), new float[] {1f, 1f, 2f, 2f}, 4);
        x =
            g.op(
                "Resize",
                "upsampled",
                new String[] {x, "", scales},
                stringAttr("mode", "nearest"),
                stringAttr("coordinate_transformation_mode", "asymmetric"),
                stringAttr("nearest_mode", "floor"));
        x = conv(g, x, "decoder.up." + i + ".upsample.conv", blockIn, blockIn, 3, 1, 1);
        res *= 2;
      }
    }
    x = swish(g, groupNorm(g, x, "decoder.norm_out", blockIn));
    x = conv(g, x, "decoder.conv_out", blockIn, arch.outChannels(), 3, 1, 1);
    g.node("Identity", new String[] {x}, new String[] {TokenizerMetadata.IMAGES});
    g.output(TokenizerMetadata.IMAGES, TensorProto.DataType.FLOAT, -1, arch.outChannels(), res, res);
    return g;
  }

  /** Conv with weight (out, in, k, k) and bias (out); pads either one value for all sides or [t, l, b, r]. */
  private String conv(OnnxGraph g, String x, String key, int in, int out, int k, int stride, int... pads) {
    String w = g.floats(key + ".weight", weights.take(key + ".weight", out, in, k, k), out, in, k, k);
    String b = g.floats(key + ".bias", weights.take(key + ".bias", out), out);
    long[] p = pads.length == 1 ? new long[] {pads[0], pads[0], pads[0], pads[0]} : new long[] {pads[0], pads[1], pads[2], pads[3]};
    return g.op(
        "Conv",
        key.replace('.', '_'),
        new String[] {x, w, b},
        ints("kernel_shape", k, k),
        ints("strides", stride, stride),
        ints("pads", p));
  }

  private String groupNorm(OnnxGraph g, String x, String key, int channels) {
    if (channels % arch.groupNormGroups() != 0) {
      throw new IllegalArgumentException(
          key + " normalizes " + channels + " channels, not divisible by " + arch.groupNormGroups() + " GroupNorm groups.");
    }
    String scale = g.floats(key + ".weight", weights.take(key + ".weight", channels), channels);
    String bias = g.floats(key + ".bias", weights.take(key + ".bias", channels), channels);
    return g.op(
        "GroupNormalization",
        key.replace('.', '_'),
        new String[] {x, scale, bias},
        intAttr("num_groups", arch.groupNormGroups()),
        floatAttr("epsilon", GROUP_NORM_EPS));
  }

  private static String swish(OnnxGraph g, String x) {
    String s = g.op("Sigmoid", x + "_sigmoid", new String[] {x});
    return g.op("Mul", x + "_swish", new String[] {x, s});
  }

  private String resnet(OnnxGraph g, String x, String key, int in, int out) {
    String h = swish(g, groupNorm(g, x, key + ".norm1", in));
    h = conv(g, h, key + ".conv1", in, out, 3, 1, 1);
    h = swish(g, groupNorm(g, h, key + ".norm2", out));
    h = conv(g, h, key + ".conv2", out, out, 3, 1, 1);
    String shortcut = in == out ? x : conv(g, x, key + ".nin_shortcut", in, out, 1, 1, 0);
    return g.op("Add", key.replace('.', '_') + "_out", new String[] {shortcut, h});
  }

  /** Single-head self-attention over the res x res positions, channels as features. */
  private String attention(OnnxGraph g, String x, String key, int c, int res) {
    long hw = (long) res * res;
    String h = groupNorm(g, x, key + ".norm", c);
    String q = conv(g, h, key + ".q", c, c, 1, 1, 0);
    String k = conv(g, h, key + ".k", c, c, 1, 1, 0);
    String v = conv(g, h, key + ".v", c, c, 1, 1, 0);
    String flat = g.longs("attn_shape", 0, c, hw); // 0 keeps the batch dimension
    String stem = key.replace('.', '_');
    String q2 = g.op("Reshape", stem + "_q_flat", new String[] {q, flat}); // (B, C, HW)
    String qt = g.op("Transpose", stem + "_q_t", new String[] {q2}, ints("perm", 0, 2, 1)); // (B, HW, C)
    String k2 = g.op("Reshape", stem + "_k_flat", new String[] {k, flat}); // (B, C, HW)
    String scores = g.op("MatMul", stem + "_scores", new String[] {qt, k2}); // (B, HW_q, HW_k)
    String scale = g.scalar(stem + "_scale", (float) Math.pow(c, -0.5));
    scores = g.op("Mul", stem + "_scaled", new String[] {scores, scale});
    String w = g.op("Softmax", stem + "_weights", new String[] {scores}, intAttr("axis", 2)); // over keys
    String v2 = g.op("Reshape", stem + "_v_flat", new String[] {v, flat}); // (B, C, HW_k)
    String wt = g.op("Transpose", stem + "_weights_t", new String[] {w}, ints("perm", 0, 2, 1)); // (B, HW_k, HW_q)
    String att = g.op("MatMul", stem + "_attended", new String[] {v2, wt}); // (B, C, HW_q)
    String back = g.longs("attn_back", 0, c, res, res);
    att = g.op("Reshape", stem + "_attended_map", new String[] {att, back}); // (B, C, H, W)
    att = conv(g, att, key + ".proj_out", c, c, 1, 1, 0);
    return g.op("Add", stem + "_out", new String[] {x, att});
  }
}
