package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.stream.kafka.KafkaInput;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The decode-and-preprocess decision for single records: valid images and every refusal code. */
class DecodeFunctionTest {
  private static final PreprocessingSpec SPEC = PreprocessingSpec.fashionMnist32();
  private static final Preprocessor PRE = new Preprocessor(SPEC);
  private static final AvroCodec<ImageRecord> CODEC = AvroCodec.forClass(ImageRecord.class);
  private static final DecodeLimits LIMITS =
      new TopologySettings(8, 50, 1, 1 << 20, 1_000_000, 8, java.util.List.of(), 1000).decodeLimits();

  private static BufferedImage gradient(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) % 256);
      }
    }
    return img;
  }

  private static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(img, format, out)).isTrue();
    return out.toByteArray();
  }

  private static KafkaInput record(String id, byte[] image) {
    ImageRecord r =
        ImageRecord.newBuilder()
            .setImageId(id)
            .setImage(ByteBuffer.wrap(image))
            .setContentType("image/png")
            .setLabel(3)
            .setSourceUri(null)
            .setEventTime(Instant.ofEpochMilli(1234))
            .setAttributes(Map.of("k", "v"))
            .build();
    return raw(CODEC.encode(r));
  }

  private static KafkaInput raw(byte[] value) {
    return new KafkaInput("images", 2, 42, 99, value);
  }

  private static DecodeFunction.Outcome prepare(KafkaInput in) {
    return DecodeFunction.prepare(in, CODEC, PRE, LIMITS, SPEC.tensorSize());
  }

  @Test
  void aValidPngBecomesTheSharedPreprocessorsTensorWithItsMetadata() throws Exception {
    byte[] png = encode(gradient(28, 28), "png");
    DecodeFunction.Outcome o = prepare(record("a", png));
    assertThat(o.image).isNotNull();
    assertThat(o.image.pixels).containsExactly(PRE.decodeAndApply(png, DecodeLimits.defaults()));
    assertThat(o.image.imageId).isEqualTo("a");
    assertThat(o.image.label).isEqualTo(3);
    assertThat(o.image.attributes).containsEntry("k", "v");
    assertThat(o.image.eventTimeMillis).isEqualTo(1234);
    assertThat(o.image.topic).isEqualTo("images");
    assertThat(o.image.partition).isEqualTo(2);
    assertThat(o.image.offset).isEqualTo(42);
  }

  @Test
  void bytesThatAreNotAnImageRecordAreUndecodable() {
    DecodeFunction.Outcome o = prepare(raw("hello, not avro".getBytes(StandardCharsets.UTF_8)));
    assertThat(o.code).isEqualTo(ErrorCode.UNDECODABLE_RECORD);
    assertThat(o.stage).isEqualTo(DeadLetters.STAGE_DESERIALIZE);
    assertThat(o.imageId).isNull();
  }

  @Test
  void aTruncatedAvroRecordIsUndecodable() throws Exception {
    byte[] full = record("t", encode(gradient(28, 28), "png")).value;
    DecodeFunction.Outcome o = prepare(raw(Arrays.copyOf(full, 30)));
    assertThat(o.code).isEqualTo(ErrorCode.UNDECODABLE_RECORD);
  }

  @Test
  void anEmptyKafkaValueAndAnEmptyImageAreEmptyPayloads() {
    assertThat(prepare(raw(new byte[0])).code).isEqualTo(ErrorCode.EMPTY_PAYLOAD);
    DecodeFunction.Outcome o = prepare(record("e", new byte[0]));
    assertThat(o.code).isEqualTo(ErrorCode.EMPTY_PAYLOAD);
    assertThat(o.imageId).isEqualTo("e");
    assertThat(o.stage).isEqualTo(DeadLetters.STAGE_DECODE);
  }

  @Test
  void aMessageOverTheByteLimitIsTooLargeBeforeAnyDecoding() {
    DecodeFunction.Outcome o = prepare(raw(new byte[(1 << 20) + 1]));
    assertThat(o.code).isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(o.stage).isEqualTo(DeadLetters.STAGE_DESERIALIZE);
    assertThat(o.message).contains("limits.max-message-bytes");
  }

  @Test
  void anImageOverThePixelLimitIsTooLarge() throws Exception {
    DecodeFunction.Outcome o = prepare(record("big", encode(new BufferedImage(1200, 1000, BufferedImage.TYPE_BYTE_GRAY), "png")));
    assertThat(o.code).isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(o.message).contains("1200x1000");
  }

  @Test
  void aTinyImageIsTooSmall() throws Exception {
    assertThat(prepare(record("tiny", encode(gradient(4, 4), "png"))).code).isEqualTo(ErrorCode.TOO_SMALL);
  }

  @Test
  void aTruncatedPngIsCorrupt() throws Exception {
    byte[] png = encode(gradient(64, 64), "png");
    DecodeFunction.Outcome o = prepare(record("cut", Arrays.copyOf(png, png.length / 2)));
    assertThat(o.code).isEqualTo(ErrorCode.CORRUPT_IMAGE);
    assertThat(o.stage).isEqualTo(DeadLetters.STAGE_DECODE);
  }

  @Test
  void textInAnImageRecordIsAnUnsupportedFormat() {
    DecodeFunction.Outcome o = prepare(record("txt", "just some text, no pixels".getBytes(StandardCharsets.UTF_8)));
    assertThat(o.code).isEqualTo(ErrorCode.UNSUPPORTED_FORMAT);
  }

  @Test
  void aFormatOutsideTheConfiguredListIsUnsupported() throws Exception {
    DecodeLimits pngOnly = LIMITS.withAllowedFormats(Set.of("png"));
    DecodeFunction.Outcome o = DecodeFunction.prepare(record("bmp", encode(gradient(28, 28), "bmp")), CODEC, PRE, pngOnly, SPEC.tensorSize());
    assertThat(o.code).isEqualTo(ErrorCode.UNSUPPORTED_FORMAT);
    assertThat(o.message).contains("BMP");
  }

  @Test
  void fashionMnistPngRecordsRoundTripThroughTheDecoder() throws Exception {
    BufferedImage img = gradient(28, 28);
    byte[] png = ImageRecords.png(img);
    assertThat(prepare(record("f", png)).image.pixels).containsExactly(PRE.apply(img));
  }
}
