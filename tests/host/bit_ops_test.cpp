// Tests of the bit tools (lowvolt/nn/bit_ops.h) on uint8, int8, int16 and int32 tensors,
// against element-wise reference computations on the two's complement bit patterns.
#include "lowvolt/nn/bit_ops.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <bitset>
#include <functional>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

const std::vector<torch::ScalarType> kCodeDtypes = {torch::kUInt8, torch::kInt8, torch::kInt16,
                                                    torch::kInt32};

/// Seeded tensor covering the whole bit range of `dtype`.
torch::Tensor random_codes(torch::ScalarType dtype, std::int64_t n, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int width = dtype_bits(dtype);
  // Draw the unsigned pattern in int64 and wrap it into the dtype's two's complement.
  const torch::Tensor pattern = at::randint(0, std::int64_t{1} << width, {n}, gen,
                                            torch::TensorOptions().dtype(torch::kInt64));
  if (!torch::isSignedType(dtype)) return pattern.to(dtype);
  return (pattern - pattern.bitwise_and(std::int64_t{1} << (width - 1)) * 2).to(dtype);
}

/// Bit pattern of element i as an unsigned 64-bit value (reference, element-wise).
std::uint64_t pattern_at(const torch::Tensor& t, std::int64_t i) {
  const int width = dtype_bits(t.scalar_type());
  const auto value = t.reshape({-1})[i].item<std::int64_t>();
  return static_cast<std::uint64_t>(value) & low_mask(width);
}

// cast_bits keeps bit patterns: uint8 0x80 is int8 -128 and comes back as 0x80 in int32.
TEST(BitOps, CastBitsKeepsPatterns) {
  const torch::Tensor u = torch::full({1}, 0x80, torch::TensorOptions().dtype(torch::kUInt8));
  const torch::Tensor s = cast_bits(u, torch::kInt8);
  EXPECT_EQ(s.item<std::int64_t>(), -128);
  EXPECT_EQ(cast_bits(s, torch::kInt32).item<std::int64_t>(), 0x80);
  EXPECT_EQ(mask_scalar(torch::kInt16, 0xFFFF).item<std::int64_t>(), -1);
  EXPECT_EQ(mask_scalar(torch::kUInt8, 0x1FF).item<std::int64_t>(), 0xFF);
}

// random_codes (the fixture) reaches both signs and the full range of each dtype.
TEST(BitOps, FixtureCoversTheDtypeRange) {
  for (auto dtype : kCodeDtypes) {
    const torch::Tensor t = random_codes(dtype, 4000, 1);
    EXPECT_EQ(t.scalar_type(), dtype);
    EXPECT_EQ(view_bits(t, dtype_bits(dtype)).any(0).all().item<bool>(), true) << dtype;
    if (torch::isSignedType(dtype)) {
      EXPECT_TRUE((t < 0).any().item<bool>()) << dtype;
    }
  }
}

// view_bits gives bit i of each element at index i; pack_bits inverts it for every dtype.
TEST(BitOps, ViewAndPackBitsRoundTrip) {
  for (auto dtype : kCodeDtypes) {
    const torch::Tensor t = random_codes(dtype, 300, 2).reshape({3, 100});
    const int width = dtype_bits(dtype);
    const torch::Tensor bits = view_bits(t, width);
    ASSERT_EQ(bits.sizes(), (std::vector<std::int64_t>{3, 100, width}));
    for (std::int64_t i = 0; i < 300; i += 37) {
      const std::uint64_t pattern = pattern_at(t, i);
      for (int b = 0; b < width; ++b) {
        EXPECT_EQ(bits.reshape({300, width})[i][b].item<bool>(), ((pattern >> b) & 1) != 0);
      }
    }
    EXPECT_TRUE(torch::equal(pack_bits(bits, dtype), t)) << dtype;
  }
  const torch::Tensor minus_one = torch::full({1}, -1, torch::TensorOptions().dtype(torch::kInt8));
  EXPECT_TRUE(view_bits(minus_one, 8).all().item<bool>());
  // Only the low bits asked for are returned.
  EXPECT_EQ(view_bits(minus_one, 3).size(-1), 3);
}

// flip/set/clear/set_clear agree with XOR/OR/AND-NOT on the bit patterns, for every dtype.
TEST(BitOps, MaskOperationsMatchBitPatterns) {
  for (auto dtype : kCodeDtypes) {
    const torch::Tensor t = random_codes(dtype, 200, 3);
    const torch::Tensor a = random_codes(dtype, 200, 4);
    const torch::Tensor b = random_codes(dtype, 200, 5).bitwise_and(a.bitwise_not());
    const torch::Tensor flipped = flip_bits(t, a);
    const torch::Tensor set = set_bits(t, a);
    const torch::Tensor cleared = clear_bits(t, a);
    const torch::Tensor stuck = set_clear_bits(t, b, a);
    for (std::int64_t i = 0; i < 200; ++i) {
      const auto x = pattern_at(t, i), ma = pattern_at(a, i), mb = pattern_at(b, i);
      ASSERT_EQ(pattern_at(flipped, i), x ^ ma) << dtype;
      ASSERT_EQ(pattern_at(set, i), x | ma) << dtype;
      ASSERT_EQ(pattern_at(cleared, i), x & ~ma & low_mask(dtype_bits(dtype))) << dtype;
      ASSERT_EQ(pattern_at(stuck, i), ((x & ~ma) | mb) & low_mask(dtype_bits(dtype))) << dtype;
    }
  }
}

// A pattern mask flips the same bits in every element: 0x80 flips the int8 sign bit (5 -> -123).
TEST(BitOps, PatternFlipAndKeepLowBits) {
  const torch::Tensor five = torch::full({2}, 5, torch::TensorOptions().dtype(torch::kInt8));
  EXPECT_TRUE((flip_bits(five, 0x80) == -123).all().item<bool>());
  for (auto dtype : kCodeDtypes) {
    const torch::Tensor t = random_codes(dtype, 100, 6);
    for (int bits : {1, 3, dtype_bits(dtype)}) {
      const torch::Tensor low = keep_low_bits(t, bits);
      for (std::int64_t i = 0; i < 100; ++i) {
        ASSERT_EQ(pattern_at(low, i), pattern_at(t, i) & low_mask(bits)) << dtype << " " << bits;
      }
    }
  }
}

// popcount and hamming_distance equal std::bitset counts over the requested low bits.
TEST(BitOps, PopcountAndHammingDistance) {
  for (auto dtype : kCodeDtypes) {
    const torch::Tensor a = random_codes(dtype, 500, 7);
    const torch::Tensor b = random_codes(dtype, 500, 8);
    const int width = dtype_bits(dtype);
    for (int bits : {2, 5, width}) {
      const torch::Tensor counts = popcount(a, bits);
      std::int64_t expected_distance = 0;
      for (std::int64_t i = 0; i < 500; ++i) {
        const auto mask = low_mask(bits);
        ASSERT_EQ(counts[i].item<std::int64_t>(),
                  static_cast<std::int64_t>(std::bitset<64>(pattern_at(a, i) & mask).count()));
        expected_distance += static_cast<std::int64_t>(
            std::bitset<64>((pattern_at(a, i) ^ pattern_at(b, i)) & mask).count());
      }
      EXPECT_EQ(hamming_distance(a, b, bits), expected_distance) << dtype << " " << bits;
    }
    EXPECT_EQ(hamming_distance(a, a), 0);
    EXPECT_EQ(hamming_distance(a, a.bitwise_not()), 500 * width);
  }
}

// --- error paths ---------------------------------------------------------------------------

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Float and int64 tensors are not code dtypes; the message names the dtype.
TEST(BitOpsErrors, NonCodeDtypes) {
  const std::string msg = error_of([] { view_bits(torch::zeros({2}), 4); });
  EXPECT_NE(msg.find("Float"), std::string::npos) << msg;
  EXPECT_THROW(popcount(torch::zeros({2}, torch::kInt64)), Error);
  EXPECT_THROW(pack_bits(torch::zeros({2, 3}, torch::kBool), torch::kFloat32), Error);
}

// bits outside 1..width and masks of another dtype are rejected naming the value.
TEST(BitOpsErrors, BadBitsAndMasks) {
  const torch::Tensor u8 = torch::zeros({4}, torch::kUInt8);
  EXPECT_NE(error_of([&] { view_bits(u8, 9); }).find("bits=9"), std::string::npos);
  EXPECT_NE(error_of([&] { keep_low_bits(u8, 0); }).find("bits=0"), std::string::npos);
  EXPECT_THROW(flip_bits(u8, torch::zeros({4}, torch::kInt8)), Error);
  EXPECT_THROW(hamming_distance(u8, torch::zeros({4}, torch::kInt16)), Error);
  EXPECT_THROW(pack_bits(torch::zeros({2, 9}, torch::kBool), torch::kUInt8), Error);
}

}  // namespace
}  // namespace lowvolt::host
