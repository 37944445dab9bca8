package dev.ibq.training.data;

import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import java.util.List;

/** Fashion-MNIST as {@link LabelledImages}: the 28x28 gray images, through the preprocessor (32x32 padded for the presets). */
public record FashionMnistImages(FashionMnist data) implements LabelledImages {

  @Override
  public int size() {
    return data.size();
  }

  @Override
  public int label(int i) {
    return data.label(i);
  }

  @Override
  public List<String> classes() {
    return FashionMnist.CLASS_NAMES;
  }

  @Override
  public void preprocessInto(int i, Preprocessor preprocessor, float[] dst, int offset) {
    preprocessor.applyInto(data.image(i), dst, offset);
  }

  @Override
  public int[] contentSize(dev.ibq.image.PreprocessingSpec spec) {
    return new int[] {Math.min(spec.height(), data.rows()), Math.min(spec.width(), data.cols())};
  }

  @Override
  public String describe() {
    return "Fashion-MNIST " + data.split().name().toLowerCase(java.util.Locale.ROOT) + " (" + data.size() + " images)";
  }
}
