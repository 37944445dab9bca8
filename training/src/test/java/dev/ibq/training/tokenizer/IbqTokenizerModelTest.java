package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IbqTokenizerModelTest {

  /** Two levels (16 -> 8), 8 channels, attention at 8, K 16, D 4. */
  static TokenizerArchitecture tiny(String type) {
    return new TokenizerArchitecture(16, 1, 1, 8, List.of(1, 2), 1, List.of(8), 4, 4, 16, 4, 0.0, type);
  }

  private NDManager manager;

  @BeforeEach
  void setUp() {
    Engine.getInstance().setRandomSeed(7);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void tinyModelShapesThroughEncoderQuantizerAndDecoder() {
    IbqTokenizerModel model = IbqTokenizerModel.create(tiny("IBQ"), manager);
    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    TokenizerOutput out = model.forward(images, true);
    assertThat(out.reconstruction().getShape()).isEqualTo(new Shape(2, 1, 16, 16));
    QuantizerOutput q = out.quantizer();
    assertThat(q.indices().getShape()).isEqualTo(new Shape(2, 8, 8));
    assertThat(q.indices().getDataType()).isEqualTo(DataType.INT32);
    assertThat(q.z().getShape()).isEqualTo(new Shape(2, 4, 8, 8));
    assertThat(q.zQ().getShape()).isEqualTo(new Shape(2, 4, 8, 8));
    assertThat(q.logits().getShape()).isEqualTo(new Shape(128, 16));
    assertThat(q.codeCounts().sum().getFloat()).isEqualTo(128f);
    assertThat(q.loss("quant").getShape()).isEqualTo(new Shape());
    assertThat(model.encodeIndices(images)).isEqualTo(q.indices());
    assertThat(model.decodeIndices(q.indices()).getShape()).isEqualTo(new Shape(2, 1, 16, 16));
  }

  @Test
  void cpuPresetEncodesTo8x8TokensAndDecodesBack() {
    TokenizerArchitecture arch = TokenizerArchitecture.fashionMnistCpu();
    assertThat(arch.gridHeight()).isEqualTo(8);
    assertThat(arch.gridWidth()).isEqualTo(8);
    IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 32, 32));
    assertThat(model.encoder().forward(images, false).getShape()).isEqualTo(new Shape(2, arch.zChannels(), 8, 8));
    assertThat(model.encodeLatents(images, false).getShape()).isEqualTo(new Shape(2, 256, 8, 8));
    NDArray indices = model.encodeIndices(images);
    assertThat(indices.getShape()).isEqualTo(new Shape(2, 8, 8));
    assertThat(model.decodeIndices(indices).getShape()).isEqualTo(new Shape(2, 1, 32, 32));
  }

  @Test
  void paperPresetHasTheReferenceLayout() {
    TokenizerArchitecture arch = TokenizerArchitecture.paperImageNet();
    assertThat(arch.gridHeight()).isEqualTo(16);
    assertThat(arch.decoderResBlocks()).isEqualTo(5);
    try (NDManager m = NDManager.newBaseManager()) {
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, m);
      Map<String, NDArray> state = model.stateDict();
      assertThat(state).containsKeys(
          "encoder.down.3.block.3.conv2.weight", "encoder.down.4.attn.3.q.weight", "decoder.up.4.block.4.norm2.bias",
          "decoder.up.4.attn.4.proj_out.weight", "decoder.up.1.upsample.conv.weight");
      assertThat(state).doesNotContainKeys("encoder.down.4.downsample.conv.weight", "decoder.up.0.upsample.conv.weight");
      assertThat(state.get("quantize.embedding.weight").getShape()).isEqualTo(new Shape(16384, 256));
    }
  }

  @Test
  void stateDictUsesReferenceKeysAndReloadsIntoAFreshModel() {
    TokenizerArchitecture arch = new TokenizerArchitecture(16, 1, 1, 8, List.of(1, 2, 2), 2, List.of(4), 4, 4, 16, 4, 0.0, "IBQ");
    IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
    LinkedHashMap<String, NDArray> state = model.stateDict();
    assertThat(state.keySet()).contains(
        "encoder.conv_in.weight", "encoder.down.0.block.1.norm1.weight", "encoder.down.1.block.0.nin_shortcut.weight",
        "encoder.down.2.attn.0.q.weight", "encoder.down.0.downsample.conv.weight", "encoder.mid.block_1.conv1.bias",
        "encoder.mid.attn_1.proj_out.weight", "encoder.norm_out.weight", "encoder.conv_out.bias", "quant_conv.weight",
        "quantize.embedding.weight", "post_quant_conv.weight", "decoder.conv_in.weight",
        "decoder.up.0.block.0.nin_shortcut.weight", "decoder.up.2.block.2.conv2.weight", "decoder.up.2.attn.2.k.bias",
        "decoder.up.1.upsample.conv.weight", "decoder.norm_out.bias", "decoder.conv_out.weight");
    assertThat(state.keySet()).noneMatch(k -> k.startsWith("encoder.down.0.attn") || k.contains("up.0.upsample"));
    assertThat(state.get("encoder.conv_in.weight").getShape()).isEqualTo(new Shape(8, 1, 3, 3));
    assertThat(state.get("encoder.conv_in.bias").getShape()).isEqualTo(new Shape(8));
    assertThat(state.get("quantize.embedding.weight").getShape()).isEqualTo(new Shape(16, 4));
    assertThat(state.get("decoder.up.2.block.0.nin_shortcut.weight")).isNull(); // 16 -> 16 channels at level 2
    assertThat(state.get("decoder.up.1.block.0.nin_shortcut.weight")).isNull(); // 16 -> 16 channels at level 1
    assertThat(state.get("decoder.up.0.block.0.nin_shortcut.weight").getShape()).isEqualTo(new Shape(8, 16, 1, 1));

    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    NDArray expected = model.forward(images, false).reconstruction();
    Engine.getInstance().setRandomSeed(99);
    try (NDManager other = NDManager.newBaseManager()) {
      IbqTokenizerModel fresh = IbqTokenizerModel.create(arch, other);
      assertThat(fresh.forward(images, false).reconstruction().sub(expected).abs().max().getFloat()).isGreaterThan(1e-3f);
      LinkedHashMap<String, NDArray> copies = new LinkedHashMap<>();
      state.forEach((k, v) -> copies.put(k, v.duplicate()));
      fresh.loadStateDict(copies);
      NDArray actual = fresh.forward(images, false).reconstruction();
      assertThat(actual.toFloatArray()).containsExactly(expected.toFloatArray());
      assertThat(fresh.encodeIndices(images)).isEqualTo(model.encodeIndices(images));
    }
  }

  @Test
  void loadStateDictRejectsMissingAndMisShapedKeys() {
    IbqTokenizerModel model = IbqTokenizerModel.create(tiny("IBQ"), manager);
    LinkedHashMap<String, NDArray> state = new LinkedHashMap<>(model.stateDict());
    state.remove("quant_conv.bias");
    assertThatThrownBy(() -> model.loadStateDict(state)).hasMessageContaining("missing keys [quant_conv.bias]");
    state.put("quant_conv.bias", manager.zeros(new Shape(5)));
    assertThatThrownBy(() -> model.loadStateDict(state)).hasMessageContaining("quant_conv.bias is (5)");
  }

  @Test
  void trainingStepGivesEveryParameterAGradient() {
    IbqTokenizerModel model = IbqTokenizerModel.create(tiny("IBQ"), manager);
    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      TokenizerOutput out = model.forward(images, true);
      NDArray loss = TokenizerLosses.l1(out.reconstruction(), images)
          .add(out.quantizer().loss("quant"))
          .add(out.quantizer().loss("entropy").mul(TokenizerLosses.ENTROPY_WEIGHT));
      collector.backward(loss);
    }
    model.parameters().forEach((key, p) ->
        assertThat(p.getGradient().abs().sum().getFloat()).as(key).isGreaterThan(0f));
  }

  @Test
  void gradientsAccumulateAcrossBackwardPassesUntilZeroed() {
    IbqTokenizerModel model = IbqTokenizerModel.create(tiny("VQ"), manager);
    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
    NDArray weight = model.stateDict().get("decoder.conv_out.weight");
    float[] once = null;
    for (int pass = 1; pass <= 2; pass++) {
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        TokenizerOutput out = model.forward(images, true);
        NDArray loss = TokenizerLosses.l1(out.reconstruction(), images).add(out.quantizer().loss("quant"));
        assertThat(loss.getDataType()).isEqualTo(DataType.FLOAT32);
        collector.backward(loss);
      }
      try (NDArray g = weight.getGradient()) {
        if (pass == 1) {
          once = g.toFloatArray();
        } else {
          float[] twice = g.toFloatArray();
          for (int i = 0; i < once.length; i++) {
            assertThat((double) twice[i]).isCloseTo(2.0 * once[i], org.assertj.core.api.Assertions.within(1e-5));
          }
        }
      }
    }
    model.zeroGradients();
    model.parameters().forEach((key, p) -> assertThat(p.getGradient().abs().sum().getFloat()).as(key).isEqualTo(0f));
  }

  @Test
  void stepIntermediatesLiveOnTheInputsManagerNotTheModels() {
    for (String type : List.of("IBQ", "VQ")) {
      IbqTokenizerModel model = IbqTokenizerModel.create(tiny(type), manager);
      PatchDiscriminator discriminator = new PatchDiscriminator(manager, 1, 8, 2);
      int before = ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
      try (NDManager step = NDManager.newBaseManager()) {
        NDArray images = step.randomUniform(-1, 1, new Shape(2, 1, 16, 16));
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          TokenizerOutput out = model.forward(images, true);
          NDArray loss = TokenizerLosses.l1(out.reconstruction(), images);
          for (LossTerm term : out.quantizer().losses()) {
            loss = loss.add(term.value().mul((float) TokenizerLosses.ENTROPY_WEIGHT));
          }
          loss = loss.add(TokenizerLosses.generatorAdversarialLoss(discriminator.forward(out.reconstruction(), true)));
          collector.backward(loss);
        }
        model.decodeIndices(model.encodeIndices(images));
      }
      model.zeroGradients();
      assertThat(((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays()).as(type).hasSize(before);
    }
  }

  @Test
  void cpuPresetAtInitialisationGivesEveryCodeAGradientAtD256() {
    // The all-code gradient can vanish when the softmax saturates at large D (IBQ.md, known risk); at
    // initialisation of the CPU preset (D = 256, K = 1024) it must still reach every code.
    IbqTokenizerModel model = IbqTokenizerModel.create(TokenizerArchitecture.fashionMnistCpu(), manager);
    NDArray images = manager.randomUniform(-1, 1, new Shape(4, 1, 32, 32));
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      TokenizerOutput out = model.forward(images, true);
      collector.backward(TokenizerLosses.l1(out.reconstruction(), images).add(out.quantizer().loss("quant")));
    }
    NDArray rowGradients = model.quantizer().embedding().getGradient().abs().sum(new int[] {1}); // (K)
    assertThat(rowGradients.gt(0).sum().getLong()).isEqualTo(1024L);
  }
}
