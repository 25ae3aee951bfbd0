// Proves the chip generator is calibrated (the paper's Figure 1), reproducible from its seed,
// that presets and overrides behave, and that the energy model is the paper's (V/Vmin)^2.
#include <gtest/gtest.h>

#include <boost/math/distributions/poisson.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/fit.h"
#include "lowvolt/profiles/profile.h"

namespace lp = lowvolt::profiles;

namespace {

struct Fig1Row {
  double v, ber_percent, energy, failing_bits;
};

std::vector<Fig1Row> read_fig1() {
  const std::string path = std::string(LOWVOLT_PAPER_DATA_DIR) + "/fig1_ber_energy.csv";
  std::ifstream in(path);
  if (!in.good()) throw std::runtime_error("cannot read " + path);
  std::vector<Fig1Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    Fig1Row r{};
    char comma;
    ss >> r.v >> comma >> r.ber_percent >> comma >> r.energy >> comma >> r.failing_bits;
    rows.push_back(r);
  }
  return rows;
}

// A 32 × 512 × 64 uniform chip with σ_array = 0 reproduces Figure 1: within 15 % of the rate at
// 0.792, 0.833, 0.875 × Vmin, and failing-bit counts at 0.917 and 0.958 inside the Poisson 99 %
// interval of the paper's counts, summed over 8 seeds.
TEST(ChipModel, ReproducesFigure1) {
  const auto fig1 = read_fig1();
  ASSERT_EQ(fig1.size(), 7u);
  const int seeds = 8;
  const lp::Geometry g{32, 512, 64};
  lp::ChipParams p = lp::preset("uniform");
  p.sigma_array = 0;
  std::vector<double> total(fig1.size(), 0);
  for (int s = 1; s <= seeds; ++s) {
    const auto map = lp::generate_chip(p, g, static_cast<std::uint64_t>(s));
    for (std::size_t i = 0; i < fig1.size(); ++i) {
      total[i] += static_cast<double>(map.count_faulty(lp::vdd_code(fig1[i].v)));
    }
  }
  for (std::size_t i = 0; i < fig1.size(); ++i) {
    const double v = fig1[i].v;
    const double mean_ber = total[i] / seeds / static_cast<double>(g.cells());
    std::printf("figure1 V=%.3f paper %.6g %% model %.6g %% (failing bits per chip %.2f, paper %g)\n",
                v, fig1[i].ber_percent, 100 * mean_ber, total[i] / seeds, fig1[i].failing_bits);
    if (v == 0.792 || v == 0.833 || v == 0.875) {
      EXPECT_NEAR(mean_ber, fig1[i].ber_percent / 100, 0.15 * fig1[i].ber_percent / 100) << v;
    }
    if (v == 0.917 || v == 0.958) {
      const boost::math::poisson_distribution<double> pois(seeds * fig1[i].failing_bits);
      EXPECT_GE(total[i], boost::math::quantile(pois, 0.005)) << v;
      EXPECT_LE(total[i], boost::math::quantile(pois, 0.995)) << v;
    }
  }
}

// The same (params, geometry, seed) gives the same map; another seed gives another map.
TEST(ChipModel, ReproducibleFromSeed) {
  const auto p = lp::preset("chip2");
  const lp::Geometry g{2, 64, 128};
  EXPECT_EQ(lp::generate_chip(p, g, 5), lp::generate_chip(p, g, 5));
  EXPECT_FALSE(lp::generate_chip(p, g, 5) == lp::generate_chip(p, g, 6));
  // A larger chip holds the same first array: arrays draw from independent streams.
  const auto big = lp::generate_chip(p, {3, 64, 128}, 5);
  const auto small = lp::generate_chip(p, g, 5);
  EXPECT_TRUE(std::equal(small.vc().begin(), small.vc().end(), big.vc().begin()));
}

// Presets carry the values and the kinds drawn follow flip_fraction and b.
TEST(ChipModel, PresetsAndKindShares) {
  EXPECT_EQ(lp::preset("uniform").flip_fraction, 1.0);
  EXPECT_EQ(lp::preset("uniform").sigma_n, 0.0);
  EXPECT_EQ(lp::preset("chip1").b, 0.47);
  EXPECT_EQ(lp::preset("chip1").sigma_n, 0.008);
  EXPECT_EQ(lp::preset("chip2").f_col, 0.05);
  EXPECT_EQ(lp::preset("chip2").b, 0.85);
  EXPECT_EQ(lp::preset("chip2").sigma_n, 0.018);
  const auto p = lp::preset("chip2");
  const auto map = lp::generate_chip(p, {4, 256, 64}, 1);
  double s1 = 0, n = 0;
  for (const auto k : map.kind()) {
    ASSERT_NE(k, static_cast<std::uint8_t>(lp::FailureKind::kFlip));
    s1 += k == static_cast<std::uint8_t>(lp::FailureKind::kStuck1);
    n += 1;
  }
  const double sd = std::sqrt(p.b * (1 - p.b) / n);
  EXPECT_NEAR(s1 / n, p.b, 4 * sd);
  EXPECT_EQ(map.sigma_code(), lp::sigma_code(p.sigma_n));
}

// --set overrides change exactly the named field.
TEST(ChipModel, OverridesApply) {
  auto p = lp::preset("chip1");
  lp::apply_overrides(p, {"f_col=0.1", "sigma_n=0"});
  EXPECT_EQ(p.f_col, 0.1);
  EXPECT_EQ(p.sigma_n, 0.0);
  EXPECT_EQ(p.b, 0.47);
  EXPECT_EQ(lp::get_param(p, "mu"), 0.7035);
}

// Energy per access is (V/Vmin)^2, the normalised energy column of Figure 1 (whose voltages
// are printed to 3 decimals: the tolerance is the square's change over ±0.0005).
TEST(EnergyModel, MatchesFigure1Energy) {
  const lp::EnergyModel e;
  const auto fig1 = read_fig1();
  ASSERT_EQ(fig1.size(), 7u);
  for (const auto& r : fig1) EXPECT_NEAR(e.access(r.v), r.energy, 2 * r.v * 5e-4) << r.v;
  const lp::EnergyModel leaky{0.1};
  EXPECT_DOUBLE_EQ(leaky.total(0.8, 10, 100), 10 * 0.64 + 100 * 0.1 * 0.8);
}

// fit recovers μ and σ within 3 % and f_col within 30 % of the generating parameters.
TEST(Fit, RecoversGeneratingParameters) {
  for (const std::string name : {"uniform", "chip2"}) {
    const auto p = lp::preset(name);
    lp::Profile prof;
    prof.map = lp::generate_chip(p, {64, 512, 64}, 11);
    const auto fit = lp::fit_profile(prof);
    std::printf("fit %s: mu %.5f (%.5f) sigma %.5f (%.5f) sigma_array %.4f (%.4f) f_col %.4f (%.4f) "
                "col_shift %.4f (%.4f) b %.3f (%.3f)\n",
                name.c_str(), fit.params.mu, p.mu, fit.params.sigma, p.sigma, fit.params.sigma_array,
                p.sigma_array, fit.params.f_col, p.f_col, fit.params.col_shift, p.col_shift,
                fit.params.b, p.b);
    EXPECT_NEAR(fit.params.mu, p.mu, 0.03 * p.mu) << name;
    EXPECT_NEAR(fit.params.sigma, p.sigma, 0.03 * p.sigma) << name;
    EXPECT_NEAR(fit.params.sigma_array, p.sigma_array, 0.5 * p.sigma_array) << name;
    if (p.f_col > 0) {
      EXPECT_NEAR(fit.params.f_col, p.f_col, 0.3 * p.f_col) << name;
      EXPECT_NEAR(fit.params.col_shift, p.col_shift, 0.3 * p.col_shift) << name;
    } else {
      EXPECT_LT(fit.params.f_col, 0.005) << name;
    }
    EXPECT_NEAR(fit.params.b, p.b, 0.05) << name;
    EXPECT_NEAR(fit.params.flip_fraction, p.flip_fraction, 1e-9) << name;
    EXPECT_NEAR(fit.params.sigma_n, p.sigma_n, 1.0 / 4096) << name;
  }
}

// Unknown presets and parameters, bad values and malformed --set are user errors.
TEST(ChipModelErrors, RejectsBadParameters) {
  EXPECT_THROW(lp::preset("chip3"), lowvolt::Error);
  lp::ChipParams p;
  EXPECT_THROW(lp::set_param(p, "nope", 1), lowvolt::Error);
  EXPECT_THROW(lp::set_param(p, "f_col", 1.5), lowvolt::Error);
  EXPECT_THROW(lp::set_param(p, "sigma", 0), lowvolt::Error);
  EXPECT_THROW(lp::apply_overrides(p, {"f_col"}), lowvolt::Error);
  EXPECT_THROW(lp::apply_overrides(p, {"f_col=abc"}), lowvolt::Error);
  EXPECT_THROW(lp::apply_overrides(p, {"=1"}), lowvolt::Error);
  // The common strict parser: no infinities, NaN or trailing text (stod accepted "inf").
  for (const char* bad : {"sigma_n=inf", "sigma_n=-inf", "f_col=nan", "f_col=0.1x", "f_col= 0.1"}) {
    EXPECT_THROW(lp::apply_overrides(p, {bad}), lowvolt::Error) << bad;
  }
  try {
    lp::preset("chip3");
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("uniform, chip1, chip2"), std::string::npos);
  }
}

}  // namespace
