// Proves tune_allocator() (common/tuning.h) changes what glibc does with a batch-sized buffer:
// it comes from the heap, not from its own mmap, and freeing it keeps the memory in the process
// (no trim), so the next batch's buffer reuses those pages instead of faulting in fresh ones.
#include "lowvolt/common/tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

TEST(Allocator, BatchBuffersStayOnTheHeap) {
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer malloc is ASan's allocator: glibc's mallopt settings, which this test
  // checks, do not apply (docs/reliability.md, "Sanitizers").
  GTEST_SKIP() << "malloc is AddressSanitizer's allocator, not glibc's";
#endif
  ASSERT_TRUE(lowvolt::tune_allocator());
  const std::size_t bytes = 8u << 20;  // above glibc's default mmap threshold (128 KiB … 32 MiB)
  const struct mallinfo2 before = mallinfo2();
  void* buffer = std::malloc(bytes);
  ASSERT_NE(buffer, nullptr);
  std::memset(buffer, 1, bytes);
  const struct mallinfo2 held = mallinfo2();
  EXPECT_EQ(held.hblkhd, before.hblkhd) << "the buffer was mmapped on its own";
  EXPECT_GE(held.arena, before.arena + bytes) << "the buffer is not on the heap";
  std::free(buffer);
  const struct mallinfo2 freed = mallinfo2();
  EXPECT_GE(freed.arena, before.arena + bytes) << "the heap was trimmed back to the kernel";
  EXPECT_GE(freed.fordblks, bytes) << "the freed buffer is not free for reuse";
}
