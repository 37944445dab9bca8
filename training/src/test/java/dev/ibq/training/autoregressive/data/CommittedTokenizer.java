package dev.ibq.training.autoregressive.data;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The small tokenizer the project committed for tests ({@code deploy/models/fmnist-small}: 32x32
 * Fashion-MNIST -> 8x8 tokens, K 1024; random-init weights, so its tokens are real in path and format, not in
 * quality), copied out of the class path, and real Fashion-MNIST images tokenized with it.
 */
public final class CommittedTokenizer {

  private CommittedTokenizer() {}

  public static Path file(String name, Path dir) {
    Path target = dir.resolve(name);
    Path source = dev.ibq.model.ProjectRoot.model("fmnist-small").resolve(name);
    try (InputStream in = Files.newInputStream(source)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Tokenizes the first {@code count} real Fashion-MNIST training images with the committed encoder. */
  public static List<TokenRecord> encodeTrainImages(int count, Path dir) {
    try (OnnxTokenizer tokenizer =
        OnnxTokenizer.open(file("encoder.onnx", dir), new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1))) {
      return TokenRecordEncoder.encode(tokenizer, FashionMnist.load(FashionMnist.Split.TRAIN), count);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
