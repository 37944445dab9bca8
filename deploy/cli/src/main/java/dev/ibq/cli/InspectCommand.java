package dev.ibq.cli;

import dev.ibq.training.export.ModelFileSummary;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ./ibq inspect MODEL.onnx}: prints an ONNX file's tokenizer metadata, inputs/outputs and opset. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Print an exported model's metadata (tokenizer id, K, D, grid, preprocessing, config), inputs/outputs and opset.")
public final class InspectCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "An .onnx file (or an export directory: both files).")
  Path model;

  @Override
  public Integer call() {
    ModelFileSummary.readAll(model).forEach(m -> System.out.println(m.render()));
    return 0;
  }
}
