package dev.ibq.stream.job;

import java.util.Map;

/**
 * One valid input image after decoding and preprocessing, waiting for its inference batch.
 *
 * <p>A Flink POJO (public fields, no-argument constructor). {@code pixels} holds the model input of one
 * image, {@code (C, H, W)} flattened row-major, values in [-1, 1]. The original Kafka value and its
 * coordinates are kept so that a failed batch can still be dead-lettered with its payload.
 */
public class PreparedImage {
  public String imageId;
  /** (C, H, W) row-major, in [-1, 1]. */
  public float[] pixels;
  public Integer label;
  public Map<String, String> attributes;
  /** Event time of the image, epoch ms. */
  public long eventTimeMillis;
  /** Wall time spent decoding and preprocessing this image, in nanoseconds. */
  public long prepareNanos;
  /** The original Kafka record value. */
  public byte[] payload;
  public String topic;
  public int partition;
  public long offset;
  /** The input record's Kafka headers, carried through to its token record or dead letter; may be null. */
  public Map<String, byte[]> headers;

  public PreparedImage() {}

  public PreparedImage(
      String imageId,
      float[] pixels,
      Integer label,
      Map<String, String> attributes,
      long eventTimeMillis,
      long prepareNanos,
      byte[] payload,
      String topic,
      int partition,
      long offset) {
    this.imageId = imageId;
    this.pixels = pixels;
    this.label = label;
    this.attributes = attributes;
    this.eventTimeMillis = eventTimeMillis;
    this.prepareNanos = prepareNanos;
    this.payload = payload;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }

  /** Sets the input record's headers; returns this. */
  public PreparedImage withHeaders(Map<String, byte[]> headers) {
    this.headers = headers;
    return this;
  }

  @Override
  public String toString() {
    return "PreparedImage{" + imageId + " @" + topic + "-" + partition + ":" + offset + "}";
  }
}
