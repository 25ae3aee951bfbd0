// Proves the `lowvolt` program's contract: --help/--version succeed, unknown subcommands and
// options print one line naming them and exit 2, and the option parsers reject bad values.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "cli.h"
#include "lowvolt/common/error.h"

namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr together
};

Result run(const std::string& arguments) {
  const std::string command = std::string(LOWVOLT_BIN) + " " + arguments + " 2>&1";
  Result result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

int count_lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

TEST(Cli, HelpListsSubcommands) {
  const auto r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("info"), std::string::npos) << r.output;
}

TEST(Cli, VersionPrintsProjectVersion) {
  const auto r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, std::string("lowvolt ") + LOWVOLT_VERSION + "\n");
}

TEST(Cli, SubcommandHelp) {
  const auto r = run("info --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("--threads"), std::string::npos) << r.output;
}

TEST(CliErrors, UnknownSubcommandIsOneLineExit2) {
  const auto r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("'frobnicate'"), std::string::npos) << r.output;
}

TEST(CliErrors, UnknownOptionIsOneLineExit2) {
  const auto r = run("info --no-such-option");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("--no-such-option"), std::string::npos) << r.output;
}

TEST(CliErrors, UnknownGlobalOptionIsOneLineExit2) {
  const auto r = run("--bogus");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("--bogus"), std::string::npos) << r.output;
}

TEST(CliErrors, BadNumberIsExit2) {
  const auto r = run("info --threads many");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("threads"), std::string::npos) << r.output;
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
