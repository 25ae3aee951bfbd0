// Proves the user's three main commands end to end through the `lowvolt` program, on small
// subsets: `train` writes a model that `eval` reads back; `eval` reports the library's numbers for
// random errors, a PattBET model's own training pattern (exactly the pattern training used) and a
// saved pattern file; `curve` prints its table and writes JSON, CSV and a plot that agree.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lowvolt/app/runtime.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"
#include "run_lowvolt.h"

namespace {

namespace fs = std::filesystem;
namespace lh = lowvolt::host;
using Result = lowvolt::test::RunResult;

const std::string kSource = LOWVOLT_SOURCE_DIR;
const std::string kNormal = kSource + "/models/cnn_normal_8bit.lvm";
const std::string kChip1 = kSource + "/profiles/data/chip1.lvp";

Result run(const std::string& arguments, bool with_stderr = false) {
  return lowvolt::test::run_lowvolt(arguments, with_stderr);
}

/// A fresh temporary folder for one test, removed at the end.
struct TempDir : lowvolt::test::TempDir {
  explicit TempDir(const std::string& name) : lowvolt::test::TempDir("workflow", name) {}
};
using lowvolt::test::slurp;

}  // namespace

// `train --method pattbet` writes a model and its pattern; `eval --own-pattern` evaluates under
// exactly the pattern training used (rebuilt here from the training options with the library),
// `eval --pattern FILE` with the saved pattern gives the same error at the training rate, and a
// rate above it is refused naming '--p'.
TEST(CliWorkflow, TrainPattbetThenEvalItsOwnPattern) {
  const TempDir dir("pattbet");
  const std::string model = dir / "m.lvm", pattern = dir / "m.lvpat";
  const Result trained =
      run("train --arch mlp --method pattbet --p 1% --start-loss 100 --epochs 1 --train-subset 512 "
          "--test-subset 200 --batch-size 64 --seed 7 --json --out " + model + " --save-pattern " + pattern);
  ASSERT_EQ(trained.status, 0) << trained.out;
  const auto t = nlohmann::json::parse(trained.out);
  ASSERT_EQ(t["epochs"].size(), 1u);
  // Start loss 100: injection starts at the step after the first, so 7 of the 8 steps inject.
  EXPECT_EQ(t["epochs"][0]["injected_steps"], 512 / 64 - 1);
  ASSERT_TRUE(fs::exists(model));
  ASSERT_TRUE(fs::exists(pattern));

  const Result own = run("eval " + model + " --own-pattern --p 0.5%,1% --test-subset 200 --json");
  ASSERT_EQ(own.status, 0) << own.out;
  const auto o = nlohmann::json::parse(own.out);
  EXPECT_EQ(o["errors"], "own-pattern");
  EXPECT_EQ(o["clean_error"], t["test_error"]);
  ASSERT_EQ(o["rte"].size(), 2u);

  // The training side's pattern: pattern_seed() of the options `train` ran with.
  lh::configure_threads(2);
  const lh::ModelFile file = lh::load_model_file(model);
  lh::Net net = lh::instantiate(file);
  net->eval();
  lh::TrainOptions options;
  options.seed = 7;
  const lh::RandomBitErrors errors = lh::pattbet_pattern(net, file.quant.bits, 0.01, lh::pattern_seed(options));
  const auto memory = net->memory_parameters();
  const lh::WeightMemory weights(file.quant, memory);
  const lh::Dataset test = lh::load_dataset("fashion-mnist", "", false).head(200);
  for (std::size_t r = 0; r < 2; ++r) {
    weights.load(errors.apply(weights.codes(), r == 0 ? 0.005 : 0.01), memory);
    EXPECT_EQ(o["rte"][r]["mean"].get<double>(), lh::test_error(net, test).error) << r;
  }

  const Result saved = run("eval " + model + " --pattern " + pattern + " --test-subset 200 --json");
  ASSERT_EQ(saved.status, 0) << saved.out;
  const auto s = nlohmann::json::parse(saved.out);
  EXPECT_EQ(s["errors"], "pattern-file");
  EXPECT_EQ(s["rte"][0]["mean"], o["rte"][1]["mean"]);

  const Result above = run("eval " + model + " --own-pattern --p 2% --test-subset 200", true);
  EXPECT_NE(above.status, 0);
  EXPECT_NE(above.out.find("--p"), std::string::npos) << above.out;
  EXPECT_EQ(above.status, 2);
  // A model file whose recorded training rate or pattern seed is not a number is refused naming
  // the file and the key (it was a bare "stod").
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"p", "-0.5"},
                                   {"p", "one percent"}, {"pattern_seed", "7x"}}) {
    lh::ModelFile bad = file;
    bad.training[key] = value;
    const std::string bad_path = dir / "bad.lvm";
    lh::save_model_file(bad, bad_path);
    const Result r = run("eval " + bad_path + " --own-pattern --p 1% --test-subset 10", true);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find(bad_path + ": training option \"" + key + "\""), std::string::npos) << r.out;
  }
  const Result normal = run("eval " + kNormal + " --own-pattern --p 1% --test-subset 10", true);
  EXPECT_NE(normal.status, 0);
  EXPECT_NE(normal.out.find("PattBET"), std::string::npos) << normal.out;
}

// `eval` with random bit errors prints what host::evaluate computes with the same options, and
// its text table carries the same RTE.
TEST(CliWorkflow, EvalRandomErrorsAreTheLibrarys) {
  const std::string args = "eval " + kNormal + " --p 0.5%,2% --samples 2 --seed 3 --test-subset 100";
  const Result json = run(args + " --json");
  ASSERT_EQ(json.status, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["errors"], "random");
  EXPECT_EQ(j["images"], 100);
  ASSERT_EQ(j["rte"].size(), 2u);

  lh::configure_threads(2);
  const lh::ModelFile file = lh::load_model_file(kNormal);
  lh::Net net = lh::instantiate(file);
  lh::EvalOptions o;
  o.rates = {0.005, 0.02};
  o.samples = 2;
  o.seed = 3;
  o.quiet = true;
  const auto r = lh::evaluate(net, file.quant, lh::load_dataset("fashion-mnist", "", false).head(100), o);
  EXPECT_EQ(j["clean_error"].get<double>(), r.clean.error);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(j["rte"][i]["errors"].get<std::vector<double>>(), r.rte[i].errors) << i;
    EXPECT_EQ(j["rte"][i]["samples"], 2);
  }
  EXPECT_GT(r.rte[1].mean, r.clean.error);  // 2 % of the bits flipped hurts a Normal model

  const Result text = run(args);
  ASSERT_EQ(text.status, 0) << text.out;
  char rte[32];
  std::snprintf(rte, sizeof rte, "%.2f", 100.0 * r.rte[1].mean);
  EXPECT_NE(text.out.find("RTE [%]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(rte), std::string::npos) << text.out;
}

// `curve` prints one table per chip with operating points per (model, chip); --json, --csv and
// --plot of the same sweep agree: one JSON series and one CSV row block per (model, chip), and a
// PNG file. --pool-chips adds the pooled view, labelled, equal to the series with one chip.
TEST(CliWorkflow, CurveTableJsonCsvPlot) {
  const TempDir dir("curve");
  const std::string chip2 = kSource + "/profiles/data/chip2.lvp";
  const std::string args = "curve --model " + kNormal + " --model " + kSource +
                           "/models/cnn_randbet_8bit.lvm --profile " + kChip1 + " --profile " + chip2 +
                           " --vdd 1.0,0.8 --mappings 2 --test-subset 50 --quiet";
  const Result table = run(args);
  ASSERT_EQ(table.status, 0) << table.out;
  EXPECT_NE(table.out.find("chip chip1.lvp"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("chip chip2.lvp"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("on chip2.lvp: within 1.00 points"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("pooled"), std::string::npos) << table.out;

  const Result json = run(args + " --json --csv " + (dir / "c.csv") + " --plot " + (dir / "c.png"));
  ASSERT_EQ(json.status, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["models"].size(), 2u);
  ASSERT_EQ(j["chips"].size(), 2u);
  for (const auto& model : j["models"]) {
    EXPECT_FALSE(model.contains("pooled"));
    ASSERT_EQ(model["series"].size(), 2u);
    for (std::size_t c = 0; c < 2; ++c) {
      const auto& series = model["series"][c];
      EXPECT_EQ(series["chip"], j["chips"][c]["name"]);
      ASSERT_EQ(series["points"].size(), 2u);
      EXPECT_EQ(series["points"][0]["samples"], 2);
      EXPECT_EQ(series["operating_points"].size(), 1u);
    }
    // 1.0 × Vmin on chip1: no cell fails, the clean error exactly.
    EXPECT_EQ(model["series"][0]["points"][0]["mean"], model["clean_error"]);
  }

  std::istringstream csv(slurp(dir / "c.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line,
            "model,chip,vdd,ber,energy,clean_error,rte_mean,rte_std,rte_min,rte_max,samples,"
            "read_ber,write_ber");
  for (std::size_t m = 0; m < 2; ++m) {
    for (std::size_t c = 0; c < 2; ++c) {
      for (std::size_t v = 0; v < 2; ++v) {
        ASSERT_TRUE(std::getline(csv, line));
        std::istringstream row(line);
        std::vector<std::string> cells;
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        ASSERT_EQ(cells.size(), 13u) << line;
        const auto& series = j["models"][m]["series"][c];
        EXPECT_EQ(cells[0], j["models"][m]["name"].get<std::string>());
        EXPECT_EQ(cells[1], series["chip"].get<std::string>());
        EXPECT_NEAR(std::stod(cells[2]), j["vdds"][v].get<double>(), 1e-4);
        EXPECT_NEAR(std::stod(cells[3]), j["chips"][c]["ber"][v].get<double>(), 1e-6 + 1e-5 * j["chips"][c]["ber"][v].get<double>());
        EXPECT_NEAR(std::stod(cells[4]), j["energy"][v].get<double>(), 1e-6);
        EXPECT_NEAR(std::stod(cells[6]), series["points"][v]["mean"].get<double>(), 1e-6);
        EXPECT_EQ(std::stoi(cells[10]), 2);
        EXPECT_NEAR(std::stod(cells[11]), series["points"][v]["read_ber"].get<double>(), 1e-6);
        EXPECT_NEAR(std::stod(cells[12]), series["points"][v]["write_ber"].get<double>(), 1e-6);
      }
    }
  }
  EXPECT_FALSE(std::getline(csv, line));
  EXPECT_EQ(slurp(dir / "c.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  // One chip, --pool-chips: the pooled view is labelled and equals the chip's series.
  const Result pooled = run("curve --model " + kNormal + " --profile " + chip2 +
                            " --vdd 1.0,0.82 --mappings 2 --test-subset 50 --quiet --json --pool-chips");
  ASSERT_EQ(pooled.status, 0) << pooled.out;
  const auto p = nlohmann::json::parse(pooled.out)["models"][0];
  ASSERT_TRUE(p.contains("pooled"));
  EXPECT_EQ(p["pooled"]["over"], "chips × mappings");
  EXPECT_EQ(p["pooled"]["points"], p["series"][0]["points"]);
  EXPECT_EQ(p["pooled"]["operating_points"], p["series"][0]["operating_points"]);
  const Result minmax = run("curve --model " + kNormal + " --profile " + chip2 + " --plot-minmax", true);
  EXPECT_EQ(minmax.status, 2);
  EXPECT_NE(minmax.out.find("--plot"), std::string::npos) << minmax.out;
}

// The process tuning every program applies (common/tuning.h: allocator, OpenBLAS threads)
// changes speed, not arithmetic: with the tuning off but OpenBLAS still on one thread (the
// allocator alone at glibc's defaults) a fixed-seed eval prints the same errors and confidences
// bit for bit. With the tuning wholly off, OpenBLAS's sgemm runs on several threads and on some
// CPUs (this AVX-512 machine, 2 Dec 2026) rounds the last bits differently: the errors must
// still be equal and the mean confidences agree to 1e-6.
TEST(CliWorkflow, TuningChangesNoResult) {
  const std::string args = "eval " + kNormal + " --p 1% --samples 2 --seed 9 --test-subset 300 --json";
  const Result tuned = run(args);
  ::setenv("LOWVOLT_TUNING", "off", 1);
  ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
  const Result allocator_off = run(args);
  ::unsetenv("OPENBLAS_NUM_THREADS");
  const Result defaults = run(args);
  ::unsetenv("LOWVOLT_TUNING");
  ASSERT_EQ(tuned.status, 0) << tuned.out;
  ASSERT_EQ(allocator_off.status, 0) << allocator_off.out;
  ASSERT_EQ(defaults.status, 0) << defaults.out;
  const auto a = nlohmann::json::parse(tuned.out);
  const auto b = nlohmann::json::parse(allocator_off.out);
  const auto c = nlohmann::json::parse(defaults.out);
  EXPECT_EQ(a["clean_error"], b["clean_error"]);
  EXPECT_EQ(a["clean_confidence"], b["clean_confidence"]);
  EXPECT_EQ(a["rte"][0]["errors"], b["rte"][0]["errors"]);
  EXPECT_EQ(a["rte"][0]["confidence"], b["rte"][0]["confidence"]);
  EXPECT_EQ(a["clean_error"], c["clean_error"]);
  EXPECT_EQ(a["rte"][0]["errors"], c["rte"][0]["errors"]);
  EXPECT_NEAR(a["clean_confidence"].get<double>(), c["clean_confidence"].get<double>(), 1e-6);
  EXPECT_NEAR(a["rte"][0]["confidence"].get<double>(), c["rte"][0]["confidence"].get<double>(), 1e-6);
}

// `lowvolt info` reports OpenBLAS (what scripts/install-deps selects) pinned to one thread, and
// its own pool size with the tuning off.
TEST(CliWorkflow, InfoShowsOpenBlasPinnedToOneThread) {
  const Result info = run("info");
  ASSERT_EQ(info.status, 0) << info.out;
  ASSERT_NE(info.out.find("openblas"), std::string::npos)
      << "OpenBLAS is not the BLAS in use; `bash scripts/install-deps` selects it\n" << info.out;
  EXPECT_NE(info.out.find("blas threads:  1\n"), std::string::npos) << info.out;
  ::setenv("LOWVOLT_TUNING", "off", 1);
  const Result off = run("info");
  ::unsetenv("LOWVOLT_TUNING");
  if (std::thread::hardware_concurrency() > 1) {
    EXPECT_EQ(off.out.find("blas threads:  1\n"), std::string::npos) << off.out;
  }
}

// Option conflicts and unwritable outputs are found before any work: `train --save-pattern`
// without PattBET exits 2 without training (no model written), and an output that is a FIFO is
// refused with exit 1 naming it, before the sweep, and stays a FIFO.
TEST(CliWorkflowErrors, BadOutputsFoundBeforeWork) {
  const TempDir dir("early");
  const Result pattern = run("train --out " + (dir / "m.lvm") + " --save-pattern " + (dir / "p.lvpat") +
                                 " --epochs 1 --train-subset 256 --test-subset 10",
                             true);
  EXPECT_EQ(pattern.status, 2);
  EXPECT_NE(pattern.out.find("--save-pattern"), std::string::npos) << pattern.out;
  EXPECT_FALSE(fs::exists(dir / "m.lvm")) << "trained before refusing the options";
  const std::string fifo = dir / "out.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const Result curve = run("curve --model " + kNormal + " --profile " + kChip1 + " --vdd 1.0,0.8 --csv " + fifo, true);
  EXPECT_EQ(curve.status, 1);
  EXPECT_NE(curve.out.find(fifo + ": is a FIFO"), std::string::npos) << curve.out;
  EXPECT_EQ(curve.out.find("V/Vmin"), std::string::npos) << "swept before refusing the output";
  EXPECT_TRUE(fs::is_fifo(fifo));
  const Result subset = run("train --out " + (dir / "m.lvm") + " --train-subset -5", true);
  EXPECT_EQ(subset.status, 2);
  EXPECT_NE(subset.out.find("--train-subset"), std::string::npos) << subset.out;
}

// A path that is not UTF-8 (byte 0xff) still gives valid JSON after the work: the bad byte is
// replaced (U+FFFD) instead of the program failing at the very end.
TEST(CliWorkflowErrors, NonUtf8PathStillGivesValidJson) {
  const TempDir dir("utf8");
  const std::string model = dir / "model\xff.lvm";
  fs::copy_file(kNormal, model);
  const Result r = run("eval " + model + " --p 1% --samples 1 --test-subset 20 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["model"].get<std::string>().find("model\xEF\xBF\xBD.lvm"), std::string::npos);
}
