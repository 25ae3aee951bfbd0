#pragma once
// Bit-exact helpers of the accelerator's integer datapath (rtl/pe_array.sv, rtl/controller.sv),
// shared by the golden model and the tiler. Contract: unsigned or fixed-width types only, no
// signed overflow anywhere; every accumulation wraps modulo 2^32 like the RTL's int32
// accumulators. Each helper is tested for every width it accepts (tests/accelerator).
#include <cstddef>
#include <cstdint>

namespace lowvolt::accelerator {

/// The low `m` bits of `code` (1 ≤ m ≤ 8) as a value: m-bit two's complement when `is_signed`,
/// else unsigned; in [-128, 255].
constexpr std::int32_t code_value(std::uint32_t code, std::uint32_t m, bool is_signed) {
  const std::uint32_t mask = (1u << m) - 1u;
  const std::uint32_t u = code & mask;
  if (is_signed && ((u >> (m - 1)) & 1u) != 0) {
    return static_cast<std::int32_t>(u) - static_cast<std::int32_t>(1u << m);
  }
  return static_cast<std::int32_t>(u);
}

/// An 8-bit zero point or activation byte as a value: int8 when `is_signed`, else uint8.
constexpr std::int32_t byte_value(std::uint8_t b, bool is_signed) {
  return is_signed && b >= 128 ? static_cast<std::int32_t>(b) - 256 : static_cast<std::int32_t>(b);
}

/// `m` bits (1 ≤ m ≤ 64) of a little-endian bit stream held in 64-bit words, starting at bit
/// `pos` (bit i of the stream is bit i % 64 of words[i / 64]); the caller guarantees the words
/// exist.
inline std::uint64_t stream_bits(const std::uint64_t* words, std::uint64_t pos, std::uint32_t m) {
  const std::uint64_t i = pos >> 6;
  const std::uint32_t sh = static_cast<std::uint32_t>(pos & 63u);
  std::uint64_t v = words[i] >> sh;
  if (sh + m > 64) v |= words[i + 1] << (64u - sh);
  return m == 64 ? v : v & ((std::uint64_t{1} << m) - 1u);
}

/// Σ a[i]·b[i] over n int16 pairs, modulo 2^32 (two's complement bits of the int32 result).
/// Requires |a[i]|, |b[i]| ≤ 255 (the datapath's operand range); sums in int32 chunks that
/// cannot overflow, so the compiler may vectorise the inner loop (pmaddwd).
inline std::uint32_t dot_wrap(const std::int16_t* a, const std::int16_t* b, std::size_t n) {
  constexpr std::size_t kChunk = 32768;  // 32768 × 255² < 2^31
  std::uint32_t total = 0;
  for (std::size_t s = 0; s < n; s += kChunk) {
    const std::size_t e = n - s < kChunk ? n : s + kChunk;
    std::int32_t sum = 0;
    for (std::size_t i = s; i < e; ++i) {
      sum += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(b[i]);
    }
    total += static_cast<std::uint32_t>(sum);
  }
  return total;
}

/// The int32 whose two's complement bits are `u` (no implementation-defined conversion).
constexpr std::int32_t as_int32(std::uint32_t u) {
  return u < 0x80000000u ? static_cast<std::int32_t>(u)
                         : -static_cast<std::int32_t>(~u) - 1;
}

}  // namespace lowvolt::accelerator
