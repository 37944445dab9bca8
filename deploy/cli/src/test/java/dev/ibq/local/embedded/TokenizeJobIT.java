package dev.ibq.local.embedded;

import dev.ibq.image.source.ImageRecords;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.stream.testing.TestModels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job on a Flink mini cluster against a real Kafka broker process, with the committed test
 * tokenizer (real ONNX Runtime) and real Fashion-MNIST images.
 */
class TokenizeJobIT {
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

  @Test
  void twoThousandImagesGiveExactlyTwoThousandTokenRecordsEqualToDirectEncoding() throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 0, 2000);

    EmbeddedPipeline.Result r =
        pipeline.run(EmbeddedPipeline.Request.of(TestModels.encoder(), images).withBatch(32, 50).withExecutionProvider("cpu"));

    assertThat(r.tokenRecordsOut()).isEqualTo(2000);
    assertThat(r.duplicateImageIds()).isZero();
    assertThat(r.deadLettered()).isZero();

    Map<String, int[]> expected = encodeDirectly(images, 64);
    for (TokenRecord t : r.tokens()) {
      assertThat(TokenRecords.tokens(t)).as(t.getImageId()).isEqualTo(expected.get(t.getImageId()));
      assertThat(t.getTokenizerId()).isEqualTo(r.tokenizer().tokenizerId());
      assertThat(t.getGridHeight() * t.getGridWidth()).isEqualTo(t.getTokens().size());
      assertThat(t.getPreprocessing().getCanonical()).isEqualTo(r.tokenizer().preprocessing());
    }
    assertThat(r.tokens()).extracting(TokenRecord::getImageId).containsExactlyInAnyOrderElementsOf(expected.keySet());
    TokenRecord first = r.tokens().stream().filter(t -> t.getImageId().equals("fmnist-test-00000")).findFirst().orElseThrow();
    assertThat(first.getLabel()).isEqualTo(test.label(0));
    assertThat(first.getAttributes()).containsEntry("dataset", "fashion-mnist").containsEntry("index", "0");
  }

  /** The `encode` CLI path: the shared Preprocessor on the same PNG bytes, then OnnxTokenizer directly. */
  static Map<String, int[]> encodeDirectly(List<ImageRecord> images, int batch) throws Exception {
    Map<String, int[]> out = new HashMap<>();
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(TestModels.encoder(), OnnxTokenizer.Options.cpu(0))) {
      Preprocessor pre = new Preprocessor(PreprocessingSpec.parse(tokenizer.info().preprocessingDescriptor()));
      int per = tokenizer.info().valuesPerImage();
      for (int from = 0; from < images.size(); from += batch) {
        int b = Math.min(batch, images.size() - from);
        float[] x = new float[b * per]; // (B, C, H, W)
        for (int i = 0; i < b; i++) {
          float[] one = pre.decodeAndApply(ImageRecords.bytes(images.get(from + i)), DecodeLimits.defaults());
          System.arraycopy(one, 0, x, i * per, per);
        }
        int[][] tokens = tokenizer.encode(x, b);
        for (int i = 0; i < b; i++) {
          out.put(images.get(from + i).getImageId(), tokens[i]);
        }
      }
    }
    return out;
  }
}
