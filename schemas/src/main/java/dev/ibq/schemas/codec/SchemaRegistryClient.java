package dev.ibq.schemas.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A small client of the Confluent Schema Registry REST API (Confluent's own server, or a compatible one such
 * as Apicurio Registry's {@code /apis/ccompat/v7}), for Avro schemas:
 *
 * <ul>
 *   <li>{@link #lookup}: {@code POST /subjects/{subject}}, the id of a schema already registered under a subject;
 *   <li>{@link #register}: {@code POST /subjects/{subject}/versions};
 *   <li>{@link #schemaById}: {@code GET /schemas/ids/{id}}, cached (an id never changes its schema);
 *   <li>{@link #latest}: {@code GET /subjects/{subject}/versions/latest};
 *   <li>{@link #isCompatible}: {@code POST /compatibility/subjects/{subject}/versions/latest}, under the subject's
 *       compatibility level.
 * </ul>
 *
 * <p>Subjects follow Confluent's default TopicNameStrategy: {@link #valueSubject(String) topic + "-value"}.
 * Thread-safe. Failures are {@link SchemaRegistryException}s naming the request and the registry.
 */
public final class SchemaRegistryClient {

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http;
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();

  /** @param baseUrl the registry's URL, e.g. {@code http://registry:8081} or Apicurio's {@code .../apis/ccompat/v7} */
  public SchemaRegistryClient(String baseUrl) {
    Objects.requireNonNull(baseUrl, "schema registry url");
    String u = baseUrl.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    if (!u.startsWith("http://") && !u.startsWith("https://")) {
      throw new IllegalArgumentException("The Schema Registry URL '" + baseUrl + "' is not an http:// or https:// URL.");
    }
    this.baseUrl = u;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  /** The subject of a topic's values under TopicNameStrategy: {@code <topic>-value}. */
  public static String valueSubject(String topic) {
    return topic + "-value";
  }

  public String url() {
    return baseUrl;
  }

  /** The id of {@code schema} if it is registered under {@code subject}; empty when the subject or the schema is not. */
  public OptionalInt lookup(String subject, Schema schema) {
    try {
      JsonNode r = send("POST", "/subjects/" + encode(subject), schemaBody(schema), "look up a schema under subject '" + subject + "'");
      return OptionalInt.of(r.path("id").asInt());
    } catch (SchemaRegistryException e) {
      if (e.notFound()) {
        return OptionalInt.empty();
      }
      throw e;
    }
  }

  /** Registers {@code schema} under {@code subject} (a new version unless it is there already) and returns its id. */
  public int register(String subject, Schema schema) {
    JsonNode r = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema),
        "register a schema under subject '" + subject + "'");
    if (!r.has("id")) {
      throw new SchemaRegistryException("The Schema Registry at " + baseUrl + " answered the registration under subject '"
          + subject + "' without an id: " + r, 200, 0, null);
    }
    int id = r.get("id").asInt();
    byId.putIfAbsent(id, schema);
    return id;
  }

  /** The latest schema registered under {@code subject}, with its id and version; empty when the subject does not exist. */
  public java.util.Optional<Registered> latest(String subject) {
    try {
      JsonNode r = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null,
          "read the latest schema of subject '" + subject + "'");
      Schema s = parse(r.path("schema").asText(), "the latest version of subject '" + subject + "'");
      int id = r.path("id").asInt();
      byId.putIfAbsent(id, s);
      return java.util.Optional.of(new Registered(id, r.path("version").asInt(), s));
    } catch (SchemaRegistryException e) {
      if (e.notFound()) {
        return java.util.Optional.empty();
      }
      throw e;
    }
  }

  /** A schema as registered: its global id, its version under the subject, the schema. */
  public record Registered(int id, int version, Schema schema) {}

  /**
   * The schema with global id {@code id} (cached).
   *
   * @throws SchemaRegistryException {@link SchemaRegistryException#notFound()} when no schema has the id
   */
  public Schema schemaById(int id) {
    Schema cached = byId.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode r = send("GET", "/schemas/ids/" + id, null, "read the schema with id " + id);
    String type = r.path("schemaType").asText("AVRO");
    if (!"AVRO".equalsIgnoreCase(type)) {
      throw new SchemaRegistryException("The schema with id " + id + " in the Schema Registry at " + baseUrl + " is a "
          + type + " schema; expected an Avro schema.", 200, 0, null);
    }
    Schema s = parse(r.path("schema").asText(), "the schema with id " + id);
    byId.putIfAbsent(id, s);
    return s;
  }

  /** Whether {@code schema} may be added to {@code subject} under the subject's compatibility level. */
  public boolean isCompatible(String subject, Schema schema) {
    JsonNode r = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema),
        "check a schema's compatibility with subject '" + subject + "'");
    return r.path("is_compatible").asBoolean(false);
  }

  private Schema parse(String text, String what) {
    try {
      return new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw new SchemaRegistryException("The Schema Registry at " + baseUrl + " returned " + what
          + ", which is not a valid Avro schema (" + e.getMessage() + ").", 200, 0, e);
    }
  }

  private static String schemaBody(Schema schema) {
    ObjectNode body = JSON.createObjectNode();
    body.put("schema", schema.toString());
    body.put("schemaType", "AVRO");
    return body.toString();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, String body, String what) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .timeout(TIMEOUT)
        .header("Accept", CONTENT_TYPE + ", application/json");
    if (body == null) {
      b.GET();
    } else {
      b.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SchemaRegistryException("Could not " + what + ": the Schema Registry at " + baseUrl
          + " cannot be reached (" + e + "); check schema-registry.url and that the registry is running.", 0, 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("Interrupted while trying to " + what + " at " + baseUrl + ".", 0, 0, e);
    }
    JsonNode json;
    try {
      json = r.body() == null || r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      json = null;
    }
    if (r.statusCode() / 100 != 2) {
      int code = json == null ? 0 : json.path("error_code").asInt(0);
      String message = json == null ? abbreviate(r.body()) : json.path("message").asText(abbreviate(r.body()));
      throw new SchemaRegistryException("Could not " + what + ": the Schema Registry at " + baseUrl + " answered HTTP "
          + r.statusCode() + (code != 0 ? " (error " + code + ")" : "") + ": " + message, r.statusCode(), code, null);
    }
    if (json == null) {
      throw new SchemaRegistryException("Could not " + what + ": the Schema Registry at " + baseUrl
          + " answered with a body that is not JSON: " + abbreviate(r.body()), r.statusCode(), 0, null);
    }
    return json;
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
