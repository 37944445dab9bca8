package dev.ibq.training.autoregressive.data;

import dev.ibq.schemas.TokenRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/** Reads and writes Avro container files of {@link TokenRecord}s (the format {@code ./ibq encode} writes). */
public final class TokenRecordFiles {

  private TokenRecordFiles() {}

  /** Reads every record of an Avro container file into a dataset (one tokenizer only). */
  public static TokenDataset read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "Token file " + file + " does not exist; expected an Avro container file of TokenRecords (./ibq encode).");
    }
    TokenDataset.Builder builder = new TokenDataset.Builder(file.toString());
    try (DataFileReader<TokenRecord> reader =
        new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(TokenRecord.class))) {
      TokenRecord reuse = null;
      while (reader.hasNext()) {
        reuse = reader.next(reuse);
        builder.add(reuse);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Could not read " + file + " as an Avro container file of TokenRecords: " + e.getMessage(), e);
    }
    return builder.build();
  }

  /** Writes records to an Avro container file (replacing it). */
  public static void write(Path file, List<TokenRecord> records) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      try (DataFileWriter<TokenRecord> writer = new DataFileWriter<>(new SpecificDatumWriter<>(TokenRecord.class))) {
        writer.setCodec(org.apache.avro.file.CodecFactory.zstandardCodec(3)); // zstd: 3-4x smaller than uncompressed
        writer.create(TokenRecord.getClassSchema(), file.toFile());
        for (TokenRecord r : records) {
          writer.append(r);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write token records to " + file + ": " + e.getMessage(), e);
    }
  }
}
