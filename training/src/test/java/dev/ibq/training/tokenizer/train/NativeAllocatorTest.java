package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class NativeAllocatorTest {

  @Test
  @EnabledOnOs(OS.LINUX)
  void findsTheLibrariesMappedIntoThisProcess() {
    assertThat(NativeAllocator.mapped("libjvm")).isTrue();
    assertThat(NativeAllocator.mapped("libno-such-allocator")).isFalse();
  }

  @Test
  void namesTheAllocatorInUse() {
    String expected = NativeAllocator.mapped("libjemalloc") ? "jemalloc" : "glibc malloc";
    assertThat(NativeAllocator.describe()).startsWith(expected);
  }
}
