import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.Arrays;

/**
 * Forward + backward of one convolution with an NCHW input against a channels-last input (an NHWC tensor seen
 * through a permuted NCHW view), the experiment behind step-time.md's "channels-last" paragraph. Best of 8 runs.
 * Two cases: "view" (the input is already NHWC) and "copies" (an NCHW activation is copied to NHWC first, and
 * the output is reshaped as GroupNorm reshapes it, which copies it back to NCHW).
 *
 * <pre>
 * CP="deploy/cli/target/classes:$(cat deploy/cli/target/classpath.txt)"
 * javac -cp "$CP" -d /tmp/conv-layout training/benchmarks/conv-layout/ConvLayoutBench.java
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp "$CP:/tmp/conv-layout" ConvLayoutBench
 * </pre>
 */
public class ConvLayoutBench {
  /** batch, in channels, height, width, out channels, kernel, stride: fmnist-sharp's generator and discriminator. */
  static final int[][] SHAPES = {
    {16, 64, 16, 16, 64, 3, 1}, {16, 32, 32, 32, 32, 3, 1}, {16, 64, 16, 16, 64, 1, 1},
    {16, 256, 4, 4, 512, 4, 1}, {16, 128, 8, 8, 256, 4, 2}};

  static NDArray channelsLastCopy(NDArray x) {
    Shape s = x.getShape();
    return x.transpose(0, 2, 3, 1).reshape(s.get(0), -1).reshape(s.get(0), s.get(2), s.get(3), s.get(1)).transpose(0, 3, 1, 2);
  }

  static double bestMs(NDManager m, int[] c, boolean channelsLast, boolean copies) {
    long best = Long.MAX_VALUE;
    for (int it = 0; it < 10; it++) {
      try (NDManager s = m.newSubManager()) {
        NDArray w = s.randomNormal(new Shape(c[4], c[1], c[5], c[5]));
        w.setRequiresGradient(true);
        NDArray x0 = channelsLast && !copies
            ? s.randomNormal(new Shape(c[0], c[2], c[3], c[1])).transpose(0, 3, 1, 2)
            : s.randomNormal(new Shape(c[0], c[1], c[2], c[3]));
        x0.setRequiresGradient(true);
        long t0 = System.nanoTime();
        try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
          NDArray in = channelsLast && copies ? channelsLastCopy(x0.mul(1f)) : x0.mul(1f);
          int pad = c[5] == 3 ? 1 : (c[5] == 4 ? 1 : 0);
          NDArray y = JniUtils.convolution((PtNDArray) in, (PtNDArray) w, null, new Shape(c[6], c[6]), new Shape(pad, pad), new Shape(1, 1), 1);
          NDArray r = copies ? y.reshape(c[0], 8, -1) : y; // GroupNorm's (N, G, -1) view
          g.backward(r.mul(r).sum());
        }
        if (it >= 2) {
          best = Math.min(best, System.nanoTime() - t0);
        }
      }
    }
    return best / 1e6;
  }

  public static void main(String[] args) {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] c : SHAPES) {
        for (boolean copies : new boolean[] {false, true}) {
          double nchw = bestMs(m, c, false, copies);
          double cl = bestMs(m, c, true, copies);
          System.out.printf("conv %s, %s: NCHW %.2f ms, channels-last %.2f ms, NCHW / channels-last %.2fx%n",
              Arrays.toString(c), copies ? "with the copies" : "input already NHWC", nchw, cl, nchw / cl);
        }
      }
    }
  }
}
