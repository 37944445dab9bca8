package dev.ibq.stream.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

class SettingsTableTest {

  @Test
  void theReadmeTableIsTheOneGeneratedFromTheOptions() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    assertThat(SettingsTable.withTable(readme))
        .as("streaming-job/README.md's settings table is stale: run dev.ibq.stream.config.SettingsTable README.md")
        .isEqualTo(readme);
  }

  @Test
  void everyOptionIsListedWithItsTypeDefaultAndDescription() {
    String text = SettingsTable.text();
    String table = SettingsTable.markdown();
    for (ConfigOption<?> o : JobOptions.ALL) {
      assertThat(JobConfig.descriptionText(o)).as(o.key()).endsWith(".").doesNotContain("Description@");
      assertThat(text).contains(o.key());
      assertThat(table).contains("| `" + o.key() + "` |");
    }
    assertThat(table).contains("| `batch.size` | Integer | `32` |").contains("| `bounded` | Boolean | `false` |")
        .contains("| `parallelism` | Integer | (none) |").contains("| `model` | String | (none) |");
    assertThat(JobConfig.SETTINGS.keySet()).hasSize(JobOptions.ALL.size());
  }
}
