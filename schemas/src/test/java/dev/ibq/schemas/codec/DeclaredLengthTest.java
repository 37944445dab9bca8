package dev.ibq.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.Records;
import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Lengths declared inside a record are bounded by the record's own size: a few bytes that claim a
 * huge string, bytes field or map are refused as a corrupt body without the reader allocating what
 * they claim (measured with the JVM's per-thread allocation counter).
 */
class DeclaredLengthTest {
  private static final AvroCodec<ImageRecord> CODEC = AvroCodec.forClass(ImageRecord.class);
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static void zigzag(ByteArrayOutputStream out, long v) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      out.write((int) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    out.write((int) z);
  }

  /** The current ImageRecord header, then {@code body}. */
  private static byte[] record(ByteArrayOutputStream body) {
    byte[] header = new byte[SingleObjectFormat.HEADER_LENGTH];
    SingleObjectFormat.writeHeader(CODEC.fingerprint(), header);
    byte[] b = body.toByteArray();
    byte[] out = Arrays.copyOf(header, header.length + b.length);
    System.arraycopy(b, 0, out, header.length, b.length);
    return out;
  }

  /** Decodes {@code bytes}, expecting a corrupt body, and returns the bytes this thread allocated meanwhile. */
  private static long allocatedWhileRefusing(byte[] bytes, String expectedMessagePart) {
    long tid = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    RecordDecodingException e = catchThrowableOfType(() -> CODEC.decode(bytes), RecordDecodingException.class);
    long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
    assertThat(e).isNotNull();
    assertThat(e.problem()).isEqualTo(Problem.CORRUPT_BODY);
    assertThat(e.getMessage()).contains(expectedMessagePart);
    return allocated;
  }

  @ParameterizedTest
  @ValueSource(longs = {Integer.MAX_VALUE - 8, 1L << 30, 1_500_000_000L, 1_000_000L})
  void aFifteenByteRecordClaimingAHugeImageIdIsRefusedWithoutAllocatingIt(long claimed) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    zigzag(body, claimed); // image_id length, then nothing
    byte[] bytes = record(body);
    assertThat(bytes.length).isLessThanOrEqualTo(15);
    assertThat(allocatedWhileRefusing(bytes, "claims " + claimed + " bytes")).isLessThan(1 << 20);
  }

  @Test
  void aHugeImageBytesLengthAfterAValidIdIsRefused() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    zigzag(body, 1);
    body.write('a');
    zigzag(body, 1_900_000_000L);
    assertThat(allocatedWhileRefusing(record(body), "claims 1900000000 bytes")).isLessThan(1 << 20);
  }

  @Test
  void aNegativeLengthIsRefused() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    zigzag(body, -5);
    allocatedWhileRefusing(record(body), "claims -5 bytes");
  }

  @Test
  void aMapClaimingMoreEntriesThanBytesIsRefusedBeforeItsLoop() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    zigzag(body, 1); body.write('a'); // image_id
    zigzag(body, 1); body.write(0); // image
    zigzag(body, 0); // content_type
    zigzag(body, 0); // label: null
    zigzag(body, 0); // source_uri: null
    zigzag(body, 0); // event_time
    zigzag(body, 1L << 40); // attributes: a block of 2^40 entries in a few bytes
    assertThat(allocatedWhileRefusing(record(body), "claims 1099511627776 items")).isLessThan(1 << 20);
  }

  @Test
  void validRecordsStillDecode() {
    ImageRecord r = Records.image();
    assertThat(CODEC.decode(CODEC.encode(r))).isEqualTo(r);
  }
}
