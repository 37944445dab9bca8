package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry: config names as stored in YAML, checkpoints and ONNX metadata keep resolving; errors list the names. */
class QuantizerKindsTest {

  @Test
  void namesResolveCaseInsensitivelyToTheKindsOwnSpelling() {
    assertThat(QuantizerKinds.get("IBQ")).isSameAs(IndexPropagationQuantizer.KIND);
    assertThat(QuantizerKinds.get("ibq")).isSameAs(IndexPropagationQuantizer.KIND);
    assertThat(QuantizerKinds.get(" Vq ")).isSameAs(VectorQuantizer.KIND);
    assertThat(QuantizerKinds.names()).startsWith("IBQ", "VQ");
    TokenizerArchitecture vq = TokenizerArchitecture.fashionMnistCpu().withQuantizer("vq");
    assertThat(vq.quantizer()).isEqualTo("VQ");
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThat(IbqTokenizerModel.create(vq.withCodebookSize(8).withCodeDim(4), manager).quantizer()).isInstanceOf(VectorQuantizer.class);
    }
  }

  @Test
  void anUnknownNameIsASentenceListingTheKnownOnes() {
    assertThatThrownBy(() -> QuantizerKinds.get("FSQ"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("There is no quantizer called 'FSQ'; the quantizers are IBQ, VQ")
        .hasMessageEndingWith(".");
    assertThatThrownBy(() -> TokenizerArchitecture.fashionMnistCpu().withQuantizer("lfq"))
        .hasMessageContaining("'architecture.quantizer' expects one of IBQ, VQ")
        .hasMessageContaining("got 'lfq'");
  }

  @Test
  void aSecondKindUnderATakenNameIsRefusedAndTheSameKindTwiceIsHarmless() {
    QuantizerKinds.register(VectorQuantizer.KIND);
    assertThat(QuantizerKinds.names().stream().filter("VQ"::equals)).hasSize(1);
    QuantizerKind impostor = new QuantizerKind() {
      @Override
      public String name() {
        return "ibq";
      }

      @Override
      public String description() {
        return "an impostor";
      }

      @Override
      public Quantizer create(NDManager manager, int codebookSize, int codeDim) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String exportScores(GraphWriter g, String z, String codesT, float[] codebook, int d, int from, int size, String suffix) {
        throw new UnsupportedOperationException();
      }

      @Override
      public double score(double[] z, float[] codebook, int code) {
        return 0;
      }
    };
    assertThatThrownBy(() -> QuantizerKinds.register(impostor))
        .hasMessageContaining("'IBQ' is already registered")
        .hasMessageContaining("choose another name for 'ibq'");
    assertThat(QuantizerKinds.get("IBQ")).isSameAs(IndexPropagationQuantizer.KIND);
  }

  @Test
  void referenceModelClassesMapToTheirKinds() {
    assertThat(QuantizerKinds.forReferenceModelClass("src.IBQ.models.ibqgan.IBQ")).isSameAs(IndexPropagationQuantizer.KIND);
    assertThat(QuantizerKinds.forReferenceModelClass("taming.models.vqgan.VQModel")).isSameAs(VectorQuantizer.KIND);
    assertThat(QuantizerKinds.forReferenceModelClass("src.Open_MAGVIT2.models.lfqgan.VQModel")).isNull();
    assertThat(QuantizerKinds.referenceModelClasses()).containsAll(List.of(
        "src.IBQ.models.ibqgan.IBQ", "src.IBQ.models.ibqgan_pretrain.IBQ", "src.IBQ.models.ibqgan.VQModel",
        "taming.models.vqgan.VQModel"));
  }

  @Test
  void theScoresThatTheParityCheckUsesAreTheKindsOwn() {
    float[] codebook = {1f, 0.1f, 10f, 0f};
    double[] z = {1, 0};
    assertThat(IndexPropagationQuantizer.KIND.score(z, codebook, 1)).isEqualTo(10.0);
    assertThat(VectorQuantizer.KIND.score(z, codebook, 1)).isEqualTo(10.0 - 50.0);
    assertThat(VectorQuantizer.KIND.score(z, codebook, 0)).isGreaterThan(VectorQuantizer.KIND.score(z, codebook, 1));
  }
}
