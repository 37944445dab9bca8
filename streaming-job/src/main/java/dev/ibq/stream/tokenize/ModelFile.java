package dev.ibq.stream.tokenize;

import dev.ibq.model.ExecutionProvider;
import dev.ibq.model.TokenizerInfo;
import dev.ibq.model.TokenizerMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import dev.ibq.model.OnnxMetadataReader;
import dev.ibq.model.TokenizerIdentity;

/**
 * An exported {@code encoder.onnx} as the client saw it when the job was built: where it is (a URI of any
 * Flink file system: {@code file://}, {@code s3://}, {@code hdfs://}, ...), its size and SHA-256, and its
 * tokenizer metadata. Read with Flink's {@link FileSystem} and a protobuf reader of its own, so building the
 * job needs no ONNX Runtime. The tasks fetch the file through {@link ModelCache} and check it against the
 * digest recorded here.
 *
 * @param uri the model file (a directory given by the user resolves to its {@code encoder.onnx})
 * @param sizeBytes file size
 * @param sha256 hex SHA-256 of the file's bytes
 * @param metadata the model's {@code metadata_props}
 * @param shippedAs the name under which the file travels with the job in Flink's distributed cache (the
 *     tasks read it from there, not from {@code uri}); null when the tasks read {@code uri} themselves
 */
public record ModelFile(String uri, long sizeBytes, String sha256, Map<String, String> metadata, String shippedAs)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The distributed-cache name of a shipped model. */
  public static final String SHIPPED_NAME = "ibq-model-encoder.onnx";

  public ModelFile {
    metadata = Map.copyOf(metadata);
  }

  /** This model, to be shipped with the job under {@link #SHIPPED_NAME}. */
  public ModelFile shipped() {
    return new ModelFile(uri, sizeBytes, sha256, metadata, SHIPPED_NAME);
  }

  /**
   * Resolves a location to a file URI: a URI with a scheme is taken as is, anything else is a local path
   * made absolute (on the client, as the tasks will see it).
   */
  public static URI toUri(String location) {
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !location.matches("^[a-zA-Z]:\\\\.*")) {
      return URI.create(location);
    }
    return java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri();
  }

  /**
   * Reads a model's size, digest and metadata through Flink's file system for its scheme. A directory
   * resolves to the {@code encoder.onnx} in it.
   *
   * @throws IOException when the file cannot be read (no file system for the scheme, missing file, ...) or
   *     is not an ONNX model
   */
  public static ModelFile read(String location) throws IOException {
    Path path = new Path(toUri(location));
    FileSystem fs = path.getFileSystem();
    FileStatus status = fs.getFileStatus(path);
    if (status.isDir()) {
      path = new Path(path, TokenizerMetadata.ENCODER_FILE);
      status = fs.getFileStatus(path);
    }
    MessageDigest sha = newDigest();
    Map<String, String> metadata;
    try (InputStream in = new DigestInputStream(fs.open(path), sha)) {
      metadata = OnnxMetadataReader.read(in);
    }
    return new ModelFile(path.toUri().toString(), status.getLen(), HexFormat.of().formatHex(sha.digest()), metadata, null);
  }

  /** The tokenizer identity from the metadata (checked as ONNX Runtime's loader checks it). */
  public TokenizerIdentity identity(String provider) {
    // The provider is a placeholder: no session is opened here. The identity carries the requested one.
    TokenizerInfo info = TokenizerMetadata.parse(uri, metadata, TokenizerMetadata.ROLE_ENCODER, ExecutionProvider.CPU);
    return OnnxTokenizerFactory.identityOf(info, provider);
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JVM has no SHA-256.", e);
    }
  }
}
