// Tests of the reference-parity options of training and evaluation (issue 16): the paper's
// code's start condition, clamping of perturbed gradients and Nesterov momentum pinned against
// hand-computed values; the reference RTE definition against hand-counted flags; and
// chip-specific PattBET: its training pattern reads the codes exactly as `lowvolt curve` does at
// the same (profile, vdd, mapping).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "lowvolt/chip/chip_pattern.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/run/curve.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"

namespace lowvolt::host {
namespace {

const std::string kSource = LOWVOLT_SOURCE_DIR;
const std::string kModel = kSource + "/models/cnn_normal_8bit.lvm";
const std::string kChip1 = kSource + "/profiles/data/chip1.lvp";

// average_simple_curriculum at threshold 1.75: inject iff clean < 2.0125 and mean ≤ 1.75.
TEST(FidelityTrain, ReferenceStartConditionByHand) {
  EXPECT_TRUE(reference_start_condition(1.9, 0.0, 1.75));    // no perturbed pass: 1.9 < 2.0125
  EXPECT_FALSE(reference_start_condition(2.1, 0.0, 1.75));   // 2.1 ≥ 2.0125
  EXPECT_FALSE(reference_start_condition(1.5, 2.1, 1.75));   // mean 1.8 > 1.75
  EXPECT_TRUE(reference_start_condition(1.5, 1.9, 1.75));    // mean 1.7
  EXPECT_TRUE(reference_start_condition(1.5, 2.0, 1.75));    // mean exactly 1.75 is not above
  EXPECT_FALSE(reference_start_condition(2.05, 0.5, 1.75));  // mean 1.275, but clean ≥ 2.0125
}

// clamp(perturbed, ±0.025) + clean: [0.01, 0.3, -0.5] → [0.01, 0.025, -0.025], plus
// [0.1, -0.2, 0] → [0.11, -0.175, -0.025]; a parameter without perturbed gradient keeps the
// clean one.
TEST(FidelityTrain, ClampedGradientSumByHand) {
  torch::Tensor a = torch::zeros({3}, torch::requires_grad());
  torch::Tensor b = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::tensor({0.01, 0.3, -0.5}, torch::kFloat64).to(torch::kFloat32);
  const std::vector<torch::Tensor> saved = {torch::tensor({0.1f, -0.2f, 0.0f}),
                                            torch::tensor({0.5f})};
  add_clamped_gradients({a, b}, saved, 0.025);
  EXPECT_NEAR(a.grad()[0].item<double>(), 0.11, 1e-7);
  EXPECT_NEAR(a.grad()[1].item<double>(), -0.175, 1e-7);
  EXPECT_NEAR(a.grad()[2].item<double>(), -0.025, 1e-7);
  EXPECT_FLOAT_EQ(b.grad()[0].item<float>(), 0.5f);
}

// SGD on loss 2p from p = 1, lr 0.1, momentum 0.9: plain 1 → 0.8 → 0.42; Nesterov
// (d = g + μ·buf) 1 → 0.62 → 0.078.
TEST(FidelityTrain, NesterovStepsByHand) {
  for (const bool nesterov : {false, true}) {
    TrainOptions o;
    o.lr = 0.1;
    o.momentum = 0.9;
    o.weight_decay = 0.0;
    o.nesterov = nesterov;
    torch::Tensor p =
        torch::ones({1}, torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true));
    torch::optim::SGD sgd({p}, sgd_options(o));
    std::vector<double> seen;
    for (int step = 0; step < 2; ++step) {
      sgd.zero_grad();
      (2.0 * p).sum().backward();
      sgd.step();
      seen.push_back(p.item<double>());
    }
    if (nesterov) {
      EXPECT_NEAR(seen[0], 0.62, 1e-12);
      EXPECT_NEAR(seen[1], 0.078, 1e-12);
    } else {
      EXPECT_NEAR(seen[0], 0.8, 1e-12);
      EXPECT_NEAR(seen[1], 0.42, 1e-12);
    }
  }
}

Net small_mlp() {
  torch::manual_seed(5);
  ModelConfig config;
  config.arch = "mlp";
  return Net(config);
}

bool same_weights(const Net& a, const Net& b) {
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  for (std::size_t k = 0; k < pa.size(); ++k) {
    if (!torch::equal(pa[k], pb[k])) return false;
  }
  return true;
}

// Training with a clamp bound no gradient reaches equals training without the clamp bit for bit
// (the sums are the same floating-point additions); a tight bound changes the weights; the
// every-step rule injects from the second step when its condition always holds.
TEST(FidelityTrain, GradientClampAndStartRuleInTraining) {
  torch::set_num_threads(2);
  const Dataset data = load_dataset("fashion-mnist", "", true).head(512);
  TrainOptions o;
  o.method = "randbet";
  o.quant = QuantScheme::preset("rquant", 8);
  o.wmax = 0.1;
  o.quant.wmax = 0.1;
  o.start_loss = 100.0;
  o.epochs = 1;
  o.batch_size = 64;
  o.quiet = true;
  Net plain = small_mlp();
  const auto h0 = train(plain, data, o);
  EXPECT_EQ(h0.front().injected_steps, 7);
  o.grad_clip = 1e6;
  Net loose = small_mlp();
  train(loose, data, o);
  EXPECT_TRUE(same_weights(plain, loose));
  o.grad_clip = 1e-4;
  Net tight = small_mlp();
  train(tight, data, o);
  EXPECT_FALSE(same_weights(plain, tight));
  o.grad_clip = 0.0;
  o.start_rule = "every-step";
  Net every = small_mlp();
  const auto h1 = train(every, data, o);
  EXPECT_EQ(h1.front().injected_steps, 7);
  EXPECT_TRUE(same_weights(plain, every));
  o.start_loss = 1e-6;  // the condition never holds: no step injects
  Net never = small_mlp();
  EXPECT_EQ(train(never, data, o).front().injected_steps, 0);
}

// Flags by hand: clean wrong {1,0,0,1,0}, perturbed wrong {0,0,1,1,1}: over the first 4 images
// the reference counts images 0, 2, 3 → 0.75 (the physical definition: 2 of 4 → 0.5).
TEST(FidelityEval, ReferenceRobustErrorByHand) {
  const std::vector<std::uint8_t> clean = {1, 0, 0, 1, 0};
  const std::vector<std::uint8_t> perturbed = {0, 0, 1, 1, 1};
  EXPECT_DOUBLE_EQ(reference_robust_error(clean, perturbed, 4), 0.75);
  EXPECT_DOUBLE_EQ(reference_robust_error(clean, perturbed, 5), 0.8);
  EXPECT_THROW(reference_robust_error(clean, perturbed, 6), Error);
}

// In evaluate(): the reference RTE counts the first reference_images images (its clean part is
// their TE) and never falls below that TE; at 5 % it is strictly above it.
TEST(FidelityEval, ReferenceRteInEvaluate) {
  torch::set_num_threads(2);
  Model model = load_model(kModel);
  const Dataset test = load_dataset("fashion-mnist", "", false).head(300);
  EvalOptions o;
  o.rates = {0.01, 0.05};
  o.samples = 3;
  o.reference_images = 200;
  o.quiet = true;
  const EvalResult r = evaluate(model.net, model.quant, test, o);
  EXPECT_EQ(r.reference_images, 200);
  const EvalResult clean200 = evaluate(model.net, model.quant, test.head(200), EvalOptions{});
  EXPECT_DOUBLE_EQ(r.reference_clean, clean200.clean.error);
  for (const auto& rate : r.rte) {
    ASSERT_EQ(rate.reference_errors.size(), 3u);
    for (const double e : rate.reference_errors) EXPECT_GE(e, r.reference_clean);
  }
  // At 5 % the perturbed model errs more than the clean one somewhere: strictly above TE.
  EXPECT_GT(r.rte[1].reference_mean, r.reference_clean);
}

// The chip pattern training applies at (chip1, 0.80 × Vmin, mapping k of 2) gives exactly the
// test errors `lowvolt curve` reports for mapping k at that supply.
TEST(FidelityChipPattern, EqualsCurveFaults) {
  torch::set_num_threads(2);
  Model model = load_model(kModel);
  CurveOptions c;
  c.models = {kModel};
  c.profiles = {kChip1};
  c.vdds = {0.80};
  c.mappings = 2;
  c.test_subset = 300;
  c.quiet = true;
  const CurveResult curve = sweep_curve(c);
  const auto& errors = curve.models.at(0).series.at(0).points.at(0).errors;
  ASSERT_EQ(errors.size(), 2u);
  const Dataset test = load_dataset("fashion-mnist", "", false).head(300);
  for (int k = 0; k < 2; ++k) {
    const ChipPattern pattern(model.net, model.quant.bits, kChip1, 0.80, k, 2);
    EXPECT_GT(pattern.faulty_bits(), 100);
    EvalOptions o;
    o.rates = {0.0};
    o.samples = 1;
    o.quiet = true;
    const EvalResult r = evaluate_with(
        model.net, model.quant, test, o,
        [&](const torch::Tensor& codes, int, std::size_t) { return pattern.apply(codes); });
    EXPECT_EQ(r.rte.at(0).mean, errors[static_cast<std::size_t>(k)]) << "mapping " << k;
  }
  EXPECT_NE(errors[0], errors[1]);  // the two mappings hit different weights
  EXPECT_THROW(ChipPattern(model.net, 8, kChip1, 0.80, 2, 2), Error);
}

}  // namespace
}  // namespace lowvolt::host
