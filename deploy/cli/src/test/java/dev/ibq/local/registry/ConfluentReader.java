package dev.ibq.local.registry;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.serialization.DeserializationSchema;

/**
 * Flink's standard Confluent-format reader, {@code ConfluentRegistryAvroDeserializationSchema.forGeneric(schema, url)}
 * from {@code flink-sql-avro-confluent-registry} (Confluent's own {@code CachedSchemaRegistryClient} inside, shaded):
 * the way a Confluent shop's Flink SQL reads a topic.
 *
 * <p>NOTE: that jar bundles (and partly shades) Avro, flink-avro, Guava, zstd-jni and snakeyaml, so it cannot join the
 * test class path; {@code mvn package} copies it to {@code target/confluent-reader} and it is loaded child-first in its
 * own class loader, sharing only flink-core's interfaces with the test. Its Avro is the shaded one, so records come back
 * as (shaded) generic records and are read by field name.
 */
final class ConfluentReader implements AutoCloseable {

  private final URLClassLoader loader;
  private final DeserializationSchema<?> schema;
  private final Method get;

  /** A reader of records written with any registered version, resolved to {@code readerSchemaJson}. */
  ConfluentReader(String readerSchemaJson, String registryUrl) throws Exception {
    Path dir = Path.of("target", "confluent-reader");
    Path jar;
    try (var jars = Files.list(dir)) {
      jar = jars.filter(p -> p.getFileName().toString().startsWith("flink-sql-avro-confluent-registry-")).findFirst()
          .orElseThrow(() -> new IllegalStateException("No flink-sql-avro-confluent-registry jar in " + dir.toAbsolutePath()
              + "; run mvn -pl deploy/cli -am package first."));
    }
    loader = new ChildFirst(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader());
    Class<?> shadedSchema = loader.loadClass("org.apache.flink.avro.shaded.org.apache.avro.Schema");
    Class<?> parser = loader.loadClass("org.apache.flink.avro.shaded.org.apache.avro.Schema$Parser");
    Object reader = parser.getMethod("parse", String.class).invoke(parser.getConstructor().newInstance(), readerSchemaJson);
    Class<?> confluent = loader.loadClass("org.apache.flink.formats.avro.registry.confluent.ConfluentRegistryAvroDeserializationSchema");
    schema = (DeserializationSchema<?>) confluent.getMethod("forGeneric", shadedSchema, String.class).invoke(null, reader, registryUrl);
    get = loader.loadClass("org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord").getMethod("get", String.class);
  }

  /** Decodes one value; returns the record, whose fields {@link #field} reads. */
  Object read(byte[] value) throws Exception {
    return schema.deserialize(value);
  }

  /** A field of a record {@link #read} returned, as a string (null stays null). */
  String field(Object record, String name) throws Exception {
    Object v = get.invoke(record, name);
    return v == null ? null : v.toString();
  }

  /** A field of a record {@link #read} returned, as it is (e.g. a list for an Avro array). */
  Object value(Object record, String name) throws Exception {
    return get.invoke(record, name);
  }

  @Override
  public void close() throws Exception {
    loader.close();
  }

  /** Loads what the jar holds from the jar, everything else (flink-core, slf4j, the JDK) from the parent. */
  private static final class ChildFirst extends URLClassLoader {
    ChildFirst(URL[] urls, ClassLoader parent) {
      super(urls, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null && !name.startsWith("java.")) {
          try {
            c = findClass(name);
          } catch (ClassNotFoundException notInTheJar) {
            c = null;
          }
        }
        if (c == null) {
          c = getParent().loadClass(name);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }
  }
}
