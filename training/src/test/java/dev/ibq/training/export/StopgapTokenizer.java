package dev.ibq.training.export;

import dev.ibq.training.tokenizer.QuantizerType;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a RANDOM-INIT fmnist-cpu-shaped tokenizer export (stopgap for the stream job's tests until a
 * trained one is committed). Usage: {@code StopgapTokenizer OUT_DIR}.
 */
public final class StopgapTokenizer {
  private StopgapTokenizer() {}

  public static void main(String[] args) throws Exception {
    TokenizerArchitecture fmnistCpu = TokenizerArchitecture.fashionMnistCpu();
    String config =
        "{\"architecture\":{\"resolution\":32,\"inChannels\":1,\"outChannels\":1,\"ch\":32,\"chMult\":[1,2,2],"
            + "\"numResBlocks\":1,\"attnResolutions\":[8],\"zChannels\":64,\"codeDim\":256,\"codebookSize\":1024,"
            + "\"groupNormGroups\":8,\"dropout\":0.0,\"quantizer\":\"IBQ\"},\"note\":\"random init, seed 42\"}";
    TokenizerExporter.Exported e =
        TokenizerExporter.export(
            fmnistCpu,
            NamedWeights.random(42),
            new TokenizerExporter.Description(
                "ibq-fmnist-cpu-random-init",
                "ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]",
                config,
                TokenizerExporter.DEFAULT_CHUNK),
            Path.of(args[0]));
    System.out.println(e);
  }
}
