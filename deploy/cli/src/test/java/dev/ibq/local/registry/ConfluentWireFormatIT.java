package dev.ibq.local.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.cli.ConsumeCommand;
import dev.ibq.cli.ProduceCommand;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.ConfluentCodec;
import dev.ibq.schemas.codec.ConfluentWireFormat;
import dev.ibq.schemas.codec.RecordDecodingException;
import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import dev.ibq.schemas.codec.SchemaRegistryClient;
import dev.ibq.schemas.codec.SchemaRegistryException;
import dev.ibq.stream.config.InvalidConfigException;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.stream.kafka.SchemaRegistryCheck;
import dev.ibq.stream.kafka.TopicValueFormat;
import dev.ibq.stream.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Confluent wire format against a real Schema Registry (Apicurio Registry's Confluent-compatible API, a child
 * JVM) and a real KRaft broker: the registry client and codec, the job's checks before it starts, and the job on a
 * MiniCluster reading Confluent-framed ImageRecords (two registered versions and bad frames) and writing tokens and
 * dead letters that Flink's standard Confluent deserializer (Confluent's client inside) reads back.
 */
class ConfluentWireFormatIT {
  private static final AtomicInteger RUNS = new AtomicInteger();

  private static SchemaRegistryProcess registry;
  private static KafkaBrokerProcess broker;

  @BeforeAll
  static void start() throws Exception {
    CompletableFuture<SchemaRegistryProcess> r = CompletableFuture.supplyAsync(SchemaRegistryProcess::start);
    try {
      broker = KafkaBrokerProcess.start();
    } finally {
      registry = r.join();
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private static String unique(String name) {
    return name + "." + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
  }

  private static Schema imageRecordV1() throws Exception {
    try (InputStream in = ImageRecord.class.getResourceAsStream("/schema-history/ImageRecord/v1.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  /** Confluent-framed bytes of {@code record} written with {@code schema} (registered as {@code id}) by plain Avro. */
  private static byte[] frame(int id, Schema schema, GenericRecord record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] header = new byte[ConfluentWireFormat.HEADER_LENGTH];
    ConfluentWireFormat.writeHeader(id, header);
    out.write(header);
    BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, e);
    e.flush();
    return out.toByteArray();
  }

  /** The ImageRecord as a v1 record (no attributes). */
  private static GenericRecord asV1(Schema v1, ImageRecord r) {
    GenericRecord g = new GenericData.Record(v1);
    for (Schema.Field f : v1.getFields()) {
      Object v = r.get(f.name());
      if (v instanceof java.time.Instant t) {
        v = t.toEpochMilli(); // plain GenericData writes a timestamp-millis as its long
      }
      g.put(f.name(), v);
    }
    return g;
  }

  @Test
  void theClientRegistersLooksUpAndFetchesSchemasAndTheCodecResolvesAnOlderVersion() throws Exception {
    SchemaRegistryClient client = new SchemaRegistryClient(registry.url());
    String subject = SchemaRegistryClient.valueSubject(unique("ibq.images"));
    Schema current = ImageRecord.getClassSchema();
    Schema v1 = imageRecordV1();

    assertThat(client.lookup(subject, current)).isEmpty();
    assertThat(client.latest(subject)).isEmpty();
    int v1Id = client.register(subject, v1);
    int currentId = client.register(subject, current);
    assertThat(currentId).isNotEqualTo(v1Id);
    assertThat(client.lookup(subject, current)).hasValue(currentId);
    assertThat(client.latest(subject).orElseThrow().id()).isEqualTo(currentId);
    assertThat(new SchemaRegistryClient(registry.url()).schemaById(v1Id)).isEqualTo(v1); // a fresh client: no cache

    // Written by our codec: magic 0, the registered id big-endian, then the body.
    ConfluentCodec<ImageRecord> codec = new ConfluentCodec<>(ImageRecord.class, client, subject, false);
    ImageRecord image = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 0, 1).get(0);
    byte[] bytes = codec.encode(image);
    assertThat(bytes[0]).isZero();
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(currentId);
    assertThat(codec.decode(bytes)).isEqualTo(image);

    // A v1 writer (no attributes) is read into the current class, attributes defaulting to {}.
    ImageRecord fromV1 = codec.decode(frame(v1Id, v1, asV1(v1, image)));
    assertThat(fromV1.getImageId()).isEqualTo(image.getImageId());
    assertThat(fromV1.getImage()).isEqualTo(image.getImage());
    assertThat(fromV1.getAttributes()).isEmpty();
  }

  @Test
  void badFramesAreTypedDecodingErrors() throws Exception {
    SchemaRegistryClient client = new SchemaRegistryClient(registry.url());
    String subject = SchemaRegistryClient.valueSubject(unique("ibq.images"));
    int id = client.register(subject, ImageRecord.getClassSchema());
    ConfluentCodec<ImageRecord> codec = new ConfluentCodec<>(ImageRecord.class, client, null, false);
    ImageRecord image = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 0, 1).get(0);
    byte[] good = new ConfluentCodec<>(ImageRecord.class, client, subject, false).encode(image);

    assertThat(problem(codec, new byte[0])).isEqualTo(Problem.EMPTY_INPUT);
    assertThat(problem(codec, AvroCodec.forClass(ImageRecord.class).encode(image))).isEqualTo(Problem.BAD_MARKER);
    assertThat(problem(codec, new byte[] {0, 0, 0})).isEqualTo(Problem.TRUNCATED_HEADER);
    byte[] unknownId = good.clone();
    ConfluentWireFormat.writeHeader(id + 100_000, unknownId);
    assertThat(problem(codec, unknownId)).isEqualTo(Problem.UNKNOWN_SCHEMA_ID);
    assertThat(problem(codec, java.util.Arrays.copyOf(good, good.length - 10))).isEqualTo(Problem.CORRUPT_BODY);
    // A body whose first string (the image id) claims 2^30 bytes (zig-zag varint 80 80 80 80 08): refused before anything is allocated.
    byte[] oversize = {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id, (byte) 0x80, (byte) 0x80,
        (byte) 0x80, (byte) 0x80, 0x08};
    RecordDecodingException e = (RecordDecodingException) org.assertj.core.api.Assertions.catchThrowable(() -> codec.decode(oversize));
    assertThat(e.problem()).isEqualTo(Problem.CORRUPT_BODY);
    assertThat(e.getMessage()).contains("claims 1073741824 bytes");
    // Another record type's schema id is not an ImageRecord.
    int tokenId = client.register(SchemaRegistryClient.valueSubject(unique("ibq.tokens")), TokenRecord.getClassSchema());
    byte[] wrongType = good.clone();
    ConfluentWireFormat.writeHeader(tokenId, wrongType);
    assertThat(problem(codec, wrongType)).isEqualTo(Problem.INCOMPATIBLE_SCHEMA);
  }

  private static Problem problem(ConfluentCodec<?> codec, byte[] bytes) {
    try {
      codec.decode(bytes);
    } catch (RecordDecodingException e) {
      assertThat(e.getMessage()).isNotBlank();
      return e.problem();
    }
    throw new AssertionError("decoded without an error");
  }

  @Test
  void theJobRefusesToStartWhenASubjectIsMissingAndAutoRegistrationIsOff() throws Exception {
    String in = unique("ibq.images");
    String out = unique("ibq.tokens");
    Map<String, String> s = jobSettings(in, out, unique("ibq.dead-letters"));
    JobConfig config = JobConfig.fromMap(s);
    // Nothing registered at all: the input subject is the first thing missing.
    assertThatThrownBy(() -> SchemaRegistryCheck.check(config))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("Setting 'input.value-format' is confluent, but subject '" + in + "-value' does not exist")
        .hasMessageContaining(registry.url())
        .hasMessageContaining("schema-registry.auto-register=true");
    // Input registered, outputs not: the token subject is named, with what to do.
    new SchemaRegistryClient(registry.url()).register(in + "-value", ImageRecord.getClassSchema());
    assertThatThrownBy(() -> SchemaRegistryCheck.check(config))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("Setting 'output.value-format' is confluent, but this job's dev.ibq.schemas.TokenRecord schema is not"
            + " registered under subject '" + out + "-value' in the Schema Registry at " + registry.url() + " and"
            + " schema-registry.auto-register is false; register it (POST " + registry.url() + "/subjects/" + out
            + "-value/versions) or set schema-registry.auto-register=true.");
    // The whole job build stops there too, before anything is submitted.
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, TokenizeJob.flinkConfiguration(config));
    assertThatThrownBy(() -> TokenizeJob.build(env, config)).isInstanceOf(InvalidConfigException.class);
    // With auto-registration the job registers its output schemas itself.
    JobConfig auto = config.with(Map.of(JobConfig.SCHEMA_REGISTRY_AUTO_REGISTER, "true"));
    SchemaRegistryCheck.check(auto);
    assertThat(new SchemaRegistryClient(registry.url()).lookup(out + "-value", TokenRecord.getClassSchema())).isPresent();
    // An input subject whose latest version the job cannot read is refused.
    String other = unique("ibq.images");
    new SchemaRegistryClient(registry.url()).register(other + "-value", TokenRecord.getClassSchema());
    assertThatThrownBy(() -> SchemaRegistryCheck.check(auto.with(Map.of(JobConfig.INPUT_TOPIC, other))))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("cannot be read as this job's dev.ibq.schemas.ImageRecord");
  }

  @Test
  void anUnreachableRegistryIsAnUnavailableErrorNotABadRecord() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    SchemaRegistryClient nowhere = new SchemaRegistryClient("http://127.0.0.1:" + port);
    ConfluentCodec<ImageRecord> codec = new ConfluentCodec<>(ImageRecord.class, nowhere, null, false);
    assertThatThrownBy(() -> codec.decode(new byte[] {0, 0, 0, 0, 1, 2}))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.unavailable()).isTrue())
        .hasMessageContaining("cannot be reached");
  }

  private static Map<String, String> jobSettings(String in, String out, String dlq) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    s.put(JobConfig.MODEL, TestModels.encoder().toString());
    s.put(JobConfig.INPUT_TOPIC, in);
    s.put(JobConfig.OUTPUT_TOPIC, out);
    s.put(JobConfig.DEAD_LETTER_TOPIC, dlq);
    s.put(JobConfig.GROUP_ID, "ibq-registry-" + in);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, "ibq-registry-" + in);
    s.put(JobConfig.BATCH_SIZE, "8");
    s.put(JobConfig.BATCH_MAX_WAIT_MS, "50");
    s.put(JobConfig.PARALLELISM, "1");
    s.put(JobConfig.DELIVERY_GUARANTEE, "exactly-once");
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, "1000");
    s.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    s.put(JobConfig.BOUNDED, "true");
    s.put(JobConfig.INPUT_VALUE_FORMAT, "confluent");
    s.put(JobConfig.OUTPUT_VALUE_FORMAT, "confluent");
    s.put(JobConfig.DEAD_LETTER_VALUE_FORMAT, "confluent");
    s.put(JobConfig.SCHEMA_REGISTRY_URL, registry.url());
    return s;
  }

  @Test
  void theJobReadsAndWritesTheConfluentWireFormatThatConfluentsDeserializerReads() throws Exception {
    String in = unique("ibq.images");
    String out = unique("ibq.tokens");
    String dlq = unique("ibq.dead-letters");
    broker.createTopics(1, in, out, dlq);
    SchemaRegistryClient client = new SchemaRegistryClient(registry.url());
    Schema v1 = imageRecordV1();
    int imageV1 = client.register(in + "-value", v1);
    int image = client.register(in + "-value", ImageRecord.getClassSchema());
    int token = client.register(out + "-value", TokenRecord.getClassSchema());
    int deadLetter = client.register(dlq + "-value", DeadLetterRecord.getClassSchema());

    // Six Fashion-MNIST images, half written with v1 and half with the current schema, then two bad frames.
    List<ImageRecord> images = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 0, 6);
    ConfluentCodec<ImageRecord> writer = new ConfluentCodec<>(ImageRecord.class, client, in + "-value", false);
    Map<String, byte[]> values = new LinkedHashMap<>();
    for (int i = 0; i < images.size(); i++) {
      ImageRecord r = images.get(i);
      values.put(r.getImageId(), i % 2 == 0 ? frame(imageV1, v1, asV1(v1, r)) : writer.encode(r));
    }
    values.put("bad-single-object", AvroCodec.forClass(ImageRecord.class).encode(images.get(0))); // wrong magic byte
    byte[] unknownId = writer.encode(images.get(1));
    ConfluentWireFormat.writeHeader(image + 100_000, unknownId);
    values.put("bad-unknown-id", unknownId);
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Map.Entry<String, byte[]> e : values.entrySet()) {
        p.send(new ProducerRecord<>(in, e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue())).get();
      }
    }

    JobConfig config = JobConfig.fromMap(jobSettings(in, out, dlq));
    Configuration flink = TokenizeJob.flinkConfiguration(config);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, flink);
    TokenizeJob.build(env, config);
    JobExecutionResult job = env.execute(TokenizeJob.jobName(config));
    assertThat(job.getNetRuntime()).isPositive();

    List<ConsumerRecord<byte[], byte[]>> tokenValues = readAll(out, images.size());
    List<ConsumerRecord<byte[], byte[]>> deadValues = readAll(dlq, 2);
    assertThat(tokenValues).hasSize(images.size());
    assertThat(deadValues).hasSize(2);
    // Confluent framing with the ids registered under the output subjects.
    assertThat(tokenValues).allSatisfy(r -> assertThat(ConfluentWireFormat.readSchemaId(r.value())).isEqualTo(token));
    assertThat(deadValues).allSatisfy(r -> assertThat(ConfluentWireFormat.readSchemaId(r.value())).isEqualTo(deadLetter));
    assertThat(new String(tokenValues.get(0).headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
        .contains("encoding=confluent");

    // Read back the way a Confluent shop would: Flink's ConfluentRegistryAvroDeserializationSchema.
    Map<String, Integer> tokensPerImage = new HashMap<>();
    try (ConfluentReader tokens = new ConfluentReader(TokenRecord.getClassSchema().toString(), registry.url())) {
      for (ConsumerRecord<byte[], byte[]> r : tokenValues) {
        Object rec = tokens.read(r.value());
        String id = tokens.field(rec, "image_id");
        List<?> codes = (List<?>) tokens.value(rec, "tokens");
        int grid = Integer.parseInt(tokens.field(rec, "grid_height")) * Integer.parseInt(tokens.field(rec, "grid_width"));
        assertThat(codes).hasSize(grid);
        tokensPerImage.merge(id, 1, Integer::sum);
      }
    }
    Map<String, String> deadCodes = new HashMap<>();
    List<String> deadIds = new ArrayList<>();
    try (ConfluentReader dead = new ConfluentReader(DeadLetterRecord.getClassSchema().toString(), registry.url())) {
      for (ConsumerRecord<byte[], byte[]> r : deadValues) {
        Object rec = dead.read(r.value());
        String key = new String(r.key() == null ? new byte[0] : r.key(), StandardCharsets.UTF_8);
        deadCodes.put(dead.field(rec, "message"), dead.field(rec, "error_code"));
        deadIds.add(key);
      }
    }
    // Every input is exactly one token record or one dead letter.
    Map<String, Integer> expected = new HashMap<>();
    images.forEach(r -> expected.put(r.getImageId(), 1));
    assertThat(tokensPerImage).isEqualTo(expected);
    assertThat(deadCodes.values()).containsOnly("UNDECODABLE_RECORD");
    assertThat(deadCodes.keySet()).anySatisfy(m -> assertThat(m).contains("magic byte 00"));
    assertThat(deadCodes.keySet()).anySatisfy(m -> assertThat(m).contains("schema id " + (image + 100_000)));
    assertThat(tokenValues.size() + deadValues.size()).isEqualTo(values.size());

    // ./ibq consume --value-format confluent reads the same topics.
    TopicValueFormat confluent = TopicValueFormat.confluent(registry.url(), false);
    ConsumeCommand.Result consumed =
        ConsumeCommand.run(broker.bootstrapServers(), out, ConsumeCommand.Kind.TOKENS, 0, Duration.ofMinutes(1), null, confluent);
    assertThat(consumed.records()).isEqualTo(images.size());
    assertThat(consumed.undecodable()).isZero();
    assertThat(consumed.distinctImageIds()).isEqualTo(images.size());
    ConsumeCommand.Result dead =
        ConsumeCommand.run(broker.bootstrapServers(), dlq, ConsumeCommand.Kind.DEAD_LETTERS, 0, Duration.ofMinutes(1), null, confluent);
    assertThat(dead.deadLettersByCode()).isEqualTo(Map.of(dev.ibq.schemas.ErrorCode.UNDECODABLE_RECORD, 2L));
    // The single-object reader finds nothing it can decode there.
    assertThat(ConsumeCommand.run(broker.bootstrapServers(), out, ConsumeCommand.Kind.TOKENS, 0, Duration.ofMinutes(1), null)
        .undecodable()).isEqualTo(images.size());
  }

  @Test
  void produceWritesConfluentFramedImageRecordsThatConfluentsDeserializerReads() throws Exception {
    String topic = unique("ibq.images");
    broker.createTopics(1, topic);
    List<ImageRecord> images = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 10, 3);
    ProduceCommand.run(broker.bootstrapServers(), topic, images, 0, Map.of(), TopicValueFormat.confluent(registry.url(), true));
    int id = new SchemaRegistryClient(registry.url()).lookup(topic + "-value", ImageRecord.getClassSchema()).orElseThrow();
    List<ConsumerRecord<byte[], byte[]>> values = readAll(topic, images.size());
    assertThat(values).hasSize(images.size());
    List<String> ids = new ArrayList<>();
    try (ConfluentReader reader = new ConfluentReader(ImageRecord.getClassSchema().toString(), registry.url())) {
      for (ConsumerRecord<byte[], byte[]> r : values) {
        assertThat(ConfluentWireFormat.readSchemaId(r.value())).isEqualTo(id);
        ids.add(reader.field(reader.read(r.value()), "image_id"));
      }
    }
    assertThat(ids).containsExactlyElementsOf(images.stream().map(ImageRecord::getImageId).toList());
  }

  /** Every committed record of {@code topic} (read_committed), waiting up to a minute for {@code expected} of them. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(out::add);
        if (out.size() >= expected && c.position(tp) >= c.endOffsets(List.of(tp)).get(tp)) {
          break;
        }
      }
    }
    return out;
  }
}
