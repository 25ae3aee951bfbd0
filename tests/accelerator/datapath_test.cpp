// Datapath helpers (datapath.h) against plain references, for every width they accept.
#include "lowvolt/accelerator/datapath.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace lowvolt::accelerator {
namespace {

// Every code of every width decodes to the value of its bits read as unsigned or two's complement.
TEST(Datapath, CodeValueEveryWidthEveryCode) {
  for (std::uint32_t m = 1; m <= 8; ++m) {
    for (std::uint32_t code = 0; code < 256; ++code) {
      const std::int64_t low = code % (std::int64_t{1} << m);
      const std::int64_t sgn = low >= (std::int64_t{1} << (m - 1)) ? low - (std::int64_t{1} << m)
                                                                    : low;
      EXPECT_EQ(code_value(code, m, false), low) << "m=" << m << " code=" << code;
      EXPECT_EQ(code_value(code, m, true), sgn) << "m=" << m << " code=" << code;
    }
  }
}

// Every byte reads as its uint8 or int8 value.
TEST(Datapath, ByteValueEveryByte) {
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(byte_value(static_cast<std::uint8_t>(b), false), b);
    EXPECT_EQ(byte_value(static_cast<std::uint8_t>(b), true),
              static_cast<std::int8_t>(static_cast<std::uint8_t>(b)));
  }
}

// stream_bits equals assembling the field bit by bit, for every width 1..64 and every offset.
TEST(Datapath, StreamBitsMatchesBitByBit) {
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> words(4);
  for (auto& w : words) w = rng();
  for (std::uint32_t m = 1; m <= 64; ++m) {
    for (std::uint64_t pos = 0; pos + m <= 192; ++pos) {
      std::uint64_t expect = 0;
      for (std::uint32_t b = 0; b < m; ++b) {
        const std::uint64_t bit = (words[(pos + b) / 64] >> ((pos + b) % 64)) & 1u;
        expect |= bit << b;
      }
      ASSERT_EQ(stream_bits(words.data(), pos, m), expect) << "m=" << m << " pos=" << pos;
    }
  }
}

// dot_wrap equals the int64 dot product reduced modulo 2^32, also past int32 overflow.
TEST(Datapath, DotWrapMatchesInt64ModuloTwoPow32) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> v(-255, 255);
  for (std::size_t n : {0u, 1u, 7u, 64u, 1000u, 40000u, 65535u}) {
    std::vector<std::int16_t> a(n), b(n);
    std::int64_t ref = 0;
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<std::int16_t>(v(rng));
      b[i] = static_cast<std::int16_t>(v(rng));
      ref += std::int64_t{a[i]} * b[i];
    }
    EXPECT_EQ(dot_wrap(a.data(), b.data(), n), static_cast<std::uint32_t>(ref)) << "n=" << n;
  }
  // all-extreme operands overflow int32: 65535 × 255² = 4.26e9
  std::vector<std::int16_t> a(65535, -255), b(65535, -255);
  EXPECT_EQ(dot_wrap(a.data(), b.data(), a.size()),
            static_cast<std::uint32_t>(std::int64_t{65535} * 65025));
}

// as_int32 inverts the two's complement encoding at the edges and in between.
TEST(Datapath, AsInt32TwosComplement) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{2147483647},
                         std::int64_t{-2147483648LL}, std::int64_t{-12345}, std::int64_t{99999}}) {
    EXPECT_EQ(as_int32(static_cast<std::uint32_t>(v)), v);
  }
}

}  // namespace
}  // namespace lowvolt::accelerator
