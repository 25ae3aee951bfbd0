// Proves the `lowvolt profile` commands end to end: generate → show/plot → validate → fit →
// export → import keep the chip's faults, JSON output parses, and user mistakes exit 1 or 2
// with one line naming the problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/profiles/profile.h"
#include "../cli/run_lowvolt.h"

namespace fs = std::filesystem;
namespace lp = lowvolt::profiles;

namespace {

using Result = lowvolt::test::RunResult;

Result run(const std::string& arguments, bool with_stderr = true) {
  return lowvolt::test::run_lowvolt(arguments, with_stderr);
}

class ProfileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lowvolt_profile_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// `lowvolt profile --help` lists the six subcommands.
TEST_F(ProfileCli, HelpListsSubcommands) {
  const auto r = run("profile --help");
  EXPECT_EQ(r.status, 0);
  for (const char* sub : {"generate", "show", "validate", "fit", "import", "export"}) {
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub;
  }
}

// generate writes what the library generates; validate/fit/show --json parse and agree with
// the chip; export → import keeps the faulty cells at the exported voltages.
TEST_F(ProfileCli, GenerateValidateFitExportImport) {
  const std::string chip = path("c.lvp");
  ASSERT_EQ(run("profile generate --preset chip2 --arrays 4 --rows 256 --cols 64 --seed 7 "
                "--set sigma_n=0.01 -o " + chip).status, 0);
  const auto expected = lp::generate_profile("chip2", {"sigma_n=0.01"}, {4, 256, 64}, 7);
  EXPECT_TRUE(lp::read_profile(chip) == expected);

  const auto v = run("profile validate " + chip + " --json", false);
  ASSERT_EQ(v.status, 0) << v.out;
  const auto report = nlohmann::json::parse(v.out);
  EXPECT_FALSE(report["consistent"].get<bool>());
  EXPECT_EQ(report["voltages"].size(), 6u);

  const auto f = run("profile fit " + chip + " --json", false);
  ASSERT_EQ(f.status, 0) << f.out;
  const auto fit = nlohmann::json::parse(f.out);
  EXPECT_GT(fit["params"]["f_col"].get<double>(), 0.0);
  EXPECT_NEAR(fit["params"]["sigma_n"].get<double>(), 0.01, 1.0 / 4096);
  // The fit's JSON is a preset: generate makes a chip with exactly those parameters.
  lowvolt::write_file_atomic(path("fit.json"), f.out);
  ASSERT_EQ(run("profile generate --preset " + path("fit.json") + " --arrays 1 --rows 64 -o " +
                path("like.lvp")).status, 0);
  const auto like = lp::read_profile(path("like.lvp"));
  EXPECT_EQ(like.params.f_col, fit["params"]["f_col"].get<double>());
  EXPECT_EQ(like.params.b, fit["params"]["b"].get<double>());

  const auto s = run("profile show " + chip + " --vdd 0.9,0.8 --json", false);
  ASSERT_EQ(s.status, 0) << s.out;
  const auto show = nlohmann::json::parse(s.out);
  ASSERT_EQ(show["voltages"].size(), 2u);
  EXPECT_EQ(show["voltages"][1]["failing"].get<std::uint64_t>(),
            expected.map.count_faulty(lp::vdd_code(0.8)));

  ASSERT_EQ(run("profile export " + chip + " --vdd 0.85,0.8 --list " + path("l.csv") +
                " --matrix-dir " + path("m")).status, 0);
  ASSERT_EQ(run("profile import --list " + path("l.csv") + " --arrays 4 --rows 256 --cols 64 -o " +
                path("l.lvp")).status, 0);
  ASSERT_EQ(run("profile import --matrix-dir " + path("m") + " --rows 256 -o " + path("m.lvp")).status, 0);
  for (const auto& name : {"l.lvp", "m.lvp"}) {
    const auto back = lp::read_profile(path(name));
    for (const double vdd : {0.85, 0.8}) {
      const auto c = lp::vdd_code(vdd);
      EXPECT_EQ(back.map.count_faulty(c), expected.map.count_faulty(c)) << name;
    }
  }
}

// show --plot writes an SVG when gnuplot is installed.
TEST_F(ProfileCli, ShowPlotsSvg) {
  ASSERT_EQ(std::system("command -v gnuplot >/dev/null 2>&1"), 0)
      << "gnuplot is missing: Debian's gnuplot-nox, installed by `bash scripts/install-deps`";
  const std::string chip = path("c.lvp");
  ASSERT_EQ(run("profile generate --preset chip1 --arrays 2 --rows 64 -o " + chip).status, 0);
  const auto r = run("profile show " + chip + " --plot " + path("p.svg"));
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_TRUE(fs::exists(path("p.svg")));
  EXPECT_GT(fs::file_size(path("p.svg")), 1000u);
}

// Mistakes: a missing file and bad values exit 1, unknown subcommands/options exit 2; each
// prints one line naming the problem.
TEST_F(ProfileCli, ProfileCliErrors) {
  const auto missing = run("profile validate " + path("none.lvp"));
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("none.lvp"), std::string::npos) << missing.out;
  const auto preset = run("profile generate --preset chip9 -o " + path("x.lvp"));
  EXPECT_EQ(preset.status, 1);
  EXPECT_NE(preset.out.find("chip9"), std::string::npos) << preset.out;
  const auto set = run("profile generate --set f_col=2 -o " + path("x.lvp"));
  EXPECT_EQ(set.status, 1);
  EXPECT_NE(set.out.find("f_col"), std::string::npos) << set.out;
  lowvolt::write_file_atomic(path("bad.json"), "{\"mu\": 0.7, \"bogus\": 1}");
  const auto json_key = run("profile generate --preset " + path("bad.json") + " -o " + path("x.lvp"));
  EXPECT_EQ(json_key.status, 1);
  EXPECT_NE(json_key.out.find("bad.json: unknown chip parameter 'bogus'"), std::string::npos)
      << json_key.out;
  EXPECT_EQ(run("profile frobnicate").status, 2);
  EXPECT_EQ(run("profile validate --bogus x").status, 2);
  EXPECT_EQ(run("profile generate").status, 2);
  const std::string chip = path("c.lvp");
  ASSERT_EQ(run("profile generate --arrays 1 --rows 16 -o " + chip).status, 0);
  const auto pdf = run("profile show " + chip + " --plot " + path("p.pdf"));
  EXPECT_EQ(pdf.status, 1);
  EXPECT_NE(pdf.out.find(".svg or .png"), std::string::npos) << pdf.out;
  EXPECT_FALSE(fs::exists(path("x.lvp")));
}

}  // namespace
