#include "lowvolt/sweep/sweep_units.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <tuple>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPlanMagic = "lowvolt-sweep-journal 1";
constexpr const char* kUnitMagic = "lowvolt-sweep-unit 1";
constexpr const char* kBatchMagic = "lowvolt-sweep-units 1";

/// Writes journal records on its own thread, several at a time into one file when they arrive
/// faster than the disk takes them, so that rank 0's dispatch never waits for an fsync.
class AsyncRecorder {
 public:
  explicit AsyncRecorder(SweepJournal& journal) : journal_(journal), thread_([this] { loop(); }) {}
  ~AsyncRecorder() { finish(); }

  /// Queues a record; rethrows a write error from the thread.
  void add(std::size_t index, std::string result) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    queue_.emplace_back(index, std::move(result));
    wake_.notify_one();
  }

  /// Writes what is queued and stops the thread; rethrows a write error. Returns the seconds
  /// spent writing and the records written.
  std::pair<double, std::size_t> finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    if (error_) {
      auto e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
    return {seconds_, records_};
  }

 private:
  void loop() {
    for (;;) {
      std::vector<std::pair<std::size_t, std::string>> batch;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch.swap(queue_);
      }
      try {
        const auto t0 = Clock::now();
        if (batch.size() == 1) {
          journal_.record(batch[0].first, batch[0].second);
        } else {
          journal_.record_batch(batch);
        }
        seconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
        records_ += batch.size();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
        return;
      }
    }
  }

  SweepJournal& journal_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::pair<std::size_t, std::string>> queue_;
  bool stop_ = false;
  std::exception_ptr error_;
  double seconds_ = 0.0;
  std::size_t records_ = 0;
  std::thread thread_;
};

/// Units in plan order, in this process.
class LocalExecutor : public SweepExecutor {
 public:
  SweepOutcome run(const SweepPlan& plan, const std::vector<std::optional<std::string>>& known,
                   const UnitRunner& runner,
                   const std::function<void(std::size_t, const std::string&)>& record,
                   const UnitDone& done, const std::string& /*schedule*/) override {
    SweepOutcome out;
    out.results.resize(plan.units.size());
    out.seconds.assign(plan.units.size(), 0.0);
    out.rank.assign(plan.units.size(), -1);
    out.busy.assign(1, 0.0);
    std::size_t count = 0;
    for (const auto& k : known) count += k ? 1 : 0;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < plan.units.size(); ++i) {
      if (known[i]) {
        out.results[i] = *known[i];
        continue;
      }
      const auto t0 = Clock::now();
      out.results[i] = runner(i);
      out.seconds[i] = std::chrono::duration<double>(Clock::now() - t0).count();
      out.rank[i] = 0;
      out.busy[0] += out.seconds[i];
      if (record) record(i, out.results[i]);
      if (done) done(++count, i);
    }
    out.wall = std::chrono::duration<double>(Clock::now() - start).count();
    return out;
  }
  bool output() const override { return true; }
  int ranks() const override { return 1; }
};

std::string plan_text(const SweepPlan& plan) {
  std::ostringstream out;
  out << kPlanMagic << "\nkind " << plan.kind << '\n' << plan.fingerprint;
  if (!plan.fingerprint.empty() && plan.fingerprint.back() != '\n') out << '\n';
  out << "units " << plan.units.size() << '\n';
  for (const auto& u : plan.units) out << u << '\n';
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_stats(const std::string& path, const SweepPlan& plan, const SweepOutcome& o,
                 const std::string& schedule) {
  nlohmann::json j;
  j["kind"] = plan.kind;
  j["schedule"] = schedule;
  j["ranks"] = o.ranks;
  j["wall_seconds"] = o.wall;
  j["busy_seconds"] = o.busy;
  double busy = 0.0;
  for (const double b : o.busy) busy += b;
  j["idle_fraction"] = o.wall > 0.0 ? 1.0 - busy / (o.wall * o.ranks) : 0.0;
  j["gathered_bytes"] = o.gathered_bytes;
  j["journal_seconds"] = o.journal_seconds;
  j["journal_records"] = o.journal_records;
  j["units"] = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.units.size(); ++i) {
    j["units"].push_back({{"unit", plan.units[i]},
                          {"rank", o.rank[i]},
                          {"seconds", o.seconds[i]},
                          {"bytes", o.results[i].size()}});
  }
  write_file_atomic(path, j.dump(1) + "\n");
}

}  // namespace

void SweepSettings::validate() const {
  if (schedule != "dynamic" && schedule != "static") {
    fail("option '--schedule': expected dynamic or static, got '", schedule, "'");
  }
  if (!journal.empty() && fs::exists(journal) && !fs::is_directory(journal)) {
    fail("option '--journal': ", journal, " exists and is not a folder");
  }
  if (!stats.empty()) check_output_path(stats);
}

SweepOutcome run_sweep(const SweepContext& context, const SweepPlan& plan,
                       const UnitRunner& runner, const UnitDone& done) {
  LV_CHECK(plan.cost_hint.empty() || plan.cost_hint.size() == plan.units.size(),
           plan.cost_hint.size() << " cost hints for " << plan.units.size() << " units");
  const SweepSettings& settings = context.settings;
  settings.validate();
  LocalExecutor local;
  SweepExecutor& executor = context.executor ? *context.executor : local;
  std::unique_ptr<SweepJournal> journal;
  std::vector<std::optional<std::string>> known(plan.units.size());
  if (executor.output() && !settings.journal.empty()) {
    journal = std::make_unique<SweepJournal>(settings.journal, plan);
    known = journal->known();
  }
  if (done) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < known.size(); ++i) {
      if (known[i]) done(++count, i);
    }
  }
  // In one process a record is written before the next unit starts; under MPI a thread writes
  // them (batched when they come fast) while rank 0 goes on handing out units.
  double journal_seconds = 0.0;
  std::size_t journal_records = 0;
  std::unique_ptr<AsyncRecorder> recorder;
  if (journal && executor.ranks() > 1) recorder = std::make_unique<AsyncRecorder>(*journal);
  const auto record = [&](std::size_t index, const std::string& result) {
    if (!journal) return;
    if (recorder) {
      recorder->add(index, result);
      return;
    }
    const auto t0 = Clock::now();
    journal->record(index, result);
    journal_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    ++journal_records;
  };
  SweepOutcome out;
  try {
    out = executor.run(plan, known, runner, record, done, settings.schedule);
  } catch (...) {
    if (recorder) {
      try {
        recorder->finish();  // keep every finished unit
      } catch (...) {
      }
    }
    throw;
  }
  if (recorder) std::tie(journal_seconds, journal_records) = recorder->finish();
  out.journal_seconds = journal_seconds;
  out.journal_records = journal_records;
  out.ranks = executor.ranks();
  if (out.output && !settings.stats.empty())
    write_stats(settings.stats, plan, out, settings.schedule);
  return out;
}

std::string encode_double(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", value);
  return buf;
}

double decode_double(const std::string& text, const std::string& context) {
  if (text.empty()) fail(context, ": empty number");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) fail(context, ": '", text, "' is not a number");
  return value;
}

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string field; in >> field;) out.push_back(field);
  return out;
}

std::string digest_bytes(const void* data, std::size_t size) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

std::string digest_file(const std::string& path) {
  const std::string bytes = read_file(path);
  return digest_bytes(bytes.data(), bytes.size());
}

SweepJournal::SweepJournal(std::string folder, const SweepPlan& plan)
    : plan_(plan), known_(plan.units.size()) {
  const fs::path root(folder);
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    fail("option '--journal': ", folder, " exists and is not a folder");
  }
  const std::string expected = plan_text(plan);
  const std::string name = plan.kind + "-" + digest_bytes(expected.data(), expected.size());
  const fs::path dir = root / name;
  folder_ = dir.string();
  const std::string plan_path = (dir / "plan.txt").string();
  if (!fs::exists(plan_path)) {
    std::size_t others = 0;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      others += e.is_directory() && fs::exists(e.path() / "plan.txt");
    }
    if (others > 0) {
      std::fprintf(stderr,
                   "lowvolt: journal %s holds %zu other sweep(s) but none of this one (its options "
                   "or inputs differ): all %zu units of this one will run\n",
                   folder.c_str(), others, plan.units.size());
    }
    fs::create_directories(dir / "units", ec);
    if (ec)
      fail("option '--journal': cannot create ", (dir / "units").string(), " (", ec.message(), ")");
    write_file_atomic(plan_path, expected);
    return;
  }
  if (read_file(plan_path) != expected) {
    fail(plan_path, ": does not hold the plan its folder name stands for (edited or damaged)");
  }
  fs::create_directories(dir / "units", ec);
  for (std::size_t i = 0; i < plan.units.size(); ++i) {
    const std::string path = record_path(i);
    if (!fs::exists(path)) continue;
    const auto lines = lines_of(read_file(path));
    if (lines.size() != 3 || lines[0] != kUnitMagic) {
      fail(path, ": not a journal unit record (expected '", kUnitMagic,
           "', the unit and its result)");
    }
    if (lines[1] != plan.units[i]) {
      fail(path, ": records unit '", lines[1], "', the plan has '", plan.units[i], "' there");
    }
    known_[i] = lines[2];
  }
  // Batches written under MPI: NNNNNNNN-K.rec, K records of (index, unit, result).
  for (const auto& e : fs::directory_iterator(dir / "units")) {
    const std::string file = e.path().filename().string();
    if (file.empty() || file[0] == '.' || e.path().extension() != ".rec" ||
        file.find('-') == std::string::npos) {
      continue;
    }
    const std::string path = e.path().string();
    const auto lines = lines_of(read_file(path));
    if (lines.empty() || lines[0] != kBatchMagic || (lines.size() - 1) % 3 != 0) {
      fail(path, ": not a journal batch (expected '", kBatchMagic,
           "' and index, unit, result per record)");
    }
    for (std::size_t l = 1; l < lines.size(); l += 3) {
      char* end = nullptr;
      const unsigned long long index = std::strtoull(lines[l].c_str(), &end, 10);
      if (lines[l].empty() || *end != '\0' || index >= plan.units.size()) {
        fail(path, ": record ", (l - 1) / 3 + 1, " names unit index '", lines[l],
             "' outside the plan's ", plan.units.size());
      }
      if (lines[l + 1] != plan.units[index]) {
        fail(path, ": records unit '", lines[l + 1], "', the plan has '", plan.units[index],
             "' there");
      }
      known_[index] = lines[l + 2];
    }
  }
}

std::string SweepJournal::record_path(std::size_t index) const {
  char name[32];
  std::snprintf(name, sizeof name, "%08zu.rec", index);
  return (fs::path(folder_) / "units" / name).string();
}

void SweepJournal::record(std::size_t index, const std::string& result) {
  LV_CHECK(index < plan_.units.size(), "unit " << index << " of " << plan_.units.size());
  LV_CHECK(result.find('\n') == std::string::npos, "unit result holds a newline");
  write_file_atomic(record_path(index),
                    std::string(kUnitMagic) + "\n" + plan_.units[index] + "\n" + result + "\n");
  known_[index] = result;
}

void SweepJournal::record_batch(const std::vector<std::pair<std::size_t, std::string>>& records) {
  LV_CHECK(!records.empty(), "empty journal batch");
  std::string text = std::string(kBatchMagic) + "\n";
  for (const auto& [index, result] : records) {
    LV_CHECK(index < plan_.units.size(), "unit " << index << " of " << plan_.units.size());
    LV_CHECK(result.find('\n') == std::string::npos, "unit result holds a newline");
    text += std::to_string(index) + "\n" + plan_.units[index] + "\n" + result + "\n";
  }
  char name[48];
  std::snprintf(name, sizeof name, "%08zu-%zu.rec", records.front().first, records.size());
  write_file_atomic((fs::path(folder_) / "units" / name).string(), text);
  for (const auto& [index, result] : records) known_[index] = result;
}

}  // namespace lowvolt::host
