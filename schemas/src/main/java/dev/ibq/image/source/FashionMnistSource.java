package dev.ibq.image.source;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code fashion-mnist:test} and {@code fashion-mnist:train}: a split of the installed Fashion-MNIST IDX files
 * ({@link FashionMnist#defaultDir()}), labelled with the ten classes, ids {@link FashionMnist#imageId}.
 */
public final class FashionMnistSource implements ImageSource {

  /** The registry kind. */
  public static final String KIND = "fashion-mnist";

  private final FashionMnist data;

  public FashionMnistSource(FashionMnist data) {
    this.data = data;
  }

  /** Opens {@code test} (or {@code t10k}) or {@code train} from the installed files. */
  public static FashionMnistSource open(String split) throws IOException {
    return new FashionMnistSource(FashionMnist.load(split(split)));
  }

  /** The split a name means: {@code test} (or {@code t10k}) or {@code train}. */
  public static FashionMnist.Split split(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "test", "t10k" -> FashionMnist.Split.TEST;
      case "train" -> FashionMnist.Split.TRAIN;
      default -> throw new IllegalArgumentException(
          "The Fashion-MNIST split is '" + name + "'; expected test or train (fashion-mnist:test, fashion-mnist:train).");
    };
  }

  /** The IDX data behind this source. */
  public FashionMnist data() {
    return data;
  }

  @Override
  public String name() {
    return KIND + ":" + data.split().name().toLowerCase(Locale.ROOT);
  }

  @Override
  public int size() {
    return data.size();
  }

  @Override
  public String fingerprint() {
    return name() + ":" + data.size();
  }

  @Override
  public String id(int i) {
    return data.imageId(i);
  }

  @Override
  public Integer label(int i) {
    return data.label(i);
  }

  @Override
  public List<String> classes() {
    return FashionMnist.CLASS_NAMES;
  }

  /** A PNG of the 28x28 image, with attributes {@code dataset}, {@code split}, {@code index} and {@code class}. */
  @Override
  public ImageRecord record(int i) {
    String split = data.split().name().toLowerCase(Locale.ROOT);
    return ImageRecord.newBuilder()
        .setImageId(id(i))
        .setImage(ByteBuffer.wrap(ImageRecords.png(data.image(i))))
        .setContentType("image/png")
        .setLabel(data.label(i))
        .setSourceUri(null)
        .setEventTime(Instant.now())
        .setAttributes(
            Map.of("dataset", KIND, "split", split, "index", String.valueOf(i), "class", FashionMnist.className(data.label(i))))
        .build();
  }

  /** The IDX pixels go straight to the preprocessor (nothing to decode, so {@code limits} do not apply). */
  @Override
  public void preprocessInto(int i, Preprocessor pre, DecodeLimits limits, float[] dst, int offset) {
    pre.applyInto(data.image(i), dst, offset);
  }
}
