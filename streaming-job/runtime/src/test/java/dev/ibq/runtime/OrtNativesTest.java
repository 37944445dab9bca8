package dev.ibq.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.model.ExecutionProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime's native libraries from the per-machine cache, and AUTO's look for a GPU before it tries CUDA. */
class OrtNativesTest {

  static long resourceSize(String name) throws IOException {
    return OrtNatives.class
        .getResource("/ai/onnxruntime/native/" + OrtNatives.platform() + "/" + System.mapLibraryName(name))
        .openConnection()
        .getContentLengthLong();
  }

  @Test
  void librariesAreCopiedOnceAndRepairedWhenTheirSizeIsWrong(@TempDir Path dir) throws IOException {
    OrtNatives.copyAll(dir, List.of("onnxruntime", "onnxruntime4j_jni"));
    Path lib = dir.resolve(System.mapLibraryName("onnxruntime"));
    assertThat(Files.size(lib)).isEqualTo(resourceSize("onnxruntime")).isGreaterThan(1 << 20);
    assertThat(Files.size(dir.resolve(System.mapLibraryName("onnxruntime4j_jni")))).isEqualTo(resourceSize("onnxruntime4j_jni"));

    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(lib, old);
    OrtNatives.copyAll(dir, List.of("onnxruntime"));
    assertThat(Files.getLastModifiedTime(lib)).as("an intact copy is not copied again").isEqualTo(old);

    try (var ch = Files.newByteChannel(lib, StandardOpenOption.WRITE)) {
      ch.truncate(10); // a copy cut short (a full disk, a killed process without the atomic rename)
    }
    OrtNatives.copyAll(dir, List.of("onnxruntime"));
    assertThat(Files.size(lib)).isEqualTo(resourceSize("onnxruntime"));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
    }
  }

  @Test
  void sessionsLoadOnnxRuntimeFromTheCache() {
    try (OnnxTokenizer t = OnnxTokenizer.open(OnnxTokenizerTest.resource("encoder.onnx"), OnnxTokenizerTest.CPU)) {
      assertThat(t.info().codebookSize()).isEqualTo(1024);
    }
    String path = System.getProperty(OrtNatives.ORT_NATIVE_PATH);
    assertThat(path).isNotNull();
    assertThat(Path.of(path).resolve(System.mapLibraryName("onnxruntime"))).isRegularFile();
    assertThat(Path.of(path)).startsWith(OrtNatives.cacheRoot());
  }

  @Test
  void autoTriesCudaOnlyWhereAGpuDeviceIsVisible(@TempDir Path dev) throws IOException {
    assertThat(OnnxSessions.noGpuReason(dev, null)).contains("no NVIDIA GPU").contains("nvidiactl");
    Files.createFile(dev.resolve("nvidiactl"));
    assertThat(OnnxSessions.noGpuReason(dev, null)).isNull();
    assertThat(OnnxSessions.noGpuReason(dev, "0")).isNull();
    assertThat(OnnxSessions.noGpuReason(dev, "-1")).contains("hides every GPU");
    assertThat(OnnxSessions.noGpuReason(dev, "")).contains("hides every GPU");
  }

  @Test
  void autoOnThisCpuMachineRunsOnTheCpu() {
    try (OnnxTokenizer t = OnnxTokenizer.open(
        OnnxTokenizerTest.resource("encoder.onnx"), new OnnxTokenizer.Options(ExecutionProvider.AUTO, 1, 1))) {
      if (OnnxSessions.noGpuReason(Path.of("/dev"), System.getenv("CUDA_VISIBLE_DEVICES")) != null) {
        assertThat(t.info().provider()).isEqualTo(ExecutionProvider.CPU);
      }
    }
  }
}
