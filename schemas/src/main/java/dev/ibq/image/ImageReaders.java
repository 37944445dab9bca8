package dev.ibq.image;

import com.twelvemonkeys.imageio.plugins.bmp.BMPImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.pnm.PAMImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.pnm.PNMImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;

/**
 * The image readers {@link ImageDecoder} uses, owned by the class loader that loaded this class and
 * never taken from ImageIO's JVM-wide registry.
 *
 * <p>NOTE: {@code ImageIO.scanForPlugins()} (and the registry's own first initialization, which scans
 * the context class loader) registers plugins from a Flink job's user class loader in a registry that
 * outlives the job; the next job on the same TaskManager then meets readers of a closed class loader
 * and fails with {@code NoClassDefFoundError}. Here the TwelveMonkeys providers are instantiated
 * directly, in this class's loader, and registered in a private {@link ServiceRegistry} together with
 * the JDK's own providers (those of the {@code java.desktop} module, which no job can unload), which
 * the TwelveMonkeys JPEG, TIFF and BMP readers look up there as their delegates. A new job's class
 * loader gets a new set.
 */
final class ImageReaders {

  /** JDK formats kept as readers of their own (PNG, GIF) or as TwelveMonkeys' delegates. */
  private static final Set<String> JDK_FORMATS = Set.of("png", "gif", "jpeg", "bmp", "tiff");

  /** In the order they are asked whether they can read the bytes. */
  private static final List<ImageReaderSpi> PROVIDERS = providers();

  private ImageReaders() {}

  private static List<ImageReaderSpi> providers() {
    ServiceRegistry registry = new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
    ImageReaderSpi jdkPng = null;
    ImageReaderSpi jdkGif = null;
    Iterator<ImageReaderSpi> all = defaultRegistry().getServiceProviders(ImageReaderSpi.class, false);
    while (all.hasNext()) {
      ImageReaderSpi spi = all.next();
      if (spi.getClass().getModule() != ImageReaderSpi.class.getModule()) {
        continue; // a plugin from some class loader's scan: not ours to use
      }
      String format = spi.getFormatNames()[0].toLowerCase(Locale.ROOT);
      if (JDK_FORMATS.contains(format)) {
        registry.registerServiceProvider(spi, ImageReaderSpi.class);
        if (format.equals("png")) {
          jdkPng = spi;
        } else if (format.equals("gif")) {
          jdkGif = spi;
        }
      }
    }
    List<ImageReaderSpi> ordered = new ArrayList<>();
    for (ImageReaderSpi spi : List.of(new JPEGImageReaderSpi(), new WebPImageReaderSpi(), new TIFFImageReaderSpi(),
        new BMPImageReaderSpi(), new PNMImageReaderSpi(), new PAMImageReaderSpi())) {
      registry.registerServiceProvider(spi, ImageReaderSpi.class); // onRegistration finds the JDK delegate
      if (registry.contains(spi)) {
        ordered.add(spi);
      }
    }
    if (jdkPng != null) {
      ordered.add(jdkPng);
    }
    if (jdkGif != null) {
      ordered.add(jdkGif);
    }
    return List.copyOf(ordered);
  }

  /**
   * ImageIO's registry, for the JDK's own providers. When this is its first use in the JVM, it is
   * initialized with the platform class loader as the context class loader, so that its scan of
   * "application" plugins does not register (and pin) the plugins of the job's class loader.
   */
  private static IIORegistry defaultRegistry() {
    Thread t = Thread.currentThread();
    ClassLoader context = t.getContextClassLoader();
    t.setContextClassLoader(ClassLoader.getPlatformClassLoader());
    try {
      return IIORegistry.getDefaultInstance();
    } finally {
      t.setContextClassLoader(context);
    }
  }

  /** A new reader for the bytes {@code input} holds, or null when no provider can read them. */
  static ImageReader readerFor(ImageInputStream input) throws IOException {
    for (ImageReaderSpi spi : PROVIDERS) {
      input.seek(0);
      boolean can;
      try {
        can = spi.canDecodeInput(input);
      } catch (javax.imageio.IIOException e) {
        throw e; // includes the decode deadline
      } catch (IOException e) {
        can = false; // e.g. an EOFException from a provider that reads past a very short input
      }
      if (can) {
        input.seek(0);
        return spi.createReaderInstance();
      }
    }
    return null;
  }

  /** The providers, in the order they are tried (for tests and diagnostics). */
  static List<ImageReaderSpi> providersInOrder() {
    return PROVIDERS;
  }
}
