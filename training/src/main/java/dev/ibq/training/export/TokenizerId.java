package dev.ibq.training.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;

/**
 * The tokenizer id: a hex SHA-256 that changes whenever any exported weight changes, and is the same in
 * the encoder and the decoder of one export.
 *
 * <p>Exactly what is hashed ({@link #SCHEME}): every weight tensor the two exported graphs use (the
 * union: encoder.*, quant_conv.*, quantize.embedding.weight, post_quant_conv.*, decoder.*), in ascending
 * order of the checkpoint key compared as a Java String (= byte order for these ASCII keys); per tensor
 * the key as UTF-8 bytes, one 0x00 byte, the rank as a big-endian int32, each dimension as a big-endian
 * int64, then the values as IEEE-754 float32 little-endian, row-major. Nothing else (no config, no
 * preprocessing, no graph structure) enters the hash.
 */
final class TokenizerId {
  static final String SCHEME =
      "sha256-v1: SHA-256 over the weights used by encoder+decoder, sorted by checkpoint key; per tensor:"
          + " UTF-8 key, 0x00, int32 BE rank, int64 BE dims, float32 LE values (row-major)";

  private TokenizerId() {}

  static String of(SortedMap<String, NamedWeights.Tensor> tensors) {
    MessageDigest sha = sha256();
    for (Map.Entry<String, NamedWeights.Tensor> e : tensors.entrySet()) {
      long[] shape = e.getValue().shape();
      float[] data = e.getValue().data();
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      ByteBuffer header = ByteBuffer.allocate(1 + 4 + 8 * shape.length).order(ByteOrder.BIG_ENDIAN);
      header.put((byte) 0).putInt(shape.length);
      for (long dim : shape) {
        header.putLong(dim);
      }
      sha.update(header.array());
      ByteBuffer values = ByteBuffer.allocate(Math.min(data.length, 1 << 16) * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < data.length; ) {
        values.clear();
        int n = Math.min(data.length - i, values.capacity() / 4);
        values.asFloatBuffer().put(data, i, n);
        sha.update(values.array(), 0, n * 4);
        i += n;
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JVM lacks SHA-256, which every Java platform must provide.", e);
    }
  }
}
