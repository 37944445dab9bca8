package dev.ibq.cli;

import dev.ibq.local.embedded.StreamDemo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq demo}: the main job on an embedded default ({@link StreamDemo}). A real Kafka broker (KRaft, a
 * child JVM) and a Flink mini cluster on this machine; Fashion-MNIST test images in, IBQ token records out.
 *
 * <p>Parses the options and prints the outcome; the steps are {@link StreamDemo#run}'s.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "The main job on an embedded default: starts a real Kafka broker (KRaft) and a Flink mini cluster,",
      "streams Fashion-MNIST test images through the IBQ tokenizer job and shows what came out."
    })
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--images", defaultValue = "10000", description = "Test images to stream (default ${DEFAULT-VALUE}, at most 10000).")
  int images;

  @Option(names = "--model", paramLabel = "DIR", description = "An exported tokenizer (encoder.onnx + decoder.onnx); default: find or build one.")
  Path model;

  @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Where the demo keeps its tokenizer and pictures (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--train-steps",
      defaultValue = "0",
      description = {
        "Train the fmnist-sharp preset for this many steps now and stream with it (Ctrl-C stops with a checkpoint).",
        "0 (the default) streams with the project's default tokenizer, deploy/models/fmnist-sharp."
      })
  int trainSteps;

  @Option(names = "--threads", paramLabel = "N", description = "libtorch threads when training (default: libtorch's choice; 1 on a busy machine).")
  Integer threads;

  @Option(names = "--batch-size", defaultValue = "64", description = "Images per ONNX Runtime batch in the job (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--max-wait-ms", defaultValue = "50", description = "Longest wait for a batch to fill (default ${DEFAULT-VALUE}).")
  long maxWaitMs;

  @Option(names = "--provider", defaultValue = "auto", description = "ONNX Runtime execution provider: auto, cpu or cuda (default ${DEFAULT-VALUE}).")
  String provider;

  @Override
  public Integer call() throws Exception {
    TrainTokenizerCommand.applyThreads(threads);
    StreamDemo.Result r = StreamDemo.run(new StreamDemo.Options(images, model, out, trainSteps, batch, maxWaitMs, provider));
    System.out.println();
    System.out.println("IBQ stream demo");
    System.out.println("  tokenizer: " + r.tokenizerOrigin());
    System.out.println("  " + r.pipeline().summary().replace("\n", "\n  "));
    System.out.println("  originals beside reconstructions decoded from the streamed tokens: " + r.picture());
    System.out.println("  summary: " + r.summaryJson());
    boolean complete = r.pipeline().tokenRecordsOut() + r.pipeline().deadLettered() == r.pipeline().recordsIn()
        && r.pipeline().duplicateImageIds() == 0;
    return complete ? 0 : 1;
  }
}
