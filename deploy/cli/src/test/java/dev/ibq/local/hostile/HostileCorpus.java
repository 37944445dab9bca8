package dev.ibq.local.hostile;

import dev.ibq.image.HostileImages;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.SingleObjectFormat;
import dev.ibq.image.source.ImageRecords;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The hostile corpus: Kafka record values (bytes as they would arrive on the input topic) that try to
 * crash, freeze or restart the job, each with the verdict the job owes it, mixed with valid images.
 * Deterministic (fixed seeds). Kinds: tombstones and empty values, non-Avro bytes, wrong schema
 * fingerprints, other record types, Avro lengths and counts that claim gigabytes in a few bytes,
 * truncated records, oversize values (over the input limit, and undecodable just under it, both over the
 * dead-letter sink's request size), oversize metadata the token record could not carry, decompression
 * bombs, files that merely claim huge sizes, 16-bit RGBA memory hogs, truncated or damaged PNG, WebP,
 * GIF and JPEG files, JPEGs with thousands of scans and a slow progressive JPEG, text, noise and tiny
 * images; and valid CMYK, YCCK, EXIF-rotated JPEGs and lossless WebP files that must be tokenized.
 */
public final class HostileCorpus {

  /**
   * One input and its verdict.
   *
   * @param name what the case is
   * @param value the Kafka record value (null: a tombstone)
   * @param imageId the ImageRecord's id where there is one
   * @param expected the dead-letter code, or null when the input must become a token record
   */
  public record Case(String name, byte[] value, String imageId, ErrorCode expected) {
    public boolean valid() {
      return expected == null;
    }

    @Override
    public String toString() {
      return name + " (" + (value == null ? "tombstone" : value.length + " bytes") + " -> "
          + (expected == null ? "tokens" : expected) + ")";
    }
  }

  private static final AvroCodec<ImageRecord> CODEC = AvroCodec.forClass(ImageRecord.class);

  private HostileCorpus() {}

  private static ImageRecord image(String id, byte[] encoded, Map<String, String> attributes) {
    return ImageRecord.newBuilder().setImageId(id).setImage(ByteBuffer.wrap(encoded)).setContentType("image/x-test")
        .setLabel(null).setSourceUri(null).setEventTime(Instant.ofEpochMilli(1_700_000_000_000L))
        .setAttributes(attributes).build();
  }

  private static Case valid(String id, byte[] encoded) {
    return new Case(id, CODEC.encode(image(id, encoded, Map.of())), id, null);
  }

  private static Case bad(String id, byte[] encoded, ErrorCode code) {
    return new Case(id, CODEC.encode(image(id, encoded, Map.of())), id, code);
  }

  private static Case raw(String name, byte[] value, ErrorCode code) {
    return new Case(name, value, null, code);
  }

  private static BufferedImage rgb(BufferedImage gray) {
    BufferedImage rgb = new BufferedImage(gray.getWidth(), gray.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(gray, 0, 0, null);
    return rgb;
  }

  private static void zigzag(ByteArrayOutputStream out, long v) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      out.write((int) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    out.write((int) z);
  }

  private static byte[] withHeader(byte[] body) {
    byte[] header = new byte[SingleObjectFormat.HEADER_LENGTH];
    SingleObjectFormat.writeHeader(CODEC.fingerprint(), header);
    byte[] out = Arrays.copyOf(header, header.length + body.length);
    System.arraycopy(body, 0, out, header.length, body.length);
    return out;
  }

  /** A progressive 1024x1024 noise JPEG with {@code scans} scans: seconds of decoding, under 16 MiB. */
  public static byte[] slowJpeg(int scans) {
    BufferedImage noisy = new BufferedImage(1024, 1024, BufferedImage.TYPE_INT_RGB);
    Random rnd = new Random(3);
    for (int y = 0; y < 1024; y++) {
      for (int x = 0; x < 1024; x++) {
        noisy.setRGB(x, y, rnd.nextInt());
      }
    }
    return HostileImages.withRepeatedScans(HostileImages.progressiveJpeg(noisy), scans);
  }

  /**
   * The hostile cases (defaults of the job's limits assumed, except a decode budget short enough that
   * {@link #slowJpeg} exceeds it: see the IT).
   */
  public static List<Case> hostile() {
    List<Case> c = new ArrayList<>();
    Random rnd = new Random(11);
    byte[] png = HostileImages.encode(HostileImages.gradient(64, 64), "png");
    byte[] jpeg = HostileImages.encode(rgb(HostileImages.gradient(64, 64)), "jpeg");
    byte[] webp = HostileImages.losslessWebp(64, 64, 30, 220, (x, y) -> (x / 8 + y / 8) % 2 == 0);

    // Kafka- and Avro-level
    c.add(raw("tombstone", null, ErrorCode.EMPTY_PAYLOAD));
    c.add(raw("empty-value", new byte[0], ErrorCode.EMPTY_PAYLOAD));
    c.add(raw("not-avro", "{\"image\": \"not avro at all\"}".getBytes(StandardCharsets.UTF_8), ErrorCode.UNDECODABLE_RECORD));
    byte[] wrongFingerprint = CODEC.encode(image("wrong-fingerprint", png, Map.of()));
    wrongFingerprint[5] ^= 0x5a;
    c.add(raw("wrong-fingerprint", wrongFingerprint, ErrorCode.UNDECODABLE_RECORD));
    TokenRecord other = TokenRecords.of(
        new TokenRecords.Model("t", "t", 16, 2, 2, dev.ibq.image.PreprocessingSpec.fashionMnist32().toDescriptor()),
        TokenRecords.Image.of("a-token-record", null, Map.of(), Instant.EPOCH), new int[] {1, 2, 3, 4}, Instant.EPOCH, 0L);
    c.add(raw("token-record-on-image-topic", AvroCodec.forClass(TokenRecord.class).encode(other), ErrorCode.UNDECODABLE_RECORD));
    ByteArrayOutputStream claim = new ByteArrayOutputStream();
    zigzag(claim, Integer.MAX_VALUE - 8);
    c.add(raw("15-bytes-claiming-a-2-GiB-string", withHeader(claim.toByteArray()), ErrorCode.UNDECODABLE_RECORD));
    ByteArrayOutputStream map = new ByteArrayOutputStream();
    zigzag(map, 1);
    map.write('m');
    zigzag(map, 1);
    map.write(0);
    zigzag(map, 0);
    zigzag(map, 0);
    zigzag(map, 0);
    zigzag(map, 0);
    zigzag(map, 1L << 40);
    c.add(raw("map-claiming-2^40-entries", withHeader(map.toByteArray()), ErrorCode.UNDECODABLE_RECORD));
    byte[] whole = CODEC.encode(image("truncated-record", png, Map.of()));
    c.add(raw("truncated-record", Arrays.copyOf(whole, whole.length - 7), ErrorCode.UNDECODABLE_RECORD));
    byte[] over = new byte[17_000_000];
    rnd.nextBytes(over);
    c.add(raw("17-MB-value-over-the-input-limit", over, ErrorCode.TOO_LARGE));
    byte[] under = new byte[(16 << 20) - 100];
    rnd.nextBytes(under);
    under[0] = (byte) 0xC3;
    under[1] = 0x01;
    c.add(raw("16-MiB-undecodable-value-under-the-input-limit", under, ErrorCode.UNDECODABLE_RECORD));
    c.add(new Case("2-MB-of-attributes", CODEC.encode(image("2-MB-of-attributes", png, Map.of("blob", "x".repeat(2_000_000)))),
        "2-MB-of-attributes", ErrorCode.TOO_LARGE));
    String longId = "id-" + "\u00e9".repeat(3_000_000);
    c.add(new Case("6-MB-image-id", CODEC.encode(image(longId, png, Map.of())), longId, ErrorCode.TOO_LARGE));

    // image-level
    c.add(bad("png-bomb-20000x20000", HostileImages.pngClaiming(20000, 20000, 8, 0, 64), ErrorCode.TOO_LARGE));
    c.add(bad("png-claiming-7000x7000", HostileImages.pngClaiming(7000, 7000, 8, 0, 4), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("jpeg-claiming-7000x7000", HostileImages.jpegClaiming(7000, 7000), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("webp-claiming-7000x7000", HostileImages.webpClaiming(7000, 7000), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("rgba16-png-6000x6000", HostileImages.pngClaiming(6000, 6000, 16, 6, 4), ErrorCode.TOO_LARGE));
    c.add(bad("truncated-png", Arrays.copyOf(png, png.length / 2), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("png-bad-crc", HostileImages.pngWithBadCrc(png), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("truncated-webp", Arrays.copyOf(webp, webp.length - 40), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("gif-empty-frame", HostileImages.gifWithEmptyFrame(32, 32), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("truncated-jpeg", Arrays.copyOf(jpeg, jpeg.length * 2 / 3), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("jpeg-9000-scans", HostileImages.withRepeatedScans(
        HostileImages.progressiveJpeg(rgb(HostileImages.gradient(16, 16))), 9000), ErrorCode.CORRUPT_IMAGE));
    c.add(bad("slow-progressive-jpeg", slowJpeg(90), ErrorCode.DECODE_TIMEOUT));
    c.add(bad("text", "hello, these are not pixels".getBytes(StandardCharsets.UTF_8), ErrorCode.UNSUPPORTED_FORMAT));
    c.add(bad("noise", HostileImages.noise(4000, 5), ErrorCode.UNSUPPORTED_FORMAT));
    c.add(bad("empty-image", new byte[0], ErrorCode.EMPTY_PAYLOAD));
    c.add(bad("tiny-4x4", HostileImages.encode(HostileImages.gradient(4, 4), "png"), ErrorCode.TOO_SMALL));
    return c;
  }

  /** Valid inputs that once were refused or mangled: they must become token records. */
  public static List<Case> validSpecials() {
    BufferedImage gray = HostileImages.gradient(48, 40);
    return List.of(
        valid("cmyk-jpeg-no-icc", HostileImages.fourChannelJpeg(gray, 0)),
        valid("ycck-jpeg-no-icc", HostileImages.fourChannelJpeg(gray, 2)),
        valid("cmyk-jpeg-no-adobe-marker", HostileImages.fourChannelJpeg(gray, -1)),
        valid("exif-rotated-jpeg", HostileImages.withExifOrientation(HostileImages.encode(rgb(gray), "jpeg"), 6)),
        valid("lossless-webp", HostileImages.losslessWebp(40, 40, 20, 230, (x, y) -> x > y)),
        valid("gif", HostileImages.encode(gray, "gif")));
  }

  /** {@code count} Fashion-MNIST test images as PNG records. */
  public static List<Case> fashion(int count) {
    List<Case> c = new ArrayList<>();
    FashionMnist test;
    try {
      test = FashionMnist.load(FashionMnist.Split.TEST);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("The Fashion-MNIST test split could not be read.", e);
    }
    for (ImageRecord r : ImageRecords.fashionMnist(test, 0, count)) {
      c.add(new Case(r.getImageId(), CODEC.encode(r), r.getImageId(), null));
    }
    return c;
  }

  /**
   * Writes the corpus (hostile cases and valid specials) to a directory, one file per Kafka value
   * ({@code NNN-name.bin}; a tombstone as an empty {@code .tombstone} file), and {@code expected.tsv}
   * with each file's expected verdict, e.g. to feed a real cluster with {@code kafka-console-producer} or
   * a custom producer. Usage: {@code HostileCorpus DIR}.
   */
  public static void main(String[] args) throws java.io.IOException {
    if (args.length != 1) {
      System.err.println("Usage: HostileCorpus DIR (writes the hostile corpus and expected.tsv into DIR)");
      System.exit(2);
    }
    java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of(args[0]));
    List<Case> cases = new ArrayList<>(hostile());
    cases.addAll(validSpecials());
    StringBuilder tsv = new StringBuilder("file\tbytes\texpected\n");
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      String file = String.format(java.util.Locale.ROOT, "%03d-%s.%s", i, c.name().replaceAll("[^A-Za-z0-9.-]", "_"),
          c.value() == null ? "tombstone" : "bin");
      java.nio.file.Files.write(dir.resolve(file), c.value() == null ? new byte[0] : c.value());
      tsv.append(file).append('\t').append(c.value() == null ? "null" : String.valueOf(c.value().length)).append('\t')
          .append(c.valid() ? "tokens" : c.expected().name()).append('\n');
    }
    java.nio.file.Files.writeString(dir.resolve("expected.tsv"), tsv);
    System.out.println("Wrote " + cases.size() + " inputs and expected.tsv to " + dir.toAbsolutePath());
  }

  /** {@code hostile} interleaved among {@code valid}, deterministically. */
  public static List<Case> interleave(List<Case> valid, List<Case> hostile) {
    List<Case> all = new ArrayList<>(valid);
    int step = Math.max(1, all.size() / (hostile.size() + 1));
    for (int i = 0; i < hostile.size(); i++) {
      all.add(Math.min(all.size(), (i + 1) * step + i), hostile.get(i));
    }
    return all;
  }
}
