package dev.ibq.training.autoregressive.data;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tokenizes labelled Fashion-MNIST images with an exported encoder (ONNX Runtime) into {@link TokenRecord}s, for
 * the AR benchmark and tests. The user-facing way to make token records is {@code ./ibq encode} or the stream job;
 * this does the same per image: the shared {@link Preprocessor} with the encoder's own preprocessing, then
 * {@link OnnxTokenizer#encode}.
 */
public final class TokenRecordEncoder {

  private TokenRecordEncoder() {}

  /** Encodes the first {@code limit} images (0 = all) of {@code data}, in batches of 256. */
  public static List<TokenRecord> encode(OnnxTokenizer tokenizer, FashionMnist data, int limit) {
    TokenizerInfo info = tokenizer.info();
    PreprocessingSpec spec = PreprocessingSpec.parse(info.preprocessingDescriptor());
    Preprocessor preprocessor = new Preprocessor(spec);
    int count = limit > 0 ? Math.min(limit, data.size()) : data.size();
    int size = spec.tensorSize();
    TokenRecords.Model model = TokenRecords.Model.of(info);
    List<TokenRecord> out = new ArrayList<>(count);
    Instant now = Instant.now();
    for (int from = 0; from < count; from += 256) {
      int rows = Math.min(256, count - from);
      float[] batch = new float[rows * size];
      for (int r = 0; r < rows; r++) {
        preprocessor.applyInto(data.image(from + r), batch, r * size);
      }
      long start = System.nanoTime();
      int[][] tokens = tokenizer.encode(batch, rows);
      long micros = (System.nanoTime() - start) / 1000 / rows;
      for (int r = 0; r < rows; r++) {
        TokenRecords.Image image = TokenRecords.Image.of(data.imageId(from + r), data.label(from + r), Map.of(), now);
        out.add(TokenRecords.of(model, image, tokens[r], Instant.now(), micros));
      }
    }
    return out;
  }
}
