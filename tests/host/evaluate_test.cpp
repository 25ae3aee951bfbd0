// Evaluation: TE and RTE statistics, nesting and reproducibility of bit error samples, error
// sources, the paper's bound and option errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"

namespace fs = std::filesystem;
using lowvolt::host::Dataset;
using lowvolt::host::EvalOptions;
using lowvolt::host::Net;
using lowvolt::host::QuantScheme;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist";

/// An mlp trained for one epoch on 1024 images (once per process) and 256 test images.
struct Fixture {
  Net net{nullptr};
  Dataset test;
  QuantScheme quant = QuantScheme::preset("normal", 8);
};

Fixture& trained() {
  static Fixture f = [] {
    lowvolt::host::configure_threads(2);
    Fixture out;
    torch::manual_seed(1);
    lowvolt::host::ModelConfig config;
    config.arch = "mlp";
    out.net = Net(config);
    lowvolt::host::TrainOptions o;
    o.epochs = 1;
    o.quiet = true;
    o.batch_size = 32;
    lowvolt::host::train(out.net, lowvolt::host::load_dataset("fashion-mnist", "", true).head(1024), o);
    out.test = lowvolt::host::load_dataset("fashion-mnist", "", false).head(256);
    return out;
  }();
  return f;
}

EvalOptions quiet(std::vector<double> rates, int samples) {
  EvalOptions o;
  o.rates = std::move(rates);
  o.samples = samples;
  o.quiet = true;
  o.batch_size = 100;
  return o;
}

class Evaluate : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kData)) << kData << " is missing: the Fashion-MNIST test data comes with Debian's dataset-fashion-mnist, installed by `bash scripts/install-deps`";
  }
};
using EvaluateErrors = Evaluate;

}  // namespace

// At p = 0 every sample equals the clean quantized network: RTE = TE with zero spread.
TEST_F(Evaluate, ZeroRateEqualsClean) {
  auto& f = trained();
  const auto r = lowvolt::host::evaluate(f.net, f.quant, f.test, quiet({0.0}, 3));
  ASSERT_EQ(r.rte.size(), 1u);
  EXPECT_EQ(r.rte[0].mean, r.clean.error);
  EXPECT_EQ(r.rte[0].std, 0.0);
  EXPECT_EQ(r.images, 256);
  EXPECT_EQ(r.forward_images, 4 * 256);
  EXPECT_LT(r.clean.error, 0.6);  // the fixture did learn (chance: 0.9)
}

// Mean, std, min and max are those of the per-sample errors; the bound is above the mean.
TEST_F(Evaluate, StatisticsOfSamples) {
  auto& f = trained();
  const auto r = lowvolt::host::evaluate(f.net, f.quant, f.test, quiet({0.01, 0.05}, 5));
  for (const auto& rate : r.rte) {
    ASSERT_EQ(rate.errors.size(), 5u);
    double sum = 0;
    for (const double e : rate.errors) sum += e;
    const double mean = sum / 5;
    double sq = 0;
    for (const double e : rate.errors) sq += (e - mean) * (e - mean);
    EXPECT_DOUBLE_EQ(rate.mean, mean);
    EXPECT_NEAR(rate.std, std::sqrt(sq / 4), 1e-12);
    EXPECT_EQ(rate.min, *std::min_element(rate.errors.begin(), rate.errors.end()));
    EXPECT_EQ(rate.max, *std::max_element(rate.errors.begin(), rate.errors.end()));
    EXPECT_GT(rate.bound, rate.mean);
  }
  // Heavy errors (5 % of all bits) hurt more than light ones (1 %) on average.
  EXPECT_GT(r.rte[1].mean, r.rte[0].mean);
}

// The same seed gives the same per-sample errors; another seed gives other errors.
TEST_F(Evaluate, Seeded) {
  auto& f = trained();
  auto o = quiet({0.02, 0.05}, 3);
  const auto a = lowvolt::host::evaluate(f.net, f.quant, f.test, o);
  const auto b = lowvolt::host::evaluate(f.net, f.quant, f.test, o);
  EXPECT_EQ(a.rte[0].errors, b.rte[0].errors);
  EXPECT_EQ(a.rte[1].errors, b.rte[1].errors);
  auto other = o;
  other.seed = 17;
  const auto c = lowvolt::host::evaluate(f.net, f.quant, f.test, other);
  EXPECT_NE(a.rte[1].errors, c.rte[1].errors);
}

// evaluate() draws each sample's errors once, from rte_sample_seed(seed, s) at the largest rate,
// and applies them at every rate: its per-sample errors equal passes over codes built that way
// here, the flips at 2 % are a subset of those at 5 % (nested), and the rates' order is irrelevant.
TEST_F(Evaluate, NestedDrawsPerSample) {
  auto& f = trained();
  auto o = quiet({0.02, 0.05}, 2);
  o.seed = 5;
  const auto r = lowvolt::host::evaluate(f.net, f.quant, f.test, o);
  auto reordered = o;
  reordered.rates = {0.05, 0.02};
  const auto q = lowvolt::host::evaluate(f.net, f.quant, f.test, reordered);
  EXPECT_EQ(r.rte[0].errors, q.rte[1].errors);
  EXPECT_EQ(r.rte[1].errors, q.rte[0].errors);

  const auto memory = f.net->memory_parameters();
  const lowvolt::host::WeightMemory weights(f.quant, memory);
  const auto clean = weights.codes();
  for (int s = 0; s < o.samples; ++s) {
    const lowvolt::host::RandomBitErrors errors(weights.numel(), f.quant.bits, 0.05,
                                                lowvolt::host::rte_sample_seed(o.seed, s));
    const auto low = errors.apply(clean, 0.02);
    const auto high = errors.apply(clean, 0.05);
    const auto flips_low = low.bitwise_xor(clean);
    const auto flips_high = high.bitwise_xor(clean);
    EXPECT_TRUE(torch::equal(flips_low.bitwise_and(flips_high), flips_low)) << s;
    EXPECT_LT(flips_low.count_nonzero().item<std::int64_t>(),
              flips_high.count_nonzero().item<std::int64_t>());
    weights.load(low, memory);
    EXPECT_EQ(lowvolt::host::test_error(f.net, f.test).error, r.rte[0].errors[s]) << s;
    weights.load(high, memory);
    EXPECT_EQ(lowvolt::host::test_error(f.net, f.test).error, r.rte[1].errors[s]) << s;
  }
  weights.load(clean, memory);
}

// A rate's samples do not depend on the other rates listed (issue 34): `--p 1%` and
// `--p 0.1%,1%,2.5%` give the same errors at 1 % for every sample of the same seed.
TEST_F(Evaluate, SamplesAtARateDoNotDependOnTheRateList) {
  auto& f = trained();
  auto alone = quiet({0.01}, 3);
  alone.seed = 11;
  auto listed = alone;
  listed.rates = {0.001, 0.01, 0.025};
  const auto a = lowvolt::host::evaluate(f.net, f.quant, f.test, alone);
  const auto b = lowvolt::host::evaluate(f.net, f.quant, f.test, listed);
  EXPECT_EQ(a.rte[0].errors, b.rte[1].errors);
}

// evaluate_with calls the source once per sample and rate, in order, and reports what it
// returns: clean codes reproduce TE, all-ones codes are far worse.
TEST_F(Evaluate, CustomSource) {
  auto& f = trained();
  std::vector<std::pair<int, std::size_t>> calls;
  const auto r = lowvolt::host::evaluate_with(
      f.net, f.quant, f.test, quiet({0.0, 1.0}, 2),
      [&](const torch::Tensor& codes, int sample, std::size_t rate) {
        calls.emplace_back(sample, rate);
        return rate == 0 ? codes : torch::full_like(codes, 0x7F);
      });
  const std::vector<std::pair<int, std::size_t>> expected = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  EXPECT_EQ(calls, expected);
  EXPECT_EQ(r.rte[0].mean, r.clean.error);
  EXPECT_GT(r.rte[1].mean, r.clean.error + 0.3);
}

// The bound is the formula of the paper's Proposition 1 with n test images and l samples.
TEST(EvaluateBound, Formula) {
  const std::int64_t n = 10000;
  const int l = 50;
  const double delta = 0.01;
  const double expected =
      0.1 + std::sqrt(std::log((n + 1.0) / delta) / n) * (std::sqrt(50.0) + 100.0) / std::sqrt(50.0);
  EXPECT_NEAR(lowvolt::host::robust_error_bound(0.1, n, l, delta), expected, 1e-12);
  EXPECT_GT(lowvolt::host::robust_error_bound(0.1, n, 2 * l, delta),
            0.1);
  EXPECT_LT(lowvolt::host::robust_error_bound(0.1, n, 2 * l, delta),
            lowvolt::host::robust_error_bound(0.1, n, l, delta));
}

// Bad options and test images of the wrong shape are errors naming the option.
TEST_F(EvaluateErrors, BadOptionsAndShapes) {
  auto& f = trained();
  EXPECT_THROW(lowvolt::host::evaluate(f.net, f.quant, f.test, quiet({0.01}, 0)), lowvolt::Error);
  EXPECT_THROW(lowvolt::host::evaluate(f.net, f.quant, f.test, quiet({1.5}, 1)), lowvolt::Error);
  auto o = quiet({0.01}, 1);
  o.delta = 0.0;
  EXPECT_THROW(lowvolt::host::evaluate(f.net, f.quant, f.test, o), lowvolt::Error);
  Dataset wrong = f.test;
  wrong.images = torch::zeros({256, 1, 20, 20});
  EXPECT_THROW(lowvolt::host::evaluate(f.net, f.quant, wrong, quiet({0.01}, 1)), lowvolt::Error);
}
