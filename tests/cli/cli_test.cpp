// Proves the `lowvolt` program's contract: --help/--version succeed, unknown subcommands and
// options print one line naming them and exit 2, and the option parsers reject bad values.
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

#include "cli.h"
#include "lowvolt/common/error.h"
#include "run_lowvolt.h"

namespace {

lowvolt::test::RunResult run(const std::string& arguments) {
  return lowvolt::test::run_lowvolt(arguments, /*with_stderr=*/true);
}

int count_lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

TEST(Cli, HelpListsSubcommands) {
  const auto r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("info"), std::string::npos) << r.out;
}

TEST(Cli, VersionPrintsProjectVersion) {
  const auto r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("lowvolt ") + LOWVOLT_VERSION + "\n");
}

TEST(Cli, SubcommandHelp) {
  const auto r = run("info --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--threads"), std::string::npos) << r.out;
}

// --help prints floating-point defaults as a person writes them ("0.05"), never Boost's
// round-trip digits ("0.050000000000000003").
TEST(Cli, HelpPrintsDefaultsAsWritten) {
  for (const std::string command : {"train", "eval", "profile validate", "profile import"}) {
    const auto r = run(command + " --help");
    EXPECT_EQ(r.status, 0) << command;
    EXPECT_EQ(r.out.find("00000"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("99999"), std::string::npos) << r.out;
  }
  const auto train = run("train --help");
  EXPECT_NE(train.out.find("(=0.05)"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("(=0.9)"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("(=0.0005)"), std::string::npos) << train.out;
}

TEST(CliErrors, UnknownSubcommandIsOneLineExit2) {
  const auto r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("'frobnicate'"), std::string::npos) << r.out;
}

TEST(CliErrors, UnknownOptionIsOneLineExit2) {
  const auto r = run("info --no-such-option");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("--no-such-option"), std::string::npos) << r.out;
}

TEST(CliErrors, UnknownGlobalOptionIsOneLineExit2) {
  const auto r = run("--bogus");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("--bogus"), std::string::npos) << r.out;
}

TEST(CliErrors, BadNumberIsExit2) {
  const auto r = run("info --threads many");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("threads"), std::string::npos) << r.out;
}

// An option value out of range is a usage error (exit 2) naming the option, whether the CLI's
// parser or a library's validate() finds it, for every command alike (it was 1 for the values
// the libraries checked and 2 for the others).
TEST(CliErrors, OutOfRangeOptionValuesAreExit2) {
  const std::string model = std::string(LOWVOLT_SOURCE_DIR) + "/models/cnn_normal_8bit.lvm";
  const std::string chip = std::string(LOWVOLT_SOURCE_DIR) + "/profiles/data/chip1.lvp";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"eval " + model + " --samples 0 --test-subset 10", "--samples"},
      {"eval " + model + " --delta 2 --test-subset 10", "--delta"},
      {"eval " + model + " --test-subset -3", "--test-subset"},
      {"eval " + model + " --profile " + chip + " --vdd 1.0 --mappings 0", "--mappings"},
      {"train --out /tmp/lowvolt_never.lvm --epochs 0", "--epochs"},
      {"train --out /tmp/lowvolt_never.lvm --lr -1", "--lr"},
      {"train --out /tmp/lowvolt_never.lvm --test-subset -1", "--test-subset"},
      {"curve --model " + model + " --profile " + chip + " --mappings 0", "--mappings"},
      {"curve --model " + model + " --profile " + chip + " --test-subset -2", "--test-subset"},
      {"eval " + model + " --p 150%", "--p"},
  };
  for (const auto& [args, option] : cases) {
    const auto r = run(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(option), std::string::npos) << args << "\n" << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
  }
}

TEST(CliParse, RatesAcceptFractionsAndPercent) {
  const auto rates = lowvolt::cli::parse_rates("p", "0.001,0.1%,1%");
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_DOUBLE_EQ(rates[0], 0.001);
  EXPECT_DOUBLE_EQ(rates[1], 0.001);
  EXPECT_DOUBLE_EQ(rates[2], 0.01);
}

TEST(CliParseErrors, RatesRejectOutOfRangeAndGarbage) {
  EXPECT_THROW(lowvolt::cli::parse_rates("p", "1.5"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_rates("p", "-0.1"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_rates("p", "abc"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_rates("p", "0.1,,0.2"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_rates("p", "nan"), lowvolt::UsageError);
}

TEST(CliParse, VoltageGridIsInclusiveAndExact) {
  const auto v = lowvolt::cli::parse_voltages("vdd", "1.0:0.7:0.01");
  ASSERT_EQ(v.size(), 31u);
  EXPECT_DOUBLE_EQ(v.front(), 1.0);
  EXPECT_DOUBLE_EQ(v[3], 0.97);
  EXPECT_DOUBLE_EQ(v.back(), 0.7);
  const auto list = lowvolt::cli::parse_voltages("vdd", "1.0,0.9,0.85");
  EXPECT_EQ(list, (std::vector<double>{1.0, 0.9, 0.85}));
}

TEST(CliParseErrors, VoltagesRejectOutOfRange) {
  EXPECT_THROW(lowvolt::cli::parse_voltages("vdd", "0"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_voltages("vdd", "3.0"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_voltages("vdd", "1.0:0.7"), lowvolt::UsageError);
  EXPECT_THROW(lowvolt::cli::parse_voltages("vdd", "1.0:0.7:0"), lowvolt::UsageError);
}

}  // namespace
