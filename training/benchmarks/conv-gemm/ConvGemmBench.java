package dev.ibq.training.tokenizer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import dev.ibq.training.optim.AdamW;
import java.util.Arrays;

/**
 * One convolution, forward and backward (input, weight and bias gradients), as libtorch's convolution (oneDNN)
 * and as {@link Conv2dLayer}'s GEMM form, side by side in interleaved rounds: the experiment behind
 * {@link Conv2dLayer#usesGemm}. Best of 8 timed runs per side and round; the ratio is direct / GEMM (above 1: the
 * GEMM form is faster). Shapes: batch, in, H, W, out, kernel, padding (stride 1).
 *
 * <pre>
 * CP="deploy/cli/target/classes:$(cat deploy/cli/target/classpath.txt)"
 * javac -cp "$CP" -d /tmp/conv-gemm training/benchmarks/conv-gemm/ConvGemmBench.java
 * LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *   -cp "$CP:/tmp/conv-gemm" dev.ibq.training.tokenizer.ConvGemmBench 3
 * </pre>
 */
public final class ConvGemmBench {
  static final int[][] SHAPES = {
    {16, 256, 4, 4, 512, 4, 1}, // the PatchGAN's fourth convolution at 32 x 32 images (fmnist-sharp): 3 x 3 output
    {32, 256, 4, 4, 512, 4, 1}, // the same at batch 32
    {16, 256, 6, 6, 512, 4, 1}, // 5 x 5 output (48 x 48 images)
    {16, 256, 8, 8, 512, 4, 1}, // 7 x 7 output (64 x 64 images)
    {16, 128, 4, 4, 256, 4, 1}, // fewer channels, 3 x 3 output
    {16, 64, 4, 4, 128, 3, 1}, // 576 taps
    {16, 512, 3, 3, 64, 4, 1}, // 64 outputs
  };

  private ConvGemmBench() {}

  static double bestMs(NDManager m, Conv2dLayer layer, int[] c, boolean direct) {
    long best = Long.MAX_VALUE;
    for (int it = 0; it < 10; it++) {
      try (NDManager s = m.newSubManager()) {
        NDArray x = s.randomNormal(new Shape(c[0], c[1], c[2], c[3]));
        x.setRequiresGradient(true);
        long t0 = System.nanoTime();
        try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
          NDArray in = x.mul(1f);
          NDArray y = direct
              ? Conv2d.conv2d(in, layer.weight(), layer.stateDict().get("bias"), new Shape(1, 1), new Shape(c[6], c[6])).singletonOrThrow()
              : layer.forward(in);
          g.backward(y.mul(y).sum());
        }
        if (it >= 2) {
          best = Math.min(best, System.nanoTime() - t0);
        }
        AdamW.zeroGradients(layer.parameters());
      }
    }
    return best / 1e6;
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    System.out.println("# ConvGemmBench " + rounds + " rounds, 1 libtorch thread; " + java.time.Instant.now());
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] c : SHAPES) {
        Conv2dLayer layer = Conv2dLayer.normalInit(m, c[1], c[4], c[5], 1, c[6], true, 0.02);
        long out = (long) (c[2] + 2 * c[6] - c[5] + 1) * (c[3] + 2 * c[6] - c[5] + 1);
        long side = (long) Math.sqrt(out);
        double[] ratios = new double[rounds];
        double[] d = new double[rounds];
        double[] g = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          boolean directFirst = r % 2 == 0;
          double first = bestMs(m, layer, c, directFirst);
          double second = bestMs(m, layer, c, !directFirst);
          d[r] = directFirst ? first : second;
          g[r] = directFirst ? second : first;
          ratios[r] = d[r] / g[r];
        }
        Arrays.sort(ratios);
        System.out.printf("conv %s (output %dx%d, rule takes %s): direct %s ms, GEMM form %s ms, median direct / GEMM %.2fx%n",
            Arrays.toString(c), side, side, layer.usesGemm(side, side) ? "GEMM" : "direct", Arrays.toString(round(d)),
            Arrays.toString(round(g)), ratios[rounds / 2]);
      }
    }
  }

  private static double[] round(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.round(v[i] * 100) / 100.0;
    }
    return out;
  }
}
