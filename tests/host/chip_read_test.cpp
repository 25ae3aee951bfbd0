// Proves host/chip_read.h: codes read through a chip equal a per-bit reference built from the
// memory model's primitives (read_model.h) for the linear layout (persistent and intermittent
// cells, every read count), and the accelerator's tile order for the layered layout; mapping
// offsets are sweep_curve()'s; bad input is a lowvolt::Error that leaves the output untouched.
#include "lowvolt/chip/chip_read.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"

namespace {

namespace lh = lowvolt::host;
namespace lp = lowvolt::profiles;

const lp::Geometry kBuffer{16, 512, 64};

std::vector<std::uint8_t> random_codes(std::size_t n, std::uint32_t bits, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> codes(n);
  for (auto& c : codes) c = static_cast<std::uint8_t>(rng() & ((1u << bits) - 1));
  return codes;
}

/// The read of one stored bit in cell `cell` on read r, straight from the memory model.
int read_bit(const lp::CellMap& map, std::uint16_t vdd, std::uint64_t cell, int stored,
             std::uint32_t r) {
  if (!lp::cell_faulty(map.vc()[cell], vdd, map.sigma_code(), map.seed(), cell, r)) return stored;
  switch (static_cast<lp::FailureKind>(map.kind()[cell])) {
    case lp::FailureKind::kFlip:
      return 1 - stored;
    case lp::FailureKind::kStuck0:
      return 0;
    default:
      return 1;
  }
}

/// Per-bit reference of the read of codes placed at image positions `image_of` (identity when
/// empty) from `offset`.
std::vector<std::uint8_t> reference(const lp::CellMap& map, double vdd,
                                    const std::vector<std::uint8_t>& codes, std::uint32_t bits,
                                    std::uint64_t offset, std::uint32_t r,
                                    const std::vector<std::uint64_t>& image_of = {}) {
  const std::uint16_t code = lp::vdd_code(vdd);
  const std::uint64_t cells = map.geometry().cells();
  std::vector<std::uint8_t> out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::uint64_t pos = image_of.empty() ? i : image_of[i];
    int v = 0;
    for (std::uint32_t j = 0; j < bits; ++j) {
      const std::uint64_t cell = (offset + pos * bits + j) % cells;
      v |= read_bit(map, code, cell, (codes[i] >> j) & 1, r) << j;
    }
    out[i] = static_cast<std::uint8_t>(v);
  }
  return out;
}

// Linear layout: every code equals the per-bit reference, for a chip with intermittent cells,
// several read counts, a wrapping array and m = 8 and 5; the count of changed codes is right.
TEST(ChipRead, LinearLayoutMatchesPerBitReference) {
  lp::ChipParams params = lp::preset("chip2");
  params.sigma_n = 0.01;
  const lp::CellMap map = lp::generate_chip(params, lp::Geometry{2, 64, 128}, 7);
  for (const std::uint32_t bits : {8u, 5u}) {
    const auto codes = random_codes(3000, bits, bits);  // 3000·m bits > 16 384 cells: wraps
    for (const std::uint32_t r : {0u, 1u, 9u}) {
      lh::ChipLayout layout;
      layout.bits = bits;
      layout.offset = 1234567;
      std::vector<std::uint8_t> out(codes.size());
      const auto changed =
          lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), codes.size(),
                                lp::ReadHistory::snapshot(r));
      const auto want = reference(map, 0.8, codes, bits, layout.offset, r);
      ASSERT_EQ(out, want) << "bits " << bits << " r " << r;
      std::uint64_t differ = 0;
      for (std::size_t i = 0; i < codes.size(); ++i) differ += out[i] != codes[i];
      EXPECT_EQ(changed, differ);
      EXPECT_GT(changed, 0u);
    }
  }
}

/// A weight-buffer chip of `preset` with strong per-read noise (σ_n = 0.02 × Vmin).
lp::CellMap intermittent_chip(const std::string& preset, std::uint64_t seed) {
  lp::ChipParams params = lp::preset(preset);
  params.sigma_n = 0.02;
  return lp::generate_chip(params, kBuffer, seed);
}

// Intermittent cells make the read count matter (else the test above could not tell r apart).
TEST(ChipRead, ReadCountChangesIntermittentReads) {
  const lp::CellMap map = intermittent_chip("chip1", 3);
  const auto codes = random_codes(50000, 8, 1);
  std::vector<std::uint8_t> a(codes.size()), b(codes.size());
  lh::ChipLayout layout;
  lh::read_through_chip(map, 0.84, layout, codes.data(), a.data(), codes.size(),
                        lp::ReadHistory::snapshot(0));
  lh::read_through_chip(map, 0.84, layout, codes.data(), b.data(), codes.size(),
                        lp::ReadHistory::snapshot(1));
  EXPECT_NE(a, b);
}

// The default history (written at read count 0, read at 1) reads every stuck value of the
// snapshot at 1 and, beyond it, stuck values caught at the write: it differs from the snapshot
// only in stuck cells, and only towards their stuck value. Fails if the write is ignored.
TEST(ChipRead, HistoryKeepsStuckValuesCaughtAtTheWrite) {
  const lp::CellMap map = intermittent_chip("chip2", 5);
  const auto codes = random_codes(50000, 8, 2);
  std::vector<std::uint8_t> hist(codes.size()), snap(codes.size());
  lh::ChipLayout layout;
  const auto h = lh::read_through_chip(map, 0.84, layout, codes.data(), hist.data(), codes.size());
  const auto s = lh::read_through_chip(map, 0.84, layout, codes.data(), snap.data(), codes.size(),
                                       lp::ReadHistory::snapshot(1));
  EXPECT_GT(h, s);  // more codes read wrong: the write's stuck values add to the read's
  const lp::FaultMasks masks = map.faults_at(lp::vdd_code(0.84));
  const auto hf = lh::chip_code_faults(masks, layout, codes.size());
  const auto sf = lh::chip_code_faults(masks, layout, codes.size(), lp::ReadHistory::snapshot(1));
  for (std::size_t i = 0; i < codes.size(); ++i) {
    ASSERT_EQ(hf.flip[i], sf.flip[i]) << i;                   // flips: the read's draw only
    ASSERT_EQ(hf.stuck[i] & sf.stuck[i], sf.stuck[i]) << i;   // a superset of stuck bits
  }
}

// Layered layout: the accelerator's image order (8-feature column tiles, step k major, then the
// biases) from the offset, written out independently here; in place (out == codes) as well.
TEST(ChipRead, LayeredLayoutFollowsTileOrder) {
  const lp::CellMap map = lp::generate_chip(lp::preset("chip1"), kBuffer, 11);
  lh::ChipLayout layout;
  layout.bits = 8;
  layout.offset = 400000;
  layout.layers = {{20, 9, true, "conv"}, {3, 700, false, ""}, {130, 60, true, "fc"}};
  const std::uint64_t n = layout.layer_codes();
  ASSERT_EQ(n, 20u * 9 + 20 + 3 * 700 + 130 * 60 + 130);
  std::vector<std::uint64_t> image_of(n);
  std::uint64_t base = 0;
  for (const auto& l : layout.layers) {
    const std::uint64_t nn = l.out_features, k = l.in_features;
    for (std::uint64_t f = 0; f < nn; ++f) {
      for (std::uint64_t s = 0; s < k; ++s) {
        const std::uint64_t tile = f / 8 * 8, width = std::min<std::uint64_t>(8, nn - tile);
        image_of[base + f * k + s] = base + tile * k + s * width + (f - tile);
      }
    }
    for (std::uint64_t f = 0; l.bias && f < nn; ++f)
      image_of[base + nn * k + f] = base + nn * k + f;
    base += nn * k + (l.bias ? nn : 0);
  }
  const auto codes = random_codes(n, 8, 5);
  const auto want = reference(map, 0.82, codes, 8, layout.offset, 0, image_of);
  std::vector<std::uint8_t> out = codes;
  lh::read_through_chip(map, 0.82, layout, out.data(), out.data(), n,
                        lp::ReadHistory::snapshot(0));
  EXPECT_EQ(out, want);
  EXPECT_NE(out, codes);
}

// Mapping k of K starts at ⌊cells/K⌋·k, as sweep_curve() places it; K < 1 or k ≥ K is refused.
TEST(ChipRead, MappingOffsets) {
  EXPECT_EQ(lh::mapping_offset(524288, 0, 3), 0u);
  EXPECT_EQ(lh::mapping_offset(524288, 2, 3), 524288u / 3 * 2);
  EXPECT_THROW(lh::mapping_offset(524288, 3, 3), lowvolt::Error);
  EXPECT_THROW(lh::mapping_offset(524288, -1, 3), lowvolt::Error);
  EXPECT_THROW(lh::mapping_offset(524288, 0, 0), lowvolt::Error);
}

void expect_error(const std::function<void()>& call, const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "no error, expected one containing '" << part << "'";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// Bad input names the problem and leaves the output as it was.
TEST(ChipRead, BadInputIsAnErrorAndWritesNothing) {
  const lp::CellMap map = lp::generate_chip(lp::preset("chip1"), lp::Geometry{1, 32, 64}, 1);
  std::vector<std::uint8_t> codes = {1, 2, 40, 3};
  std::vector<std::uint8_t> out(4, 0xAA);
  lh::ChipLayout layout;
  layout.bits = 5;
  expect_error([&] { lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), 4); },
               "code 40 at index 2 does not fit 5 bits");
  layout.bits = 9;
  expect_error([&] { lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), 4); },
               "bits = 9 is outside 1..8");
  layout.bits = 8;
  layout.layers = {{1, 3, false, "fc"}};
  expect_error([&] { lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), 4); },
               "the layers hold 3 codes, the array has 4");
  layout.layers = {{2, 2, false, "fc"}};
  expect_error([&] { lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), 4); },
               "needs a chip of 16 × 512 × 64 cells, this one is 1 × 32 × 64");
  layout.layers = {{0, 4, false, "fc"}};
  expect_error([&] { lh::read_through_chip(map, 0.8, layout, codes.data(), out.data(), 4); },
               "fc has 0 × 4 features");
  layout.layers.clear();
  expect_error([&] { lh::read_through_chip(map, -1.0, layout, codes.data(), out.data(), 4); },
               "supply voltage");
  EXPECT_EQ(out, std::vector<std::uint8_t>(4, 0xAA));
}

}  // namespace
