package dev.ibq.training.autoregressive.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.schemas.TokenRecord;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AR data path's records come from the one factory, with the one Fashion-MNIST id spelling. */
class TokenRecordEncoderTest {

  @Test
  void recordsOfRealImagesCarryTheSharedIdsLabelsAndTheModelsIdentity(@TempDir Path dir) throws Exception {
    FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(
        CommittedTokenizer.file("encoder.onnx", dir), new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1))) {
      List<TokenRecord> records = TokenRecordEncoder.encode(tokenizer, train, 5);
      assertThat(records).extracting(TokenRecord::getImageId)
          .containsExactly("fmnist-train-00000", "fmnist-train-00001", "fmnist-train-00002", "fmnist-train-00003",
              "fmnist-train-00004");
      for (int i = 0; i < records.size(); i++) {
        TokenRecord r = records.get(i);
        assertThat(r.getLabel()).isEqualTo(train.label(i));
        assertThat(r.getTokenizerId()).isEqualTo(tokenizer.info().tokenizerId());
        assertThat(r.getPreprocessing()).isEqualTo(tokenizer.info().preprocessing().toDescriptor());
        assertThat(r.getTokens()).hasSize(tokenizer.info().tokensPerImage())
            .allSatisfy(t -> assertThat(t).isBetween(0, tokenizer.info().codebookSize() - 1));
      }
    }
  }
}
