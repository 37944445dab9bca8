package dev.ibq.stream.tokenize;

import dev.ibq.model.OnnxModelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.core.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a {@link ModelFile} onto the local disk of a TaskManager, once: the first task of a job on a
 * TaskManager fetches it through Flink's {@link FileSystem} for its scheme ({@code s3://}, {@code hdfs://},
 * ...) into {@code java.io.tmpdir/ibq-models/SHA256/encoder.onnx}; the other slots of that TaskManager, and
 * later jobs (a restart, a resubmission with the same model), find it there. A {@code file:} model is used
 * where it is. Either way the local bytes must have the SHA-256 the client read when it built the job, so a
 * model replaced after submission, or a path that holds different files on different machines, fails the
 * task with a message that says so instead of tokenizing with other weights.
 */
final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  /** Per job class loader: verified local files by model URI and digest. */
  private static final ConcurrentHashMap<String, Path> VERIFIED = new ConcurrentHashMap<>();

  private ModelCache() {}

  /** The directory fetched models are kept in on this machine. */
  static Path cacheDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "ibq-models");
  }

  /**
   * The local copy of a model shipped with the job (Flink put it there from the blob server), checked
   * against the digest the client read.
   */
  static Path shippedFile(ModelFile model, Path fromDistributedCache) {
    return VERIFIED.computeIfAbsent(model.sha256() + " shipped " + fromDistributedCache, key -> {
      try {
        Path local = Files.isDirectory(fromDistributedCache) ? fromDistributedCache.resolve("encoder.onnx") : fromDistributedCache;
        check(model, local, digest(local), "shipped with the job (" + local + ")");
        LOG.info("Model {} shipped with the job, from the distributed cache at {}.", model.uri(), local);
        return local;
      } catch (IOException e) {
        throw new UncheckedIOException("The model shipped with the job could not be read at " + fromDistributedCache + ".", e);
      }
    });
  }

  /** A local file with the model's exact bytes (fetched and verified on first use in this JVM). */
  static Path localFile(ModelFile model) {
    return VERIFIED.computeIfAbsent(model.sha256() + " " + model.uri(), key -> fetchAndVerify(model));
  }

  private static Path fetchAndVerify(ModelFile model) {
    long t0 = System.nanoTime();
    try {
      java.net.URI uri = java.net.URI.create(model.uri());
      if ("file".equals(uri.getScheme())) {
        Path local = Path.of(uri);
        check(model, local, digest(local), "at " + local);
        return local;
      }
      Path target = cacheDir().resolve(model.sha256()).resolve("encoder.onnx");
      if (Files.isRegularFile(target) && model.sha256().equals(digest(target))) {
        LOG.info("Model {} found in this machine's cache at {}.", model.uri(), target);
        return target;
      }
      Files.createDirectories(target.getParent());
      Path part = Files.createTempFile(target.getParent(), "encoder", ".part");
      MessageDigest sha = ModelFile.newDigest();
      org.apache.flink.core.fs.Path remote = new org.apache.flink.core.fs.Path(uri);
      try (InputStream in = new DigestInputStream(remote.getFileSystem().open(remote), sha);
          OutputStream out = Files.newOutputStream(part)) {
        in.transferTo(out);
      }
      check(model, part, HexFormat.of().formatHex(sha.digest()), "fetched from " + model.uri());
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
      }
      LOG.info(
          "Model {} ({} bytes, SHA-256 {}) fetched to {} in {} ms.",
          model.uri(), model.sizeBytes(), model.sha256(), target, (System.nanoTime() - t0) / 1_000_000);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "The model " + model.uri() + " could not be fetched to this TaskManager (" + e.getMessage() + "); every"
              + " TaskManager must reach the model's file system (for s3:// or hdfs://, Flink's plugin for it).",
          e);
    }
  }

  private static void check(ModelFile model, Path file, String actualSha, String where) {
    if (!model.sha256().equals(actualSha)) {
      throw new OnnxModelException(
          "The model file " + where + " on " + hostName() + " has SHA-256 " + actualSha + ", but the job was built"
              + " from " + model.uri() + " with SHA-256 " + model.sha256() + " (" + model.sizeBytes() + " bytes): the"
              + " file changed after the job was submitted, or this path holds another file on this machine."
              + " Resubmit the job, or give every machine the same file (e.g. a shared file system URI).");
    }
  }

  static String digest(Path file) throws IOException {
    MessageDigest sha = ModelFile.newDigest();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "this machine";
    }
  }
}
