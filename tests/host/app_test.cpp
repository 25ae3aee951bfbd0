// Proves the application layer (host/app.h, host/profile_app.h) without the command line: an
// evaluation request gives exactly the library's evaluate() numbers; every bad option or
// combination is a UsageError before any work; training writes a model that loads back with the
// reported error, and an unwritable output fails before training starts; MBIST measurement and
// profile comparison agree with the chip they came from.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/app/app.h"
#include "lowvolt/app/profile_app.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/run/evaluate.h"

namespace {

namespace fs = std::filesystem;
namespace lh = lowvolt::host;

const std::string kSource = LOWVOLT_SOURCE_DIR;
const std::string kNormal = kSource + "/models/cnn_normal_8bit.lvm";
const std::string kChip1 = kSource + "/profiles/data/chip1.lvp";
const std::string kChip2 = kSource + "/profiles/data/chip2.lvp";

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_app_" + name + "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// run_evaluation() is evaluate() on the loaded model: same TE, same per-sample errors.
TEST(AppEval, RandomErrorsEqualTheLibrary) {
  lh::configure_threads(2);
  lh::EvalRequest request;
  request.model = kNormal;
  request.test_subset = 200;
  request.eval.rates = {0.01};
  request.eval.samples = 2;
  request.eval.seed = 3;
  request.eval.quiet = true;
  const lh::EvalReport report = lh::run_evaluation(request);
  EXPECT_EQ(report.format, "lvm");
  EXPECT_EQ(report.arch, "cnn");
  EXPECT_EQ(report.dataset, "fashion-mnist");
  std::int64_t words = 0;
  for (const auto& e : report.memory_map) words += e.words;
  EXPECT_EQ(words, report.result.memory_words);

  const auto file = lh::load_model_file(kNormal);
  lh::Net net = lh::instantiate(file);
  net->eval();
  const auto test = lh::load_dataset("fashion-mnist", "", false).head(200);
  const auto direct = lh::evaluate(net, file.quant, test, request.eval);
  EXPECT_EQ(report.result.clean.error, direct.clean.error);
  ASSERT_EQ(report.result.rte.size(), 1u);
  EXPECT_EQ(report.result.rte[0].errors, direct.rte[0].errors);
}

// Bad options and combinations are usage errors found by validate(), before any file is read.
TEST(AppEvalErrors, BadRequestsAreUsageErrors) {
  const auto usage = [](const lh::EvalRequest& r) {
    EXPECT_THROW(r.validate(), lowvolt::UsageError);
    EXPECT_THROW(lh::run_evaluation(r), lowvolt::UsageError);
  };
  lh::EvalRequest r;
  r.model = "/nonexistent.lvm";
  r.errors = "pattern-file";  // without a file
  usage(r);
  r = {};
  r.model = "/nonexistent.lvm";
  r.test_subset = -1;
  usage(r);
  r = {};
  r.source.bits = 9;
  usage(r);
  r = {};
  r.source.memory = "some";
  usage(r);
  r = {};
  r.errors = "everything";
  usage(r);
  // a .lvm carries its own scheme: overriding it is refused, naming both
  lh::ModelSource source;
  source.quant = "rquant";
  try {
    lh::load_model(kNormal, source);
    FAIL() << "no error";
  } catch (const lowvolt::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("carries its own quantization"), std::string::npos) << e.what();
  }
}

// Training through the application layer writes a model file that loads back with the
// reported test error and the training options; on_start comes first, once.
TEST(AppTrain, WritesAModelThatLoadsBack) {
  lh::configure_threads(2);
  const fs::path dir = temp_dir("train");
  lh::TrainRequest request;
  request.out = (dir / "m.lvm").string();
  request.config.arch = "mlp";
  request.train_subset = 256;
  request.test_subset = 100;
  request.train.epochs = 1;
  request.train.quiet = true;
  request.train.checkpoint = (dir / "m.ckpt").string();
  int starts = 0, epochs = 0;
  const auto report = lh::run_training(
      request, [&](const lh::TrainReport& r) {
        ++starts;
        EXPECT_EQ(epochs, 0);
        EXPECT_EQ(r.train_size, 256);
        EXPECT_GT(r.memory_words, 0);
      },
      [&](const lh::EpochStats&) { ++epochs; });
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(epochs, 1);
  EXPECT_EQ(report.format, "lvm");
  const lh::Model model = lh::load_model(request.out);
  EXPECT_EQ(model.arch(), "mlp");
  EXPECT_EQ(model.metrics.at("test_error"), report.test.error);
  EXPECT_EQ(model.training.at("epochs"), "1");
  EXPECT_EQ(model.dataset(), "fashion-mnist");
  fs::remove_all(dir);
}

// An output that cannot be written (a directory) fails before any training; a conflicting
// option combination is a UsageError.
TEST(AppTrainErrors, ProblemsAreFoundBeforeWork) {
  const fs::path dir = temp_dir("train_errors");
  lh::TrainRequest request;
  request.out = dir.string();  // a directory
  request.train.checkpoint = (dir / "x.ckpt").string();
  request.train_subset = 64;
  bool started = false;
  EXPECT_THROW(lh::run_training(request, [&](const lh::TrainReport&) { started = true; }), lowvolt::Error);
  EXPECT_FALSE(started);
  request.out = (dir / "m.lvm").string();
  request.save_pattern = (dir / "p.pat").string();  // needs pattbet
  EXPECT_THROW(request.validate(), lowvolt::UsageError);
  request.save_pattern.clear();
  request.dataset = (dir / "train.pt").string();  // a tensor training set needs a tensor test set
  EXPECT_THROW(request.validate(), lowvolt::UsageError);
  fs::remove_all(dir);
}

// A profile compared with itself agrees cell for cell; chip2 is not chip1.
TEST(ProfileApp, CompareAgreesWithItselfOnly) {
  lh::CompareRequest request;
  request.a = kChip1;
  request.b = kChip1;
  request.vdds = {0.9, 0.8};
  const auto same = lh::compare_profiles(request);
  ASSERT_EQ(same.voltages.size(), 2u);
  EXPECT_NEAR(same.voltages[0].vdd, 0.9, 1e-3);  // highest first (supplies are 12-bit codes)
  EXPECT_TRUE(same.persistent_agree);
  for (const auto& v : same.voltages) {
    EXPECT_EQ(v.both, v.failing_a);
    EXPECT_EQ(v.failing_a, v.failing_b);
    EXPECT_GT(v.failing_a, 0u);
    EXPECT_EQ(v.kind_agreement, 1.0);
  }
  EXPECT_GT(same.voltages[1].failing_a, same.voltages[0].failing_a);
  request.b = kChip2;
  EXPECT_FALSE(lh::compare_profiles(request).persistent_agree);
  request.vdds = {2.5};
  EXPECT_THROW(lh::compare_profiles(request), lowvolt::UsageError);
}

// MBIST on the golden backend recovers the chip's persistent faults exactly at the supplies it
// tested, and the measured profile is written.
TEST(ProfileApp, MeasureOnGoldenRecoversPersistentFaults) {
  lowvolt::accelerator::register_golden_backend();
  const fs::path dir = temp_dir("measure");
  lh::MeasureRequest request;
  request.chip = kChip1;
  request.vdds = {0.85, 0.9};
  request.backend = "golden";
  request.out = (dir / "measured.lvp").string();
  request.quiet = true;
  const auto report = lh::measure_profile(request);
  EXPECT_EQ(report.backend, "golden");
  EXPECT_EQ(report.vdds, (std::vector<double>{0.9, 0.85}));
  EXPECT_GT(report.observations, 0u);
  ASSERT_TRUE(fs::exists(request.out));
  lh::CompareRequest compare;
  compare.a = kChip1;
  compare.b = request.out;
  const auto c = lh::compare_profiles(compare);
  ASSERT_EQ(c.voltages.size(), 2u);
  EXPECT_TRUE(c.persistent_agree);
  request.vdds.clear();
  EXPECT_THROW(request.validate(), lowvolt::UsageError);
  fs::remove_all(dir);
}

}  // namespace
