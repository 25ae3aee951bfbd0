// Proves common/crc32.h is the standard CRC-32 (IEEE, as zlib.crc32): its check value and the
// empty input.
#include "lowvolt/common/crc32.h"

#include <gtest/gtest.h>

#include <string>

TEST(Crc32, StandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(lowvolt::crc32(check.data(), check.size()), 0xcbf43926u);
  EXPECT_EQ(lowvolt::crc32("", 0), 0u);
}
