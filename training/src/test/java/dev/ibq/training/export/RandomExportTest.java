package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.Interpolation;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.ResizePolicy;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exporter on random weights: graphs load in ONNX Runtime, chunking does not change tokens. */
class RandomExportTest {
  static final TokenizerArchitecture TINY =
      new TokenizerArchitecture(16, 1, 1, 16, List.of(1, 2), 1, List.of(8), 8, 8, 64, 8, 0.0, "IBQ");

  @Test
  void chunkedAndUnchunkedEncodersAgreeAndDecoderRuns(@TempDir Path dir) throws Exception {
    String spec =
        new PreprocessingSpec(16, 16, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).toCanonicalString();
    TokenizerExporter.Description one = new TokenizerExporter.Description("tiny", spec, "{}", 64);
    TokenizerExporter.Description chunked = new TokenizerExporter.Description("tiny", spec, "{}", 10);
    TokenizerExporter.Exported a = TokenizerExporter.export(TINY, NamedWeights.random(1), one, dir.resolve("a"));
    TokenizerExporter.Exported b = TokenizerExporter.export(TINY, NamedWeights.random(1), chunked, dir.resolve("b"));
    assertThat(a.tokenizerId()).isEqualTo(b.tokenizerId()).hasSize(64);
    float[] images = new float[5 * 16 * 16];
    Random rnd = new Random(2);
    for (int i = 0; i < images.length; i++) {
      images[i] = rnd.nextFloat() * 2 - 1;
    }
    OnnxTokenizer.Options cpu = new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1);
    try (OnnxTokenizer ta = OnnxTokenizer.open(a.encoder(), cpu);
        OnnxTokenizer tb = OnnxTokenizer.open(b.encoder(), cpu);
        OnnxDecoder dec = OnnxDecoder.open(a.decoder(), cpu)) {
      TokenizerInfo info = ta.info();
      assertThat(info.gridHeight()).isEqualTo(8);
      int[][] ids = ta.encode(images, 5);
      assertThat(ids).hasDimensions(5, 64);
      assertThat(tb.encode(images, 5)).isDeepEqualTo(ids);
      float[] back = dec.decode(ids);
      assertThat(back).hasSize(5 * 16 * 16);
    }
  }
}
