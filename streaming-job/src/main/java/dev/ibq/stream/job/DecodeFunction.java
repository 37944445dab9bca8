package dev.ibq.stream.job;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.DecodedImage;
import dev.ibq.image.ImageDecoder;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.SchemaRegistryException;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.stream.kafka.TopicValueFormat;
import dev.ibq.stream.metrics.JobMetrics;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns a raw Kafka record into a {@link PreparedImage}, or into a dead letter saying why it cannot be.
 *
 * <p>Steps and their dead-letter codes: value larger than {@code maxMessageBytes} (TOO_LARGE) or empty
 * (EMPTY_PAYLOAD), then the single-object Avro decode of the {@link ImageRecord} with {@link AvroCodec}
 * (or the Confluent wire-format decode, {@link TopicValueFormat}: any registered compatible version)
 * (every released schema version is read, every declared length bounded by the record's size;
 * UNDECODABLE_RECORD otherwise), then the bytes outside the image, which the token record carries, against
 * {@link TopologySettings#maxMetadataBytes()} (TOO_LARGE), all at stage {@code deserialize}; the image
 * decode with {@link ImageDecoder} under the configured limits (EMPTY_PAYLOAD, TOO_LARGE, TOO_SMALL,
 * UNSUPPORTED_FORMAT, CORRUPT_IMAGE, DECODE_TIMEOUT; stage {@code decode}); then the
 * model's own preprocessing ({@link Preprocessor} of the spec stored in the model file; stage
 * {@code preprocess}, INTERNAL_ERROR if it ever fails). Nothing here throws: a bad record can never fail
 * the job.
 */
public final class DecodeFunction extends ProcessFunction<KafkaInput, PreparedImage> {
  private static final long serialVersionUID = 1L;

  private final String preprocessingSpec;
  private final TopologySettings settings;
  private final TopicValueFormat inputFormat;

  private transient Function<byte[], ImageRecord> codec;
  private transient Preprocessor preprocessor;
  private transient DecodeLimits limits;
  private transient int maxMetadataBytes;
  private transient int maxPayloadBytes;
  private transient int valuesPerImage;
  private transient Counter recordsIn;
  private transient Counter imagesValid;
  private transient Counter deadLettersTotal;
  private transient Map<ErrorCode, Counter> deadLetters;

  /**
   * @param preprocessingSpec the canonical {@link PreprocessingSpec} string read from the model
   * @param settings limits and formats
   */
  public DecodeFunction(String preprocessingSpec, TopologySettings settings) {
    this(preprocessingSpec, settings, TopicValueFormat.SINGLE_OBJECT);
  }

  /**
   * @param inputFormat how the input's ImageRecords are framed (single-object, or the Confluent wire format with
   *     a Schema Registry)
   */
  public DecodeFunction(String preprocessingSpec, TopologySettings settings, TopicValueFormat inputFormat) {
    this.preprocessingSpec = preprocessingSpec;
    this.settings = settings;
    this.inputFormat = inputFormat;
    PreprocessingSpec.parse(preprocessingSpec); // fail on the client, not in the tasks
  }

  @Override
  public void open(OpenContext openContext) {
    PreprocessingSpec spec = PreprocessingSpec.parse(preprocessingSpec);
    codec = inputFormat.decoder(ImageRecord.class);
    preprocessor = new Preprocessor(spec);
    limits = settings.decodeLimits();
    maxMetadataBytes = settings.maxMetadataBytes();
    maxPayloadBytes = settings.deadLetterMaxPayloadBytes();
    valuesPerImage = spec.tensorSize();
    MetricGroup g = getRuntimeContext().getMetricGroup();
    recordsIn = g.counter(JobMetrics.RECORDS_IN);
    imagesValid = g.counter(JobMetrics.IMAGES_VALID);
    deadLettersTotal = g.counter(JobMetrics.DEAD_LETTERS_TOTAL);
    deadLetters = new EnumMap<>(ErrorCode.class);
    for (ErrorCode code : ErrorCode.values()) {
      deadLetters.put(code, JobMetrics.deadLetters(g, code.name()));
    }
  }

  @Override
  public void processElement(KafkaInput in, Context ctx, Collector<PreparedImage> out) {
    recordsIn.inc();
    long t0 = System.nanoTime();
    Outcome o = prepare(in, codec, inputFormat.describe(), preprocessor, limits, maxMetadataBytes, valuesPerImage);
    if (o.image != null) {
      o.image.prepareNanos = System.nanoTime() - t0;
      imagesValid.inc();
      out.collect(o.image);
    } else {
      DeadLetterRecord dl =
          DeadLetters.of(
              in, o.imageId, o.code, o.stage, o.message, ctx.timerService().currentProcessingTime(), maxPayloadBytes);
      deadLetters.get(o.code).inc();
      deadLettersTotal.inc();
      ctx.output(DeadLetters.TAG, dl);
    }
  }

  /** The result of preparing one record: an image, or the reason it was refused. */
  public static final class Outcome {
    public final PreparedImage image;
    public final String imageId;
    public final ErrorCode code;
    public final String stage;
    public final String message;

    private Outcome(PreparedImage image, String imageId, ErrorCode code, String stage, String message) {
      this.image = image;
      this.imageId = imageId;
      this.code = code;
      this.stage = stage;
      this.message = message;
    }

    static Outcome ok(PreparedImage image) {
      return new Outcome(image, image.imageId, null, null, null);
    }

    static Outcome rejected(String imageId, ErrorCode code, String stage, String message) {
      return new Outcome(null, imageId, code, stage, message);
    }
  }

  /** Like {@link #prepare(KafkaInput, AvroCodec, Preprocessor, DecodeLimits, int, int)} with a 1 MiB metadata limit. */
  public static Outcome prepare(
      KafkaInput in, AvroCodec<ImageRecord> codec, Preprocessor preprocessor, DecodeLimits limits, int valuesPerImage) {
    return prepare(in, codec, preprocessor, limits, 1 << 20, valuesPerImage);
  }

  /**
   * Prepares one record (the whole decision, as a plain function for tests).
   *
   * @param maxMetadataBytes most bytes of the record outside its image (id, attributes, ...), which the
   *     token record copies: a larger one could not be written to the sink, so it is TOO_LARGE
   * @param valuesPerImage C * H * W of the preprocessing spec
   */
  public static Outcome prepare(
      KafkaInput in,
      AvroCodec<ImageRecord> codec,
      Preprocessor preprocessor,
      DecodeLimits limits,
      int maxMetadataBytes,
      int valuesPerImage) {
    return prepare(in, codec::decode, "single-object encoded", preprocessor, limits, maxMetadataBytes, valuesPerImage);
  }

  /**
   * {@link #prepare(KafkaInput, AvroCodec, Preprocessor, DecodeLimits, int, int)} with any decoder of the value.
   *
   * @param decoder the value's decoder (throws for bad bytes)
   * @param framing how the values are framed, for messages ("single-object encoded", "Confluent wire-format")
   * @throws SchemaRegistryException when the decoder's Schema Registry cannot be reached: that says nothing about
   *     the record, so the task fails and Flink's restart strategy retries it from the last checkpoint
   */
  public static Outcome prepare(
      KafkaInput in,
      Function<byte[], ImageRecord> decoder,
      String framing,
      Preprocessor preprocessor,
      DecodeLimits limits,
      int maxMetadataBytes,
      int valuesPerImage) {
    byte[] value = in.value;
    if (value.length == 0) {
      return Outcome.rejected(
          null, ErrorCode.EMPTY_PAYLOAD, DeadLetters.STAGE_DESERIALIZE,
          "The Kafka record value is empty; expected a " + framing + " ImageRecord.");
    }
    if (value.length > limits.maxEncodedBytes()) {
      return Outcome.rejected(
          null, ErrorCode.TOO_LARGE, DeadLetters.STAGE_DESERIALIZE,
          "The Kafka record value is " + value.length + " bytes; the limit is " + limits.maxEncodedBytes()
              + " bytes (limits.max-message-bytes).");
    }
    ImageRecord record;
    try {
      record = decoder.apply(value); // any released (or registered) ImageRecord version resolves to the current one
    } catch (SchemaRegistryException e) {
      if (e.unavailable()) {
        throw e;
      }
      return Outcome.rejected(
          null, ErrorCode.UNDECODABLE_RECORD, DeadLetters.STAGE_DESERIALIZE,
          "The Kafka record value is not a " + framing + " ImageRecord: " + e.getMessage());
    } catch (RuntimeException | StackOverflowError e) {
      return Outcome.rejected(
          null, ErrorCode.UNDECODABLE_RECORD, DeadLetters.STAGE_DESERIALIZE,
          "The Kafka record value is not a " + framing + " ImageRecord: " + e.getMessage());
    }
    String id = record.getImageId();
    byte[] encoded = bytes(record.getImage());
    long metadataBytes = value.length - (long) encoded.length;
    if (metadataBytes > maxMetadataBytes) {
      return Outcome.rejected(
          id, ErrorCode.TOO_LARGE, DeadLetters.STAGE_DESERIALIZE,
          "The ImageRecord spends " + metadataBytes + " bytes outside its image (id, attributes, source uri); the"
              + " limit is " + maxMetadataBytes + " bytes, because the token record carries them and must fit"
              + " the sink's max.request.size.");
    }
    DecodedImage decoded;
    try {
      decoded = ImageDecoder.decode(encoded, limits);
    } catch (ImageRejectedException e) {
      return Outcome.rejected(id, e.errorCode(), DeadLetters.STAGE_DECODE, e.getMessage());
    } catch (RuntimeException e) {
      return Outcome.rejected(
          id, ErrorCode.CORRUPT_IMAGE, DeadLetters.STAGE_DECODE,
          "The image could not be decoded (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ").");
    }
    float[] pixels = new float[valuesPerImage]; // (C, H, W)
    try {
      preprocessor.applyInto(decoded.image(), pixels, 0);
    } catch (RuntimeException e) {
      return Outcome.rejected(
          id, ErrorCode.INTERNAL_ERROR, DeadLetters.STAGE_PREPROCESS,
          "Preprocessing a " + decoded.width() + "x" + decoded.height() + " " + decoded.format()
              + " image failed (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ").");
    }
    Map<String, String> attributes = record.getAttributes() == null ? Map.of() : new HashMap<>(record.getAttributes());
    long eventTime = record.getEventTime() == null ? in.timestamp : record.getEventTime().toEpochMilli();
    return Outcome.ok(
        new PreparedImage(id, pixels, record.getLabel(), attributes, eventTime, 0L, value, in.topic, in.partition, in.offset)
            .withHeaders(in.headers));
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return new byte[0];
    }
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
