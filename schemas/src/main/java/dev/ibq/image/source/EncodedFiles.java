package dev.ibq.image.source;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/** Reading one encoded image file, for the sources that list files ({@link FolderSource}, {@link FileListSource}). */
final class EncodedFiles {

  private EncodedFiles() {}

  /** The file, decoded within {@code limits} and preprocessed; a file over the byte limit is refused unread. */
  static void preprocessInto(Path file, Preprocessor pre, DecodeLimits limits, float[] dst, int offset)
      throws ImageRejectedException {
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > limits.maxEncodedBytes()) {
        throw new ImageRejectedException(ImageRejectedException.Reason.TOO_LARGE, "The file " + file + " is " + size
            + " bytes; the limit is " + limits.maxEncodedBytes() + " bytes (--max-encoded-bytes), so it was not read.");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the image file " + file + ": " + e.getMessage(), e);
    }
    float[] chw = pre.decodeAndApply(bytes, limits);
    System.arraycopy(chw, 0, dst, offset, chw.length);
  }

  /** The file's bytes, untouched, as a record with this id, label and attributes. */
  static ImageRecord record(Path file, String id, Integer label, Map<String, String> attributes) {
    try {
      return ImageRecord.newBuilder()
          .setImageId(id)
          .setImage(ByteBuffer.wrap(Files.readAllBytes(file)))
          .setContentType(ImageRecords.contentType(file.getFileName().toString()))
          .setLabel(label)
          .setSourceUri(file.toAbsolutePath().toUri().toString())
          .setEventTime(Instant.now())
          .setAttributes(attributes)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the image file " + file + ": " + e.getMessage(), e);
    }
  }
}
