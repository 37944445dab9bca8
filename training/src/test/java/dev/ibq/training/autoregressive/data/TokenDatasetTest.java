package dev.ibq.training.autoregressive.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.TokenRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenDatasetTest {

  @TempDir Path dir;

  @Test
  void readsAnAvroContainerFileIntoTokensLabelsAndGrid() {
    List<TokenRecord> records = TestTokenRecords.make(7, 2, 3, 13, 4, "aaaa", 1);
    records.add(TestTokenRecords.record("unlabelled", List.of(1, 2, 3, 4, 5, 6), 2, 3, 13, "aaaa", null));
    Path file = dir.resolve("tokens.avro");
    TokenRecordFiles.write(file, records);

    TokenDataset data = TokenRecordFiles.read(file);

    assertThat(data.size()).isEqualTo(8);
    assertThat(data.gridHeight()).isEqualTo(2);
    assertThat(data.gridWidth()).isEqualTo(3);
    assertThat(data.codebookSize()).isEqualTo(13);
    assertThat(data.tokenizerId()).isEqualTo("aaaa");
    assertThat(data.numClasses()).isEqualTo(4);
    assertThat(data.labels()).containsExactly(0, 1, 2, 3, 0, 1, 2, -1);
    assertThat(data.tokens()[7]).containsExactly(1, 2, 3, 4, 5, 6);
    for (int r = 0; r < 7; r++) {
      assertThat(data.tokens()[r]).containsExactly(records.get(r).getTokens().stream().mapToInt(i -> i).toArray());
    }
  }

  @Test
  void mixingTokenizersIsAnErrorNamingBothIds() {
    List<TokenRecord> records = new ArrayList<>(TestTokenRecords.make(3, 2, 2, 8, 2, "tokenizer-one", 1));
    records.addAll(TestTokenRecords.make(2, 2, 2, 8, 2, "tokenizer-two", 2));
    Path file = dir.resolve("mixed.avro");
    TokenRecordFiles.write(file, records);

    assertThatThrownBy(() -> TokenRecordFiles.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenizer-one")
        .hasMessageContaining("tokenizer-two")
        .hasMessageContaining("two tokenizers");
  }

  @Test
  void tokensOutsideTheCodebookOrAWrongLengthAreRejected() {
    TokenDataset.Builder builder = new TokenDataset.Builder("test");
    assertThatThrownBy(() -> builder.add(TestTokenRecords.record("x", List.of(0, 1, 9, 2), 2, 2, 8, "a", 0)))
        .hasMessageContaining("token 9")
        .hasMessageContaining("[0, 8)");
    TokenDataset.Builder other = new TokenDataset.Builder("test");
    assertThatThrownBy(() -> other.add(TestTokenRecords.record("y", List.of(0, 1, 2), 2, 2, 8, "a", 0)))
        .hasMessageContaining("has 3 tokens")
        .hasMessageContaining("needs 4");
  }
}
