// Proves the linear weight-to-memory mapping: code bits land on the documented cells (with
// offset and wrap-around) and code_faults equals reading every code bit through FaultMasks.
#include <gtest/gtest.h>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/mapping.h"

namespace lp = lowvolt::profiles;

namespace {

// Bit j of code i sits at stream bit offset + i·m + j, modulo the cell count.
TEST(Mapping, CellOfCodeBits) {
  const lp::LinearMapping m{8, 100};
  EXPECT_EQ(m.cell(0, 0, 1000), 100u);
  EXPECT_EQ(m.cell(2, 3, 1000), 100u + 16 + 3);
  EXPECT_EQ(m.cell(112, 4, 1000), (100u + 896 + 4) % 1000);
  const lp::LinearMapping m3{3, 0};
  EXPECT_EQ(m3.cell(21, 1, 64), (63u + 1) % 64);
}

// For every m and a few offsets (word-straddling, wrapping), each code's read equals the write
// and read of its bits one by one through the word masks, with σ_n > 0: static snapshots at two
// read counts and a write at one read count read at another (stuck values caught at the write
// stay). Fails if code_faults ignores the write or reads at the write's count.
TEST(Mapping, CodeFaultsEqualBitwiseRead) {
  const lp::Geometry g{2, 16, 128};
  const auto map = lp::generate_chip(lp::preset("chip2"), g, 21);
  const auto masks = map.faults_at(lp::vdd_code(0.79));
  for (std::uint32_t m = 1; m <= 8; ++m) {
    for (const std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{61}, g.cells() - 5}) {
      const std::uint64_t n = g.cells() / m + 7;  // wraps around
      for (const lp::ReadHistory h : {lp::ReadHistory::snapshot(0), lp::ReadHistory::snapshot(3),
                                      lp::ReadHistory{2, 5}}) {
        const lp::LinearMapping mapping{m, offset};
        const auto faults = lp::code_faults(masks, mapping, n, h);
        ASSERT_EQ(faults.size(), n);
        lp::SplitMix64 rng(m);
        for (std::uint64_t i = 0; i < n; ++i) {
          const auto code = static_cast<std::uint8_t>(rng.next() & ((1u << m) - 1));
          std::uint8_t expected = 0;
          for (std::uint32_t j = 0; j < m; ++j) {
            const std::uint64_t cell = mapping.cell(i, j, g.cells());
            const std::uint64_t row = cell / g.cols, col = cell % g.cols;
            const std::uint64_t word = row * g.words_per_row() + col / 64;
            const std::uint64_t stored = std::uint64_t{(code >> j) & 1u} << (col % 64);
            const std::uint64_t read =
                masks.read(word, h.is_snapshot() ? stored : masks.write(word, stored, h.write_r),
                           h.read_r);
            expected |= static_cast<std::uint8_t>(((read >> (col % 64)) & 1) << j);
          }
          ASSERT_EQ(faults.apply(i, code) & ((1u << m) - 1), expected) << m << " " << offset << " " << i;
        }
      }
    }
  }
}

// apply_code_faults changes only codes with faulty bits and counts them.
TEST(Mapping, ApplyCountsChangedCodes) {
  lp::CodeFaults f;
  f.flip = {0, 1, 0};
  f.stuck = {0, 0, 2};
  f.stuck1 = {0, 0, 2};
  std::vector<std::uint8_t> codes = {5, 5, 2};
  EXPECT_EQ(lp::apply_code_faults(f, codes), 1u);
  EXPECT_EQ(codes, (std::vector<std::uint8_t>{5, 4, 2}));
}

// Codes wider than 8 bits are rejected.
TEST(MappingErrors, RejectsBadWidth) {
  const auto map = lp::generate_chip(lp::preset("uniform"), {1, 4, 64}, 1);
  const auto masks = map.faults_at(4096);
  EXPECT_THROW(lp::code_faults(masks, {9, 0}, 10), lowvolt::Error);
  EXPECT_THROW(lp::code_faults(masks, {0, 0}, 10), lowvolt::Error);
}

}  // namespace
