package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.PreprocessingDescriptor;
import org.junit.jupiter.api.Test;

class PreprocessingSpecTest {

  @Test
  void fashionMnistPresetHasAStableCanonicalString() {
    assertThat(PreprocessingSpec.fashionMnist32().toCanonicalString())
        .isEqualTo("ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]");
  }

  @Test
  void everyCombinationRoundTripsThroughTextAndAvro() {
    for (ResizePolicy policy : ResizePolicy.values()) {
      for (Interpolation interpolation : Interpolation.values()) {
        PreprocessingSpec spec = new PreprocessingSpec(48, 64, 3, policy, interpolation, 17);
        assertThat(PreprocessingSpec.parse(spec.toCanonicalString())).isEqualTo(spec);
        PreprocessingDescriptor d = spec.toDescriptor();
        assertThat(PreprocessingSpec.fromDescriptor(d)).isEqualTo(spec);
        assertThat(PreprocessingSpec.fromDescriptor(d).toDescriptor()).isEqualTo(d);
      }
    }
  }

  @Test
  void keyOrderDoesNotMatterButEveryKeyMust() {
    assertThat(PreprocessingSpec.parse("ibq-preprocess:v1;c=1;w=32;h=32;pad=0;interp=BILINEAR;resize=PAD_CENTER;range=[-1,1]"))
        .isEqualTo(PreprocessingSpec.fashionMnist32());
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;pad=0;range=[-1,1]"))
        .hasMessageContaining("lacks the key 'interp'");
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1];gamma=2"))
        .hasMessageContaining("unknown key 'gamma'");
  }

  @Test
  void otherVersionsRangesAndBadValuesAreRefused() {
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v2;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]"))
        .hasMessageContaining("contract version 2");
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[0,1]"))
        .hasMessageContaining("range [0,1]");
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v1;h=32;w=32;c=2;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]"))
        .hasMessageContaining("channels is 2");
    assertThatThrownBy(() -> PreprocessingSpec.parse("ibq-preprocess:v1;h=32;w=32;c=1;resize=ZOOM;interp=BILINEAR;pad=0;range=[-1,1]"))
        .hasMessageContaining("ResizePolicy 'ZOOM'");
    assertThatThrownBy(() -> PreprocessingSpec.parse("32x32")).hasMessageContaining("does not start with");
  }

  @Test
  void descriptorWhoseFieldsDisagreeWithItsCanonicalStringIsRefused() {
    PreprocessingDescriptor d = PreprocessingSpec.fashionMnist32().toDescriptor();
    d.setHeight(28);
    assertThatThrownBy(() -> PreprocessingSpec.fromDescriptor(d)).hasMessageContaining("must agree");
    PreprocessingDescriptor future = PreprocessingSpec.fashionMnist32().toDescriptor();
    future.setVersion(2);
    assertThatThrownBy(() -> PreprocessingSpec.fromDescriptor(future)).hasMessageContaining("contract version 2");
  }
}
