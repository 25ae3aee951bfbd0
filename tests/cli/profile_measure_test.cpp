// Proves hardware profile validation end to end through the `lowvolt` program: a chip loaded
// into the accelerator's weight buffer and characterised by MBIST (`profile measure`) agrees
// exactly with the ground truth on persistent faults (`profile compare`), the golden and rtl
// backends measure the same cells, and `profile validate` gives the same verdicts on the
// measured profile as on the ground truth.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace
