// Proves the validation statistics: random chips (uniform, chip1) pass at about the nominal
// false-alarm rate over 50 seeds, chip2 chips are always flagged column-clustered and
// 0→1-biased, the decoded paper segments are judged as the paper describes them, and the
// probit fit recovers the generating μ, σ.
#include <gtest/gtest.h>

#include <boost/math/distributions/binomial.hpp>
#include <cstdio>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/validate.h"

namespace lp = lowvolt::profiles;

namespace {

bool rejects(const lp::ValidationReport& r, const std::string& test, int direction = 0) {
  for (const auto& v : r.voltages) {
    for (const auto& t : v.tests) {
      if (t.name != test || !t.rejected) continue;
      if (direction == 0 || (direction > 0) == (t.statistic > 0.5)) return true;
    }
  }
  return false;
}

// Largest number of flagged chips out of n that a level-alpha procedure reaches with
// probability ≥ 0.999.
double flagged_bound(int n, double alpha) {
  return boost::math::quantile(boost::math::binomial_distribution<double>(n, alpha), 0.999);
}

// uniform and chip1 chips (4 × 512 × 64, six default voltages) are flagged no more often than
// a level-0.01 procedure allows over 50 seeds, and the raw column-dispersion p-values are not
// piled up at either end (share below 0.2 inside the binomial 99.9 % interval).
TEST(Validate, RandomChipsPassAtNominalRate) {
  const int seeds = 50;
  const lp::ValidationOptions options;
  for (const std::string preset : {"uniform", "chip1"}) {
    int flagged = 0, low_p = 0, tests = 0;
    for (int s = 1; s <= seeds; ++s) {
      // chip1 and uniform share the V_c draws for a seed: other seeds keep the two independent.
      const auto seed = static_cast<std::uint64_t>(preset == "chip1" ? 1000 + s : s);
      const auto p = lp::generate_profile(preset, {}, {4, 512, 64}, seed);
      const auto r = lp::validate(p, options);
      ASSERT_EQ(r.voltages.size(), 6u);
      flagged += !r.consistent;
      // One raw p-value per chip (array 0, 1 % voltage), so the 50 are independent.
      for (const auto& t : r.voltages[2].tests) {
        if (t.name == "column_dispersion" && t.array == 0 && t.applicable) {
          ++tests;
          low_p += t.p_value < 0.2;
        }
      }
    }
    std::printf("%s: flagged %d of %d chips (bound %.0f); column-dispersion p < 0.2 in %d of %d\n",
                preset.c_str(), flagged, seeds, flagged_bound(seeds, options.alpha), low_p, tests);
    EXPECT_LE(flagged, flagged_bound(seeds, options.alpha)) << preset;
    ASSERT_GT(tests, 40) << preset;
    const boost::math::binomial_distribution<double> bin(tests, 0.2);
    EXPECT_GE(low_p, boost::math::quantile(bin, 0.0005)) << preset;
    EXPECT_LE(low_p, boost::math::quantile(bin, 0.9995)) << preset;
  }
}

// chip2 chips are flagged column-clustered and 0→1-biased for every one of 50 seeds.
TEST(Validate, Chip2AlwaysFlagged) {
  for (int s = 1; s <= 50; ++s) {
    const auto p = lp::generate_profile("chip2", {}, {4, 512, 64}, static_cast<std::uint64_t>(s));
    const auto r = lp::validate(p, {});
    EXPECT_FALSE(r.consistent) << s;
    EXPECT_TRUE(rejects(r, "column_dispersion")) << s;
    EXPECT_TRUE(rejects(r, "direction", +1)) << s;
  }
}

// BER, its interval, direction rates and the probit fit of a uniform chip match the model.
TEST(Validate, ReportsRatesAndProbitFit) {
  auto prof = lp::generate_profile("uniform", {"sigma_array=0"}, {16, 512, 64}, 9);
  lp::ValidationOptions o;
  o.vdds = {0.792, 0.833, 0.875};
  o.per_array = true;
  const auto r = lp::validate(prof, o);
  ASSERT_EQ(r.voltages.size(), 3u);
  EXPECT_GT(r.voltages[0].vdd, r.voltages[1].vdd);
  for (const auto& v : r.voltages) {
    EXPECT_LE(v.ber_lo, v.ber);
    EXPECT_GE(v.ber_hi, v.ber);
    EXPECT_EQ(v.flips, v.failing);
    EXPECT_DOUBLE_EQ(v.p01 + v.p10, v.ber);
    ASSERT_EQ(v.arrays.size(), 16u);
    for (const auto& a : v.arrays) {
      EXPECT_LE(a.ber_lo, a.ber);
      EXPECT_GE(a.ber_hi, a.ber);
    }
    EXPECT_EQ(v.nested_fraction, 1.0);
  }
  ASSERT_TRUE(r.fit.ok);
  const auto params = prof.params;
  EXPECT_NEAR(r.fit.mu, params.mu, 0.01 * params.mu);
  EXPECT_NEAR(r.fit.sigma, params.sigma, 0.03 * params.sigma);
}

// The paper's decoded chip 2 segment (sa0/sa1 split at the lower voltage, all failures at the
// higher one) is flagged column-clustered and 0→1-biased; chip 1 at the higher voltage is not
// flagged. Voltages: where the Figure 1 model gives the paper's chip-wide rates.
TEST(Validate, PaperSegments) {
  const std::string dir = std::string(LOWVOLT_PAPER_DATA_DIR) + "/chip_segments/";
  using D = lp::MatrixMap::Direction;
  const double hi = 0.837, lo = 0.811;
  {
    const auto p = lp::import_matrices({{hi, D::kFlip, dir + "chip2_higher_voltage_all.csv"},
                                        {lo, D::kStuck1, dir + "chip2_lower_voltage_0to1.csv"},
                                        {lo, D::kStuck0, dir + "chip2_lower_voltage_1to0.csv"}},
                                       {});
    EXPECT_EQ(p.map.geometry(), (lp::Geometry{1, 64, 128}));
    const auto r = lp::validate(p, {});
    ASSERT_EQ(r.voltages.size(), 2u);
    EXPECT_TRUE(rejects(r, "column_dispersion"));
    EXPECT_TRUE(rejects(r, "direction", +1));
  }
  {
    const auto p = lp::import_matrices({{hi, D::kFlip, dir + "chip1_higher_voltage_all.csv"}}, {});
    const auto r = lp::validate(p, {});
    ASSERT_EQ(r.voltages.size(), 1u);
    EXPECT_TRUE(r.consistent) << r.voltages[0].verdict;
  }
}

// Bad options are user errors.
TEST(ValidateErrors, RejectsBadOptions) {
  const auto p = lp::generate_profile("uniform", {}, {1, 64, 64}, 1);
  lp::ValidationOptions o;
  o.alpha = 0;
  EXPECT_THROW(lp::validate(p, o), lowvolt::Error);
  o = {};
  o.direction_margin = 0.5;
  EXPECT_THROW(lp::validate(p, o), lowvolt::Error);
  o = {};
  o.vdds = {-1};
  EXPECT_THROW(lp::validate(p, o), lowvolt::Error);
}

}  // namespace
