// Proves the work-unit layer of sweeps (host/sweep_units.h) in one process: exact result text,
// the journal's records, refusals and resumption (an interrupted run plus a rerun gives the
// uninterrupted results and runs each unit once) and the stats file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lowvolt/common/error.h"
#include "lowvolt/sweep/sweep_units.h"

namespace {

namespace fs = std::filesystem;
namespace lh = lowvolt::host;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("lowvolt_sweep_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() {
    fs::remove_all(path);
  }
};

lh::SweepPlan plan_of(std::size_t n, const std::string& fingerprint = "seed 1\n") {
  lh::SweepPlan plan;
  plan.kind = "test";
  plan.fingerprint = fingerprint;
  for (std::size_t i = 0; i < n; ++i) plan.units.push_back("unit " + std::to_string(i));
  return plan;
}

/// A unit's result: a function of its index only (as a sweep's units must be).
std::string result_of(std::size_t i) {
  return lh::encode_double(std::sqrt(static_cast<double>(i) + 0.1)) + " " + std::to_string(i * i);
}

/// The one plan folder inside a journal.
fs::path plan_folder(const fs::path& journal) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(journal)) found.push_back(e.path());
  EXPECT_EQ(found.size(), 1u);
  return found.empty() ? journal : found.front();
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// encode_double keeps every bit: round trips of awkward values are exact.
TEST(SweepUnits, DoubleTextIsExact) {
  lh::SweepContext context;
  for (const double v : {0.1, 1.0 / 3.0, -2.5e-310, 6.02214076e23, 0.0,
                         std::numeric_limits<double>::max(), std::nextafter(1.0, 2.0)}) {
    const double back = lh::decode_double(lh::encode_double(v), "test");
    EXPECT_EQ(std::memcmp(&v, &back, sizeof v), 0) << lh::encode_double(v);
  }
  EXPECT_THROW(lh::decode_double("0.5x", "unit 3"), lowvolt::Error);
  EXPECT_THROW(lh::decode_double("", "unit 3"), lowvolt::Error);
}

// Without a journal the local executor runs every unit once, in plan order, and reports each.
TEST(SweepUnits, LocalRunsEveryUnitInOrder) {
  lh::SweepContext context;
  const auto plan = plan_of(5);
  std::vector<std::size_t> order, reported;
  const auto out = lh::run_sweep(context, 
      plan,
      [&](std::size_t i) {
        order.push_back(i);
        return result_of(i);
      },
      [&](std::size_t done, std::size_t i) {
        reported.push_back(i);
        EXPECT_EQ(done, reported.size());
      });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(reported, order);
  ASSERT_TRUE(out.output);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out.results[i], result_of(i));
    EXPECT_EQ(out.rank[i], 0);
  }
}

// A run interrupted after 4 units (the runner throws) leaves 4 records; the rerun runs only the
// other units and its results equal an uninterrupted run's, byte for byte.
TEST(SweepUnits, JournalResumeEqualsUninterrupted) {
  lh::SweepContext context;
  const TempDir dir("resume");
  const auto plan = plan_of(9);
  const auto uninterrupted = lh::run_sweep(context, plan, result_of);

  lh::SweepSettings settings;
  settings.journal = dir.path.string();
  context.settings = settings;
  std::size_t ran = 0;
  EXPECT_THROW(lh::run_sweep(context, plan,
                             [&](std::size_t i) -> std::string {
                               if (i == 4) throw lowvolt::Error("interrupted");
                               ++ran;
                               return result_of(i);
                             }),
               lowvolt::Error);
  EXPECT_EQ(ran, 4u);
  std::size_t records = 0;
  const fs::path folder = plan_folder(dir.path);
  EXPECT_EQ(folder.filename().string().rfind("test-", 0), 0u) << folder;
  for (const auto& e : fs::directory_iterator(folder / "units")) records += e.is_regular_file();
  EXPECT_EQ(records, 4u);
  EXPECT_EQ(slurp(folder / "units" / "00000002.rec"),
            "lowvolt-sweep-unit 1\nunit 2\n" + result_of(2) + "\n");

  std::vector<std::size_t> rerun;
  std::size_t reported = 0;
  const auto resumed = lh::run_sweep(context, 
      plan,
      [&](std::size_t i) {
        rerun.push_back(i);
        return result_of(i);
      },
      [&](std::size_t, std::size_t) { ++reported; });
  EXPECT_EQ(rerun, (std::vector<std::size_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(reported, 9u);
  EXPECT_EQ(resumed.results, uninterrupted.results);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(resumed.rank[i], -1);

  // A third run has nothing left to do.
  const auto third = lh::run_sweep(context, plan, [&](std::size_t) -> std::string {
    ADD_FAILURE() << "a finished unit ran again";
    return "";
  });
  EXPECT_EQ(third.results, uninterrupted.results);
}

// A sweep with other options (fingerprint) gets its own folder: the first sweep's records are not
// used for it, and both stay resumable side by side. A record naming another unit, or a damaged
// record, is refused naming the record.
TEST(SweepUnits, JournalKeepsSweepsApartAndRefusesBadRecords) {
  lh::SweepContext context;
  const TempDir dir("refuse");
  lh::SweepSettings settings;
  settings.journal = dir.path.string();
  context.settings = settings;
  (void)lh::run_sweep(context, plan_of(3), result_of);
  const fs::path first = plan_folder(dir.path);
  std::size_t ran = 0;
  (void)lh::run_sweep(context, plan_of(3, "seed 2\n"), [&](std::size_t i) {
    ++ran;
    return result_of(i);
  });
  EXPECT_EQ(ran, 3u) << "another sweep's records were used";
  std::size_t folders = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) folders += e.is_directory();
  EXPECT_EQ(folders, 2u);
  ran = 0;
  (void)lh::run_sweep(context, plan_of(3), [&](std::size_t i) {
    ++ran;
    return result_of(i);
  });
  EXPECT_EQ(ran, 0u) << "the first sweep did not resume from its folder";

  const auto record = first / "units" / "00000001.rec";
  {
    std::ofstream out(record, std::ios::binary | std::ios::trunc);
    out << "lowvolt-sweep-unit 1\nunit 7\n0x1p+0\n";
  }
  try {
    (void)lh::run_sweep(context, plan_of(3), result_of);
    FAIL() << "a record of another unit was accepted";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("00000001.rec: records unit 'unit 7', the plan has 'unit 1'"),
        std::string::npos)
        << e.what();
  }
  {
    std::ofstream out(record, std::ios::binary | std::ios::trunc);
    out << "garbage";
  }
  try {
    (void)lh::run_sweep(context, plan_of(3), result_of);
    FAIL() << "a damaged record was accepted";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("00000001.rec: not a journal unit record"),
              std::string::npos)
        << e.what();
  }
  {
    std::ofstream out(first / "plan.txt", std::ios::binary | std::ios::app);
    out << "unit 3\n";
  }
  try {
    (void)lh::run_sweep(context, plan_of(3), result_of);
    FAIL() << "an edited plan was accepted";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("plan.txt: does not hold the plan"), std::string::npos)
        << e.what();
  }
}

// Batches (as the MPI root writes them) are read back like single records; a batch naming a unit
// outside the plan is refused naming the file.
TEST(SweepUnits, JournalBatchesAreReadBack) {
  lh::SweepContext context;
  const TempDir dir("batch");
  const auto plan = plan_of(6);
  {
    lh::SweepJournal journal(dir.path.string(), plan);
    journal.record_batch({{1, result_of(1)}, {4, result_of(4)}, {2, result_of(2)}});
    journal.record(5, result_of(5));
  }
  const fs::path folder = plan_folder(dir.path);
  EXPECT_TRUE(fs::exists(folder / "units" / "00000001-3.rec"));
  lh::SweepJournal reopened(dir.path.string(), plan);
  for (std::size_t i = 0; i < 6; ++i) {
    const bool recorded = i == 1 || i == 2 || i == 4 || i == 5;
    ASSERT_EQ(reopened.known()[i].has_value(), recorded) << i;
    if (recorded) {
      EXPECT_EQ(*reopened.known()[i], result_of(i));
    }
  }
  {
    std::ofstream out(folder / "units" / "00000009-1.rec", std::ios::binary);
    out << "lowvolt-sweep-units 1\n9\nunit 9\n0x1p+0\n";
  }
  try {
    lh::SweepJournal bad(dir.path.string(), plan);
    FAIL() << "a batch naming unit 9 of 6 was accepted";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("00000009-1.rec: record 1 names unit index '9' outside"),
              std::string::npos)
        << e.what();
  }
}

// Bad settings name their option; a journal path that is a file is refused.
TEST(SweepUnits, SettingsAreChecked) {
  lh::SweepContext context;
  const TempDir dir("settings");
  lh::SweepSettings s;
  s.schedule = "greedy";
  try {
    s.validate();
    FAIL();
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--schedule"), std::string::npos) << e.what();
  }
  fs::create_directories(dir.path);
  { std::ofstream(dir.path / "file") << "x"; }
  s = {};
  s.journal = (dir.path / "file").string();
  try {
    s.validate();
    FAIL();
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--journal"), std::string::npos) << e.what();
  }
}

// --sweep-stats writes one entry per unit with its rank and time, and the idle fraction.
TEST(SweepUnits, StatsFileListsUnits) {
  lh::SweepContext context;
  const TempDir dir("stats");
  fs::create_directories(dir.path);
  lh::SweepSettings s;
  s.stats = (dir.path / "stats.json").string();
  context.settings = s;
  (void)lh::run_sweep(context, plan_of(3), result_of);
  const auto j = nlohmann::json::parse(slurp(dir.path / "stats.json"));
  EXPECT_EQ(j["ranks"], 1);
  EXPECT_EQ(j["schedule"], "dynamic");
  ASSERT_EQ(j["units"].size(), 3u);
  EXPECT_EQ(j["units"][2]["unit"], "unit 2");
  EXPECT_EQ(j["units"][2]["rank"], 0);
  EXPECT_EQ(j["units"][2]["bytes"], result_of(2).size());
  EXPECT_GE(j["idle_fraction"].get<double>(), 0.0);
}
