package dev.ibq.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where ONNX Runtime's native libraries come from: unpacked once per machine into a cache folder instead of into a
 * fresh temporary folder by every process.
 *
 * <p>ONNX Runtime's Java loader copies {@code libonnxruntime.so} (24 MB) out of its jar into a new temporary folder
 * each time a JVM first touches it, and the CUDA provider (370 MB) each time a session asks for CUDA. That copy was
 * most of {@code ./ibq encode}'s start-up (0.5 s for the core library and 4.7 s for AUTO's CUDA attempt on this
 * machine, measured as whole processes). This class copies the libraries of the ONNX Runtime jar on the class path
 * into {@code <cache>/onnxruntime-<jar>-<crc>/} (atomically, so concurrent processes and TaskManagers can share
 * it; the folder name changes with the jar's contents) and points ONNX Runtime at it with its documented
 * {@code onnxruntime.native.path} property. The CUDA provider's libraries are copied only when a session is about
 * to try CUDA.
 *
 * <p>The cache is {@code $IBQ_NATIVE_CACHE} (or {@code -Dibq.native.cache}), else {@code $XDG_CACHE_HOME/ibq},
 * else {@code ~/.cache/ibq}. When the user already set {@code onnxruntime.native.path}, when the libraries are not
 * in a jar, or when the cache cannot be written, ONNX Runtime keeps its own behaviour (and the reason is logged).
 */
public final class OrtNatives {
  private static final Logger LOG = LoggerFactory.getLogger(OrtNatives.class);

  /** ONNX Runtime's own system property: the folder all its native libraries are loaded from. */
  public static final String ORT_NATIVE_PATH = "onnxruntime.native.path";

  private static final List<String> CORE = List.of("onnxruntime", "onnxruntime4j_jni", "onnxruntime_providers_shared");

  private static final List<String> CUDA = List.of("onnxruntime_providers_cuda");

  private static Path folder;

  private static boolean coreDone;

  private static boolean cudaDone;

  private OrtNatives() {}

  /**
   * Makes the core libraries (and, with {@code cuda}, the CUDA provider's) available from the cache and sets
   * {@link #ORT_NATIVE_PATH}, before ONNX Runtime loads. Safe to call many times; never throws.
   *
   * @return the folder ONNX Runtime loads from, or null when ONNX Runtime keeps its own loading
   */
  public static synchronized Path prepare(boolean cuda) {
    if (!coreDone) {
      coreDone = true;
      folder = setUp();
    }
    if (cuda && !cudaDone && folder != null) {
      cudaDone = true;
      try {
        copyAll(folder, CUDA);
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not copy the CUDA provider of ONNX Runtime into {} ({}); CUDA may not load.", folder, e.toString());
      }
    }
    return folder;
  }

  private static Path setUp() {
    String user = System.getProperty(ORT_NATIVE_PATH);
    if (user != null) {
      LOG.debug("ONNX Runtime loads its native libraries from {} (set by the user).", user);
      return null;
    }
    String platform = platform();
    if (platform == null) {
      return null;
    }
    try {
      URL url = resource(platform, "onnxruntime");
      if (url == null || !"jar".equals(url.getProtocol())) {
        LOG.debug("ONNX Runtime's libraries are not in a jar here; ONNX Runtime loads them its own way.");
        return null;
      }
      JarURLConnection connection = (JarURLConnection) url.openConnection();
      JarEntry core = connection.getJarEntry();
      String jar = connection.getJarFileURL().getPath();
      String jarName = Path.of(jar).getFileName().toString().replaceAll("\\.jar$", "").replaceAll("[^A-Za-z0-9._-]", "_");
      Path dir = cacheRoot().resolve("onnxruntime-" + jarName + "-" + Long.toHexString(core.getCrc()) + "-" + platform);
      Files.createDirectories(dir);
      copyAll(dir, CORE);
      System.setProperty(ORT_NATIVE_PATH, dir.toString());
      LOG.debug("ONNX Runtime loads its native libraries from the cache {}.", dir);
      return dir;
    } catch (IOException | RuntimeException e) {
      LOG.info("ONNX Runtime unpacks its native libraries into a temporary folder: the cache could not be used ({}).", e.toString());
      return null;
    }
  }

  /** The cache root: $IBQ_NATIVE_CACHE, -Dibq.native.cache, $XDG_CACHE_HOME/ibq or ~/.cache/ibq. */
  static Path cacheRoot() {
    String dir = System.getProperty("ibq.native.cache", System.getenv("IBQ_NATIVE_CACHE"));
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "ibq");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "ibq");
  }

  /** Copies each library missing from {@code dir} (or of another size) out of the jar, atomically. */
  static void copyAll(Path dir, List<String> libraries) throws IOException {
    String platform = platform();
    for (String name : libraries) {
      URL url = resource(platform, name);
      if (url == null) {
        continue; // e.g. the CPU-only jar has no CUDA provider, and providers_shared exists only in some builds
      }
      URLConnection connection = url.openConnection();
      long size = connection.getContentLengthLong();
      Path target = dir.resolve(System.mapLibraryName(name));
      if (Files.isRegularFile(target) && size >= 0 && Files.size(target) == size) {
        continue;
      }
      Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".part");
      try (InputStream in = connection.getInputStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        if (size >= 0 && Files.size(tmp) != size) {
          throw new IOException("copied " + Files.size(tmp) + " of " + size + " bytes of " + url);
        }
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        LOG.info("Unpacked ONNX Runtime's {} ({} MB) into the cache {} (once per machine).", target.getFileName(),
            size >> 20, dir);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static URL resource(String platform, String name) {
    return OrtNatives.class.getResource("/ai/onnxruntime/native/" + platform + "/" + System.mapLibraryName(name));
  }

  /** ONNX Runtime's folder name for this OS and architecture (as its loader spells it), or null if unknown. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.contains("win") ? "win" : null;
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : null;
    return o == null || a == null ? null : o + "-" + a;
  }
}
