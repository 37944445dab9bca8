package dev.ibq.stream.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CodebookUsageTest {
  @Test
  void uniformUseOfAllCodesGivesFullUtilizationAndPerplexityK() {
    CodebookUsage u = new CodebookUsage(4, 100);
    u.add(new int[] {0, 1, 2, 3, 0, 1, 2, 3});
    assertThat(u.utilization()).isEqualTo(1.0);
    assertThat(u.perplexity()).isCloseTo(4.0, within(1e-12));
  }

  @Test
  void aCollapsedCodebookHasPerplexityOne() {
    CodebookUsage u = new CodebookUsage(8, 100);
    u.add(new int[] {5, 5, 5});
    assertThat(u.utilization()).isEqualTo(1 / 8.0);
    assertThat(u.perplexity()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void onlyTheMostRecentWindowCounts() {
    CodebookUsage u = new CodebookUsage(8, 3);
    u.add(new int[] {0, 1, 2}); // window {0,1,2}
    u.add(7); // evicts 0 -> {1,2,7}
    u.add(7); // evicts 1 -> {2,7,7}
    assertThat(u.tokens()).isEqualTo(3);
    assertThat(u.usedCodes()).isEqualTo(2);
    double h = -(1 / 3.0) * Math.log(1 / 3.0) - (2 / 3.0) * Math.log(2 / 3.0);
    assertThat(u.perplexity()).isCloseTo(Math.exp(h), within(1e-12));
  }

  @Test
  void unboundedCountsEverything() {
    CodebookUsage u = CodebookUsage.unbounded(4);
    for (int i = 0; i < 1000; i++) {
      u.add(i % 2);
    }
    assertThat(u.tokens()).isEqualTo(1000);
    assertThat(u.utilization()).isEqualTo(0.5);
  }

  @Test
  void tokensOutsideTheCodebookAreRefused() {
    assertThatThrownBy(() -> new CodebookUsage(4, 10).add(4)).hasMessageContaining("outside the codebook");
  }
}
