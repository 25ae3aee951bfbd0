#include "lowvolt/common/allocator.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lowvolt {

bool tune_allocator() {
  const char* choice = std::getenv("LOWVOLT_ALLOCATOR");
  if (choice != nullptr && std::strcmp(choice, "glibc") == 0) return false;
#if defined(__GLIBC__)
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace lowvolt
