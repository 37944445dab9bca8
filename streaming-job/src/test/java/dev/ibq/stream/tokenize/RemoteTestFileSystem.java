package dev.ibq.stream.tokenize;

import java.net.URI;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * A Flink file system with its own scheme, {@value #SCHEME}{@code :///abs/path}, over this machine's disk:
 * it stands in for {@code s3://} or {@code hdfs://} (no such server runs here) so that the path a remote model
 * takes, a fetch through Flink's {@link FileSystem} into the TaskManager's cache, runs for real. Registered
 * through {@code META-INF/services}, the way Flink finds file system factories.
 */
public final class RemoteTestFileSystem extends LocalFileSystem {
  public static final String SCHEME = "ibq-remote";

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public boolean isDistributedFS() {
    return true;
  }

  /** The factory Flink's service loader finds. */
  public static final class Factory implements FileSystemFactory {
    @Override
    public String getScheme() {
      return SCHEME;
    }

    @Override
    public FileSystem create(URI fsUri) {
      return new RemoteTestFileSystem();
    }
  }
}
