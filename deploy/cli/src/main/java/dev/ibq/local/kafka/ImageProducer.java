package dev.ibq.local.kafka;

import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes {@link ImageRecord}s (single-object Avro, keyed by image id) or raw values to a topic with an
 * idempotent producer ({@code acks=all}), optionally at a fixed rate. Closing flushes.
 */
public final class ImageProducer implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final AvroCodec<ImageRecord> codec = AvroCodec.forClass(ImageRecord.class);
  private final double recordsPerSecond;
  private final long startNanos = System.nanoTime();
  private long sent;
  private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicReference<Exception> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();

  /**
   * @param recordsPerSecond pace of {@link #send}; 0 or less sends as fast as possible
   * @param extra additional producer properties (e.g. TLS/SASL)
   */
  public ImageProducer(String bootstrap, String topic, double recordsPerSecond, Properties extra) {
    Properties p = new Properties();
    if (extra != null) {
      p.putAll(extra);
    }
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // One request in flight: a failed first batch cannot be overtaken (no OUT_OF_ORDER_SEQUENCE_NUMBER loops).
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    p.put(ProducerConfig.LINGER_MS_CONFIG, recordsPerSecond > 0 ? "0" : "10");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(64 * 1024 * 1024));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(p);
    this.topic = topic;
    this.recordsPerSecond = recordsPerSecond;
  }

  /** Sends one image record keyed by its id (waiting first when a rate is set). */
  public void send(ImageRecord record) {
    sendRaw(record.getImageId(), codec.encode(record));
  }

  /** Sends an arbitrary value (for hostile-input tests and tools). */
  public void sendRaw(String key, byte[] value) {
    pace();
    producer.send(
        new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
        (metadata, error) -> {
          if (error != null) {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, error);
          }
        });
    sent++;
  }

  private void pace() {
    if (recordsPerSecond <= 0) {
      return;
    }
    long due = startNanos + (long) (sent * 1e9 / recordsPerSecond);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while pacing the producer.", e);
      }
    }
  }

  /** Records sent so far. */
  public long sent() {
    return sent;
  }

  /** Waits until everything sent is acknowledged; fails if any send failed. */
  public void flush() {
    producer.flush();
    if (failed.get() > 0) {
      throw new IllegalStateException(
          failed.get() + " of " + sent + " records could not be written to topic '" + topic + "': "
              + firstFailure.get().getMessage(), firstFailure.get());
    }
  }

  @Override
  public void close() {
    try {
      flush();
    } finally {
      producer.close();
    }
  }
}
