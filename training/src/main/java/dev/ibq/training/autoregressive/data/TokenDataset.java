package dev.ibq.training.autoregressive.data;

import dev.ibq.schemas.TokenRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Token grids of one tokenizer in memory: what the AR model trains on, whether the records came from the Avro
 * file that {@code encode} writes or from the Kafka token topic.
 *
 * <p>Shapes: tokens (M, N) with N = gridHeight * gridWidth in raster order, every id in [0, codebookSize);
 * labels (M), -1 where a record has no label (trained as the null class).
 *
 * @param preprocessing canonical preprocessing string of the records (informational)
 */
public record TokenDataset(
    int[][] tokens,
    int[] labels,
    int gridHeight,
    int gridWidth,
    int codebookSize,
    String tokenizerId,
    String tokenizerName,
    String preprocessing) {

  public int size() {
    return tokens.length;
  }

  public int sequenceLength() {
    return gridHeight * gridWidth;
  }

  /** Number of classes implied by the labels: the largest label + 1 (at least 1). */
  public int numClasses() {
    int max = -1;
    for (int label : labels) {
      max = Math.max(max, label);
    }
    return Math.max(1, max + 1);
  }

  /** Records [from, to) as a new dataset (shares the rows). */
  public TokenDataset slice(int from, int to) {
    int[][] t = new int[to - from][];
    int[] l = new int[to - from];
    System.arraycopy(tokens, from, t, 0, to - from);
    System.arraycopy(labels, from, l, 0, to - from);
    return new TokenDataset(t, l, gridHeight, gridWidth, codebookSize, tokenizerId, tokenizerName, preprocessing);
  }

  /** A seeded shuffle of the records, so a tail slice is a fair validation split. */
  public TokenDataset shuffled(long seed) {
    Random random = new Random(seed);
    int[][] t = tokens.clone();
    int[] l = labels.clone();
    for (int i = t.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int[] tt = t[i];
      t[i] = t[j];
      t[j] = tt;
      int ll = l[i];
      l[i] = l[j];
      l[j] = ll;
    }
    return new TokenDataset(t, l, gridHeight, gridWidth, codebookSize, tokenizerId, tokenizerName, preprocessing);
  }

  /** Collects {@link TokenRecord}s, checking that they all come from one tokenizer and share grid and K. */
  public static final class Builder {
    private final String source;
    private final List<int[]> tokens = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();
    private String tokenizerId;
    private String firstImageId;
    private String tokenizerName;
    private String preprocessing;
    private int gridHeight;
    private int gridWidth;
    private int codebookSize;

    /** @param source where the records come from, for error messages (a file path or a topic) */
    public Builder(String source) {
      this.source = source;
    }

    public Builder add(TokenRecord record) {
      String id = record.getTokenizerId();
      if (tokenizerId == null) {
        tokenizerId = id;
        firstImageId = record.getImageId();
        tokenizerName = record.getTokenizerName();
        preprocessing = record.getPreprocessing() == null ? "" : record.getPreprocessing().getCanonical();
        gridHeight = record.getGridHeight();
        gridWidth = record.getGridWidth();
        codebookSize = record.getCodebookSize();
      } else if (!tokenizerId.equals(id)) {
        throw new IllegalArgumentException(
            "Token records from two tokenizers in " + source + ": image " + firstImageId + " has tokenizer id "
                + tokenizerId + " but image " + record.getImageId() + " has tokenizer id " + id
                + ". An AR model trains on the tokens of exactly one tokenizer; select one tokenizer's records.");
      } else if (record.getGridHeight() != gridHeight
          || record.getGridWidth() != gridWidth
          || record.getCodebookSize() != codebookSize) {
        throw new IllegalArgumentException(
            "Token record " + record.getImageId() + " in " + source + " has a " + record.getGridHeight() + "x"
                + record.getGridWidth() + " grid with K " + record.getCodebookSize() + "; earlier records of the same"
                + " tokenizer have " + gridHeight + "x" + gridWidth + " with K " + codebookSize + ".");
      }
      List<Integer> list = record.getTokens();
      int n = gridHeight * gridWidth;
      if (list.size() != n) {
        throw new IllegalArgumentException(
            "Token record " + record.getImageId() + " in " + source + " has " + list.size() + " tokens; its "
                + gridHeight + "x" + gridWidth + " grid needs " + n + ".");
      }
      int[] row = new int[n];
      for (int i = 0; i < n; i++) {
        int t = list.get(i);
        if (t < 0 || t >= codebookSize) {
          throw new IllegalArgumentException(
              "Token record " + record.getImageId() + " in " + source + " holds token " + t + " at position " + i
                  + "; tokens must be in [0, " + codebookSize + ").");
        }
        row[i] = t;
      }
      tokens.add(row);
      labels.add(record.getLabel() == null ? -1 : record.getLabel());
      return this;
    }

    public int count() {
      return tokens.size();
    }

    public TokenDataset build() {
      if (tokens.isEmpty()) {
        throw new IllegalArgumentException("No token records were found in " + source + ".");
      }
      int[] l = new int[labels.size()];
      for (int i = 0; i < l.length; i++) {
        l[i] = labels.get(i);
      }
      return new TokenDataset(
          tokens.toArray(new int[0][]), l, gridHeight, gridWidth, codebookSize, tokenizerId, tokenizerName,
          preprocessing);
    }
  }
}
