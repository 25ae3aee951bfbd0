// ECC in curves (host/curve_ecc.h, sweep_curve_ecc): ECC off is today's sweep bit for bit, the
// energy model with check bits and logic, chip word error rates by their definition, a list of
// modes compared in one run on the same samples, the golden backend's ECC point equal to
// AccelInference with ECC, and bad --ecc / --ecc-energy values refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"
#include "lowvolt/run/curve.h"
#include "lowvolt/run/curve_ecc.h"

namespace {

namespace fs = std::filesystem;
namespace la = lowvolt::accelerator;
namespace lh = lowvolt::host;
namespace lp = lowvolt::profiles;

const std::string kModel = std::string(LOWVOLT_SOURCE_DIR) + "/models/cnn_normal_8bit.lvm";

std::string make_chip(const std::string& preset, std::uint64_t seed) {
  const fs::path path = fs::temp_directory_path() /
                        ("lowvolt_curve_ecc_" + preset + "_" + std::to_string(::getpid()) + ".lvp");
  lp::write_profile(path.string(),
                    lp::generate_profile(preset, {}, lp::Geometry{16, 512, 64}, seed));
  return path.string();
}

lh::CurveOptions small_options(const std::string& chip) {
  lh::CurveOptions o;
  o.models = {kModel};
  o.profiles = {chip};
  o.vdds = {1.05, 0.86, 0.82};
  o.mappings = 1;
  o.budgets = {0.01};
  o.test_subset = 200;
  o.batch_size = 100;
  o.quiet = true;
  return o;
}

// --ecc none is today's sweep: the same errors, energies and operating points bit for bit.
TEST(CurveEcc, NoneIsTodaysSweep) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("chip1", 7);
  const auto options = small_options(chip);
  const auto plain = lh::sweep_curve(options);
  const auto ecc = lh::sweep_curve_ecc(options, {la::EccMode::kNone});
  ASSERT_EQ(ecc.models.size(), 1u);
  EXPECT_EQ(ecc.models[0].ecc, "none");
  EXPECT_EQ(ecc.energy, plain.energy);
  EXPECT_EQ(ecc.models[0].energy, plain.energy);
  for (std::size_t v = 0; v < options.vdds.size(); ++v) {
    EXPECT_EQ(ecc.models[0].points[v].errors, plain.models[0].points[v].errors);
    EXPECT_DOUBLE_EQ(plain.energy[v], options.vdds[v] * options.vdds[v]);
  }
  EXPECT_EQ(ecc.models[0].operating[0].vdd, plain.models[0].operating[0].vdd);
  fs::remove(chip);
}

// none, parity and secded in one run: models mode-minor, energies (64 + c)/64 · v² + logic,
// word error rates per chip and mode; secded turns most raw word errors into correct words and
// a lower RTE than no ECC at the same voltage, parity never delivers fewer wrong words.
TEST(CurveEcc, ModesCompareInOneRun) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("chip1", 7);
  auto options = small_options(chip);
  options.ecc_energy.secded = 0.2;
  const auto r = lh::sweep_curve_ecc(
      options, {la::EccMode::kNone, la::EccMode::kParity, la::EccMode::kSecded});
  ASSERT_EQ(r.models.size(), 3u);
  EXPECT_EQ(r.models[0].ecc, "none");
  EXPECT_EQ(r.models[1].ecc, "parity");
  EXPECT_EQ(r.models[2].ecc, "secded");
  ASSERT_EQ(r.chips[0].ecc.size(), 3u);
  for (std::size_t v = 0; v < options.vdds.size(); ++v) {
    const double v2 = options.vdds[v] * options.vdds[v];
    EXPECT_DOUBLE_EQ(r.models[0].energy[v], v2);
    EXPECT_DOUBLE_EQ(r.models[1].energy[v], 65.0 / 64.0 * v2 + 0.01);
    EXPECT_DOUBLE_EQ(r.models[2].energy[v], 72.0 / 64.0 * v2 + 0.2);
    const auto& none = r.chips[0].ecc[0].rates[v];
    const auto& parity = r.chips[0].ecc[1].rates[v];
    const auto& secded = r.chips[0].ecc[2].rates[v];
    EXPECT_EQ(none.raw, none.post);
    EXPECT_EQ(none.detected, 0.0);
    EXPECT_EQ(parity.raw, none.raw);
    EXPECT_GE(parity.post, none.post);
    EXPECT_LE(secded.post, none.post);
  }
  const auto& at86 = r.chips[0].ecc[2].rates[1];
  EXPECT_GT(r.chips[0].ecc[0].rates[1].raw, 0.05) << "chip1 at 0.86 must have faulty words";
  EXPECT_LT(at86.post, 0.25 * at86.raw) << "secded corrects most faulty words at 0.86";
  // the clean errors agree (no fault, nothing to decode) and secded helps at 0.82 (at 0.86 chip1
  // costs this model about one image of the 200, too little to compare)
  EXPECT_EQ(r.models[2].clean_error, r.models[0].clean_error);
  EXPECT_EQ(r.models[2].points[0].errors, r.models[0].points[0].errors);
  EXPECT_LT(r.models[2].points[2].mean, r.models[0].points[2].mean);
  // operating points use the mode's own energy
  for (const auto& m : r.models) {
    for (const auto& op : m.operating) {
      if (!op.found) continue;
      std::size_t v = 0;
      while (options.vdds[v] != op.vdd) ++v;
      EXPECT_DOUBLE_EQ(op.energy_saved, 1.0 - m.energy[v]);
    }
  }
  fs::remove(chip);
}

// The golden backend with secded: the sweep's point is AccelInference on the golden backend
// with backend option ecc = secded, computed directly; torch and golden clean errors agree.
TEST(CurveEcc, GoldenPointIsAccelInferenceWithEcc) {
  torch::set_num_threads(2);
  const std::string chip = make_chip("chip2", 5);
  auto options = small_options(chip);
  options.vdds = {0.84};
  options.test_subset = 24;
  options.backend = "golden";
  options.ecc = la::EccMode::kSecded;
  const auto g = lh::sweep_curve(options);
  EXPECT_EQ(g.models[0].ecc, "secded");
  const lp::Profile prof = lp::read_profile(chip);
  lh::ModelFile file = lh::load_model_file(kModel);
  lh::Net net = lh::instantiate(file);
  net->eval();
  lh::AccelInferenceOptions ao;
  ao.backend = "golden";
  ao.backend_config = {{"ecc", "secded"}};
  ao.vdd = lp::code_volts(lp::vdd_code(0.84));
  ao.instances = 2;
  lh::AccelInference inference(net, file.quant, ao, &prof.map);
  const lh::Dataset test = lh::load_dataset("fashion-mnist", "", false).head(24);
  torch::NoGradGuard no_grad;
  const auto logits = inference.forward(test.images);
  const double expected =
      static_cast<double>(logits.argmax(1).ne(test.labels).sum().item<std::int64_t>()) / 24.0;
  ASSERT_EQ(g.models[0].points[0].errors.size(), 1u);
  EXPECT_EQ(g.models[0].points[0].errors[0], expected);
  fs::remove(chip);
}

// Word error rates by their definition, recounted cell by cell from the data and check cells.
TEST(CurveEcc, ChipWordRatesByDefinition) {
  const auto p = lp::generate_profile("chip2", {}, lp::Geometry{16, 512, 64}, 3);
  const auto check = la::ecc_check_cells(p.map);
  const std::uint16_t vdd = lp::vdd_code(0.84);
  const double words = 16.0 * 512;
  double raw = 0, two72 = 0, exactly2 = 0, odd65 = 0, any65 = 0;
  for (std::uint64_t w = 0; w < 16 * 512; ++w) {
    int d = 0, c = 0;
    for (int b = 0; b < 64; ++b) d += p.map.vc()[w * 64 + b] > vdd;
    for (int b = 0; b < 8; ++b) c += check.vc()[w * 8 + b] > vdd;
    const int c0 = check.vc()[w * 8] > vdd;
    raw += d > 0;
    two72 += d + c >= 2;
    exactly2 += d + c == 2;
    odd65 += (d + c0) % 2;
    any65 += d > 0 || c0 > 0;
  }
  const auto none = lh::chip_word_rates(p.map, check, vdd, la::EccMode::kNone);
  const auto parity = lh::chip_word_rates(p.map, check, vdd, la::EccMode::kParity);
  const auto secded = lh::chip_word_rates(p.map, check, vdd, la::EccMode::kSecded);
  EXPECT_GT(raw, 100);
  EXPECT_DOUBLE_EQ(none.raw, raw / words);
  EXPECT_DOUBLE_EQ(none.post, raw / words);
  EXPECT_DOUBLE_EQ(parity.detected, odd65 / words);
  EXPECT_LE(parity.post, any65 / words);
  EXPECT_GE(parity.post, raw / words);
  EXPECT_GE(secded.detected, exactly2 / words);
  EXPECT_LE(secded.post, two72 / words);
  EXPECT_LE(secded.detected + secded.post, 2 * two72 / words);
}

// Bad --ecc and --ecc-energy values are one-line errors naming the option and the key.
TEST(CurveEccErrors, BadValuesAreRefused) {
  EXPECT_DOUBLE_EQ(lh::EccEnergy::parse("secded=0.3", "--ecc-energy").secded, 0.3);
  EXPECT_DOUBLE_EQ(lh::EccEnergy::parse("secded=0.3", "--ecc-energy").parity, 0.01);
  EXPECT_DOUBLE_EQ(lh::EccEnergy::parse("parity=0,secded=1", "--ecc-energy").parity, 0.0);
  for (const std::string bad :
       {"secded", "secded=x", "hamming=1", "parity=-1", "secded=1e400", ""}) {
    try {
      lh::EccEnergy::parse(bad, "--ecc-energy");
      FAIL() << bad;
    } catch (const lowvolt::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--ecc-energy: ", 0), 0u) << e.what();
    }
  }
  const std::string chip = make_chip("uniform", 1);
  EXPECT_THROW(lh::sweep_curve_ecc(small_options(chip), {}), lowvolt::Error);
  EXPECT_THROW(
      lh::sweep_curve_ecc(small_options(chip), {la::EccMode::kSecded, la::EccMode::kSecded}),
      lowvolt::Error);
  fs::remove(chip);
}

}  // namespace
