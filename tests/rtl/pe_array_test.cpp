// The PE array and the run command (rtl/pe_array.sv, rtl/controller.sv) are bit-exact against a
// plain C++ integer reference of docs/rtl.md: y[i][j] = sum_k (x[i][k] - zx) * (w[k][j] - zw)
// mod 2^32, with the weight codes taken from the memory image exactly as documented (code
// n = k x cols + j at bits w_bit_addr + n x m ..., words read once each in ascending order).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/rtl/accel_driver.h"
#include "sram_reference.h"

namespace {

using lowvolt::rtl::AccelDriver;
using namespace lowvolt::rtl_test;

constexpr std::uint64_t kBufferBits = std::uint64_t{hw::kBufferWords} * hw::kWordBits;

struct Tile {
  lowvolt::accelerator::TileConfig cfg;
  std::uint32_t bit_addr = 0;
  std::vector<std::uint64_t> act;  // one word per step
};

/// Value of an 8-bit field as int8 or uint8.
std::int64_t ext8(std::uint64_t v, bool is_signed) {
  v &= 0xff;
  return is_signed && v >= 128 ? std::int64_t(v) - 256 : std::int64_t(v);
}

/// The reference: reads the tile's weight words from `mem` (ascending, once each, as the RTL
/// does), cuts the m-bit codes and accumulates modulo 2^32.
std::vector<std::int32_t> reference(const Tile& t, RefMemory& mem) {
  const std::uint64_t rows = t.cfg.rows, cols = t.cfg.cols, m = t.cfg.wbits;
  const std::uint64_t k = t.act.size();
  const std::uint64_t bits = k * cols * m;
  std::vector<std::uint64_t> words;  // the words that hold bits bit_addr .. bit_addr + bits - 1
  if (bits > 0) {
    const std::uint64_t first = t.bit_addr / 64, last = (t.bit_addr + bits - 1) / 64;
    for (std::uint64_t w = first; w <= last; ++w) {
      words.push_back(mem.read(static_cast<std::uint32_t>(w % hw::kBufferWords)));
    }
  }
  auto bit = [&](std::uint64_t b) {  // b-th bit of the tile's weight stream
    const std::uint64_t pos = t.bit_addr % 64 + b;
    return (words[pos / 64] >> (pos % 64)) & 1;
  };
  std::vector<std::uint32_t> acc(rows * cols, 0);
  for (std::uint64_t s = 0; s < k; ++s) {
    for (std::uint64_t j = 0; j < cols; ++j) {
      std::uint64_t code = 0;
      for (std::uint64_t b = 0; b < m; ++b) code |= bit((s * cols + j) * m + b) << b;
      std::int64_t w = std::int64_t(code);
      if (t.cfg.w_signed && (code >> (m - 1)) & 1) w -= std::int64_t{1} << m;
      const std::int64_t wd = w - ext8(t.cfg.w_zero, t.cfg.w_signed);
      for (std::uint64_t i = 0; i < rows; ++i) {
        const std::int64_t xd =
            ext8(t.act[s] >> (8 * i), t.cfg.act_signed) - ext8(t.cfg.act_zero, t.cfg.act_signed);
        acc[i * cols + j] += static_cast<std::uint32_t>(xd * wd);  // wraps mod 2^32
      }
    }
  }
  return std::vector<std::int32_t>(acc.begin(), acc.end());
}

Tile random_tile(std::mt19937_64& rng, std::uint32_t max_k) {
  Tile t;
  t.cfg.rows = 1 + rng() % hw::kPeRows;
  t.cfg.cols = 1 + rng() % hw::kPeCols;
  t.cfg.wbits = 1 + rng() % hw::kMaxWbits;
  t.cfg.act_zero = rng() % 256;
  t.cfg.w_zero = rng() % 256;
  t.cfg.act_signed = rng() % 2;
  t.cfg.w_signed = rng() % 2;
  t.bit_addr = static_cast<std::uint32_t>(rng() % kBufferBits);
  t.act.resize(rng() % (max_k + 1));
  for (auto& a : t.act) a = rng();
  return t;
}

/// Runs `tiles` random tiles on `accel` and on the reference; compares results and counters.
void run_random_tiles(AccelDriver& accel, RefMemory& ref, std::mt19937_64& rng, int tiles,
                      bool check_timing = true) {
  std::uint64_t macs = accel.counters().macs;
  for (int n = 0; n < tiles; ++n) {
    // mostly short tiles, some long ones (several hundred steps)
    const Tile t = random_tile(rng, n % 10 == 0 ? 600 : 40);
    accel.tile_cfg(t.cfg);
    const auto got = accel.run(t.bit_addr, t.act);
    const auto expected = reference(t, ref);
    ASSERT_EQ(got, expected) << "tile " << n << ": rows " << t.cfg.rows << " cols " << t.cfg.cols
                             << " m " << t.cfg.wbits << " k " << t.act.size() << " bit "
                             << t.bit_addr << " zx " << t.cfg.act_zero << " zw " << t.cfg.w_zero
                             << " signed " << t.cfg.act_signed << t.cfg.w_signed;
    macs += t.cfg.rows * t.cfg.cols * t.act.size();
    // docs/rtl.md: busy cycles of run = 2 + k + M ceil(N/2) (+1 if the first word is short)
    const std::uint64_t results = t.cfg.rows * ((t.cfg.cols + 1) / 2);
    const bool short_first = 64 - t.bit_addr % 64 < t.cfg.cols * t.cfg.wbits;
    const std::uint64_t busy =
        t.act.empty() ? 1 + results : 2 + t.act.size() + results + (short_first ? 1 : 0);
    if (check_timing) {
      ASSERT_EQ(accel.last_command_cycles(), busy) << "tile " << n;
    }
  }
  const auto c = accel.counters();
  EXPECT_EQ(c.bank_reads, ref.reads());
  EXPECT_EQ(c.bank_writes, ref.writes());
  EXPECT_EQ(c.macs, macs);
}

/// Fills the whole buffer with random words on both sides.
void random_image(AccelDriver& accel, RefMemory& ref, std::mt19937_64& rng) {
  std::vector<std::uint64_t> image(hw::kBufferWords);
  for (std::uint32_t w = 0; w < hw::kBufferWords; ++w) {
    image[w] = rng();
    ref.write(w, image[w]);
  }
  accel.write(0, image);
}

// 1200 random tiles (shapes, m, zero points, signedness, K, any bit alignment, wrapping at the
// end of the buffer) are bit-exact, and bank reads / MACs equal the reference's counts.
TEST(PeArray, RandomTilesMatchIntegerReference) {
  std::mt19937_64 rng(2024);
  AccelDriver accel;
  RefMemory ref;
  random_image(accel, ref, rng);
  run_random_tiles(accel, ref, rng, 1200);
}

// Tiles whose weights sit in faulty SRAM (persistent and intermittent cells, low supply) are
// bit-exact against the reference reading the same words through the memory model.
TEST(PeArray, RandomTilesThroughFaultySram) {
  std::mt19937_64 rng(7);
  auto banks = clean_profile();
  std::uniform_int_distribution<int> vc(3000, 4200);
  for (std::size_t i = 0; i < banks.vc().size(); ++i) {
    if (rng() % 50 == 0) {
      banks.vc()[i] = static_cast<std::uint16_t>(vc(rng));
      banks.kind()[i] = static_cast<std::uint8_t>(rng() % 3);
    }
  }
  banks.set_sigma_code(120);
  banks.set_seed(5);
  AccelDriver accel;
  RefMemory ref;
  accel.load_profile(banks);
  ref.load_profile(banks);
  random_image(accel, ref, rng);
  accel.set_vdd(3600);
  ref.set_vdd(3600);
  run_random_tiles(accel, ref, rng, 300);
}

// With the host withholding activations and result readiness at random (back-pressure on both
// streams), a write, 300 random tiles, a long read and an MBIST run give the reference's values.
TEST(PeArray, RandomTilesUnderBackPressure) {
  std::mt19937_64 rng(99);
  AccelDriver accel;
  RefMemory ref;
  random_image(accel, ref, rng);
  accel.set_stalls(0.4, 0.4, 5);
  std::vector<std::uint64_t> patch(500);
  for (std::uint32_t i = 0; i < 500; ++i) ref.write(4000 + i, patch[i] = rng());
  accel.write(4000, patch);
  run_random_tiles(accel, ref, rng, 300, false);
  const auto words = accel.read(100, 3000);
  for (std::uint32_t i = 0; i < 3000; ++i) ASSERT_EQ(words[i], ref.read(100 + i)) << i;
  EXPECT_TRUE(accel.mbist().empty());
  EXPECT_EQ(accel.read(0, 1).at(0), 0u);  // MBIST leaves zeros
}

// The longest tile at the extreme operands wraps the int32 accumulators modulo 2^32 exactly.
TEST(PeArray, AccumulatorWrapsModulo2To32) {
  AccelDriver accel;
  RefMemory ref;
  std::vector<std::uint64_t> ones(hw::kBufferWords, ~0ull);  // every code 255
  accel.write(0, ones);
  for (std::uint32_t w = 0; w < hw::kBufferWords; ++w) ref.write(w, ~0ull);
  Tile t;
  t.cfg = lowvolt::accelerator::TileConfig{hw::kPeRows, hw::kPeCols, 8, 127, 0, true, false};  // x - zx = -128 - 127
  t.act.assign(65535, 0x8080808080808080ull);                         // every x = -128
  accel.tile_cfg(t.cfg);
  const auto got = accel.run(0, t.act);
  const auto expected = reference(t, ref);
  EXPECT_EQ(got, expected);
  // -255 x 255 x 65535 = -4 261 452 875 wraps to 33 514 421
  EXPECT_EQ(got[0], static_cast<std::int32_t>(
                        static_cast<std::uint32_t>(std::int64_t{-255} * 255 * 65535)));
}

// A run with K = 0 reads no weight word and returns zeros.
TEST(PeArray, EmptyTileReadsNothing) {
  AccelDriver accel;
  accel.tile_cfg(lowvolt::accelerator::TileConfig{3, 5, 4, 0, 0, true, false});
  const auto got = accel.run(12345, {});
  EXPECT_EQ(got, std::vector<std::int32_t>(15, 0));
  for (auto r : accel.counters().bank_reads) EXPECT_EQ(r, 0u);
}

// A tile shape the RTL would reject is refused by the driver before it is sent.
TEST(PeArrayErrors, InvalidTileConfigIsRefused) {
  AccelDriver accel;
  EXPECT_THROW(accel.tile_cfg(lowvolt::accelerator::TileConfig{0, 8, 8, 0, 0, false, false}), lowvolt::Error);
  EXPECT_THROW(accel.tile_cfg(lowvolt::accelerator::TileConfig{8, 9, 8, 0, 0, false, false}), lowvolt::Error);
  EXPECT_THROW(accel.tile_cfg(lowvolt::accelerator::TileConfig{8, 8, 9, 0, 0, false, false}), lowvolt::Error);
}

}  // namespace
