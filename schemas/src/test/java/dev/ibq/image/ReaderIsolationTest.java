package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

/**
 * The decoder works in a second "job" after the first job's class loader is closed, as on a Flink
 * TaskManager that runs one job after another (a model upgrade: stop with savepoint, resubmit). Each
 * job is simulated by a child-first class loader holding the project's and the plugins' classes, used
 * as the thread's context class loader like a Flink task does; the first is closed before the second
 * decodes. With readers taken from ImageIO's JVM-wide registry, the second job's WebP and JPEG decodes
 * met the first job's closed plugins and failed with NoClassDefFoundError.
 */
class ReaderIsolationTest {

  /** Loads the project, TwelveMonkeys and Avro classes itself (child first), everything else from the parent. */
  private static final class JobClassLoader extends URLClassLoader {
    JobClassLoader(URL[] urls) {
      super("job", urls, ReaderIsolationTest.class.getClassLoader().getParent());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null && !name.startsWith("java.") && !name.startsWith("javax.") && !name.startsWith("jdk.")
            && !name.startsWith("sun.") && !name.startsWith("com.sun.") && !name.startsWith("org.w3c.")
            && !name.startsWith("org.xml.")) {
          try {
            c = findClass(name);
          } catch (ClassNotFoundException e) {
            // fall through to the parent
          }
        }
        if (c == null) {
          c = super.loadClass(name, false);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }
  }

  private static URL[] testClassPath() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    return urls.toArray(new URL[0]);
  }

  /** Decodes {@code bytes} with the ImageDecoder of {@code loader}, on a thread whose context loader it is. */
  private static int widthDecodedBy(ClassLoader loader, byte[] bytes) throws Throwable {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      Class<?> limitsClass = Class.forName("dev.ibq.image.DecodeLimits", true, loader);
      Object limits = limitsClass.getMethod("defaults").invoke(null);
      Class<?> decoder = Class.forName("dev.ibq.image.ImageDecoder", true, loader);
      assertThat(decoder.getClassLoader()).isSameAs(loader);
      Method decode = decoder.getMethod("decode", byte[].class, limitsClass);
      Object decoded = decode.invoke(null, bytes, limits);
      return (int) decoded.getClass().getMethod("width").invoke(decoded);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } finally {
      t.setContextClassLoader(before);
    }
  }

  /**
   * What a finished job leaves in ImageIO's JVM-wide registry: a plugin that claims the bytes but whose
   * reader class can no longer be loaded (its class loader is closed).
   */
  private static final class StalePlugin extends ImageReaderSpi {
    StalePlugin() {
      super("stale", "1", new String[] {"jpeg", "webp"}, new String[] {"jpg"}, new String[] {"image/jpeg"},
          "Reader", new Class<?>[] {ImageInputStream.class}, null, false, null, null, null, null, false, null, null,
          null, null);
    }

    @Override
    public boolean canDecodeInput(Object source) {
      return true;
    }

    @Override
    public ImageReader createReaderInstance(Object extension) {
      throw new NoClassDefFoundError("com/twelvemonkeys/imageio/plugins/webp/WebPImageReader (its job's class loader is closed)");
    }

    @Override
    public String getDescription(Locale locale) {
      return "a plugin of a finished job";
    }
  }

  @Test
  void aStalePluginInTheJvmWideRegistryIsNeverAsked() throws Exception {
    IIORegistry registry = IIORegistry.getDefaultInstance();
    StalePlugin stale = new StalePlugin();
    registry.registerServiceProvider(stale, ImageReaderSpi.class);
    try {
      for (Iterator<ImageReaderSpi> it = registry.getServiceProviders(ImageReaderSpi.class, false); it.hasNext(); ) {
        ImageReaderSpi other = it.next();
        if (other != stale) {
          registry.setOrdering(ImageReaderSpi.class, stale, other); // ImageIO would pick it first
        }
      }
      BufferedImage rgb = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
      assertThat(ImageDecoder.decode(HostileImages.encode(rgb, "jpeg"), DecodeLimits.defaults()).width()).isEqualTo(40);
      byte[] webp = HostileImages.losslessWebp(24, 16, 10, 240, (x, y) -> y < 8);
      assertThat(ImageDecoder.decode(webp, DecodeLimits.defaults()).width()).isEqualTo(24);
    } finally {
      registry.deregisterServiceProvider(stale, ImageReaderSpi.class);
    }
  }

  @Test
  void aSecondJobDecodesJpegAndWebpAfterTheFirstJobsClassLoaderIsClosed() throws Throwable {
    BufferedImage rgb = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(HostileImages.gradient(40, 30), 0, 0, null);
    byte[] jpeg = HostileImages.encode(rgb, "jpeg");
    byte[] webp = HostileImages.losslessWebp(24, 16, 10, 240, (x, y) -> y < 8);
    URL[] classPath = testClassPath();

    JobClassLoader first = new JobClassLoader(classPath);
    assertThat(widthDecodedBy(first, jpeg)).isEqualTo(40);
    first.close(); // the job ended: its jar is gone

    JobClassLoader second = new JobClassLoader(classPath);
    try {
      assertThat(widthDecodedBy(second, webp)).isEqualTo(24);
      assertThat(widthDecodedBy(second, jpeg)).isEqualTo(40);
    } finally {
      second.close();
    }
  }
}
