#include "lowvolt/common/tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lowvolt {

bool tuning_enabled() {
  const char* choice = std::getenv("LOWVOLT_TUNING");
  return choice == nullptr || std::strcmp(choice, "off") != 0;
}

bool tune_allocator() {
  if (!tuning_enabled()) return false;
#if defined(__GLIBC__)
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace lowvolt
