package dev.ibq.training.cli;

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

  /** The summaries of the inspected files. */
  public record Result(java.util.List<ModelFileSummary> models) {}

  @Override
  public Integer call() {
    Result r = run(model);
    r.models().forEach(m -> System.out.println(m.render()));
    return 0;
  }

  public static Result run(Path model) {
    if (java.nio.file.Files.isDirectory(model)) {
      java.util.List<ModelFileSummary> out = new java.util.ArrayList<>();
      for (String name : new String[] {"encoder.onnx", "decoder.onnx"}) {
        Path f = model.resolve(name);
        if (java.nio.file.Files.isRegularFile(f)) {
          out.add(ModelFileSummary.read(f));
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "The directory " + model + " holds neither encoder.onnx nor decoder.onnx; pass an .onnx file or an export directory.");
      }
      return new Result(out);
    }
    return new Result(java.util.List.of(ModelFileSummary.read(model)));
  }
}
