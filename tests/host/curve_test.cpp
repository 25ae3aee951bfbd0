// Proves lowvolt curve's sweep (host/curve.h): BER and energy follow the chip and the energy
// model, fault-free voltages give exactly the clean error, operating points follow their
// definition, both backends run, results are reproducible, and bad options are refused.
#include "lowvolt/run/curve.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lowvolt/app/app.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/chip/chip_read.h"
#include "lowvolt/chip/memory_layout.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"

namespace {

namespace fs = std::filesystem;
namespace lh = lowvolt::host;
namespace lp = lowvolt::profiles;

const std::string kModel = std::string(LOWVOLT_SOURCE_DIR) + "/models/cnn_normal_8bit.lvm";

std::string make_chip(const std::string& preset, std::uint64_t seed) {
  const fs::path path = fs::temp_directory_path() /
                        ("lowvolt_curve_" + preset + "_" + std::to_string(::getpid()) + ".lvp");
  lp::write_profile(path.string(), lp::generate_profile(preset, {}, lp::Geometry{16, 512, 64}, seed));
  return path.string();
}

lh::CurveOptions small_options(const std::string& chip) {
  lh::CurveOptions o;
  o.models = {kModel};
  o.profiles = {chip};
  o.vdds = {1.05, 0.86, 0.82};
  o.mappings = 2;
  o.budgets = {0.01, 0.025};
  o.test_subset = 200;
  o.batch_size = 100;
  o.quiet = true;
  return o;
}

// The torch sweep: BER from the chip, energy (V/Vmin)^2, clean error where no cell fails,
// statistics over chips × mappings, operating points by their definition.
TEST(Curve, TorchSweepFollowsDefinitions) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("uniform", 3);
  const lh::CurveOptions options = small_options(chip);
  const lh::CurveResult r = lh::sweep_curve(options);
  const lp::Profile p = lp::read_profile(chip);
  ASSERT_EQ(r.vdds, options.vdds);
  ASSERT_EQ(r.chips.size(), 1u);
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_EQ(r.test_images, 200);
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    EXPECT_DOUBLE_EQ(r.energy[v], r.vdds[v] * r.vdds[v]);
    EXPECT_DOUBLE_EQ(r.chips[0].ber[v],
                     static_cast<double>(p.map.count_faulty(lp::vdd_code(r.vdds[v]))) /
                         static_cast<double>(p.map.geometry().cells()));
  }
  EXPECT_EQ(r.chips[0].ber[0], 0.0);  // uniform chips have no cell failing above 1.0 × Vmin
  EXPECT_GT(r.chips[0].ber[2], r.chips[0].ber[1]);
  const lh::ModelCurve& m = r.models[0];
  // One chip: its series and the pooled view are the same numbers.
  ASSERT_EQ(m.series.size(), 1u);
  EXPECT_EQ(m.series[0].chip, r.chips[0].name);
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    EXPECT_EQ(m.series[0].points[v].errors, m.points[v].errors);
    EXPECT_EQ(m.series[0].points[v].mean, m.points[v].mean);
    EXPECT_EQ(m.series[0].points[v].std, m.points[v].std);
  }
  for (std::size_t b = 0; b < m.operating.size(); ++b) {
    EXPECT_EQ(m.series[0].operating[b].found, m.operating[b].found);
    EXPECT_EQ(m.series[0].operating[b].vdd, m.operating[b].vdd);
  }
  for (const double e : m.points[0].errors) EXPECT_EQ(e, m.clean_error);
  EXPECT_EQ(m.points[0].std, 0.0);
  for (const auto& point : m.points) {
    ASSERT_EQ(point.samples, options.mappings);
    EXPECT_LE(point.min, point.mean);
    EXPECT_GE(point.max, point.mean);
  }
  // At 0.82 × Vmin about 2 % of the bits fail: the Normal model must lose accuracy.
  EXPECT_GT(m.points[2].mean, m.clean_error);
  ASSERT_EQ(m.operating.size(), 2u);
  for (const auto& op : m.operating) {
    // Expected: walk down from the highest voltage while the mean stays within the budget.
    double expected_vdd = 0;
    bool found = false;
    for (const auto& point : m.points) {  // the grid is given in descending order
      if (point.mean > m.clean_error + op.budget + 1e-12) break;
      found = true;
      expected_vdd = point.vdd;
    }
    EXPECT_EQ(op.found, found);
    if (found) {
      EXPECT_EQ(op.vdd, expected_vdd);
      EXPECT_NEAR(op.energy_saved, 1.0 - expected_vdd * expected_vdd, 1e-12);
    }
  }
  fs::remove(chip);
}

// Two chips of different kinds: one series per chip whose samples are exactly that chip's
// mappings (the chip-major slice of the pooled samples), with its own statistics and operating
// points; the pooled view mixes both.
TEST(Curve, OneSeriesPerChip) {
  torch::set_num_threads(2);
  const std::string random = make_chip("uniform", 3), aligned = make_chip("chip2", 5);
  lh::CurveOptions options = small_options(random);
  options.profiles = {random, aligned};
  options.vdds = {1.05, 0.86, 0.82};
  options.test_subset = 100;
  const lh::CurveResult r = lh::sweep_curve(options);
  ASSERT_EQ(r.chips.size(), 2u);
  const lh::ModelCurve& m = r.models[0];
  ASSERT_EQ(m.series.size(), 2u);
  const auto k = static_cast<std::size_t>(options.mappings);
  for (std::size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(m.series[c].chip, r.chips[c].name);
    ASSERT_EQ(m.series[c].points.size(), r.vdds.size());
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      const auto& p = m.series[c].points[v];
      const std::vector<double> slice(m.points[v].errors.begin() + static_cast<std::ptrdiff_t>(c * k),
                                      m.points[v].errors.begin() + static_cast<std::ptrdiff_t>((c + 1) * k));
      EXPECT_EQ(p.errors, slice) << c << " " << v;
      EXPECT_EQ(p.samples, options.mappings);
      EXPECT_NEAR(p.mean, (slice[0] + slice[1]) / 2, 1e-15);
      EXPECT_EQ(p.min, std::min(slice[0], slice[1]));
      EXPECT_EQ(p.max, std::max(slice[0], slice[1]));
    }
    const auto expected = lh::operating_points(m.series[c].points, r.vdds, r.energy, m.clean_error, options.budgets);
    ASSERT_EQ(m.series[c].operating.size(), expected.size());
    for (std::size_t b = 0; b < expected.size(); ++b) {
      EXPECT_EQ(m.series[c].operating[b].found, expected[b].found);
      EXPECT_EQ(m.series[c].operating[b].vdd, expected[b].vdd);
    }
  }
  EXPECT_EQ(m.points[0].samples, 2 * options.mappings);
  // The two chips differ at 0.82 × Vmin (the column-aligned chip fails far more cells there).
  EXPECT_NE(m.series[0].points[2].mean, m.series[1].points[2].mean);
  fs::remove(random);
  fs::remove(aligned);
}

// The operating point walks down from the highest voltage and stops at the first over budget,
// whatever the order of the grid.
// The effective error rate: read_ber is the fraction of the model's weight bits that the
// history read (written at read count 0, read at 1) returns wrong, counted here independently
// through host::chip_code_faults on the model's codes and layout, mean over the mappings; the
// part by writes is what the snapshot at read count 1 does not return wrong; with
// --chip-read snapshot there is no such part. Pooled = the chips' mean.
TEST(Curve, ReadErrorRatesCountWhatReadsReturnWrong) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("chip2", 9);  // intermittent stuck cells
  lh::CurveOptions options = small_options(chip);
  options.vdds = {0.84};
  options.test_subset = 20;
  const lh::CurveResult r = lh::sweep_curve(options);
  options.chip_read = "snapshot";
  const lh::CurveResult s = lh::sweep_curve(options);
  const lp::Profile p = lp::read_profile(chip);
  const lh::Model model = lh::load_model(kModel);
  const auto params = model.net->memory_parameters();
  const auto t = lh::WeightMemory(model.quant, params).codes().contiguous();
  const std::vector<std::uint8_t> codes(t.data_ptr<std::uint8_t>(), t.data_ptr<std::uint8_t>() + t.numel());
  const lp::FaultMasks masks = p.map.faults_at(lp::vdd_code(0.84));
  double read = 0, write = 0;
  for (int k = 0; k < options.mappings; ++k) {
    const auto image = lh::memory_image(params, model.net->memory_parameter_names(), codes, 8,
                                        lh::mapping_offset(p.map.geometry().cells(), k, options.mappings));
    const auto h = image.flat_code_faults(masks);
    const auto one = image.flat_code_faults(masks, lp::ReadHistory::snapshot(1));
    std::uint64_t wrong = 0, wrong_read = 0;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      wrong += static_cast<std::uint64_t>(__builtin_popcount(h.apply(i, codes[i]) ^ codes[i]));
      wrong_read += static_cast<std::uint64_t>(__builtin_popcount(one.apply(i, codes[i]) ^ codes[i]));
    }
    read += static_cast<double>(wrong) / (8.0 * static_cast<double>(codes.size())) / options.mappings;
    write += static_cast<double>(wrong - wrong_read) / (8.0 * static_cast<double>(codes.size())) /
             options.mappings;
  }
  const auto& point = r.models[0].series[0].points[0];
  EXPECT_NEAR(point.read_ber, read, 1e-12);
  EXPECT_NEAR(point.write_ber, write, 1e-12);
  EXPECT_GT(point.write_ber, 0.0);
  EXPECT_LT(point.write_ber, point.read_ber);
  EXPECT_EQ(r.models[0].points[0].read_ber, point.read_ber);  // one chip: pooled = series
  const auto& snap = s.models[0].series[0].points[0];
  EXPECT_EQ(snap.write_ber, 0.0);
  EXPECT_LT(snap.read_ber, point.read_ber);
  fs::remove(chip);
}

TEST(Curve, OperatingPointsFollowTheirDefinition) {
  std::vector<lh::CurvePoint> points(4);
  const std::vector<double> vdds = {0.8, 1.0, 0.9, 0.85}, energy = {0.64, 1.0, 0.81, 0.7225};
  const std::vector<double> means = {0.30, 0.10, 0.105, 0.125};
  for (std::size_t i = 0; i < 4; ++i) points[i].mean = means[i];
  const auto ops = lh::operating_points(points, vdds, energy, 0.10, {0.01, 0.03, 0.0});
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_TRUE(ops[0].found);
  EXPECT_EQ(ops[0].vdd, 0.9);
  EXPECT_NEAR(ops[0].energy_saved, 0.19, 1e-12);
  EXPECT_EQ(ops[1].vdd, 0.85);
  EXPECT_EQ(ops[1].rte, 0.125);
  EXPECT_TRUE(ops[2].found);  // 1.0 × Vmin meets a zero budget exactly
  EXPECT_EQ(ops[2].vdd, 1.0);
  const auto none = lh::operating_points(points, vdds, energy, 0.05, {0.01});
  EXPECT_FALSE(none[0].found);
}

// The same inputs give the same numbers bit for bit; the golden backend runs the same sweep.
TEST(Curve, ReproducibleAndGoldenBackendRuns) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("chip2", 5);
  lh::CurveOptions options = small_options(chip);
  options.vdds = {1.05, 0.84};
  options.mappings = 1;
  options.test_subset = 64;
  const lh::CurveResult a = lh::sweep_curve(options);
  const lh::CurveResult b = lh::sweep_curve(options);
  EXPECT_EQ(a.models[0].points[1].errors, b.models[0].points[1].errors);
  options.backend = "golden";
  const lh::CurveResult g = lh::sweep_curve(options);
  EXPECT_EQ(g.backend, "golden");
  EXPECT_GT(g.weight_reads, 0u);
  // Fault-free voltage: the golden datapath agrees with fake quantization on almost every image.
  EXPECT_NEAR(g.models[0].clean_error, a.models[0].clean_error, 3.0 / 64);
  EXPECT_EQ(g.models[0].points[0].errors[0], g.models[0].clean_error);
  // Faulty voltage: the golden point is the accelerator run through the chip's faults at mapping
  // offset 0 (the only mapping), computed here directly with AccelInference, and worse than clean.
  const lp::Profile prof = lp::read_profile(chip);
  lh::ModelFile file = lh::load_model_file(kModel);
  lh::Net net = lh::instantiate(file);
  net->eval();
  lh::AccelInferenceOptions ao;
  ao.backend = "golden";
  ao.offset = 0;
  ao.vdd = lp::code_volts(lp::vdd_code(0.84));
  ao.instances = 2;  // the curve backend's default for golden
  lh::AccelInference inference(net, file.quant, ao, &prof.map);
  const lh::Dataset test = lh::load_dataset("fashion-mnist", "", false).head(64);
  torch::NoGradGuard no_grad;
  const auto logits = inference.forward(test.images);
  const double expected =
      static_cast<double>(logits.argmax(1).ne(test.labels).sum().item<std::int64_t>()) / 64.0;
  ASSERT_EQ(g.models[0].points[1].errors.size(), 1u);
  EXPECT_EQ(g.models[0].points[1].errors[0], expected);
  EXPECT_GT(g.models[0].points[1].errors[0], g.models[0].clean_error);
  fs::remove(chip);
}

// Each model is tested on its own test set: two copies of one model trained on the same tensor
// training file but recorded with different test files ("test_dataset", as `lowvolt train
// --test-dataset` records it) get the clean errors of their own test sets, as `lowvolt eval`
// (run_evaluation, model_dataset) gives them.
TEST(Curve, EachModelIsTestedOnItsOwnTestSet) {
  torch::set_num_threads(2);
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_curve_tests_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const lh::Dataset fmnist = lh::load_dataset("fashion-mnist", "", false).head(100);
  const auto save_set = [&](const std::string& name, const torch::Tensor& labels) {
    c10::Dict<std::string, torch::Tensor> d;
    d.insert("images", fmnist.images);
    d.insert("labels", labels);
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
    std::ofstream((dir / name).string(), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return (dir / name).string();
  };
  const std::string train_set = save_set("train.pt", fmnist.labels);
  const std::string test_a = save_set("test_a.pt", fmnist.labels);
  const std::string test_b = save_set("test_b.pt", (fmnist.labels + 1).remainder(10));  // every label wrong
  lh::ModelFile file = lh::load_model_file(kModel);
  file.training["dataset"] = train_set;
  file.training["test_dataset"] = test_a;
  const std::string model_a = (dir / "a.lvm").string();
  lh::save_model_file(file, model_a);
  file.training["test_dataset"] = test_b;
  const std::string model_b = (dir / "b.lvm").string();
  lh::save_model_file(file, model_b);

  const std::string chip = make_chip("chip1", 3);
  lh::CurveOptions options = small_options(chip);
  options.models = {model_a, model_b};
  options.vdds = {1.05};
  options.mappings = 1;
  options.test_subset = 0;
  const lh::CurveResult r = lh::sweep_curve(options);
  ASSERT_EQ(r.models.size(), 2u);
  EXPECT_LT(r.models[0].clean_error, 0.5);
  EXPECT_EQ(r.models[1].clean_error, 1.0);
  for (const auto& [path, curve] : {std::pair{model_a, r.models[0]}, std::pair{model_b, r.models[1]}}) {
    lh::EvalRequest request;
    request.model = path;
    request.eval.quiet = true;
    EXPECT_EQ(lh::run_evaluation(request).result.clean.error, curve.clean_error) << path;
  }
  fs::remove(chip);
  fs::remove_all(dir);
}

TEST(CurveErrors, BadOptionsAreRefused) {
  const std::string chip = make_chip("uniform", 1);
  lh::CurveOptions o = small_options(chip);
  o.mappings = 0;
  EXPECT_THROW(lh::sweep_curve(o), lowvolt::Error);
  o = small_options(chip);
  o.budgets = {1.5};
  EXPECT_THROW(lh::sweep_curve(o), lowvolt::Error);
  o = small_options(chip);
  o.vdds = {0.0};
  EXPECT_THROW(lh::sweep_curve(o), lowvolt::Error);
  o = small_options(chip);
  o.batch_size = -1;  // 0 is "auto", negative is a mistake
  EXPECT_THROW(lh::sweep_curve(o), lowvolt::Error);
  o = small_options(chip);
  o.backend = "fpga";
  try {
    lh::sweep_curve(o);
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("golden"), std::string::npos) << e.what();
  }
  o = small_options(chip);
  o.profiles = {"/nonexistent/chip.lvp"};
  try {
    lh::sweep_curve(o);
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/chip.lvp"), std::string::npos) << e.what();
  }
  fs::remove(chip);
}

}  // namespace
