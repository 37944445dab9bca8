package dev.ibq.stream.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.model.OnnxModelException;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.stream.testing.TestModels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.ibq.model.OnnxMetadataReader;
import dev.ibq.model.TokenizerIdentity;

/**
 * Models read on the client without ONNX Runtime (a protobuf reader of the metadata) and fetched by the
 * tasks through Flink's file systems, checked against the digest the client saw.
 */
class ModelFileTest {

  @Test
  void metadataReadWithoutOnnxRuntimeIsWhatOnnxRuntimeReads() throws Exception {
    ModelFile file = ModelFile.read(TestModels.encoder().toString());
    TokenizerIdentity fromProtobuf = file.identity("CPU");
    TokenizerIdentity fromRuntime;
    try (OnnxTokenizer t = OnnxTokenizer.open(TestModels.encoder(), OnnxTokenizer.Options.cpu(1))) {
      fromRuntime = OnnxTokenizerFactory.identityOf(t.info());
    }
    assertThat(fromProtobuf).isEqualTo(fromRuntime);
    assertThat(file.sizeBytes()).isEqualTo(Files.size(TestModels.encoder()));
    assertThat(file.sha256()).isEqualTo(ModelCache.digest(TestModels.encoder())).hasSize(64);
    assertThat(file.uri()).isEqualTo(TestModels.encoder().toUri().toString());
  }

  @Test
  void aDirectoryOrItsUriResolvesToTheEncoderInIt() throws Exception {
    Path dir = TestModels.encoder().getParent();
    assertThat(ModelFile.read(dir.toString()).uri()).endsWith("/fmnist-small/encoder.onnx");
    assertThat(ModelFile.read(dir.toUri().toString()).sha256()).isEqualTo(ModelFile.read(TestModels.encoder().toString()).sha256());
  }

  @Test
  void whatIsNotAnOnnxModelIsRefusedWithTheReason(@TempDir Path tmp) throws Exception {
    byte[] model = Files.readAllBytes(TestModels.encoder());
    Path truncated = Files.write(tmp.resolve("truncated.onnx"), Arrays.copyOf(model, model.length / 2));
    assertThatThrownBy(() -> ModelFile.read(truncated.toString())).isInstanceOf(IOException.class).hasMessageContaining("ends");
    // 0x0F: field 1 with wire type 7, which protobuf does not have
    assertThatThrownBy(() -> OnnxMetadataReader.read(new ByteArrayInputStream(new byte[] {0x0F, 1, 2})))
        .hasMessageStartingWith("Not an ONNX model: field 1 of wire type 7");
    Path text = Files.writeString(tmp.resolve("encoder.onnx"), "ir_version: 8\n");
    assertThatThrownBy(() -> ModelFile.read(text.toString())).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ModelFile.read(tmp.resolve("missing.onnx").toString())).isInstanceOf(IOException.class);
    // metadata without the tokenizer keys: named by the model's own check
    Path plain = Files.write(tmp.resolve("plain.onnx"), new byte[] {0x08, 0x08}); // ir_version = 8, nothing else
    assertThatThrownBy(() -> ModelFile.read(plain.toString()).identity("CPU"))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not an exported IBQ tokenizer");
  }

  @Test
  void aModelOnAnotherFileSystemIsFetchedOnceAndOpensInOnnxRuntime(@TempDir Path tmp) throws Exception {
    Path source = Files.copy(TestModels.encoder(), tmp.resolve("encoder.onnx"));
    ModelFile remote = ModelFile.read(RemoteTestFileSystem.SCHEME + "://" + source);
    assertThat(remote.uri()).startsWith(RemoteTestFileSystem.SCHEME + ":");
    Path cached = ModelCache.cacheDir().resolve(remote.sha256()).resolve("encoder.onnx");
    Files.deleteIfExists(cached);

    OnnxTokenizerFactory factory = new OnnxTokenizerFactory(remote, "cpu", 1);
    try (BatchTokenizer t = factory.open()) {
      assertThat(t.identity().sameModel(factory.describe())).isTrue();
      int[][] tokens = t.encode(new float[t.identity().valuesPerImage()], 1);
      assertThat(tokens[0]).hasSize(t.identity().tokensPerImage());
    }
    assertThat(cached).exists();
    assertThat(Files.mismatch(cached, source)).isEqualTo(-1);
    long fetchedAt = Files.getLastModifiedTime(cached).toMillis();
    // a second task in the same JVM: no second fetch, even when the source is gone
    Files.delete(source);
    try (BatchTokenizer t = factory.open()) {
      assertThat(t.identity().tokenizerId()).isEqualTo(remote.metadata().get("ibq.tokenizer_id"));
    }
    assertThat(Files.getLastModifiedTime(cached).toMillis()).isEqualTo(fetchedAt);
  }

  @Test
  void aModelChangedAfterTheJobWasBuiltFailsTheTaskNamingBothDigests(@TempDir Path tmp) throws Exception {
    Path local = Files.copy(TestModels.encoder(), tmp.resolve("encoder.onnx"));
    ModelFile seen = ModelFile.read(local.toString());
    byte[] other = Files.readAllBytes(local);
    other[other.length - 1] ^= 1; // another file at the same place
    Files.write(local, other);
    String actual = ModelCache.digest(local);
    assertThatThrownBy(() -> new OnnxTokenizerFactory(seen, "cpu", 1).open())
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("has SHA-256 " + actual)
        .hasMessageContaining("built from " + seen.uri() + " with SHA-256 " + seen.sha256());
  }
}
