package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.source.FashionMnist;
import java.awt.image.BufferedImage;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Geometry and value mapping on tiny images whose outputs are derived by hand. */
class PreprocessorTest {

  /** A gray image from row-major 8-bit values. */
  static BufferedImage gray(int width, int height, int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return FashionMnist.grayImage(bytes, width, height);
  }

  /** Expected tensor values for 8-bit samples. */
  static float[] norm(float... samples) {
    float[] out = new float[samples.length];
    for (int i = 0; i < samples.length; i++) {
      out[i] = samples[i] / 127.5f - 1f;
    }
    return out;
  }

  private static Preprocessor pre(int h, int w, int c, ResizePolicy policy, Interpolation interpolation, int pad) {
    return new Preprocessor(new PreprocessingSpec(h, w, c, policy, interpolation, pad));
  }

  @Test
  void fashionMnistIsCenteredOnABlackCanvasWithoutResampling() throws IOException {
    FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
    Preprocessor p = new Preprocessor(PreprocessingSpec.fashionMnist32());
    float[] t = p.apply(train.image(0)); // (1, 32, 32)
    assertThat(t).hasSize(32 * 32);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        boolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        float expected = inside ? train.pixel(0, y - 2, x - 2) / 127.5f - 1f : -1f;
        assertThat(t[y * 32 + x]).as("(%d, %d)", y, x).isEqualTo(expected);
      }
    }
    assertThat(t[16 * 32 + 16]).isEqualTo(217 / 127.5f - 1f);
  }

  @Test
  void valuesMapZeroToMinusOneAndFullToOne() {
    float[] t = pre(1, 3, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).apply(gray(3, 1, 0, 51, 255));
    assertThat(t).containsExactly(-1f, 51 / 127.5f - 1f, 1f);
  }

  @Test
  void bilinearStretchOfATwoByTwoImage() {
    // Half-pixel centers, 2 -> 4: weights (1,0) (.75,.25) (.25,.75) (0,1) on each axis.
    float[] t = pre(4, 4, 1, ResizePolicy.STRETCH, Interpolation.BILINEAR, 0).apply(gray(2, 2, 0, 100, 100, 200));
    assertThat(t).containsExactly(norm(
        0, 25, 75, 100,
        25, 50, 100, 125,
        75, 100, 150, 175,
        100, 125, 175, 200));
  }

  @Test
  void areaShrinkAveragesBlocks() {
    float[] t = pre(2, 2, 1, ResizePolicy.STRETCH, Interpolation.AREA, 0).apply(gray(4, 4,
        0, 10, 20, 30,
        40, 50, 60, 70,
        80, 90, 100, 110,
        120, 130, 140, 150));
    assertThat(t).containsExactly(norm(25, 45, 105, 125));
  }

  @Test
  void bicubicKeepsAConstantImageAndStaysInRange() {
    float[] flat = pre(5, 7, 1, ResizePolicy.STRETCH, Interpolation.BICUBIC, 0).apply(gray(3, 3, 90, 90, 90, 90, 90, 90, 90, 90, 90));
    for (float v : flat) {
      assertThat(v).isCloseTo(90 / 127.5f - 1f, org.assertj.core.data.Offset.offset(1e-6f));
    }
    float[] edge = pre(8, 8, 1, ResizePolicy.STRETCH, Interpolation.BICUBIC, 0).apply(gray(2, 2, 0, 255, 255, 0));
    for (float v : edge) {
      assertThat(v).isBetween(-1f, 1f);
    }
  }

  @Test
  void shorterSideResizeThenCenterCrop() {
    // 8 wide x 4 high, value = 10 * column. Scale 0.5 -> 4x2 (area: mean of column pairs), crop columns 1..2.
    int[] v = new int[32];
    for (int i = 0; i < 32; i++) {
      v[i] = 10 * (i % 8);
    }
    float[] t = pre(2, 2, 1, ResizePolicy.RESIZE_SHORTER_CENTER_CROP, Interpolation.AREA, 0).apply(gray(8, 4, v));
    assertThat(t).containsExactly(norm(25, 45, 25, 45));
  }

  @Test
  void fitThenCenterPadWithThePadValue() {
    // 8 wide x 4 high into 4x4: scale 0.5 -> 4 wide x 2 high, one pad row above and below.
    int[] v = new int[32];
    for (int i = 0; i < 32; i++) {
      v[i] = 10 * (i % 8);
    }
    float[] t = pre(4, 4, 1, ResizePolicy.RESIZE_FIT_PAD, Interpolation.AREA, 255).apply(gray(8, 4, v));
    assertThat(t).containsExactly(norm(
        255, 255, 255, 255,
        5, 25, 45, 65,
        5, 25, 45, 65,
        255, 255, 255, 255));
  }

  @Test
  void padCenterCropsALargerSourceAroundItsMiddle() {
    int[] v = new int[36];
    for (int i = 0; i < 36; i++) {
      v[i] = i;
    }
    float[] t = pre(2, 4, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).apply(gray(6, 6, v));
    // rows 2..3, columns 1..4
    assertThat(t).containsExactly(norm(13, 14, 15, 16, 19, 20, 21, 22));
  }

  @Test
  void rgbSourceBecomesBt601GrayAndGrayBecomesThreeEqualPlanes() {
    BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000);
    rgb.setRGB(1, 0, 0x0000ff);
    float[] gray = pre(1, 2, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).apply(rgb);
    assertThat(gray).containsExactly(norm(299f * 255 / 1000f, 114f * 255 / 1000f));
    float[] color = pre(1, 2, 3, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).apply(gray(2, 1, 7, 9));
    assertThat(color).containsExactly(norm(7, 9, 7, 9, 7, 9));
  }

  @Test
  void transparencyIsCompositedOverThePadValue() {
    BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0x00ffffff); // fully transparent white
    argb.setRGB(1, 0, 0xffffffff); // opaque white
    argb.setRGB(2, 0, 0x80c8c8c8); // half-transparent 200
    float[] onBlack = pre(1, 3, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0).apply(argb);
    float a = 128 / 255f;
    assertThat(onBlack[0]).isEqualTo(-1f);
    assertThat(onBlack[1]).isEqualTo(1f);
    // luma of three equal non-integer samples is exact only to float rounding
    assertThat(onBlack[2]).isCloseTo((200f * a) / 127.5f - 1f, org.assertj.core.data.Offset.offset(1e-6f));
    float[] onWhite = pre(1, 3, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 255).apply(argb);
    assertThat(onWhite[0]).isEqualTo(1f);
  }

  @Test
  void applyIntoFillsOneSlotOfABatch() {
    Preprocessor p = pre(2, 2, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0);
    float[] batch = new float[3 * 4];
    p.applyInto(gray(2, 2, 255, 255, 255, 255), batch, 4);
    assertThat(batch).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0);
    assertThatThrownBy(() -> p.applyInto(gray(2, 2, 0, 0, 0, 0), batch, 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("would not fit");
  }

  @Test
  void toImageInvertsTheValueMapping() throws IOException {
    FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
    Preprocessor p = new Preprocessor(PreprocessingSpec.fashionMnist32());
    float[] t = p.apply(train.image(3));
    BufferedImage back = p.toImage(t, 0);
    assertThat(back.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        assertThat(back.getRaster().getSample(x + 2, y + 2, 0)).isEqualTo(train.pixel(3, y, x));
      }
    }
    assertThat(p.apply(back)).containsExactly(t);
  }
}
