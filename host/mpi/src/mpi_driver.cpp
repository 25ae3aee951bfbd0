// The MPI driver (mpi_driver.h): the only file of LowVolt that includes <mpi.h>.
#include "lowvolt/mpi/mpi_driver.h"

// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "lowvolt/common/error.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::mpi {
namespace {

using Clock = std::chrono::steady_clock;
namespace lh = lowvolt::host;

constexpr int kTagResult = 1;  ///< rank → 0: "" (ready) or "index seconds result"
constexpr int kTagWork = 2;    ///< 0 → rank: one std::int64_t, the unit to run (−1 = stop)

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

/// Checks an MPI call's status (a failure here is an MPI fault, not the user's input).
void check(int status, const char* call) {
  if (status != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    fail("MPI: ", call, " failed: ", std::string(text, static_cast<std::size_t>(length)));
  }
}

std::string plan_digest(const lh::SweepPlan& plan) {
  std::string text = plan.kind + "\n" + plan.fingerprint + "\n";
  for (const auto& u : plan.units) text += u + "\n";
  return lh::digest_bytes(text.data(), text.size());
}

/// Units handed out by rank 0: one queue for dynamic assignment, one per rank for static.
class Assigner {
 public:
  Assigner(const lh::SweepPlan& plan, const std::vector<std::optional<std::string>>& known,
           const std::string& schedule, int ranks)
      : queues_(schedule == "static" ? static_cast<std::size_t>(ranks) : 1) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < plan.units.size(); ++i) {
      if (!known[i]) pending.push_back(i);
    }
    if (schedule == "static") {
      // Contiguous equal shares in plan order (what splitting the unit list by rank gives).
      const std::size_t n = pending.size(), r = static_cast<std::size_t>(ranks);
      for (std::size_t q = 0; q < r; ++q) {
        for (std::size_t i = q * n / r; i < (q + 1) * n / r; ++i) queues_[q].push_back(pending[i]);
      }
    } else {
      if (!plan.cost_hint.empty()) {
        std::stable_sort(pending.begin(), pending.end(), [&](std::size_t a, std::size_t b) {
          return plan.cost_hint[a] > plan.cost_hint[b];
        });
      }
      queues_[0].assign(pending.begin(), pending.end());
    }
  }

  /// The next unit for `rank`, or −1 when there is none (or after stop()).
  std::int64_t next(int rank) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return -1;
    auto& q = queues_[queues_.size() == 1 ? 0 : static_cast<std::size_t>(rank)];
    if (q.empty()) return -1;
    const std::size_t unit = q.front();
    q.pop_front();
    return static_cast<std::int64_t>(unit);
  }

  /// Hands out nothing more.
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }

 private:
  std::mutex mutex_;
  std::vector<std::deque<std::size_t>> queues_;
  bool stopped_ = false;
};

/// A result that reached rank 0.
struct Arrival {
  std::size_t index = 0;
  int rank = 0;
  double seconds = 0.0;
  std::string result;
};

class MpiExecutor : public lh::SweepExecutor {
 public:
  MpiExecutor(int rank, int size, int threads, lh::ThreadSetup thread_setup)
      : rank_(rank), size_(size), threads_(threads), thread_setup_(std::move(thread_setup)) {}

  lh::SweepOutcome run(const lh::SweepPlan& plan,
                       const std::vector<std::optional<std::string>>& known,
                       const lh::UnitRunner& runner,
                       const std::function<void(std::size_t, const std::string&)>& record,
                       const lh::UnitDone& done, const std::string& schedule) override {
    check_same_plan(plan);
    return rank_ == 0 ? run_root(plan, known, runner, record, done, schedule)
                      : run_worker(plan, runner);
  }
  bool output() const override { return rank_ == 0; }
  int ranks() const override { return size_; }
  int default_threads() const override { return threads_; }

 private:
  /// Every rank must have built the same plan from the same command line and files.
  void check_same_plan(const lh::SweepPlan& plan) const {
    char digest[17] = {};
    const std::string mine = plan_digest(plan);
    std::memcpy(digest, mine.data(), std::min<std::size_t>(16, mine.size()));
    check(MPI_Bcast(digest, 16, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    if (mine != std::string(digest, 16)) {
      fail("rank ", rank_, " built a different ", plan.kind, " sweep than rank 0 (plan digest ",
           mine, " vs ", std::string(digest, 16),
           "): the ranks must see the same command line and files");
    }
  }

  lh::SweepOutcome run_worker(const lh::SweepPlan& plan, const lh::UnitRunner& runner) const {
    lh::SweepOutcome out;
    out.output = false;
    std::string message;  // empty: ready for the first unit
    for (;;) {
      check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kTagResult,
                     MPI_COMM_WORLD),
            "MPI_Send");
      std::int64_t index = -1;
      check(MPI_Recv(&index, 1, MPI_INT64_T, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "MPI_Recv");
      if (index < 0) break;
      LV_CHECK(static_cast<std::size_t>(index) < plan.units.size(),
               "unit " << index << " of " << plan.units.size());
      const auto t0 = Clock::now();
      const std::string result = runner(static_cast<std::size_t>(index));
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      message = std::to_string(index) + " " + lh::encode_double(seconds) + " " + result;
    }
    return out;
  }

  lh::SweepOutcome run_root(const lh::SweepPlan& plan,
                            const std::vector<std::optional<std::string>>& known,
                            const lh::UnitRunner& runner,
                            const std::function<void(std::size_t, const std::string&)>& record,
                            const lh::UnitDone& done, const std::string& schedule) const {
    const std::size_t n = plan.units.size();
    lh::SweepOutcome out;
    out.results.resize(n);
    out.seconds.assign(n, 0.0);
    out.rank.assign(n, -1);
    out.busy.assign(static_cast<std::size_t>(size_), 0.0);
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (known[i]) {
        out.results[i] = *known[i];
        ++count;
      }
    }
    Assigner assigner(plan, known, schedule, size_);
    const auto start = Clock::now();

    // Rank 0's own share runs on a second thread; this thread alone talks to MPI.
    std::mutex mutex;
    std::deque<Arrival> local;  // results of the local thread not yet taken over
    bool local_done = false;
    std::exception_ptr local_error;
    const std::function<void()> setup = thread_setup_ ? thread_setup_() : [] {};
    std::thread worker([&] {
      try {
        setup();
        for (;;) {
          const std::int64_t index = assigner.next(0);
          if (index < 0) break;
          const auto t0 = Clock::now();
          Arrival a{static_cast<std::size_t>(index), 0, 0.0,
                    runner(static_cast<std::size_t>(index))};
          a.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
          std::lock_guard<std::mutex> lock(mutex);
          local.push_back(std::move(a));
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        local_error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      local_done = true;
    });

    const auto take = [&](Arrival a) {
      out.results[a.index] = std::move(a.result);
      out.seconds[a.index] = a.seconds;
      out.rank[a.index] = a.rank;
      out.busy[static_cast<std::size_t>(a.rank)] += a.seconds;
      if (record) record(a.index, out.results[a.index]);
      if (done) done(++count, a.index);
    };
    int workers = size_ - 1;  // ranks not yet told to stop
    std::string buffer;
    try {
      for (;;) {
        std::deque<Arrival> arrived;
        bool finished = false;
        {
          std::lock_guard<std::mutex> lock(mutex);
          arrived.swap(local);
          finished = local_done;
          if (local_error) std::rethrow_exception(local_error);
        }
        for (auto& a : arrived) take(std::move(a));
        int flag = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
        if (flag) {
          int size = 0;
          check(MPI_Get_count(&status, MPI_CHAR, &size), "MPI_Get_count");
          buffer.resize(static_cast<std::size_t>(size));
          check(MPI_Recv(buffer.data(), size, MPI_CHAR, status.MPI_SOURCE, kTagResult,
                         MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                "MPI_Recv");
          if (!buffer.empty()) {
            out.gathered_bytes += buffer.size();
            take(parse_arrival(buffer, status.MPI_SOURCE, n));
          }
          const std::int64_t next = assigner.next(status.MPI_SOURCE);
          check(MPI_Send(&next, 1, MPI_INT64_T, status.MPI_SOURCE, kTagWork, MPI_COMM_WORLD),
                "MPI_Send");
          if (next < 0) --workers;
          continue;
        }
        if (finished && workers == 0) break;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    } catch (...) {
      assigner.stop();
      worker.join();
      throw;
    }
    worker.join();
    out.wall = std::chrono::duration<double>(Clock::now() - start).count();
    for (std::size_t i = 0; i < n; ++i) {
      LV_CHECK(known[i] || out.rank[i] >= 0,
               "unit " << i << " (" << plan.units[i] << ") has no result");
    }
    return out;
  }

  static Arrival parse_arrival(const std::string& text, int rank, std::size_t units) {
    const auto a = text.find(' ');
    const auto b = a == std::string::npos ? a : text.find(' ', a + 1);
    LV_CHECK(b != std::string::npos, "malformed result message from rank " << rank);
    Arrival out;
    out.index = std::stoull(text.substr(0, a));
    LV_CHECK(out.index < units, "rank " << rank << " sent unit " << out.index << " of " << units);
    out.rank = rank;
    out.seconds = lh::decode_double(text.substr(a + 1, b - a - 1), "unit time");
    out.result = text.substr(b + 1);
    return out;
  }

  int rank_;
  int size_;
  int threads_;  // default LibTorch threads of this rank
  lh::ThreadSetup thread_setup_;
};

/// Cores this process may run on (its affinity mask).
int affinity_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace

void MpiSession::start(int& argc, char**& argv, const lh::ThreadSetup& thread_setup) {
  if (active_ || !launched_by_mpi()) return;
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  active_ = true;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  if (provided < MPI_THREAD_FUNNELED) {
    fail("MPI: the library gives no thread support (MPI_THREAD_FUNNELED needed)");
  }
  // Default threads: SLURM's cores per task, else this process's cores shared with the ranks on
  // its node.
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int local = 1;
  check(MPI_Comm_size(node, &local), "MPI_Comm_size");
  MPI_Comm_free(&node);
  int threads = 0;
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) threads = std::atoi(slurm);
  if (threads <= 0) {
    const int machine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int mine = affinity_cores();
    threads = std::min(mine > 0 ? mine : machine, machine / std::max(1, local));
  }
  executor_ = std::make_shared<MpiExecutor>(rank_, size_, std::max(1, threads), thread_setup);
  // Rank 0 alone prints: the others' standard output is discarded (errors still go to stderr).
  if (rank_ != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) {
    fail("MPI rank ", rank_, ": cannot redirect standard output to /dev/null");
  }
}

MpiSession::~MpiSession() {
  if (active_ && !finished_) finish(0);
}

std::string MpiSession::error_prefix() const {
  if (!active_ || size_ == 1) return "lowvolt: error: ";
  return "lowvolt (MPI rank " + std::to_string(rank_) + " of " + std::to_string(size_) +
         "): error: ";
}

void MpiSession::check_command(int argc, char** argv) const {
  if (!active_ || size_ == 1 || argc < 2) return;
  const std::string command = argv[1];
  if (command == "curve" || command == "eval" || command.rfind("-", 0) == 0) return;
  throw UsageError("lowvolt " + command + ": runs in one process; under MPI (" +
                   std::to_string(size_) + " ranks) only 'curve' and 'eval' are distributed");
}

int MpiSession::finish(int status) {
  if (!active_ || finished_) return status;
  finished_ = true;
  std::fflush(stdout);
  std::fflush(stderr);
  if (status != 0 && size_ > 1) {
    // When every rank fails alike (a bad input), let rank 0 abort first: one abort, one report.
    if (rank_ != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    MPI_Abort(MPI_COMM_WORLD, status);
  }
  MPI_Finalize();
  return status;
}

}  // namespace lowvolt::mpi
