package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CodeUsageTest {

  @Test
  void utilizationAndPerplexityOfAHandMadeHistogram() {
    CodeUsage usage = new CodeUsage(8);
    // counts: code 0 x2, code 1 x1, code 3 x1 -> 3 of 8 codes used; p = (1/2, 1/4, 1/4)
    usage.add(new long[] {0, 0, 1, 3});
    assertThat(usage.usedCodes()).isEqualTo(3);
    assertThat(usage.utilization()).isEqualTo(3.0 / 8);
    // H = 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2; perplexity = 2^1.5
    assertThat(usage.perplexity()).isCloseTo(Math.pow(2, 1.5), within(1e-12));
  }

  @Test
  void uniformUsageHasPerplexityKAndOneCodeHasOne() {
    CodeUsage uniform = new CodeUsage(4);
    uniform.add(new long[] {0, 1, 2, 3, 3, 2, 1, 0});
    assertThat(uniform.utilization()).isEqualTo(1.0);
    assertThat(uniform.perplexity()).isCloseTo(4.0, within(1e-12));

    CodeUsage collapsed = new CodeUsage(4);
    collapsed.add(new long[] {2, 2, 2});
    assertThat(collapsed.utilization()).isEqualTo(0.25);
    assertThat(collapsed.perplexity()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void outOfRangeIndexIsRefused() {
    assertThatThrownBy(() -> new CodeUsage(4).add(4)).hasMessageContaining("outside the codebook [0, 4)");
  }
}
