/*
 * The float32 peak of one core, for ExportBenchmark-style ratios (QuantizerPeakBenchmark compiles this at run time):
 *   sgemm N R : OpenBLAS cblas_sgemm C = A B on (N x N) x (N x N), one thread, best of R calls -> GFLOP/s (2 N^3).
 *   fma S     : a register-resident AVX-512 FMA loop (16 independent zmm accumulators, no memory traffic), best of
 *               5 runs of about S seconds -> GFLOP/s (2 flops per lane per FMA, 16 lanes): the core's FMA
 *               throughput, the theoretical bound a GEMM approaches.
 * Output: one line "sgemm <N> <wall gflops> <thread-cpu-time gflops> <OpenBLAS core>" or "fma <wall> <cpu>".
 * (On a shared host the thread-CPU-time figure excludes the time the thread waited for a core.)
 * Build: cc -O2 -mavx512f -o float32-peak float32-peak.c -lopenblas
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

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
 * 16 independent accumulators in named locals (an array would be kept in memory): enough to cover the FMA latency
 * (4 cycles) times 2 FMA ports. x and y come through volatile so the compiler cannot fold the chain.
 */
static double fma_run(long iters, double *cpu_gflops) {
  volatile float xs = 0.999999f, ys = 1e-7f;
  __m512 x = _mm512_set1_ps(xs), y = _mm512_set1_ps(ys);
  __m512 a0 = _mm512_set1_ps(1.00f), a1 = _mm512_set1_ps(1.01f), a2 = _mm512_set1_ps(1.02f), a3 = _mm512_set1_ps(1.03f);
  __m512 a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f), a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f);
  __m512 a8 = _mm512_set1_ps(1.08f), a9 = _mm512_set1_ps(1.09f), a10 = _mm512_set1_ps(1.10f), a11 = _mm512_set1_ps(1.11f);
  __m512 a12 = _mm512_set1_ps(1.12f), a13 = _mm512_set1_ps(1.13f), a14 = _mm512_set1_ps(1.14f), a15 = _mm512_set1_ps(1.15f);
  double t0 = now(), c0 = cpu_now();
  for (long it = 0; it < iters; it++) {
    a0 = _mm512_fmadd_ps(a0, x, y); a1 = _mm512_fmadd_ps(a1, x, y); a2 = _mm512_fmadd_ps(a2, x, y);
    a3 = _mm512_fmadd_ps(a3, x, y); a4 = _mm512_fmadd_ps(a4, x, y); a5 = _mm512_fmadd_ps(a5, x, y);
    a6 = _mm512_fmadd_ps(a6, x, y); a7 = _mm512_fmadd_ps(a7, x, y); a8 = _mm512_fmadd_ps(a8, x, y);
    a9 = _mm512_fmadd_ps(a9, x, y); a10 = _mm512_fmadd_ps(a10, x, y); a11 = _mm512_fmadd_ps(a11, x, y);
    a12 = _mm512_fmadd_ps(a12, x, y); a13 = _mm512_fmadd_ps(a13, x, y); a14 = _mm512_fmadd_ps(a14, x, y);
    a15 = _mm512_fmadd_ps(a15, x, y);
  }
  double t = now() - t0, tc = cpu_now() - c0;
  __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                         _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
  float sink[16];
  _mm512_storeu_ps(sink, sum);
  if (sink[0] == 12345.0f) fprintf(stderr, "%f\n", sink[0]); /* keeps the result alive */
  *cpu_gflops = 16.0 * 16 * 2 * (double) iters / tc / 1e9;
  return 16.0 * 16 * 2 * (double) iters / t / 1e9;
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
  printf("fma %.3f %.3f\n", best, best_cpu);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "sgemm") == 0) return sgemm(atoi(argv[2]), atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "fma") == 0) return fma_peak(atof(argv[2]));
  fprintf(stderr, "Usage: %s sgemm N REPEATS | fma SECONDS; got %d argument(s).\n", argv[0], argc - 1);
  return 2;
}
