package dev.ibq.schemas.codec;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Writer schemas known by fingerprint, so a reader can resolve bytes written with an older (or
 * newer) version of its schema. Immutable and thread-safe.
 *
 * <p>{@link #bundled()} holds every released version of the project's records, kept under {@code
 * schema-history/<RecordName>/v<N>.avsc} on the class path (v1, v2, ... without gaps), plus the
 * schemas the generated classes were built from.
 */
public final class SchemaStore {

  /** Records whose released versions are kept in {@code schema-history/}. */
  public static final List<String> HISTORY_RECORDS = List.of("ImageRecord", "TokenRecord", "DeadLetterRecord");

  private static final String HISTORY_ROOT = "/schema-history/";
  private static volatile SchemaStore bundled;

  private final Map<Long, Schema> byFingerprint;

  private SchemaStore(Map<Long, Schema> byFingerprint) {
    this.byFingerprint = Map.copyOf(byFingerprint);
  }

  /** A store of exactly {@code schemas}. */
  public static SchemaStore of(Collection<Schema> schemas) {
    Map<Long, Schema> map = new HashMap<>();
    for (Schema schema : schemas) {
      map.put(SingleObjectFormat.fingerprint(schema), schema);
    }
    return new SchemaStore(map);
  }

  /** Every released version of {@link #HISTORY_RECORDS} plus the current generated schemas. */
  public static SchemaStore bundled() {
    SchemaStore store = bundled;
    if (store == null) {
      List<Schema> schemas = new ArrayList<>();
      for (String name : HISTORY_RECORDS) {
        schemas.addAll(history(name));
      }
      schemas.add(ImageRecord.getClassSchema());
      schemas.add(TokenRecord.getClassSchema());
      schemas.add(DeadLetterRecord.getClassSchema());
      store = of(schemas);
      bundled = store;
    }
    return store;
  }

  /** This store plus {@code more}. */
  public SchemaStore with(Collection<Schema> more) {
    Map<Long, Schema> map = new HashMap<>(byFingerprint);
    for (Schema schema : more) {
      map.put(SingleObjectFormat.fingerprint(schema), schema);
    }
    return new SchemaStore(map);
  }

  public Optional<Schema> find(long fingerprint) {
    return Optional.ofNullable(byFingerprint.get(fingerprint));
  }

  public int size() {
    return byFingerprint.size();
  }

  /**
   * The released versions of record {@code simpleName}, oldest first, read from {@code
   * schema-history/<simpleName>/v1.avsc}, {@code v2.avsc}, ... until the first missing version.
   *
   * @throws IllegalStateException when there is no v1 or a file does not parse
   */
  public static List<Schema> history(String simpleName) {
    List<Schema> versions = new ArrayList<>();
    for (int v = 1; ; v++) {
      String resource = HISTORY_ROOT + simpleName + "/v" + v + ".avsc";
      try (InputStream in = SchemaStore.class.getResourceAsStream(resource)) {
        if (in == null) {
          break;
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("Schema history file " + resource + " could not be read.", e);
      } catch (RuntimeException e) {
        throw new IllegalStateException("Schema history file " + resource + " is not a valid Avro schema: " + e.getMessage(), e);
      }
    }
    if (versions.isEmpty()) {
      throw new IllegalStateException("No schema history for " + simpleName + "; expected the class path resource "
          + HISTORY_ROOT + simpleName + "/v1.avsc.");
    }
    return List.copyOf(versions);
  }
}
