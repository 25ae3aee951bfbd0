// Proves the crash-safety guarantees of docs/reliability.md on the built program: a `lowvolt
// train` killed with SIGKILL after its first checkpoint leaves no model file, and `--resume`
// then ends with the weights and metrics of an uninterrupted run, bit for bit; a `lowvolt curve`
// killed with SIGKILL mid-sweep leaves its existing --csv output untouched (no partial file), and
// the rerun writes exactly what an uninterrupted run writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "reliability_cases.h"

namespace {

namespace fs = std::filesystem;
namespace rel = lowvolt::reliability;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A fresh folder, removed with the object.
struct TempDir {
  std::string path;
  TempDir() {
    path = (fs::temp_directory_path() / "lowvolt-crash-XXXXXX").string();
    if (::mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp");
  }
  ~TempDir() { fs::remove_all(path); }
};

/// Starts `lowvolt args...` in `dir` (stdout and stderr to files there); returns its pid.
pid_t start(const std::string& dir, const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    if (!std::freopen("stdout.txt", "w", stdout) || !std::freopen("stderr.txt", "w", stderr))
      ::_exit(127);
    std::vector<char*> argv{const_cast<char*>(LOWVOLT_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(LOWVOLT_BIN, argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits for `pid`; its exit status, or -signal when a signal ended it.
int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/// Runs to the end; the exit status.
int run(const std::string& dir, const std::vector<std::string>& args) {
  return wait_for(start(dir, args));
}

/// CPU seconds (user + system) `pid` has used so far; -1 once it is gone.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The model file's tensor bytes (everything after the JSON header) and its "metrics" object
/// without the wall time.
std::pair<std::string, nlohmann::json> weights_and_metrics(const std::string& path) {
  const std::string m = read_text(path);
  std::uint64_t h = 0;
  for (int i = 7; i >= 0; --i)
    h = (h << 8) | static_cast<unsigned char>(m[8 + static_cast<std::size_t>(i)]);
  const auto header = nlohmann::json::parse(m.substr(16, h));
  auto metrics = header.at("metrics");
  metrics.erase("train_seconds");  // wall time, the one metric that may differ
  return {m.substr(16 + h, m.size() - 16 - h - 4), metrics};
}

const std::vector<std::string> kTrain = {
    "train", "--data",        "data",  "--dataset",    "mnist", "--arch",
    "mlp",   "--epochs",      "6",     "--batch-size", "32",    "--train-subset",
    "600",   "--test-subset", "100",   "--threads",    "1",     "--seed",
    "5",     "--out",         "m.lvm", "--checkpoint", "m.ckpt"};

// SIGKILL after the first checkpoint: no model file, the checkpoint resumes, and the resumed
// model has the uninterrupted run's weights and metrics bit for bit.
TEST(CrashSafety, TrainKilledThenResumedEqualsUninterrupted) {
  TempDir reference, killed;
  for (const auto* d : {&reference, &killed}) rel::mnist(rel::Fixture{d->path, ""}, "data", 600);
  ASSERT_EQ(run(reference.path, kTrain), 0) << read_text(reference.path + "/stderr.txt");

  const pid_t pid = start(killed.path, kTrain);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!fs::exists(killed.path + "/m.ckpt") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ASSERT_EQ(wait_for(pid), -SIGKILL) << "training ended before it could be killed";
  EXPECT_FALSE(fs::exists(killed.path + "/m.lvm")) << "a killed run left a model file";

  std::vector<std::string> resume = kTrain;
  resume.push_back("--resume");
  ASSERT_EQ(run(killed.path, resume), 0) << read_text(killed.path + "/stderr.txt");
  const auto expected = weights_and_metrics(reference.path + "/m.lvm");
  const auto got = weights_and_metrics(killed.path + "/m.lvm");
  EXPECT_TRUE(got.first == expected.first) << "resumed weights differ from the uninterrupted run's";
  EXPECT_EQ(got.second, expected.second);
}

std::vector<std::string> curve_args(const std::string& repo) {
  return {"curve",
          "--model",
          repo + "/models/cnn_normal_8bit.lvm",
          "--profile",
          repo + "/profiles/data/chip2.lvp",
          "--vdd",
          "1.0:0.70:0.0125",
          "--mappings",
          "4",
          "--data",
          "data",
          "--threads",
          "1",
          "--csv",
          "c.csv",
          "--quiet"};
}

// SIGKILL mid-sweep leaves the previous --csv file byte for byte; the rerun writes exactly what
// an uninterrupted run writes.
TEST(CrashSafety, CurveKilledLeavesOldOutputAndRerunMatches) {
  TempDir reference, killed;
  for (const auto* d : {&reference, &killed}) rel::mnist(rel::Fixture{d->path, ""}, "data", 200);
  const auto args = curve_args(LOWVOLT_SOURCE_DIR);
  ASSERT_EQ(run(reference.path, args), 0) << read_text(reference.path + "/stderr.txt");
  const std::string expected = read_text(reference.path + "/c.csv");
  ASSERT_GT(expected.size(), 100u);

  const std::string old = "model,chip,vdd\nan older complete result\n";
  { std::ofstream(killed.path + "/c.csv") << old; }
  const pid_t pid = start(killed.path, args);
  // Kill once it has done real work (1.5 CPU seconds: past start-up, inside the sweep).
  while (cpu_seconds(pid) >= 0 && cpu_seconds(pid) < 1.5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  ASSERT_EQ(wait_for(pid), -SIGKILL) << "the sweep ended before it could be killed";
  EXPECT_EQ(read_text(killed.path + "/c.csv"), old) << "a killed run changed its output";

  ASSERT_EQ(run(killed.path, args), 0) << read_text(killed.path + "/stderr.txt");
  EXPECT_EQ(read_text(killed.path + "/c.csv"), expected);
}

}  // namespace
