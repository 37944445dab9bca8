package dev.ibq.training.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The torch checkpoint reader on the committed Lightning-layout fixture (written by torch 1.13 from
 * src/test/python/make_reference_fixture.py), on hostile pickles and on damaged files.
 */
class TorchCheckpointTest {

  @TempDir Path dir;

  static Path reference(String name) {
    try {
      return Path.of(TorchCheckpointTest.class.getResource("/reference/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsTheLightningCheckpointWrittenByTorch() throws IOException {
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(reference("tiny-ibq.ckpt"))) {
      assertThat(ckpt.scalars()).containsEntry("epoch", 3).containsEntry("global_step", 1234);
      Map<String, TorchTensor> sd = ckpt.stateDict();
      assertThat(sd).containsKeys(
          "encoder.conv_in.weight", "decoder.up.1.upsample.conv.bias", "quantize.embedding.weight",
          "loss.discriminator.main.0.weight", "loss.perceptual_loss.scaling_layer.shift",
          "model_ema.decay", "model_ema.num_updates", "model_ema.encoderconv_inweight", "model_ema.lossdiscriminatormain0weight");
      assertThat(sd.get("encoder.conv_in.weight").shape()).containsExactly(32, 3, 3, 3);
      assertThat(sd.get("encoder.conv_in.weight").dtype()).as("raw weights stored as half").isEqualTo(DType.F16);
      assertThat(sd.get("model_ema.encoderconv_inweight").dtype()).isEqualTo(DType.F32);
      assertThat(ckpt.read(sd.get("model_ema.num_updates")).toLongArray()).containsExactly(-1L);
      assertThat(ckpt.read(sd.get("model_ema.decay")).toFloatArray()[0]).isEqualTo(0.999f);

      // A second writer of the same weights: the BF16 safetensors holds the EMA shadows rounded to bfloat16.
      Map<String, TensorData> bf16 = Safetensors.read(reference("tiny-ibq-ema.safetensors")).tensors();
      for (String key : new String[] {"encoder.conv_in.weight", "decoder.mid.attn_1.q.weight", "quantize.embedding.weight"}) {
        float[] ema = ckpt.read(sd.get("model_ema." + key.replace(".", ""))).toFloatArray();
        float[] rounded = bf16.get(key).toFloatArray();
        assertThat(rounded).hasSameSizeAs(ema);
        for (int i = 0; i < ema.length; i++) {
          assertThat(rounded[i]).as("%s[%d]", key, i).isCloseTo(ema[i], within(Math.abs(ema[i]) / 128f + 1e-30f));
        }
        float[] raw = ckpt.read(sd.get(key)).toFloatArray();
        assertThat(raw).as("raw weights differ from the EMA").isNotEqualTo(ema);
      }
    }
  }

  @Test
  void takesTheStateDictBesideAdamStateCallbacksAndMetadataObjects() throws IOException {
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(reference("lightning-extras.ckpt"))) {
      assertThat(ckpt.stateDict()).containsOnlyKeys("0.weight", "0.bias", "1.weight", "1.bias");
      assertThat(ckpt.stateDict().get("0.weight").shape()).containsExactly(4, 3, 3, 3);
      assertThat(ckpt.scalars()).containsEntry("epoch", 7).containsEntry("global_step", 42);
      Map<?, ?> root = (Map<?, ?>) ckpt.root();
      Map<?, ?> optimizer = (Map<?, ?>) ((java.util.List<?>) root.get("optimizer_states")).get(0);
      Map<?, ?> adam = (Map<?, ?>) ((Map<?, ?>) optimizer.get("state")).get(0);
      assertThat(adam.get("exp_avg")).isInstanceOf(TorchTensor.class);
      assertThat(ckpt.read((TorchTensor) adam.get("exp_avg")).numel()).isEqualTo(4 * 3 * 3 * 3);
      Map<?, ?> hparams = (Map<?, ?>) root.get("hyper_parameters");
      assertThat(((InertObject) hparams.get("args")).className()).isEqualTo("argparse.Namespace");
      assertThat(hparams.get("seed")).isInstanceOf(InertObject.class);
      Map<?, ?> callbacks = (Map<?, ?>) root.get("callbacks");
      Map<?, ?> checkpointCallback = (Map<?, ?>) callbacks.values().iterator().next();
      assertThat(((InertObject) checkpointCallback.get("dirpath")).className()).isEqualTo("pathlib.PosixPath");
      assertThat(ckpt.read((TorchTensor) checkpointCallback.get("best_model_score")).toFloatArray()).containsExactly(0.25f);
    }
  }

  @Test
  void refusesTheOsSystemPayloadThatTorchPickled() {
    assertThatThrownBy(() -> TorchCheckpoint.open(reference("hostile.ckpt")))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("'posix.system'")
        .hasMessageContaining("not on the allow-list")
        .hasMessageContaining("--allow-pickle-class");
  }

  @Test
  void refusesGlobalsNamedByStackGlobalAndInst() throws IOException {
    // Protocol 4: SHORT_BINUNICODE 'os', SHORT_BINUNICODE 'system', STACK_GLOBAL, 'ls', TUPLE1, REDUCE, STOP.
    Pickle p4 = new Pickle().op(0x80).op(4).shortUnicode("os").shortUnicode("system").op(0x93).shortUnicode("ls").op(0x85).op('R').op('.');
    Path stackGlobal = zip("sg.ckpt", p4.bytes(), Map.of());
    assertThatThrownBy(() -> TorchCheckpoint.open(stackGlobal)).isInstanceOf(WeightFileException.class).hasMessageContaining("'os.system'");

    Pickle inst = new Pickle().op(0x80).op(2).op('(').raw("isubprocess\nPopen\n").op('.');
    Path instFile = zip("inst.ckpt", inst.bytes(), Map.of());
    assertThatThrownBy(() -> TorchCheckpoint.open(instFile)).isInstanceOf(WeightFileException.class).hasMessageContaining("'subprocess.Popen'");
  }

  @Test
  void extraInertClassesAreReadAsDataWithoutRunningAnything() throws IOException {
    // {'meta': mylib.Config('x'), 'state_dict': {}} with the class outside the default allow-list.
    Pickle p = new Pickle().op(0x80).op(2).op('}').op('(')
        .unicode("meta").global("mylib", "Config").unicode("x").op(0x85).op('R')
        .op('u').op('.');
    Path file = zip("meta.ckpt", p.bytes(), Map.of());
    assertThatThrownBy(() -> TorchCheckpoint.open(file)).hasMessageContaining("'mylib.Config'");
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(file, Set.of("mylib.Config"))) {
      Object meta = ((Map<?, ?>) ckpt.root()).get("meta");
      assertThat(meta).isInstanceOf(InertObject.class);
      assertThat(((InertObject) meta).className()).isEqualTo("mylib.Config");
      assertThat(((InertObject) meta).arguments()).containsExactly("x");
      assertThatThrownBy(ckpt::stateDict).isInstanceOf(WeightFileException.class).hasMessageContaining("holds no tensors");
    }
  }

  @Test
  void gathersStridedViews() throws IOException {
    // {'w': _rebuild_tensor_v2(storage 0 of 6 floats, offset 0, size (3, 2), stride (1, 3), False, OrderedDict())}
    Pickle p = new Pickle().op(0x80).op(2).op('}').op('(').unicode("w")
        .global("torch._utils", "_rebuild_tensor_v2").op('(')
        .op('(').unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").int1(6).op('t').op('Q')
        .int1(0).op('(').int1(3).int1(2).op('t').op('(').int1(1).int1(3).op('t').op(0x89)
        .global("collections", "OrderedDict").op(')').op('R')
        .op('t').op('R').op('u').op('.');
    ByteBuffer storage = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      storage.putFloat(i);
    }
    Path file = zip("strided.ckpt", p.bytes(), Map.of("archive/data/0", storage.array()));
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
      TorchTensor t = ckpt.stateDict().get("w");
      assertThat(t.contiguous()).isFalse();
      TensorData d = ckpt.read(t);
      assertThat(d.shape()).containsExactly(3, 2);
      assertThat(d.toFloatArray()).containsExactly(0f, 3f, 1f, 4f, 2f, 5f);
    }
  }

  @Test
  void truncatedAndForeignFilesGetClearErrors() throws IOException {
    byte[] ckpt = Files.readAllBytes(reference("tiny-ibq.ckpt"));
    Path cut = dir.resolve("cut.ckpt");
    Files.write(cut, Arrays.copyOf(ckpt, ckpt.length / 2));
    assertThatThrownBy(() -> TorchCheckpoint.open(cut)).isInstanceOf(WeightFileException.class).hasMessageContaining("truncated");

    Path png = dir.resolve("photo.ckpt");
    Files.copy(reference("images/00-astronaut.png"), png);
    assertThatThrownBy(() -> TorchCheckpoint.open(png))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("is not a torch checkpoint")
        .hasMessageContaining("89504e47");

    Path safetensors = dir.resolve("weights.ckpt");
    Files.copy(reference("tiny-ibq-ema.safetensors"), safetensors);
    assertThatThrownBy(() -> TorchCheckpoint.open(safetensors)).hasMessageContaining("looks like a safetensors file");

    Path legacy = dir.resolve("legacy.pt");
    Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10});
    assertThatThrownBy(() -> TorchCheckpoint.open(legacy)).hasMessageContaining("legacy (pre-1.6) format");

    Path empty = dir.resolve("empty.ckpt");
    Files.write(empty, new byte[0]);
    assertThatThrownBy(() -> TorchCheckpoint.open(empty)).hasMessageContaining("the file is empty");

    Path otherZip = zip("other.zip", null, Map.of("readme.txt", "hello".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> TorchCheckpoint.open(otherZip)).hasMessageContaining("not a torch checkpoint: expected exactly one <archive>/data.pkl");
  }

  private Path zip(String name, byte[] pickle, Map<String, byte[]> entries) throws IOException {
    Path file = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
      if (pickle != null) {
        zip.putNextEntry(new ZipEntry("archive/data.pkl"));
        zip.write(pickle);
        zip.closeEntry();
      }
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }

  /** Writes pickle opcodes by hand. */
  private static final class Pickle {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Pickle op(int opcode) {
      out.write(opcode);
      return this;
    }

    Pickle raw(String text) {
      out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
      return this;
    }

    Pickle global(String module, String name) {
      return op('c').raw(module + "\n" + name + "\n");
    }

    Pickle unicode(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      op('X');
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
      out.writeBytes(b);
      return this;
    }

    Pickle shortUnicode(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      op(0x8c).op(b.length);
      out.writeBytes(b);
      return this;
    }

    Pickle int1(int v) {
      return op('K').op(v);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
