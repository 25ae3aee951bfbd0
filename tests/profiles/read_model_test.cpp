// Proves the C++ memory model matches docs/memory-model.md: codes, mix64, the noise formula,
// the read formula, and that CellMap::faults_at + FaultMasks::read equal a per-bit reference.
#include <gtest/gtest.h>

#include <boost/math/distributions/binomial.hpp>
#include <cmath>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/read_model.h"

namespace lp = lowvolt::profiles;

namespace {

// The contract's examples: 1.0 × Vmin → 4096, 0.7 × Vmin → 2867.
TEST(ReadModel, VddCodeExamples) {
  EXPECT_EQ(lp::vdd_code(1.0), 4096);
  EXPECT_EQ(lp::vdd_code(0.7), 2867);
  EXPECT_EQ(lp::vdd_code(0.0), 0);
  EXPECT_EQ(lp::code_volts(lp::vdd_code(0.833)), 3412.0 / 4096.0);
}

// Every code maps back to itself through code_volts (round to nearest is exact on the grid).
TEST(ReadModel, CodesRoundTripExhaustively) {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    ASSERT_EQ(lp::vc_code(lp::code_volts(static_cast<std::uint16_t>(c))), c);
  }
}

// vc_code clamps to [0, 65535] instead of wrapping.
TEST(ReadModel, VcCodeClamps) {
  EXPECT_EQ(lp::vc_code(-1.0), 0);
  EXPECT_EQ(lp::vc_code(100.0), 65535);
  EXPECT_EQ(lp::vc_code(65535.0 / 4096.0), 65535);
}

// mix64 is splitmix64's finaliser: splitmix64 seeded with 0 first returns 0xe220a8397b1dcdaf.
TEST(ReadModel, Mix64IsSplitMix64Finaliser) {
  EXPECT_EQ(lp::mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(lp::mix64(0), 0u);
  lp::SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
}

// cell_index follows (array × rows + row) × cols + col.
TEST(ReadModel, CellIndex) {
  EXPECT_EQ(lp::cell_index(0, 0, 0, 512, 64), 0u);
  EXPECT_EQ(lp::cell_index(1, 2, 3, 512, 64), (1u * 512 + 2) * 64 + 3);
  EXPECT_EQ(lp::cell_index(3, 8191, 127, 8192, 128), 4ull * 8192 * 128 - 1);
}

// The noise equals floor(σ·(s − 510)·443 / 65536) for every σ code and byte sum (the floor
// computed independently in floating point, exact below 2^53).
TEST(ReadModel, NoiseFormulaExhaustive) {
  for (std::uint32_t sigma = 0; sigma < 65536; sigma += 7) {
    for (std::uint32_t s = 0; s <= 1020; ++s) {
      const double x = static_cast<double>(sigma) * (static_cast<double>(s) - 510.0) * 443.0;
      ASSERT_EQ(lp::noise_from_sum(static_cast<std::uint16_t>(sigma), s),
                static_cast<std::int32_t>(std::floor(x / 65536.0)))
          << sigma << " " << s;
    }
  }
  EXPECT_EQ(lp::max_noise(0), 0);
  EXPECT_EQ(lp::min_noise(0), 0);
}

// The hash uses the four low bytes of mix64(seed ^ mix64(index·φ + r)).
TEST(ReadModel, ByteSumFollowsHash) {
  const std::uint64_t seed = 12345, index = 777;
  for (std::uint32_t r = 0; r < 100; ++r) {
    const std::uint64_t h = lp::mix64(seed ^ lp::mix64(index * 0x9e3779b97f4a7c15ULL + r));
    std::uint32_t s = 0;
    for (int b = 0; b < 4; ++b) s += (h >> (8 * b)) & 0xff;
    ASSERT_EQ(lp::noise_byte_sum(seed, index, r), s);
  }
}

// Persistent model: faulty iff vc > vdd, for every pair on a grid of codes.
TEST(ReadModel, PersistentFaultyIffAbove) {
  for (std::uint32_t vc = 3000; vc < 3100; ++vc) {
    for (std::uint32_t vdd = 3000; vdd < 3100; ++vdd) {
      ASSERT_EQ(lp::cell_faulty(static_cast<std::uint16_t>(vc), static_cast<std::uint16_t>(vdd), 0,
                                1, 5, 9),
                vc > vdd);
    }
  }
}

// An intermittent cell fails on a share of reads inside the binomial 99.9 % interval of its
// exact failure probability, and the noise's spread is σ_n to 0.1 %.
TEST(ReadModel, IntermittentRateMatchesExactProbability) {
  const std::uint16_t sigma = lp::sigma_code(0.018);
  const std::uint16_t vdd = lp::vdd_code(0.85);
  const int reads = 20000;
  for (const int offset : {-40, -10, 0, 10, 40}) {
    const auto vc = static_cast<std::uint16_t>(vdd + offset);
    const double p = lp::fail_probability(vc, vdd, sigma);
    int fails = 0;
    for (int r = 0; r < reads; ++r) fails += lp::cell_faulty(vc, vdd, sigma, 99, 4242, static_cast<std::uint32_t>(r));
    const boost::math::binomial_distribution<double> bin(reads, p);
    EXPECT_GE(fails, boost::math::quantile(bin, 0.0005)) << offset;
    EXPECT_LE(fails, boost::math::quantile(bin, 0.9995)) << offset;
  }
}

// The noise a read adds to V_c, noise_from_sum(σ, byte sum of the read's hash), has mean ≈ 0 and
// standard deviation σ (the design: 4 uniform bytes scaled by 443/65536, 0.99906 σ exactly, plus
// the floor's 1/12 code²): measured over 200 000 reads of cells, within 1 % (the sample std's
// relative standard error here is 0.16 %).
TEST(ReadModel, NoiseHasStandardDeviationSigma) {
  const std::uint16_t sigma = lp::sigma_code(0.018);
  const int reads = 200000;
  double sum = 0, squares = 0;
  for (int i = 0; i < reads; ++i) {
    const auto index = static_cast<std::uint64_t>(i / 8);
    const auto r = static_cast<std::uint32_t>(i % 8);
    const double n = lp::noise_from_sum(sigma, lp::noise_byte_sum(4242, index, r));
    sum += n;
    squares += n * n;
  }
  const double mean = sum / reads;
  const double sd = std::sqrt(squares / reads - mean * mean);
  EXPECT_NEAR(mean, -0.5, 0.01 * sigma);  // the floor's bias of half a code
  EXPECT_NEAR(sd, static_cast<double>(sigma), 0.01 * sigma);
}

// apply_faults agrees with the per-bit meaning of each kind for all 32 bit combinations.
TEST(ReadModel, ApplyFaultsTruthTable) {
  for (int combo = 0; combo < 32; ++combo) {
    const std::uint64_t d = combo & 1, f = (combo >> 1) & 1, flip = (combo >> 2) & 1,
                        stuck = (combo >> 3) & 1, s1 = (combo >> 4) & 1;
    lp::WordFaults w;
    w.flip = flip;
    w.stuck = stuck;
    w.stuck1 = s1 & stuck;
    std::uint64_t expected = d;
    if (f && stuck) {
      expected = s1;  // stuck wins over flip
    } else if (f && flip) {
      expected = d ^ 1;
    }
    EXPECT_EQ(lp::apply_faults(d, f, w), expected) << combo;
  }
}

// A reference read built bit by bit from cell_faulty equals FaultMasks::read for every word,
// several reads and supplies, with 64, 100 (partial word) and 128 columns and σ_n > 0.
TEST(CellMap, MasksEqualPerBitReference) {
  for (const std::uint32_t cols : {64u, 100u, 128u}) {
    lp::ChipParams p = lp::preset("chip2");
    const lp::Geometry g{3, 40, cols};
    const lp::CellMap map = lp::generate_chip(p, g, 7);
    ASSERT_GT(map.sigma_code(), 0);
    for (const double v : {0.78, 0.83}) {
      const std::uint16_t vdd = lp::vdd_code(v);
      const lp::FaultMasks masks = map.faults_at(vdd);
      lp::SplitMix64 data(cols);
      for (std::uint32_t a = 0; a < g.arrays; ++a) {
        for (std::uint32_t row = 0; row < g.rows; ++row) {
          for (std::uint32_t w = 0; w < g.words_per_row(); ++w) {
            for (std::uint32_t r : {0u, 1u, 1000u}) {
              const std::uint64_t stored = data.next();
              std::uint64_t expected = stored;
              for (std::uint32_t b = 0; b < 64 && w * 64 + b < cols; ++b) {
                const std::uint64_t cell = lp::cell_index(a, row, w * 64 + b, g.rows, g.cols);
                if (!lp::cell_faulty(map.vc()[cell], vdd, map.sigma_code(), map.seed(), cell, r)) continue;
                const auto k = static_cast<lp::FailureKind>(map.kind()[cell]);
                const std::uint64_t bit = std::uint64_t{1} << b;
                if (k == lp::FailureKind::kFlip) expected ^= bit;
                if (k == lp::FailureKind::kStuck0) expected &= ~bit;
                if (k == lp::FailureKind::kStuck1) expected |= bit;
              }
              ASSERT_EQ(masks.read(masks.word_index(a, row, w), stored, r), expected)
                  << cols << " " << a << " " << row << " " << w << " " << r;
            }
          }
        }
      }
    }
  }
}

// Faults nest across supplies: every cell faulty at V is faulty at every V' < V.
TEST(CellMap, FaultsNestAcrossVoltages) {
  const lp::CellMap map = lp::generate_chip(lp::preset("uniform"), {2, 512, 64}, 3);
  const auto hi = map.faults_at(lp::vdd_code(0.86));
  const auto lo = map.faults_at(lp::vdd_code(0.80));
  std::uint64_t n_hi = 0;
  for (std::size_t w = 0; w < hi.words().size(); ++w) {
    const std::uint64_t f_hi = hi.faulty(w, 0), f_lo = lo.faulty(w, 0);
    ASSERT_EQ(f_hi & ~f_lo, 0u) << w;
    n_hi += static_cast<std::uint64_t>(__builtin_popcountll(f_hi));
  }
  EXPECT_EQ(n_hi, map.count_faulty(lp::vdd_code(0.86)));
  EXPECT_GT(n_hi, 0u);
}

// A write stores the stuck value in cells stuck at that moment and the data elsewhere.
TEST(CellMap, WriteKeepsStuckValues) {
  lp::CellMap map({1, 1, 64});
  map.vc()[0] = 5000;
  map.kind()[0] = static_cast<std::uint8_t>(lp::FailureKind::kStuck1);
  map.vc()[1] = 5000;
  map.kind()[1] = static_cast<std::uint8_t>(lp::FailureKind::kStuck0);
  map.vc()[2] = 5000;  // flip
  const auto masks = map.faults_at(4096);
  EXPECT_EQ(masks.write(0, 0b110, 0), 0b101u);
  EXPECT_EQ(masks.read(0, 0b000, 0), 0b101u);
}

// Bad codes and geometries are user errors naming the problem.
TEST(ReadModelErrors, RejectsOutOfRange) {
  EXPECT_THROW(lp::vdd_code(-0.1), lowvolt::Error);
  EXPECT_THROW(lp::vdd_code(16.0), lowvolt::Error);
  EXPECT_THROW(lp::vdd_code(std::nan("")), lowvolt::Error);
  EXPECT_THROW(lp::sigma_code(20.0), lowvolt::Error);
  EXPECT_THROW(lp::vc_code(std::nan("")), lowvolt::Error);
  EXPECT_THROW(lp::CellMap({0, 512, 64}), lowvolt::Error);
  EXPECT_THROW(lp::CellMap({1u << 20, 1u << 10, 64}), lowvolt::Error);
}

}  // namespace
