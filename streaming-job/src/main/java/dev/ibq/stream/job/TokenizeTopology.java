package dev.ibq.stream.job;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.stream.kafka.TopicValueFormat;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.model.TokenizerIdentity;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The tokenization job's topology, built in one place from a source and two sinks, so tests and the
 * embedded demo pass their own.
 *
 * <pre>
 * source (KafkaInput) -> decode-preprocess --(PreparedImage)--> batch-encode --(TokenRecord)--> token-sink
 *                              \ dead letters                       \ dead letters (INFERENCE_FAILED)
 *                               `------------------ union --------------------------> dead-letter-sink
 * </pre>
 *
 * <p>Source, decode and batch-encode are chained in one task (no serialization of pixel arrays between
 * them; object reuse is enabled because no operator keeps or mutates a record after emitting it). The
 * preprocessing spec and the tokenizer identity come from the model file ({@code factory.describe()}),
 * never from job settings.
 */
public final class TokenizeTopology {

  /** Operator uids: stable across versions so that savepoints restore into later builds. */
  public static final String UID_SOURCE = "kafka-image-source";

  public static final String UID_DECODE = "decode-preprocess";
  public static final String UID_ENCODE = "batch-encode";
  public static final String UID_TOKEN_SINK = "token-sink";
  public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";

  private TokenizeTopology() {}

  /** The streams the topology produced (already connected to the sinks). */
  public record Streams(DataStream<TokenRecord> tokens, DataStream<DeadLetterRecord> deadLetters, TokenizerIdentity tokenizer) {}

  /**
   * Adds the job to {@code env}.
   *
   * @param source raw input records (the Kafka source in production)
   * @param tokenSink receives one {@link TokenRecord} per valid image
   * @param deadLetterSink receives one {@link DeadLetterRecord} per refused input
   * @param settings batching, limits, parallelism
   * @param tokenizerFactory opens the tokenizer in each task; also describes the model here
   */
  public static Streams build(
      StreamExecutionEnvironment env,
      Source<KafkaInput, ?, ?> source,
      Sink<TokenRecord> tokenSink,
      Sink<DeadLetterRecord> deadLetterSink,
      TopologySettings settings,
      BatchTokenizerFactory tokenizerFactory)
      throws Exception {
    return build(env, source, tokenSink, deadLetterSink, settings, tokenizerFactory, TopicValueFormat.SINGLE_OBJECT);
  }

  /**
   * As {@link #build(StreamExecutionEnvironment, Source, Sink, Sink, TopologySettings, BatchTokenizerFactory)}, with
   * the input's framing.
   *
   * @param inputFormat how the source's values are framed (single-object, or Confluent with a Schema Registry)
   */
  public static Streams build(
      StreamExecutionEnvironment env,
      Source<KafkaInput, ?, ?> source,
      Sink<TokenRecord> tokenSink,
      Sink<DeadLetterRecord> deadLetterSink,
      TopologySettings settings,
      BatchTokenizerFactory tokenizerFactory,
      TopicValueFormat inputFormat)
      throws Exception {
    TokenizerIdentity tokenizer = tokenizerFactory.describe();
    PreprocessingSpec spec = PreprocessingSpec.parse(tokenizer.preprocessing());
    if (spec.tensorSize() != tokenizer.valuesPerImage()) {
      throw new IllegalStateException(
          "The model's preprocessing spec '" + tokenizer.preprocessing() + "' yields " + spec.tensorSize()
              + " values per image, but its input is " + tokenizer.channels() + "x" + tokenizer.height() + "x"
              + tokenizer.width() + "; the model file is inconsistent.");
    }
    if (settings.parallelism() > 0) {
      env.setParallelism(settings.parallelism());
    }
    env.getConfig().enableObjectReuse();

    DataStream<KafkaInput> raw =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-images")
            .uid(UID_SOURCE)
            .name("images (Kafka)");

    SingleOutputStreamOperator<PreparedImage> prepared =
        raw.process(new DecodeFunction(tokenizer.preprocessing(), settings, inputFormat), PreparedImages.TYPE)
            .uid(UID_DECODE)
            .name("decode + preprocess");

    BatchEncodeOperator encode =
            new BatchEncodeOperator(
                tokenizerFactory,
                tokenizer,
                spec.toDescriptor(),
                settings.batchSize(),
                settings.maxWaitMs(),
                settings.metricsWindowTokens(),
                settings.deadLetterMaxPayloadBytes());
    SingleOutputStreamOperator<TokenRecord> tokens =
        prepared
            .transform("batch encode (ONNX)", new AvroTypeInfo<>(TokenRecord.class), encode)
            .uid(UID_ENCODE);

    tokens.sinkTo(tokenSink).uid(UID_TOKEN_SINK).name("tokens (sink)");

    DataStream<DeadLetterRecord> deadLetters =
        prepared.getSideOutput(DeadLetters.TAG).union(tokens.getSideOutput(DeadLetters.TAG));
    deadLetters.sinkTo(deadLetterSink).uid(UID_DEAD_LETTER_SINK).name("dead letters (sink)");
    return new Streams(tokens, deadLetters, tokenizer);
  }
}
