package dev.ibq.local.embedded;

import dev.ibq.image.source.ImageRecords;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.testing.TestModels;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A mixed stream of valid and hostile records through the real job, broker and model. */
class HostileInputIT {
  private static EmbeddedPipeline pipeline;

  @BeforeAll
  static void startBroker() {
    pipeline = EmbeddedPipeline.start();
  }

  @AfterAll
  static void stopBroker() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  private static ImageRecord record(String id, byte[] image, String contentType) {
    return ImageRecord.newBuilder()
        .setImageId(id)
        .setImage(ByteBuffer.wrap(image))
        .setContentType(contentType)
        .setLabel(null)
        .setSourceUri(null)
        .setEventTime(Instant.now())
        .setAttributes(Map.of())
        .build();
  }

  @Test
  void everyBadRecordIsADeadLetterWithItsCodeAndEveryGoodOneIsTokenized() throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    List<ImageRecord> good = ImageRecords.fashionMnist(test, 0, 300);
    byte[] png = ImageRecords.bytes(good.get(0));
    Random rnd = new Random(7);
    byte[] noise = new byte[2000];
    rnd.nextBytes(noise);
    byte[] corruptPng = png.clone();
    for (int i = 40; i < corruptPng.length - 16; i++) {
      corruptPng[i] = (byte) rnd.nextInt(); // a valid header over scrambled pixel data
    }

    Map<String, ErrorCode> bad = new LinkedHashMap<>();
    List<ImageRecord> badRecords = new ArrayList<>();
    bad.put("bad-corrupt", ErrorCode.CORRUPT_IMAGE);
    badRecords.add(record("bad-corrupt", corruptPng, "image/png"));
    bad.put("bad-truncated", ErrorCode.CORRUPT_IMAGE);
    badRecords.add(record("bad-truncated", Arrays.copyOf(png, png.length / 2), "image/png"));
    bad.put("bad-empty", ErrorCode.EMPTY_PAYLOAD);
    badRecords.add(record("bad-empty", new byte[0], "image/png"));
    bad.put("bad-bomb", ErrorCode.TOO_LARGE);
    badRecords.add(record("bad-bomb", ImageRecords.png(new BufferedImage(2000, 1500, BufferedImage.TYPE_BYTE_GRAY)), "image/png"));
    bad.put("bad-text", ErrorCode.UNSUPPORTED_FORMAT);
    badRecords.add(record("bad-text", "{\"not\": \"an image\"}".getBytes(StandardCharsets.UTF_8), "application/json"));
    bad.put("bad-noise", ErrorCode.UNSUPPORTED_FORMAT);
    badRecords.add(record("bad-noise", noise, "image/png"));
    bad.put("bad-tiny", ErrorCode.TOO_SMALL);
    badRecords.add(record("bad-tiny", ImageRecords.png(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY)), "image/png"));
    bad.put("bad-oversized-message", ErrorCode.TOO_LARGE);
    badRecords.add(record("bad-oversized-message", new byte[300_000], "image/png"));

    // Interleave the bad records among the good ones.
    List<ImageRecord> all = new ArrayList<>(good);
    for (int i = 0; i < badRecords.size(); i++) {
      all.add(20 + i * 35, badRecords.get(i));
    }
    List<byte[]> raw = List.of("not avro at all".getBytes(StandardCharsets.UTF_8), new byte[0], Arrays.copyOf(noise, 64));

    EmbeddedPipeline.Result r =
        pipeline.run(
            EmbeddedPipeline.Request.of(TestModels.encoder(), all)
                .withRawValues(raw)
                .withBatch(16, 50)
                .withExecutionProvider("cpu")
                .withSettings(Map.of(JobConfig.MAX_MESSAGE_BYTES, "262144", JobConfig.MAX_PIXELS, "1000000")));

    assertThat(r.tokens()).extracting(TokenRecord::getImageId)
        .containsExactlyInAnyOrderElementsOf(good.stream().map(ImageRecord::getImageId).collect(Collectors.toList()));
    Map<String, ErrorCode> byId =
        r.deadLetters().stream().filter(d -> d.getImageId() != null)
            .collect(Collectors.toMap(DeadLetterRecord::getImageId, DeadLetterRecord::getErrorCode));
    // The oversized message is refused before the Avro decode, so it carries no image id.
    Map<String, ErrorCode> expectedWithIds = new LinkedHashMap<>(bad);
    expectedWithIds.remove("bad-oversized-message");
    assertThat(byId).isEqualTo(expectedWithIds);

    List<DeadLetterRecord> anonymous = r.deadLetters().stream().filter(d -> d.getImageId() == null).collect(Collectors.toList());
    assertThat(anonymous).extracting(DeadLetterRecord::getErrorCode)
        .containsExactlyInAnyOrder(ErrorCode.TOO_LARGE, ErrorCode.UNDECODABLE_RECORD, ErrorCode.EMPTY_PAYLOAD, ErrorCode.UNDECODABLE_RECORD);
    assertThat(r.deadLetters()).allSatisfy(d -> {
      assertThat(d.getMessage()).isNotBlank();
      assertThat(d.getStage()).isIn("deserialize", "decode", "preprocess");
      assertThat(d.getSourceTopic()).isEqualTo(r.inputTopic());
      assertThat(d.getSourceOffset()).isNotNull();
    });
    // The dead letter carries the original Kafka value byte for byte.
    DeadLetterRecord text = r.deadLetters().stream().filter(d -> "bad-text".equals(d.getImageId())).findFirst().orElseThrow();
    ImageRecord textRecord = badRecords.stream().filter(b -> b.getImageId().equals("bad-text")).findFirst().orElseThrow();
    byte[] payload = new byte[text.getPayload().remaining()];
    text.getPayload().duplicate().get(payload);
    assertThat(payload).isEqualTo(AvroCodec.forClass(ImageRecord.class).encode(textRecord));
    assertThat(r.tokenRecordsOut() + r.deadLettered()).isEqualTo(r.recordsIn());
  }
}
