package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.model.OnnxModelException;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata round trip, tokenizer id semantics, and clear errors for models that are not ours. */
class ExportMetadataTest {
  static final OnnxTokenizer.Options CPU = new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1);

  @Test
  void metadataRoundTripsThroughOnnxRuntimeAndInspect(@TempDir Path dir) throws Exception {
    TokenizerExporter.Exported e = TestExports.small(dir, 5);
    try (OnnxTokenizer enc = OnnxTokenizer.open(e.encoder(), CPU);
        OnnxDecoder dec = OnnxDecoder.open(e.decoder(), CPU)) {
      TokenizerInfo info = enc.info();
      assertThat(info.tokenizerId()).isEqualTo(e.tokenizerId()).isEqualTo(dec.info().tokenizerId());
      assertThat(info.name()).isEqualTo("test-small-5");
      assertThat(info.codebookSize()).isEqualTo(64);
      assertThat(info.codeDim()).isEqualTo(8);
      assertThat(info.gridHeight()).isEqualTo(16);
      assertThat(info.gridWidth()).isEqualTo(16);
      assertThat(info.imageChannels()).isEqualTo(1);
      assertThat(info.imageHeight()).isEqualTo(32);
      assertThat(PreprocessingSpec.parse(info.preprocessingDescriptor())).isEqualTo(PreprocessingSpec.fashionMnist32());
      assertThat(info.configJson()).isEqualTo("{\"test\":true}");
      assertThat(dec.info().role()).isEqualTo(TokenizerMetadata.ROLE_DECODER);
    }
    java.util.List<ModelFileSummary> inspected = ModelFileSummary.readAll(dir);
    assertThat(inspected).hasSize(2);
    ModelFileSummary enc = inspected.get(0);
    assertThat(enc.opsets()).containsEntry("ai.onnx", 21L);
    assertThat(enc.metadata()).containsAllEntriesOf(e.encoderMetadata());
    assertThat(enc.inputs()).containsExactly("images: float[batch, 1, 32, 32]");
    assertThat(enc.outputs()).containsExactly("tokens: int32[batch, 16, 16]");
    assertThat(enc.render()).contains("ibq.tokenizer_id = " + e.tokenizerId());
  }

  @Test
  void tokenizerIdIsDeterministicAndChangesWithAnyWeight(@TempDir Path dir) throws Exception {
    String a = TestExports.small(dir.resolve("a"), 5).tokenizerId();
    String b = TestExports.small(dir.resolve("b"), 5).tokenizerId();
    String c = TestExports.small(dir.resolve("c"), 6).tokenizerId();
    assertThat(a).isEqualTo(b).isNotEqualTo(c);

    float[] w = {1f, 2f, 3f};
    Map<String, NamedWeights.Tensor> m = new TreeMap<>();
    m.put("decoder.x.weight", new NamedWeights.Tensor(new long[] {3}, w.clone()));
    String before = TokenizerId.of(new TreeMap<>(m));
    w[2] = Math.nextUp(3f);
    m.put("decoder.x.weight", new NamedWeights.Tensor(new long[] {3}, w));
    assertThat(TokenizerId.of(new TreeMap<>(m))).isNotEqualTo(before);
    // Same values, different shape: a different id.
    m.put("decoder.x.weight", new NamedWeights.Tensor(new long[] {1, 3}, w));
    assertThat(TokenizerId.of(new TreeMap<>(m))).isNotEqualTo(before);
  }

  @Test
  void tokenizerIdMatchesAnIndependentHashOfTheDocumentedBytes() throws Exception {
    TreeMap<String, NamedWeights.Tensor> m = new TreeMap<>();
    m.put("b", new NamedWeights.Tensor(new long[] {1}, new float[] {1f}));
    m.put("a", new NamedWeights.Tensor(new long[] {}, new float[] {-2f}));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    // "a", 0x00, rank 0 (int32 BE), value -2f LE = 00 00 00 C0
    bytes.writeBytes(new byte[] {'a', 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xC0});
    // "b", 0x00, rank 1, dim 1 (int64 BE), value 1f LE = 00 00 80 3F
    bytes.writeBytes(new byte[] {'b', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, (byte) 0x80, 0x3F});
    String expected =
        java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    assertThat(TokenizerId.of(m)).isEqualTo(expected);
  }

  @Test
  void anOnnxModelWithoutOurMetadataIsRefusedByName(@TempDir Path dir) throws Exception {
    OnnxGraph g = new OnnxGraph("plain");
    g.input("images", TensorProto.DataType.FLOAT, -1, 1, 32, 32);
    g.node("Identity", new String[] {"images"}, new String[] {"out"});
    g.output("out", TensorProto.DataType.FLOAT, -1, 1, 32, 32);
    Path plain = dir.resolve("plain.onnx");
    Files.write(plain, g.model("plain", Map.of()).toByteArray());
    assertThatThrownBy(() -> OnnxTokenizer.open(plain, CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not an exported IBQ tokenizer")
        .hasMessageContaining(TokenizerMetadata.TOKENIZER_ID);
    Path junk = Files.write(dir.resolve("junk.onnx"), new byte[] {0x08, 0x07, (byte) 0xff, (byte) 0xff, 0x12});
    assertThatThrownBy(() -> OnnxTokenizer.open(junk, CPU))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not a loadable ONNX model");
    assertThatThrownBy(() -> ModelFileSummary.readAll(Files.writeString(dir.resolve("t.onnx"), "text")))
        .isInstanceOf(OnnxModelException.class)
        .hasMessageContaining("is not an ONNX model");
  }
}
