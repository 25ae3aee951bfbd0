// Proves hardware profile validation end to end through the `lowvolt` program: a chip loaded
// into the accelerator's weight buffer and characterised by MBIST (`profile measure`) agrees
// exactly with the ground truth on persistent faults (`profile compare`), the golden and rtl
// backends measure the same cells, and `profile validate` gives the same verdicts on the
// measured profile as on the ground truth. With --ecc the MBIST also tests the check cells
// (ECC bypassed): their failures agree between the backends and with the chip's own check cells
// (accelerator::ecc_check_cells), and the measured profile is the data cells' as without ECC.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"
#include "run_lowvolt.h"

namespace {

namespace fs = std::filesystem;

using Result = lowvolt::test::RunResult;

Result run(const std::string& arguments) {
  return lowvolt::test::run_lowvolt(arguments, /*with_stderr=*/false);
}

fs::path scratch() {
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_measure_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> verdicts(const std::string& json_text) {
  std::vector<std::string> out;
  const auto report = nlohmann::json::parse(json_text);
  for (const auto& v : report["voltages"]) {
    out.push_back(v["verdict"].get<std::string>());
  }
  return out;
}

// A persistent (σ_n = 0) chip measured by MBIST is the ground truth, cell for cell.
TEST(ProfileMeasure, PersistentChipMeasuredExactlyOnBothBackends) {
  const fs::path dir = scratch();
  const std::string truth = (dir / "uniform.lvp").string();
  ASSERT_EQ(run("profile generate --preset uniform --seed 11 -o " + truth).status, 0);
  const std::string golden = (dir / "golden.lvp").string();
  const std::string rtl = (dir / "rtl.lvp").string();
  ASSERT_EQ(run("profile measure --quiet --chip " + truth + " --vdd 0.9,0.86,0.83 --backend golden -o " + golden).status, 0);
  ASSERT_EQ(run("profile measure --quiet --chip " + truth + " --vdd 0.9,0.86,0.83 --backend rtl -o " + rtl).status, 0);
  for (const auto& measured : {golden, rtl}) {
    const Result r = run("profile compare --json " + truth + " " + measured);
    ASSERT_EQ(r.status, 0) << r.out;
    const auto report = nlohmann::json::parse(r.out);
    ASSERT_EQ(report["voltages"].size(), 3u);
    for (const auto& v : report["voltages"]) {
      EXPECT_GT(v["failing_a"].get<std::uint64_t>(), 0u);
      EXPECT_EQ(v["only_a"].get<std::uint64_t>(), 0u) << measured;
      EXPECT_EQ(v["only_b"].get<std::uint64_t>(), 0u) << measured;
      EXPECT_EQ(v["kind_agreement"].get<double>(), 1.0) << measured;
    }
  }
  // The two backends saw the same cells with the same directions.
  const Result between = run("profile compare --json " + golden + " " + rtl);
  ASSERT_EQ(between.status, 0);
  const auto between_report = nlohmann::json::parse(between.out);
  ASSERT_EQ(between_report["voltages"].size(), 3u);
  for (const auto& v : between_report["voltages"]) {
    EXPECT_EQ(v["only_a"].get<std::uint64_t>() + v["only_b"].get<std::uint64_t>(), 0u);
  }
  fs::remove_all(dir);
}

// chip2 (column-aligned, 0→1-biased, intermittent): persistent faults agree, and validation of the
// measured profile reaches the ground truth's verdicts.
TEST(ProfileMeasure, Chip2VerdictsSurviveMeasurement) {
  const fs::path dir = scratch();
  const std::string truth = (dir / "chip2.lvp").string();
  const std::string measured = (dir / "measured.lvp").string();
  ASSERT_EQ(run("profile generate --preset chip2 --seed 4 -o " + truth).status, 0);
  ASSERT_EQ(run("profile measure --quiet --chip " + truth + " --vdd 0.88,0.85 --backend golden -o " + measured).status, 0);
  const Result cmp = run("profile compare --json " + truth + " " + measured);
  EXPECT_EQ(cmp.status, 0) << cmp.out;
  EXPECT_TRUE(nlohmann::json::parse(cmp.out)["persistent_agree"].get<bool>());
  const Result a = run("profile validate --json " + truth + " --vdd 0.88,0.85");
  const Result b = run("profile validate --json " + measured + " --vdd 0.88,0.85");
  ASSERT_EQ(a.status, b.status);
  const auto va = verdicts(a.out);
  ASSERT_FALSE(va.empty()) << a.out.substr(0, 2000);
  const auto vb = verdicts(b.out);
  EXPECT_EQ(va, vb);
  ASSERT_EQ(va.size(), 2u);
  for (const auto& v : va) EXPECT_NE(v.find("column"), std::string::npos) << v;
  fs::remove_all(dir);
}

// A profile whose geometry is not the weight buffer's is refused with a message naming it.
TEST(ProfileMeasureErrors, WrongGeometryNamesFile) {
  const fs::path dir = scratch();
  const std::string small = (dir / "small.lvp").string();
  ASSERT_EQ(run("profile generate --preset uniform --arrays 2 -o " + small).status, 0);
  const Result r = lowvolt::test::run_lowvolt("profile measure --chip " + small +
                                                   " --vdd 0.9 --backend golden -o " +
                                                   (dir / "x.lvp").string(),
                                               /*with_stderr=*/true);
  const std::string& text = r.out;
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(text.find("small.lvp"), std::string::npos) << text;
  EXPECT_NE(text.find("geometry"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(dir / "x.lvp"));
  fs::remove_all(dir);
}

// ---- --ecc: the check cells -------------------------------------------------------------------

namespace la = lowvolt::accelerator;
namespace lp = lowvolt::profiles;

// Counts of a chip's check cells (the mode's columns of ecc_check_cells(chip)) at a supply, from
// the memory model directly: faulty whatever the read noise, and faulty for some read noise.
struct CheckCount {
  std::uint64_t always = 0;
  std::uint64_t possibly = 0;
};

CheckCount chip_check_cells(const std::string& chip_path, double vdd, std::uint32_t check_bits) {
  const lp::CellMap check = la::ecc_check_cells(lp::read_profile(chip_path).map);
  const auto code = static_cast<std::int32_t>(lp::vdd_code(vdd));
  const std::int32_t lo = lp::min_noise(check.sigma_code());
  const std::int32_t hi = lp::max_noise(check.sigma_code());
  CheckCount n;
  for (std::uint64_t i = 0; i < check.geometry().cells(); ++i) {
    if (i % la::kEccCheckColumns >= check_bits) continue;
    const std::int32_t vc = check.vc()[i];
    n.always += vc + lo > code;
    n.possibly += vc + hi > code;
  }
  return n;
}

// Data cells of the chip faulty at a supply in the persistent view (vc > vdd).
std::uint64_t chip_data_cells(const std::string& chip_path, double vdd) {
  const lp::CellMap map = lp::read_profile(chip_path).map;
  const std::uint16_t code = lp::vdd_code(vdd);
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i < map.geometry().cells(); ++i) n += map.vc()[i] > code;
  return n;
}

// --ecc none is the command as it was: the same stdout and the same profile, byte for byte; and
// with --ecc secded the profile written is still the data cells' own, byte for byte.
TEST(ProfileMeasureEcc, NoneChangesNothingAndSecdedKeepsTheProfile) {
  lowvolt::test::TempDir dir("measure_ecc", "none");
  const std::string truth = dir / "chip2.lvp";
  const std::string out = dir / "m.lvp";
  ASSERT_EQ(run("profile generate --preset chip2 --seed 4 -o " + truth).status, 0);
  const std::string base = "profile measure --quiet --chip " + truth + " --vdd 0.9,0.86 --backend golden -o " + out;
  const Result plain = run(base);
  ASSERT_EQ(plain.status, 0);
  // today's output: one line
  const std::string head = "measured 2 voltage(s) on the golden backend: ";
  const std::string tail = " failing-cell observations; wrote " + out + "\n";
  EXPECT_EQ(plain.out.rfind(head, 0), 0u) << plain.out;
  ASSERT_GT(plain.out.size(), tail.size());
  EXPECT_EQ(plain.out.substr(plain.out.size() - tail.size()), tail) << plain.out;
  EXPECT_EQ(std::count(plain.out.begin(), plain.out.end(), '\n'), 1) << plain.out;
  const std::string plain_lvp = lowvolt::test::slurp(out);
  ASSERT_FALSE(plain_lvp.empty());
  fs::remove(out);
  const Result none = run(base + " --ecc none");
  ASSERT_EQ(none.status, 0);
  EXPECT_EQ(none.out, plain.out);
  EXPECT_EQ(lowvolt::test::slurp(out), plain_lvp);
  fs::remove(out);
  const Result secded = run(base + " --ecc secded");
  ASSERT_EQ(secded.status, 0);
  EXPECT_EQ(lowvolt::test::slurp(out), plain_lvp);
  // the text output starts with the same line, then the check-cell table
  ASSERT_GT(secded.out.size(), plain.out.size());
  EXPECT_EQ(secded.out.substr(0, plain.out.size()), plain.out);
  EXPECT_NE(secded.out.find("check cells (secded: 8 per word, 65536 cells)"), std::string::npos)
      << secded.out;
}

// A persistent chip: at every supply the check cells the MBIST saw failing are, on the golden and
// the rtl backend alike, exactly the chip's check cells faulty there (counted from
// ecc_check_cells directly), and exactly those the measured profile predicts; none at a supply
// where no cell of the chip fails.
TEST(ProfileMeasureEcc, SecdedCheckCellsAgreeAcrossBackendsAndWithTheChip) {
  lowvolt::test::TempDir dir("measure_ecc", "secded");
  const std::string truth = dir / "uniform.lvp";
  ASSERT_EQ(run("profile generate --preset uniform --seed 11 -o " + truth).status, 0);
  const std::vector<double> vdds = {1.0, 0.9, 0.86};
  ASSERT_EQ(chip_data_cells(truth, 1.0), 0u);  // a supply where nothing fails
  std::vector<nlohmann::json> reports;
  for (const std::string backend : {"golden", "rtl"}) {
    const Result r = run("profile measure --json --chip " + truth + " --vdd 1.0,0.9,0.86 --backend " +
                         backend + " --ecc secded -o " + (dir / (backend + ".lvp")));
    ASSERT_EQ(r.status, 0) << r.out;
    reports.push_back(nlohmann::json::parse(r.out));
  }
  for (const auto& report : reports) {
    EXPECT_EQ(report["ecc"], "secded");
    EXPECT_EQ(report["data_cells"].get<std::uint64_t>(), 16u * 512 * 64);
    EXPECT_EQ(report["check_cells"].get<std::uint64_t>(), 16u * 512 * 8);
    ASSERT_EQ(report["voltages"].size(), vdds.size());
    for (std::size_t i = 0; i < vdds.size(); ++i) {
      const auto& v = report["voltages"][i];
      const CheckCount chip = chip_check_cells(truth, vdds[i], 8);
      ASSERT_EQ(chip.always, chip.possibly);  // persistent: no read noise
      EXPECT_EQ(v["vdd"].get<double>(), vdds[i]);
      EXPECT_EQ(v["check_failing"].get<std::uint64_t>(), chip.always) << report["backend"] << " " << vdds[i];
      EXPECT_EQ(v["check_predicted"].get<std::uint64_t>(), chip.always) << vdds[i];
      EXPECT_EQ(v["data_failing"].get<std::uint64_t>(), chip_data_cells(truth, vdds[i])) << vdds[i];
      EXPECT_DOUBLE_EQ(v["check_rate"].get<double>(), static_cast<double>(chip.always) / (16 * 512 * 8));
      if (vdds[i] == 1.0) {
        EXPECT_EQ(v["check_failing"].get<std::uint64_t>(), 0u);
      } else {
        EXPECT_GT(v["check_failing"].get<std::uint64_t>(), 0u) << vdds[i];
      }
    }
  }
  EXPECT_EQ(reports[0]["voltages"], reports[1]["voltages"]);
  EXPECT_EQ(reports[0]["observations"], reports[1]["observations"]);
}

// Parity tests check column 0 only; on an intermittent chip (chip2) the check cells seen, and
// those the measured profile predicts, lie between the chip's always-failing and possibly-failing
// check cells, and both backends see the same ones.
TEST(ProfileMeasureEcc, ParityTestsColumnZeroOfAnIntermittentChip) {
  lowvolt::test::TempDir dir("measure_ecc", "parity");
  const std::string truth = dir / "chip2.lvp";
  ASSERT_EQ(run("profile generate --preset chip2 --seed 4 -o " + truth).status, 0);
  ASSERT_GT(lp::read_profile(truth).map.sigma_code(), 0);
  std::vector<nlohmann::json> reports;
  for (const std::string backend : {"golden", "rtl"}) {
    const Result r = run("profile measure --json --chip " + truth + " --vdd 0.86 --backend " + backend +
                         " --ecc parity -o " + (dir / (backend + ".lvp")));
    ASSERT_EQ(r.status, 0) << r.out;
    reports.push_back(nlohmann::json::parse(r.out));
  }
  EXPECT_EQ(reports[0]["voltages"], reports[1]["voltages"]);
  const auto& report = reports[0];
  EXPECT_EQ(report["check_cells"].get<std::uint64_t>(), 16u * 512);
  ASSERT_EQ(report["voltages"].size(), 1u);
  const auto seen = report["voltages"][0]["check_failing"].get<std::uint64_t>();
  const CheckCount chip = chip_check_cells(truth, 0.86, 1);
  ASSERT_LT(chip.always, chip.possibly);  // some check cells are intermittent here
  EXPECT_GE(seen, chip.always);
  EXPECT_LE(seen, chip.possibly);
  EXPECT_GT(seen, 0u);
  // the measured profile holds every always-failing data cell and only possibly-failing ones,
  // so its derived check cells (column 0) lie between the same bounds
  const auto predicted = report["voltages"][0]["check_predicted"].get<std::uint64_t>();
  EXPECT_GE(predicted, chip.always);
  EXPECT_LE(predicted, chip.possibly);
}

// Bad --ecc values: a one-line usage error naming the option, exit 2, nothing written.
TEST(ProfileMeasureErrors, BadEccValueNamesTheOption) {
  lowvolt::test::TempDir dir("measure_ecc", "errors");
  const std::string truth = dir / "uniform.lvp";
  ASSERT_EQ(run("profile generate --preset uniform --seed 11 -o " + truth).status, 0);
  for (const std::string bad : {"foo", "SECDED", "none,secded", "''"}) {
    const Result r = lowvolt::test::run_lowvolt("profile measure --chip " + truth +
                                                     " --vdd 0.9 --backend golden --ecc " + bad +
                                                     " -o " + (dir / "x.lvp"),
                                                 /*with_stderr=*/true);
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("--ecc"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("none, parity, secded"), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_FALSE(fs::exists(dir / "x.lvp"));
  }
}

}  // namespace
