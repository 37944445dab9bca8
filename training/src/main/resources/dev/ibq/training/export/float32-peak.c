/*
 * The float32 peak of one core, for ExportBenchmark-style ratios (QuantizerPeakBenchmark compiles this at run time):
 *   sgemm N R : OpenBLAS cblas_sgemm C = A B on (N x N) x (N x N), one thread, best of R calls -> GFLOP/s (2 N^3).
 *   fma S     : a register-resident FMA loop in the widest vectors the compiler was allowed (AVX-512: 16 zmm
 *               accumulators of 16 lanes; AVX2 + FMA: 12 ymm accumulators of 8 lanes), no memory traffic, best of
 *               5 runs of about S seconds -> GFLOP/s (2 flops per lane per FMA): the core's FMA throughput, the
 *               theoretical bound a GEMM approaches.
 * Output: one line "sgemm <N> <wall gflops> <thread-cpu-time gflops> <OpenBLAS core>" or
 * "fma <wall> <cpu> <avx512|avx2> <accumulators>". (On a shared host the thread-CPU-time figure excludes the time the thread
 * waited for a core.)
 * Build: cc -O2 -march=native -o float32-peak float32-peak.c -lopenblas (-march=native picks the CPU's widest ISA;
 * a compiler or CPU without AVX2 + FMA gets a compile error naming what is missing).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define ISA "avx512"
#define VSET _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VADD _mm512_add_ps
#define VSTORE _mm512_storeu_ps
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec;
#define LANES 8
#define ISA "avx2"
#define VSET _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#define VADD _mm256_add_ps
#define VSTORE _mm256_storeu_ps
#else
#error "float32-peak.c needs AVX-512F or AVX2 + FMA (compile with -march=native on such a CPU)"
#endif

void openblas_set_num_threads(int);
char *openblas_get_corename(void);

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int sgemm(int n, int repeats) {
  openblas_set_num_threads(1);
  float *a = aligned_alloc(64, sizeof(float) * (size_t) n * n);
  float *b = aligned_alloc(64, sizeof(float) * (size_t) n * n);
  float *c = aligned_alloc(64, sizeof(float) * (size_t) n * n);
  if (!a || !b || !c) {
    fprintf(stderr, "Could not allocate three %d x %d float matrices.\n", n, n);
    return 2;
  }
  unsigned s = 1;
  for (size_t i = 0; i < (size_t) n * n; i++) {
    s = s * 1103515245u + 12345u;
    a[i] = (float) ((s >> 9) & 0xffff) / 65536.0f - 0.5f;
    s = s * 1103515245u + 12345u;
    b[i] = (float) ((s >> 9) & 0xffff) / 65536.0f - 0.5f;
  }
  memset(c, 0, sizeof(float) * (size_t) n * n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); /* warm-up */
  double best = 1e30, best_cpu = 1e30;
  for (int r = 0; r < repeats; r++) {
    double t0 = now(), c0 = cpu_now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double t = now() - t0, tc = cpu_now() - c0;
    if (t < best) best = t;
    if (tc < best_cpu) best_cpu = tc;
  }
  double flops = 2.0 * n * n * (double) n;
  printf("sgemm %d %.3f %.3f %s\n", n, flops / best / 1e9, flops / best_cpu / 1e9, openblas_get_corename());
  free(a);
  free(b);
  free(c);
  return 0;
}

/*
 * ACC independent vector accumulators in named locals (an array would be kept in memory): enough to cover the FMA
 * latency (4-5 cycles) times 2 FMA ports, and few enough that they and x, y stay in registers (AVX-512 has 32 zmm
 * registers: 16 accumulators; AVX2 has 16 ymm registers: 12, since 16 would spill). x and y come through volatile
 * so the compiler cannot fold the chain.
 */
#if LANES == 16
#define ACC 16
#else
#define ACC 12
#endif
static double fma_run(long iters, double *cpu_gflops) {
  volatile float xs = 0.999999f, ys = 1e-7f;
  vec x = VSET(xs), y = VSET(ys);
  vec a0 = VSET(1.00f), a1 = VSET(1.01f), a2 = VSET(1.02f), a3 = VSET(1.03f);
  vec a4 = VSET(1.04f), a5 = VSET(1.05f), a6 = VSET(1.06f), a7 = VSET(1.07f);
  vec a8 = VSET(1.08f), a9 = VSET(1.09f), a10 = VSET(1.10f), a11 = VSET(1.11f);
#if ACC == 16
  vec a12 = VSET(1.12f), a13 = VSET(1.13f), a14 = VSET(1.14f), a15 = VSET(1.15f);
#endif
  double t0 = now(), c0 = cpu_now();
  for (long it = 0; it < iters; it++) {
    a0 = VFMA(a0, x, y); a1 = VFMA(a1, x, y); a2 = VFMA(a2, x, y);
    a3 = VFMA(a3, x, y); a4 = VFMA(a4, x, y); a5 = VFMA(a5, x, y);
    a6 = VFMA(a6, x, y); a7 = VFMA(a7, x, y); a8 = VFMA(a8, x, y);
    a9 = VFMA(a9, x, y); a10 = VFMA(a10, x, y); a11 = VFMA(a11, x, y);
#if ACC == 16
    a12 = VFMA(a12, x, y); a13 = VFMA(a13, x, y); a14 = VFMA(a14, x, y);
    a15 = VFMA(a15, x, y);
#endif
  }
  double t = now() - t0, tc = cpu_now() - c0;
  vec sum = VADD(VADD(VADD(a0, a1), VADD(a2, a3)), VADD(VADD(a4, a5), VADD(a6, a7)));
  sum = VADD(sum, VADD(VADD(a8, a9), VADD(a10, a11)));
#if ACC == 16
  sum = VADD(sum, VADD(VADD(a12, a13), VADD(a14, a15)));
#endif
  float sink[LANES];
  VSTORE(sink, sum);
  if (sink[0] == 12345.0f) fprintf(stderr, "%f\n", sink[0]); /* keeps the result alive */
  *cpu_gflops = (double) ACC * LANES * 2 * (double) iters / tc / 1e9;
  return (double) ACC * LANES * 2 * (double) iters / t / 1e9;
}

static int fma_peak(double seconds) {
  long iters = 1000000;
  while (1) { /* calibrate to about `seconds` */
    double t0 = now(), ignored;
    fma_run(iters, &ignored);
    double t = now() - t0;
    if (t > seconds / 4 || iters > (1L << 40)) {
      iters = (long) (iters * seconds / t);
      break;
    }
    iters *= 4;
  }
  double best = 0, best_cpu = 0;
  for (int r = 0; r < 5; r++) {
    double cpu;
    double g = fma_run(iters, &cpu);
    if (g > best) best = g;
    if (cpu > best_cpu) best_cpu = cpu;
  }
  printf("fma %.3f %.3f %s %d\n", best, best_cpu, ISA, ACC);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "sgemm") == 0) return sgemm(atoi(argv[2]), atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "fma") == 0) return fma_peak(atof(argv[2]));
  fprintf(stderr, "Usage: %s sgemm N REPEATS | fma SECONDS; got %d argument(s).\n", argv[0], argc - 1);
  return 2;
}
