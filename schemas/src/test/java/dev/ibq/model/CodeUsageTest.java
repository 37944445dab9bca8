package dev.ibq.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CodeUsageTest {

  @Test
  void utilizationAndPerplexityOfAHandMadeHistogram() {
    CodeUsage usage = CodeUsage.unbounded(8);
    // counts: code 0 x2, code 1 x1, code 3 x1 -> 3 of 8 codes used; p = (1/2, 1/4, 1/4)
    usage.add(new long[] {0, 0, 1, 3});
    assertThat(usage.usedCodes()).isEqualTo(3);
    assertThat(usage.count(0)).isEqualTo(2);
    assertThat(usage.total()).isEqualTo(4);
    assertThat(usage.utilization()).isEqualTo(3.0 / 8);
    // H = 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2; perplexity = 2^1.5
    assertThat(usage.perplexity()).isCloseTo(Math.pow(2, 1.5), within(1e-12));
    assertThat(usage.entropy()).isCloseTo(1.5 * Math.log(2), within(1e-12));
  }

  @Test
  void uniformUsageHasPerplexityKAndOneCodeHasOne() {
    CodeUsage uniform = CodeUsage.unbounded(4);
    uniform.add(new int[] {0, 1, 2, 3, 3, 2, 1, 0});
    assertThat(uniform.utilization()).isEqualTo(1.0);
    assertThat(uniform.perplexity()).isCloseTo(4.0, within(1e-12));

    CodeUsage collapsed = CodeUsage.lastTokens(8, 100);
    collapsed.add(new int[] {5, 5, 5});
    assertThat(collapsed.utilization()).isEqualTo(1 / 8.0);
    assertThat(collapsed.perplexity()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void nothingCountedGivesZeros() {
    CodeUsage usage = CodeUsage.unbounded(4);
    assertThat(usage.utilization()).isZero();
    assertThat(usage.perplexity()).isZero();
  }

  @Test
  void onlyTheMostRecentTokensCount() {
    CodeUsage u = CodeUsage.lastTokens(8, 3);
    u.add(new int[] {0, 1, 2}); // window {0,1,2}
    u.add(7); // evicts 0 -> {1,2,7}
    u.add(7); // evicts 1 -> {2,7,7}
    assertThat(u.total()).isEqualTo(3);
    assertThat(u.usedCodes()).isEqualTo(2);
    assertThat(u.count(0)).isZero();
    double h = -(1 / 3.0) * Math.log(1 / 3.0) - (2 / 3.0) * Math.log(2 / 3.0);
    assertThat(u.perplexity()).isCloseTo(Math.exp(h), within(1e-12));
  }

  @Test
  void onlyTheMostRecentStepsCount() {
    CodeUsage u = CodeUsage.lastSteps(8, 2);
    u.addStep(new int[] {0, 1, 1});
    u.addStep(new int[] {2});
    assertThat(u.usedCodes()).isEqualTo(3);
    u.addStep(new int[] {2, 3}); // the first step {0,1,1} leaves: {2} + {2,3}
    assertThat(u.usedCodes()).isEqualTo(2);
    assertThat(u.total()).isEqualTo(3);
    assertThat(u.utilization()).isEqualTo(2 / 8.0);
    assertThat(u.count(2)).isEqualTo(2);
    assertThatThrownBy(() -> u.add(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("addStep");
    assertThat(u.recentSteps()).containsExactly(new int[] {2}, new int[] {2, 3});
    assertThatThrownBy(() -> CodeUsage.unbounded(8).recentSteps()).hasMessageContaining("not windowed by steps");
  }

  @Test
  void unboundedCountsEverythingAndAddsHistograms() {
    CodeUsage u = CodeUsage.unbounded(4);
    for (int i = 0; i < 1000; i++) {
      u.add(i % 2);
    }
    assertThat(u.total()).isEqualTo(1000);
    assertThat(u.utilization()).isEqualTo(0.5);

    CodeUsage other = CodeUsage.unbounded(4);
    other.add(new int[] {1, 3});
    u.addAll(other);
    assertThat(u.usedCodes()).isEqualTo(3);
    assertThat(u.total()).isEqualTo(1002);
    assertThat(u.count(1)).isEqualTo(501);
    u.clear();
    assertThat(u.total()).isZero();
    assertThat(u.usedCodes()).isZero();
  }

  @Test
  void indicesOutsideTheCodebookAndBadSizesAreRefused() {
    assertThatThrownBy(() -> CodeUsage.unbounded(4).add(4)).hasMessageContaining("outside the codebook [0, 4)");
    assertThatThrownBy(() -> CodeUsage.lastTokens(4, 10).add(new long[] {-1})).hasMessageContaining("outside the codebook");
    assertThatThrownBy(() -> CodeUsage.lastSteps(4, 2).addStep(new int[] {0, 9})).hasMessageContaining("Code index 9");
    assertThatThrownBy(() -> CodeUsage.unbounded(0)).hasMessageContaining("positive K");
    assertThatThrownBy(() -> CodeUsage.lastTokens(4, 0)).hasMessageContaining("window is 0 tokens");
    assertThatThrownBy(() -> CodeUsage.unbounded(4).addAll(CodeUsage.unbounded(5))).hasMessageContaining("5 codes");
  }

  @Test
  void aHistogramCountsLikeItsIndices() {
    CodeUsage one = CodeUsage.unbounded(4);
    one.add(new int[] {0, 0, 2, 3, 3, 3});
    CodeUsage histogram = CodeUsage.unbounded(4);
    histogram.addCounts(new long[] {2, 0, 1, 3});
    assertThat(histogram.total()).isEqualTo(one.total());
    assertThat(histogram.usedCodes()).isEqualTo(3);
    assertThat(histogram.perplexity()).isEqualTo(one.perplexity());
    assertThatThrownBy(() -> histogram.addCounts(new long[] {1, 2})).hasMessageContaining("has 2 codes");
    assertThatThrownBy(() -> CodeUsage.lastTokens(4, 2).addCounts(new long[4])).hasMessageContaining("windowed");
  }
}
