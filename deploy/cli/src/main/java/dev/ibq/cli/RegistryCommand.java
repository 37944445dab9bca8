package dev.ibq.cli;

import dev.ibq.local.registry.SchemaRegistryProcess;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/**
 * {@code ./ibq registry}: a Schema Registry with the Confluent REST API on this machine (Apicurio Registry, in-memory
 * storage, a child JVM), in the foreground until Ctrl-C. Its URL is what the job's
 * {@code schema-registry.url} and Confluent clients' {@code schema.registry.url} take.
 */
@Command(
    name = "registry",
    mixinStandardHelpOptions = true,
    description = {
      "Run a local Schema Registry (Apicurio Registry, Confluent-compatible API, in memory) until Ctrl-C.",
      "Then: ./ibq stream ... --set input.value-format=confluent --set schema-registry.url=URL."
    })
public final class RegistryCommand implements Callable<Integer> {

  @Override
  public Integer call() throws InterruptedException {
    SchemaRegistryProcess registry = SchemaRegistryProcess.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      registry.close();
      stopped.countDown();
    }, "registry-command-stop"));
    System.out.println("Schema Registry (Apicurio, pid " + registry.pid() + ") at " + registry.url());
    System.out.println("Log: " + registry.log() + "; Ctrl-C stops it (its schemas are kept in memory only).");
    while (registry.isAlive()) {
      if (stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
        return 0;
      }
    }
    System.err.println("The Schema Registry process exited; see " + registry.log() + ".");
    return 1;
  }
}
