package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The shaded job jar holds the job and what it needs at run time, nothing else: no CLI, broker, cluster,
 * benchmark or training classes (issue 11). The reactor packages streaming-job before this module's tests run.
 */
class JobJarContentsTest {

  /** The project packages the job may carry: schemas, the runtime and the job itself. */
  private static final Set<String> ALLOWED_PREFIXES = Set.of(
      "dev/ibq/schemas", "dev/ibq/image", "dev/ibq/model", "dev/ibq/runtime", "dev/ibq/stream/");

  @Test
  void theJobJarHoldsOnlyTheJobAndItsRuntime() throws IOException {
    Path jar = ProjectPaths.jobJar();
    Set<String> projectPackages = new TreeSet<>();
    Set<String> foreign = new TreeSet<>();
    try (JarFile f = new JarFile(jar.toFile())) {
      f.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).forEach(n -> {
        String pkg = n.substring(0, Math.max(0, n.lastIndexOf('/')));
        if (n.startsWith("dev/ibq/")) {
          projectPackages.add(pkg);
        }
        // (the broker: kafka_2.13's Scala packages under kafka/, its controller and Raft log; kafka-clients
        // itself carries org/apache/kafka/server/* plug-in interfaces, which are fine)
        if (n.startsWith("picocli/") || n.startsWith("ai/djl/") || n.startsWith("kafka/")
            || n.startsWith("org/apache/kafka/controller/") || n.startsWith("org/apache/kafka/raft/")
            || n.startsWith("ai/onnxruntime/")) {
          foreign.add(pkg);
        }
      });
    }
    assertThat(projectPackages).isNotEmpty()
        .allSatisfy(p -> assertThat(ALLOWED_PREFIXES.stream().anyMatch(a -> (p + "/").startsWith(a.endsWith("/") ? a : a + "/")))
            .as("package %s in %s", p, jar).isTrue());
    assertThat(projectPackages).noneMatch(p -> p.startsWith("dev/ibq/cli") || p.startsWith("dev/ibq/local")
        || p.startsWith("dev/ibq/training"));
    assertThat(projectPackages).contains("dev/ibq/stream/job", "dev/ibq/runtime", "dev/ibq/model");
    assertThat(foreign).as("CLI, DJL, broker or ONNX Runtime classes in the job jar").isEmpty();
  }
}
