package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export -> ONNX Runtime -> tokens equal the DJL model's on 64 real Fashion-MNIST test images; decoder
 * within 1e-4. Random-init weights of the fmnist-cpu architecture (a trained model is checked by the
 * export benchmark); parity is a property of the exporter, not of training.
 */
class ParityCheckTest {
  static final OnnxTokenizer.Options CPU = new OnnxTokenizer.Options(ExecutionProvider.CPU, 2, 1);

  @org.junit.jupiter.api.BeforeAll
  static void oneLibtorchThread() {
    // Effective when this class starts the engine: OpenMP spin-waiting on a busy shared machine is very slow.
    System.setProperty("ai.djl.pytorch.num_threads", "1");
  }

  static TokenizerExporter.Description description(PreprocessingSpec spec, int chunk) {
    return new TokenizerExporter.Description("parity-test", spec.toCanonicalString(), "{}", chunk);
  }

  @Test
  void ibqExportMatchesDjlOnRealImages(@TempDir Path dir) throws Exception {
    check(TokenizerArchitecture.fashionMnistCpu(), 256, 64, dir);
  }

  @Test
  void vqExportWithChunkedCodebookMatchesDjl(@TempDir Path dir) throws Exception {
    check(TokenizerArchitecture.fashionMnistCpu().withQuantizer("VQ"), 300, 16, dir);
  }

  private static void check(TokenizerArchitecture arch, int chunk, int count, Path dir) throws Exception {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    float[] images = ParityCheck.fashionMnist(FashionMnist.Split.TEST, count, spec);
    Engine.getInstance().setRandomSeed(7);
    try (NDManager manager = NDManager.newBaseManager()) {
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
      TokenizerExporter.export(model, description(spec, chunk), dir);
      ParityCheck.Result r = ParityCheck.run(model, dir, images, count, 16, CPU);
      System.out.println(arch.quantizer() + ": " + r.summary());
      assertThat(r.positions()).isEqualTo(count * 64L);
      assertThat(r.agreement()).isGreaterThanOrEqualTo(ParityCheck.MIN_AGREEMENT);
      assertThat(r.disagreements()).allMatch(ParityCheck.Disagreement::nearTie);
      assertThat(r.decoderMaxAbsDiff()).isLessThanOrEqualTo(ParityCheck.DECODER_TOLERANCE);
      assertThat(r.passed()).isTrue();
    }
  }
}
