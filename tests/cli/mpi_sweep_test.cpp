// Proves the MPI-distributed sweeps end to end (docs/cluster.md): `mpirun -np 2` and `-np 3`
// runs of `lowvolt curve` (golden and torch backends, 2 chips, 3 voltages, 100 images) and of
// `lowvolt eval` write byte-identical outputs to the program run without mpirun; a rank killed
// with SIGKILL mid-sweep ends the job with mpirun's error, the journal keeps the finished units,
// and a rerun at another rank count with the journal gives the uninterrupted output; a resumed
// single-process run equals an uninterrupted one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "run_lowvolt.h"

namespace {

namespace fs = std::filesystem;
using Result = lowvolt::test::RunResult;

const std::string kSource = LOWVOLT_SOURCE_DIR;
const std::string kModel = kSource + "/models/cnn_normal_8bit.lvm";
const std::string kChips = " --profile " + kSource + "/profiles/data/chip1.lvp --profile " +
                           kSource + "/profiles/data/chip2.lvp";

/// Open MPI refuses to start as root without these (CI runs as root); harmless otherwise.
void allow_root() {
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
}

/// The mpirun command line prefix for `np` ranks (more ranks than cores allowed, no pinning).
std::string mpirun(int np) {
  return std::string(LOWVOLT_MPIEXEC) + " --oversubscribe --bind-to none -np " +
         std::to_string(np) + " " + LOWVOLT_BIN + " ";
}

/// Runs a shell command; stderr joins stdout.
Result shell(const std::string& command) { return lowvolt::test::run_shell(command + " 2>&1"); }

/// A fresh temporary folder for one test, removed at the end.
struct TempDir : lowvolt::test::TempDir {
  explicit TempDir(const std::string& name) : lowvolt::test::TempDir("mpi", name) {}
};
using lowvolt::test::slurp;

/// The JSON on stdout without its timing and thread-count keys (they describe the run, not the
/// results).
std::string results_of(const std::string& out) {
  auto j = nlohmann::json::parse(out);
  for (const char* key : {"seconds", "forward_seconds", "forward_images", "images_per_s",
                          "outside_forward_fraction", "threads"}) {
    j.erase(key);
  }
  return j.dump(1);
}

/// Units recorded in a journal (all its sweeps): one per NNNNNNNN.rec, K per NNNNNNNN-K.rec.
std::size_t records_in(const std::string& journal) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(journal, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".rec" || name[0] == '.') continue;
    const auto dash = name.find('-');
    n += dash == std::string::npos ? 1 : std::stoul(name.substr(dash + 1));
  }
  return n;
}

/// Removes unit record `index` of the journal's only sweep.
void remove_record(const std::string& journal, const std::string& record) {
  for (const auto& e : fs::directory_iterator(journal)) fs::remove(e.path() / "units" / record);
}

/// PID of the `lowvolt` process of MPI rank `rank` whose command line mentions `tag`; 0 if none.
pid_t rank_pid(int rank, const std::string& tag) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = slurp("/proc/" + name + "/cmdline");
    if (cmdline.find(tag) == std::string::npos || cmdline.find("mpirun") == 0 ||
        cmdline.find(LOWVOLT_BIN) != 0) {
      continue;
    }
    const std::string env = slurp("/proc/" + name + "/environ");
    std::size_t at = 0;
    while (at < env.size()) {
      const std::size_t end = env.find('\0', at);
      if (env.compare(at, (end == std::string::npos ? env.size() : end) - at, want) == 0) {
        return static_cast<pid_t>(std::stol(name));
      }
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  return 0;
}

class MpiSweep : public ::testing::Test {
 protected:
  void SetUp() override { allow_root(); }
};

/// `curve` on `backend` (2 chips, 3 voltages, 1 mapping, 100 images) writes the same CSV and
/// JSON results without mpirun and at np = 2 and 3.
void expect_curve_identical(const std::string& backend) {
  const TempDir dir("curve_" + backend);
  const std::string args = "curve --model " + kModel + kChips +
                           " --vdd 0.9,0.85,0.8 --mappings 1 --test-subset 100 --json --backend " +
                           backend + " --csv ";
  const Result alone = lowvolt::test::run_lowvolt(args + dir / "alone.csv", true);
  ASSERT_EQ(alone.status, 0) << alone.out;
  const std::string csv = slurp(dir / "alone.csv");
  ASSERT_NE(csv.find("chip2.lvp,0.8000"), std::string::npos) << csv;
  for (const int np : {2, 3}) {
    const std::string out = dir / ("np" + std::to_string(np) + ".csv");
    const Result r = shell(mpirun(np) + args + out + " 2>/dev/null");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(slurp(out), csv) << "np=" << np;
    EXPECT_EQ(results_of(r.out), results_of(alone.out)) << "np=" << np;
  }
}

}  // namespace

// Golden backend: CSV and JSON results at np = 2 and 3 equal the run without mpirun, byte for byte.
TEST_F(MpiSweep, CurveGoldenIdenticalAtAnyRankCount) { expect_curve_identical("golden"); }

// Torch backend: the same.
TEST_F(MpiSweep, CurveTorchIdenticalAtAnyRankCount) { expect_curve_identical("torch"); }

// `eval` with random bit errors (6 samples, 2 rates, 100 images): every result key at np = 2 and
// 3 (dynamic assignment) and np = 3 (static) equals the run without mpirun.
TEST_F(MpiSweep, EvalIdenticalAtAnyRankCount) {
  const std::string args =
      "eval " + kModel + " --p 0.5%,2% --samples 6 --seed 3 --test-subset 100 --json";
  const Result alone = lowvolt::test::run_lowvolt(args, false);
  ASSERT_EQ(alone.status, 0) << alone.out;
  ASSERT_EQ(nlohmann::json::parse(alone.out)["rte"][1]["errors"].size(), 6u);
  for (const auto& [np, schedule] :
       {std::pair<int, std::string>{2, "dynamic"}, {3, "dynamic"}, {3, "static"}}) {
    const Result r = shell(mpirun(np) + args + " --schedule " + schedule + " 2>/dev/null");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(results_of(r.out), results_of(alone.out)) << "np=" << np << " " << schedule;
  }
}

// Without mpirun, a journal run stopped half-way (records removed) and rerun gives the same
// output as the uninterrupted run, and the rerun runs only the missing units.
TEST_F(MpiSweep, SingleProcessResumeEqualsUninterrupted) {
  const TempDir dir("resume");
  const std::string args =
      "eval " + kModel + " --p 1% --samples 6 --seed 5 --test-subset 100 --json";
  const Result alone = lowvolt::test::run_lowvolt(args, false);
  ASSERT_EQ(alone.status, 0) << alone.out;
  const std::string journal = dir / "journal";
  const Result first = lowvolt::test::run_lowvolt(args + " --journal " + journal, false);
  ASSERT_EQ(first.status, 0) << first.out;
  ASSERT_EQ(records_in(journal), 6u);
  for (const char* unit : {"00000001.rec", "00000004.rec", "00000005.rec"})
    remove_record(journal, unit);
  ASSERT_EQ(records_in(journal), 3u);
  const Result resumed = lowvolt::test::run_lowvolt(
      args + " --journal " + journal + " --sweep-stats " + dir / "stats.json", false);
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_EQ(results_of(resumed.out), results_of(alone.out));
  const auto stats = nlohmann::json::parse(slurp(dir / "stats.json"));
  int ran = 0;
  for (const auto& u : stats["units"]) ran += u["rank"].get<int>() >= 0;
  EXPECT_EQ(ran, 3);
  // Other options are another sweep: none of these records is used, and stderr says so.
  const Result other = lowvolt::test::run_lowvolt(
      "eval " + kModel + " --p 1% --samples 6 --seed 6 --test-subset 100 --json --journal " +
          journal + " --sweep-stats " + dir / "other.json",
      true);
  EXPECT_EQ(other.status, 0) << other.out;
  EXPECT_NE(other.out.find("holds 1 other sweep(s) but none of this one"), std::string::npos)
      << other.out;
  // Named, not iterated as parse(...)["units"]: the parsed temporary would die before the loop.
  const auto other_stats = nlohmann::json::parse(slurp(dir / "other.json"));
  ASSERT_FALSE(other_stats.at("units").empty());
  int reused = 0;
  for (const auto& u : other_stats.at("units")) reused += u.at("rank").get<int>() < 0;
  EXPECT_EQ(reused, 0);
}

// A worker rank killed with SIGKILL mid-sweep (torch backend, 37 units) ends the job with
// mpirun's error naming the signal; the journal keeps the units finished before; a rerun at
// np = 2 with the journal runs only the rest and writes the CSV of the uninterrupted run without
// mpirun.
TEST_F(MpiSweep, KilledRankThenResumeEqualsUninterrupted) {
  const TempDir dir("kill");
  const std::string args = "curve --model " + kModel + kChips +
                           " --vdd 0.9,0.85,0.8,0.78,0.76,0.74 --mappings 3 --test-subset 100 "
                           "--backend torch --threads 1 --quiet --csv ";
  const std::size_t units = 1 + 2 * 6 * 3;
  const Result alone = lowvolt::test::run_lowvolt(args + dir / "alone.csv", true);
  ASSERT_EQ(alone.status, 0) << alone.out;

  const std::string journal = dir / "journal";
  const std::string killed_csv = dir / "killed.csv";
  Result killed;
  std::thread job([&] { killed = shell(mpirun(3) + args + killed_csv + " --journal " + journal); });
  pid_t victim = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && records_in(journal) < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (records_in(journal) >= 3 && records_in(journal) < units) victim = rank_pid(1, journal);
  if (victim > 0) ::kill(victim, SIGKILL);
  job.join();
  ASSERT_GT(victim, 0) << "rank 1 not found mid-sweep; output:\n" << killed.out;
  EXPECT_NE(killed.status, 0) << killed.out;
  EXPECT_NE(killed.out.find("signal 9"), std::string::npos) << killed.out;
  EXPECT_FALSE(fs::exists(killed_csv)) << "a killed job wrote its output";
  const std::size_t kept = records_in(journal);
  EXPECT_GE(kept, 3u);
  EXPECT_LT(kept, units);

  const Result resumed = shell(mpirun(2) + args + dir / "resumed.csv" + " --journal " + journal +
                               " --sweep-stats " + dir / "stats.json");
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_EQ(slurp(dir / "resumed.csv"), slurp(dir / "alone.csv"));
  const auto stats = nlohmann::json::parse(slurp(dir / "stats.json"));
  std::size_t from_journal = 0;
  for (const auto& u : stats["units"]) from_journal += u["rank"].get<int>() < 0;
  EXPECT_EQ(from_journal, kept);
  EXPECT_EQ(records_in(journal), units);
}

// Under mpirun a command that does not distribute its work is refused on every rank.
TEST_F(MpiSweep, OtherCommandsRefusedUnderMpi) {
  const Result r = shell(mpirun(2) + "info");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("only 'curve' and 'eval' are distributed"), std::string::npos) << r.out;
}

// --threads left at its default: under mpirun each rank takes the cores per rank (SLURM's
// SLURM_CPUS_PER_TASK when set, else the machine's cores shared by the ranks on it, at least 1);
// an explicit --threads wins; without mpirun the default stays 2.
TEST_F(MpiSweep, ThreadsDefaultIsCoresPerRank) {
  const std::string args = "eval " + kModel + " --p 1% --samples 2 --test-subset 100 --json";
  const auto threads = [](const Result& r) {
    EXPECT_EQ(r.status, 0) << r.out;
    return r.status == 0 ? nlohmann::json::parse(r.out)["threads"].get<int>() : -1;
  };
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(threads(lowvolt::test::run_lowvolt(args, false)), 2);
  EXPECT_EQ(threads(shell(mpirun(2) + args + " 2>/dev/null")), std::max(1, cores / 2));
  EXPECT_EQ(threads(shell(mpirun(3) + args + " 2>/dev/null")), std::max(1, cores / 3));
  EXPECT_EQ(threads(shell(mpirun(2) + args + " --threads 3 2>/dev/null")), 3);
  EXPECT_EQ(threads(shell(std::string(LOWVOLT_MPIEXEC) +
                          " --oversubscribe --bind-to none -x SLURM_CPUS_PER_TASK=5 -np 2 " +
                          LOWVOLT_BIN + " " + args + " 2>/dev/null")),
            5);
}

// A bad input under mpirun: the job ends with exit status 1 and rank 0's one-line error naming the
// file and the rank; nothing is written.
TEST_F(MpiSweep, BadInputEndsTheJobWithItsError) {
  const TempDir dir("bad");
  const Result r = shell(mpirun(2) + "curve --model " + dir / "missing.lvm" + kChips +
                         " --vdd 0.9 --csv " + dir / "out.csv");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(
      r.out.find("lowvolt (MPI rank 0 of 2): error: " + dir / "missing.lvm" + ": cannot open"),
      std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir / "out.csv"));
}
