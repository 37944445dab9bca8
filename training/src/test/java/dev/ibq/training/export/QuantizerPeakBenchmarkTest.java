package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The native float32 peak: which OpenBLAS kernels are forced, and the FMA loop on this machine's widest vectors. */
class QuantizerPeakBenchmarkTest {

  @Test
  void forcesTheKernelsOfTheWidestIsaWhenOpenBlasMisdetectsTheCpu() {
    String avx512 = "flags : fpu sse4_2 avx fma avx2 avx512f avx512bw";
    String avx2 = "flags : fpu sse4_2 avx fma avx2 bmi2";
    assertThat(QuantizerPeakBenchmark.forcedCoreType(avx512, "Prescott")).isEqualTo("SkylakeX");
    assertThat(QuantizerPeakBenchmark.forcedCoreType(avx512, "SkylakeX")).isNull();
    assertThat(QuantizerPeakBenchmark.forcedCoreType(avx2, "Prescott")).isEqualTo("Haswell");
    assertThat(QuantizerPeakBenchmark.forcedCoreType(avx2, "Zen")).isNull();
    assertThat(QuantizerPeakBenchmark.forcedCoreType(avx2, "Haswell")).isNull();
    // AVX without FMA, or SSE only: nothing wider to force.
    assertThat(QuantizerPeakBenchmark.forcedCoreType("flags : fpu sse4_2 avx", "Sandybridge")).isNull();
    assertThat(QuantizerPeakBenchmark.forcedCoreType("flags : fpu sse2", "Prescott")).isNull();
  }

  @Test
  void fmaLoopRunsInTheWidestVectorsThisCpuHas() throws Exception {
    String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
    boolean avx512 = flags.contains(" avx512f");
    boolean avx2 = flags.contains(" avx2") && flags.contains(" fma");
    assumeTrue(avx512 || avx2, "neither AVX-512 nor AVX2 + FMA on this CPU");
    QuantizerPeakBenchmark.Native nat = QuantizerPeakBenchmark.Native.build();
    assumeTrue(nat.binary != null, "no native peak program here: " + nat.note);
    double[] fma = nat.fma();
    assertThat(fma[0]).as("FMA loop GFLOP/s (wall)").isPositive();
    assertThat(nat.fmaName()).startsWith(avx512 ? "AVX-512 FMA loop, 16 zmm" : "AVX2 FMA loop, 12 ymm");
    double[] sgemm = nat.sgemm(256);
    assertThat(sgemm[0]).as("OpenBLAS sgemm GFLOP/s (wall)").isPositive();
  }
}
