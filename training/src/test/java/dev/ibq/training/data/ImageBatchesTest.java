package dev.ibq.training.data;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageBatchesTest {

  static FashionMnist test;
  static Preprocessor preprocessor = new Preprocessor(PreprocessingSpec.fashionMnist32());

  @BeforeAll
  static void load() throws Exception {
    test = FashionMnist.load(FashionMnist.Split.TEST);
  }

  @Test
  void batchesAreTheSharedPreprocessorsTensorsInShuffledOrder() {
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageBatches batches = new ImageBatches(new FashionMnistImages(test), preprocessor, 4, 7);
      NDArray batch = batches.next(manager);
      assertThat(batch.getShape()).isEqualTo(new Shape(4, 1, 32, 32));
      int[] order = dev.ibq.training.run.BatchOrder.permutation(test.size(), 7, 0);
      float[] expected = preprocessor.apply(test.image(order[1]));
      assertThat(Arrays.copyOfRange(batch.toFloatArray(), 1024, 2048)).containsExactly(expected);
      assertThat(batch.min().getFloat()).isGreaterThanOrEqualTo(-1f);
      assertThat(batch.max().getFloat()).isLessThanOrEqualTo(1f);
    }
  }

  @Test
  void permutationIsAFunctionOfSeedAndEpochAndSeekReplaysTheSameBatches() {
    int[] a = dev.ibq.training.run.BatchOrder.permutation(1000, 3, 5);
    assertThat(dev.ibq.training.run.BatchOrder.permutation(1000, 3, 5)).containsExactly(a);
    assertThat(dev.ibq.training.run.BatchOrder.permutation(1000, 3, 6)).isNotEqualTo(a);
    assertThat(Arrays.stream(a).sorted().toArray()).containsExactly(ImageBatches.range(0, 1000));
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageBatches first = new ImageBatches(new FashionMnistImages(test), preprocessor, 3000, 1);
      first.next(manager);
      first.next(manager);
      first.next(manager); // 9000 of 10000 used
      dev.ibq.training.run.BatchOrder.Position saved = first.position();
      float[] fourth = first.next(manager).toFloatArray(); // starts epoch 1: a batch never straddles epochs
      assertThat(first.position()).isEqualTo(new dev.ibq.training.run.BatchOrder.Position(1, 3000));
      ImageBatches replay = new ImageBatches(new FashionMnistImages(test), preprocessor, 3000, 1);
      replay.seek(saved);
      // (Arrays.equals: assertj's containsExactly is quadratic on 3 million floats)
      assertThat(Arrays.equals(replay.next(manager).toFloatArray(), fourth)).isTrue();
    }
  }
}
