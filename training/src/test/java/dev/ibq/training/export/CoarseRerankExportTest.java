package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export's coarse-rerank option (int8 search + float32 rescoring) against the default exact export of the same
 * random weights, on real Fashion-MNIST test images in ONNX Runtime.
 */
class CoarseRerankExportTest {
  /** 32x32x1 -> 16x16 tokens, K 2048, D 8. */
  static final TokenizerArchitecture ARCH =
      new TokenizerArchitecture(32, 1, 1, 16, List.of(1, 2), 1, List.of(16), 8, 8, 2048, 8, 0.0, "IBQ");

  @Test
  void coarseRerankTokensEqualTheExactExportOnFashionMnist(@TempDir Path dir) throws Exception {
    String spec = PreprocessingSpec.fashionMnist32().toCanonicalString();
    TokenizerExporter.Exported exact = TokenizerExporter.export(
        ARCH, NamedWeights.random(3), new TokenizerExporter.Description("exact", spec, "{}", 512), dir.resolve("exact"));
    TokenizerExporter.Exported coarse = TokenizerExporter.export(
        ARCH, NamedWeights.random(3),
        new TokenizerExporter.Description("coarse", spec, "{}", 512, TokenizerExporter.CoarseRerank.parse("4,16")),
        dir.resolve("coarse"));
    assertThat(coarse.tokenizerId()).isEqualTo(exact.tokenizerId());
    int images = 64;
    float[] x = ParityCheck.fashionMnist(FashionMnist.Split.TEST, images, PreprocessingSpec.parse(spec));
    OnnxTokenizer.Options cpu = new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1);
    try (OnnxTokenizer a = OnnxTokenizer.open(exact.encoder(), cpu);
        OnnxTokenizer b = OnnxTokenizer.open(coarse.encoder(), cpu)) {
      int[][] ta = a.encode(x, images);
      int[][] tb = b.encode(x, images);
      long equal = 0;
      long total = 0;
      java.util.Set<Integer> used = new java.util.HashSet<>();
      for (int i = 0; i < images; i++) {
        for (int p = 0; p < ta[i].length; p++) {
          equal += ta[i][p] == tb[i][p] ? 1 : 0;
          used.add(ta[i][p]);
          total++;
        }
      }
      assertThat(total).isEqualTo(images * 256L);
      assertThat(used).as("distinct exact tokens (the search must matter)").hasSizeGreaterThan(20);
      assertThat(equal).as("positions of %d with equal tokens", total).isEqualTo(total);
    }
  }

  @Test
  void vqExportRejectsTheCoarseRerankSearch(@TempDir Path dir) {
    TokenizerArchitecture vq =
        new TokenizerArchitecture(32, 1, 1, 16, List.of(1, 2), 1, List.of(16), 8, 8, 64, 8, 0.0, "VQ");
    String spec = PreprocessingSpec.fashionMnist32().toCanonicalString();
    assertThatThrownBy(() -> TokenizerExporter.export(vq, NamedWeights.random(3),
            new TokenizerExporter.Description("vq", spec, "{}", 32, new TokenizerExporter.CoarseRerank(2, 4)), dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quantizer kind VQ scores codes otherwise");
  }

  @Test
  void parseNamesTheExpectedForm() {
    assertThatThrownBy(() -> TokenizerExporter.CoarseRerank.parse("4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'4' is not two positive integers 'PER_CHUNK,CANDIDATES'");
    assertThat(TokenizerExporter.CoarseRerank.parse("4, 16")).isEqualTo(new TokenizerExporter.CoarseRerank(4, 16));
  }
}
