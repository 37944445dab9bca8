package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizerArchitectureTest {

  @Test
  void presetsHaveTheDocumentedShapes() {
    TokenizerArchitecture paper = TokenizerArchitecture.paperImageNet();
    assertThat(paper.chMult()).containsExactly(1, 1, 2, 2, 4);
    assertThat(paper.downsampleFactor()).isEqualTo(16);
    assertThat(paper.tokensPerImage()).isEqualTo(256);
    assertThat(paper.codebookSize()).isEqualTo(16384);
    assertThat(paper.groupNormGroups()).isEqualTo(32);
    TokenizerArchitecture cpu = TokenizerArchitecture.fashionMnistCpu();
    assertThat(cpu.resolution()).isEqualTo(32);
    assertThat(cpu.inChannels()).isEqualTo(1);
    assertThat(cpu.tokensPerImage()).isEqualTo(64);
    assertThat(cpu.codeDim()).isEqualTo(256);
    assertThat(cpu.codebookSize()).isEqualTo(1024);
    assertThat(cpu.withCodebookSize(16384).withQuantizer("VQ"))
        .extracting(TokenizerArchitecture::codebookSize, TokenizerArchitecture::quantizer)
        .containsExactly(16384, "VQ");
  }

  @Test
  void invalidArchitecturesAreRejectedWithTheReason() {
    assertThatThrownBy(() -> new TokenizerArchitecture(30, 1, 1, 32, List.of(1, 2, 2), 1, List.of(), 64, 256, 1024, 8, 0, "IBQ"))
        .hasMessageContaining("resolution 30 is not divisible by the downsampling factor 4");
    assertThatThrownBy(() -> new TokenizerArchitecture(32, 1, 1, 32, List.of(1, 2, 2), 1, List.of(), 64, 256, 1024, 32, 0, "IBQ")
            .withCodeDim(0))
        .hasMessageContaining("codeDim must be positive");
    assertThatThrownBy(() -> new TokenizerArchitecture(32, 1, 1, 24, List.of(1, 2), 1, List.of(), 64, 256, 1024, 16, 0, "IBQ"))
        .hasMessageContaining("24 is not a multiple of groupNormGroups 16");
  }
}
