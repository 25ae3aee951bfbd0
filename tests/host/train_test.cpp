// Training: learning on a small Fashion-MNIST subset, determinism from the seed, bit-exact resume
// from a checkpoint, clipping, the RandBET/PattBET injection schedule and the learning-rate rule.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"

namespace fs = std::filesystem;
using lowvolt::host::Dataset;
using lowvolt::host::Net;
using lowvolt::host::TrainOptions;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist";

/// The first `n` training images of Fashion-MNIST (loaded once per process).
Dataset train_head(std::int64_t n) {
  static const Dataset all = lowvolt::host::load_dataset("fashion-mnist", "", true);
  return all.head(n);
}

Dataset test_head(std::int64_t n) {
  static const Dataset all = lowvolt::host::load_dataset("fashion-mnist", "", false);
  return all.head(n);
}

Net fresh(const std::string& arch, std::uint64_t seed) {
  torch::manual_seed(seed);
  lowvolt::host::ModelConfig config;
  config.arch = arch;
  return Net(config);
}

TrainOptions quiet_options() {
  TrainOptions o;
  o.quiet = true;
  o.epochs = 1;
  o.batch_size = 64;
  return o;
}

bool same_weights(const Net& a, const Net& b) {
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  if (pa.size() != pb.size()) return false;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    if (!torch::equal(pa[k], pb[k])) return false;
  }
  return true;
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("lowvolt_train_" + name)).string();
}

class Train : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kData)) << kData << " is missing: the Fashion-MNIST test data comes with Debian's dataset-fashion-mnist, installed by `bash scripts/install-deps`";
    lowvolt::host::configure_threads(2);
  }
};
using TrainErrors = Train;

}  // namespace

// Two epochs of 8-bit quantization-aware training of the cnn on 1024 images bring the test
// error on 256 images well below chance (90 %) and the loss below its starting value.
TEST_F(Train, CnnLearns) {
  Net net = fresh("cnn", 1);
  auto o = quiet_options();
  o.epochs = 2;
  o.batch_size = 32;
  const auto history = lowvolt::host::train(net, train_head(1024), o);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_LT(history[1].loss, history[0].loss);
  const auto stats = lowvolt::host::test_error(net, test_head(256));
  EXPECT_LT(stats.error, 0.4);
}

// The same seed and options give the same weights bit for bit, RandBET's bit errors included; a
// different seed gives different weights.
TEST_F(Train, SameSeedSameWeights) {
  auto o = quiet_options();
  o.method = "randbet";
  o.start_loss = 100.0;
  o.wmax = 0.1;
  Net a = fresh("mlp", 3);
  Net b = fresh("mlp", 3);
  lowvolt::host::train(a, train_head(256), o);
  lowvolt::host::train(b, train_head(256), o);
  EXPECT_TRUE(same_weights(a, b));
  auto other = o;
  other.seed = 4;
  Net c = fresh("mlp", 3);
  lowvolt::host::train(c, train_head(256), other);
  EXPECT_FALSE(same_weights(a, c));
}

// Stopping after epoch 1 and resuming from the checkpoint ends with the weights of an
// uninterrupted run (model and optimizer state restored, schedule continued).
TEST_F(Train, ResumeMatchesUninterrupted) {
  const std::string checkpoint = temp_path("resume.ckpt");
  fs::remove(checkpoint);
  auto o = quiet_options();
  o.method = "randbet";
  o.start_loss = 100.0;
  o.epochs = 3;
  Net straight = fresh("mlp", 5);
  const auto full = lowvolt::host::train(straight, train_head(256), o);

  auto first = o;
  first.epochs = 3;
  first.checkpoint = checkpoint;
  Net interrupted = fresh("mlp", 5);
  // Run only the first epoch by throwing from the epoch callback after the checkpoint is saved.
  struct Stop {};
  try {
    lowvolt::host::train(interrupted, train_head(256), first,
                         [](const lowvolt::host::EpochStats&) { throw Stop{}; });
  } catch (const Stop&) {
  }
  ASSERT_TRUE(fs::exists(checkpoint));
  auto resumed_options = first;
  resumed_options.resume = true;
  Net resumed = fresh("mlp", 99);  // other initial weights: all state must come from the file
  const auto history = lowvolt::host::train(resumed, train_head(256), resumed_options);
  fs::remove(checkpoint);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].loss, full[2].loss);
  EXPECT_TRUE(same_weights(straight, resumed));
}

// With clipping every parameter ends inside [-wmax, wmax], the normalization's α' and β included.
TEST_F(Train, ClippingBoundsAllParameters) {
  auto o = quiet_options();
  o.wmax = 0.05;
  Net net = fresh("cnn", 2);
  lowvolt::host::train(net, train_head(256), o);
  for (const auto& p : net->parameters()) {
    EXPECT_LE(p.abs().max().item<double>(), 0.05 + 1e-7);
  }
}

// RandBET injects from the step after the clean loss first falls below start_loss: never with a
// threshold of 0, on every step but the first with a huge one; Normal never injects.
TEST_F(Train, InjectionSchedule) {
  auto o = quiet_options();
  o.method = "randbet";
  o.start_loss = 0.0;
  Net a = fresh("mlp", 1);
  EXPECT_EQ(lowvolt::host::train(a, train_head(256), o)[0].injected_steps, 0);
  o.start_loss = 100.0;
  Net b = fresh("mlp", 1);
  const auto stats = lowvolt::host::train(b, train_head(256), o)[0];
  EXPECT_EQ(stats.injected_steps, 256 / o.batch_size - 1);
  EXPECT_GT(stats.perturbed_loss, 0.0);
  o.method = "pattbet";
  Net c = fresh("mlp", 1);
  EXPECT_EQ(lowvolt::host::train(c, train_head(256), o)[0].injected_steps, 256 / o.batch_size - 1);
  o.method = "normal";
  Net d = fresh("mlp", 1);
  EXPECT_EQ(lowvolt::host::train(d, train_head(256), o)[0].injected_steps, 0);
}

// The learning rate drops ×0.1 at 2/5, 3/5 and 4/5 of the epochs.
TEST(TrainSchedule, LearningRate) {
  TrainOptions o;
  o.lr = 0.05;
  o.epochs = 10;
  const std::vector<double> expected = {0.05, 0.05, 0.05, 0.05, 0.005, 0.005, 5e-4, 5e-4, 5e-5, 5e-5};
  for (int e = 0; e < 10; ++e) {
    EXPECT_NEAR(lowvolt::host::learning_rate(o, e), expected[static_cast<std::size_t>(e)], 1e-12) << e;
  }
}

// Out-of-range options are errors naming the option.
TEST(TrainOptionsErrors, Validate) {
  const auto bad = [](auto change) {
    TrainOptions o;
    change(o);
    EXPECT_THROW(o.validate(), lowvolt::Error);
  };
  bad([](TrainOptions& o) { o.method = "adversarial"; });
  bad([](TrainOptions& o) { o.p = 1.5; });
  bad([](TrainOptions& o) { o.epochs = 0; });
  bad([](TrainOptions& o) { o.batch_size = 0; });
  bad([](TrainOptions& o) { o.wmax = -0.1; });
  bad([](TrainOptions& o) { o.label_smoothing = 1.0; });
  bad([](TrainOptions& o) { o.resume = true; });
  try {
    TrainOptions o;
    o.lr = -1;
    o.validate();
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--lr"), std::string::npos) << e.what();
  }
}

// Resuming from a checkpoint written with other options is refused; images of the wrong shape
// are refused.
TEST_F(TrainErrors, MismatchedCheckpointAndData) {
  const std::string checkpoint = temp_path("mismatch.ckpt");
  auto o = quiet_options();
  o.checkpoint = checkpoint;
  Net a = fresh("mlp", 1);
  lowvolt::host::train(a, train_head(128), o);
  auto other = o;
  other.lr = 0.01;
  other.resume = true;
  Net b = fresh("mlp", 1);
  EXPECT_THROW(lowvolt::host::train(b, train_head(128), other), lowvolt::Error);
  fs::remove(checkpoint);
  Dataset wrong = train_head(128);
  wrong.images = torch::zeros({128, 3, 32, 32});
  EXPECT_THROW(lowvolt::host::train(b, wrong, quiet_options()), lowvolt::Error);
}
