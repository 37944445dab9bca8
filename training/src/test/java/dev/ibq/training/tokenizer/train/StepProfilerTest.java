package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepProfilerTest {

  @TempDir Path runDir;

  @AfterEach
  void clearProperty() {
    System.clearProperty(StepProfiler.PROPERTY);
  }

  @Test
  void rejectsRangesThatAreNotFromColonTo() {
    for (String bad : new String[] {"5", "a:b", "3:3", "4:2", "-1:2", "1:2:3"}) {
      System.setProperty(StepProfiler.PROPERTY, bad);
      assertThatThrownBy(() -> StepProfiler.fromSystemProperty(runDir))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-Dibq.profile");
    }
  }

  @Test
  void withoutThePropertyItWritesNothing() {
    StepProfiler profiler = StepProfiler.fromSystemProperty(runDir);
    profiler.beforeStep(0);
    profiler.afterStep(0);
    assertThat(runDir).isEmptyDirectory();
  }

  @Test
  void writesAChromeTraceOfTheOperatorsInTheRange() throws Exception {
    System.setProperty(StepProfiler.PROPERTY, "1:3");
    StepProfiler profiler = StepProfiler.fromSystemProperty(runDir);
    try (NDManager manager = NDManager.newBaseManager()) {
      for (long step = 0; step < 4; step++) {
        profiler.beforeStep(step);
        NDArray a = manager.randomNormal(new Shape(64, 64));
        a.matMul(a).close();
        a.close();
        profiler.afterStep(step);
      }
    }
    Path trace = runDir.resolve("profile-1-3.json");
    assertThat(trace).exists();
    String json = Files.readString(trace);
    assertThat(json).startsWith("[").contains("\"ph\": \"X\"").contains("aten::mm");
  }

  @Test
  void aRunThatEndsInsideTheRangeWritesWhatItRecorded() throws Exception {
    System.setProperty(StepProfiler.PROPERTY, "0:100");
    try (NDManager manager = NDManager.newBaseManager(); StepProfiler profiler = StepProfiler.fromSystemProperty(runDir)) {
      profiler.beforeStep(0);
      NDArray a = manager.randomNormal(new Shape(32, 32));
      a.matMul(a).close();
      profiler.afterStep(0);
    } // stopped (e.g. by Ctrl-C) after one step
    assertThat(Files.readString(runDir.resolve("profile-0-100.json"))).contains("aten::mm");
  }
}
