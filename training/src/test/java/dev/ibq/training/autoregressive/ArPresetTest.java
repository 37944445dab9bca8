package dev.ibq.training.autoregressive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class ArPresetTest {

  @Test
  void paperShapesHaveTheDocumentedParameterCounts() {
    // K 16384, 1000 classes (ImageNet, 16x16 tokens); the numbers in ArPreset's Javadoc
    assertThat(ArPreset.B.config(16384, 16, 16, 1000).parameterCount()).isEqualTo(154_592_256L);
    assertThat(ArPreset.L.config(16384, 16, 16, 1000).parameterCount()).isEqualTo(496_152_576L);
    assertThat(ArPreset.XL.config(16384, 16, 16, 1000).parameterCount()).isEqualTo(1_132_149_760L);
    assertThat(ArPreset.XXL.config(16384, 16, 16, 1000).parameterCount()).isEqualTo(2_095_613_952L);
    assertThat(ArPreset.FMNIST_CPU.config(1024, 8, 8, 10).parameterCount()).isEqualTo(5_647_872L);
    for (ArPreset p : ArPreset.values()) {
      assertThat(p.config(16384, 16, 16, 1000).headDim()).as(p.id()).isEqualTo(64);
    }
  }

  @Test
  void swigluHiddenWidthIsTwoThirdsOfFourCRoundedUpToAMultipleOf256() {
    assertThat(ArPreset.B.config(16, 2, 2, 1).ffnHidden()).isEqualTo(2048); // 2048 exactly
    assertThat(ArPreset.L.config(16, 2, 2, 1).ffnHidden()).isEqualTo(2816); // 2730 -> 2816
    assertThat(ArPreset.XL.config(16, 2, 2, 1).ffnHidden()).isEqualTo(3584); // 3413 -> 3584
    assertThat(ArPreset.XXL.config(16, 2, 2, 1).ffnHidden()).isEqualTo(4096); // 4096 exactly
  }

  @Test
  void theCountingFormulaMatchesABuiltPresetModel() {
    ArConfig config = ArPreset.FMNIST_CPU.config(64, 2, 2, 3);
    try (NDManager manager = NDManager.newBaseManager();
        Transformer model = new Transformer(manager, config, 0)) {
      assertThat(model.parameterCount()).isEqualTo(config.parameterCount());
    }
  }

  @Test
  void unknownPresetsAreRejectedWithTheKnownNames() {
    assertThat(ArPreset.byId("fmnist-cpu")).isEqualTo(ArPreset.FMNIST_CPU);
    assertThat(ArPreset.byId("xxl")).isEqualTo(ArPreset.XXL);
    assertThatThrownBy(() -> ArPreset.byId("huge"))
        .hasMessageContaining("huge")
        .hasMessageContaining("fmnist-cpu, B, L, XL, XXL");
  }
}
