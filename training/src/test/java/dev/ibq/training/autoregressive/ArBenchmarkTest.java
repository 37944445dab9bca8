package dev.ibq.training.autoregressive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.autoregressive.eval.ClassifierTrainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The AR benchmark's bookkeeping: tokenizer list, balanced reference images, token statistics. */
class ArBenchmarkTest {

  private static ArBenchmark.Options options(List<ArBenchmark.Tokenizer> tokenizers) {
    return new ArBenchmark.Options(tokenizers, "fmnist-cpu", 0, 0, 1, 1, 2f, 1, null, 1, 1, Path.of("w"), Path.of("r"), "c");
  }

  @Test
  void tokenizersNeedDistinctFileSafeNames() {
    ArBenchmark.Tokenizer ibq = new ArBenchmark.Tokenizer("ibq", Path.of("e"), Path.of("d"));
    assertThatThrownBy(() -> options(List.of())).hasMessageContaining("at least one tokenizer");
    assertThatThrownBy(() -> options(List.of(ibq, ibq))).hasMessageContaining("'ibq'");
    assertThatThrownBy(() -> new ArBenchmark.Tokenizer("a/b", Path.of("e"), Path.of("d"))).hasMessageContaining("'a/b'");
    assertThat(options(List.of(ibq, new ArBenchmark.Tokenizer("vq", Path.of("e"), Path.of("d")))).tokenizers()).hasSize(2);
  }

  @Test
  void balancedTakesTheFirstImagesOfEachClassInClassOrder() {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    int size = spec.tensorSize();
    int count = 40;
    float[] pixels = new float[count * size];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (i * 7) % 10;
      pixels[i * size] = i; // remember which image landed where
    }
    ArBenchmark.Balanced b = ArBenchmark.balanced(new ClassifierTrainer.Images(pixels, labels, count), 2, spec);
    assertThat(b.labels()).containsExactly(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9);
    // class 1: images 3 and 13 (3*7 = 21, 13*7 = 91)
    assertThat(b.pixels()[2 * size]).isEqualTo(3f);
    assertThat(b.pixels()[3 * size]).isEqualTo(13f);
    assertThatThrownBy(() -> ArBenchmark.balanced(new ClassifierTrainer.Images(pixels, labels, count), 5, spec))
        .hasMessageContaining("class");
  }

  @Test
  void tokenStatisticsCountUsedCodesAndUnigramEntropy() {
    int[][] tokens = {{0, 1, 2, 3}, {0, 1, 2, 3}};
    TokenDataset data = new TokenDataset(tokens, new int[] {0, 1}, 2, 2, 16, "id", "name", "pre");
    ArBenchmark.TokenStatistics stats = ArBenchmark.TokenStatistics.of(data);
    assertThat(stats.used()).isEqualTo(4);
    assertThat(stats.entropyBits()).isCloseTo(2.0, within(1e-12));
  }
}
