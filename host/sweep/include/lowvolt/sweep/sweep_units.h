#pragma once
// Sweeps as lists of work units (the "sweeps" seam of docs/design.md). `lowvolt curve` and
// `lowvolt eval` describe their work as a SweepPlan — one unit per (model, chip, voltage, mapping)
// point and one per model's clean pass for curves, one per bit error sample (all rates) and one
// clean pass for evaluations — and run it through run_sweep(). Contract:
//  - A unit's result depends only on the unit's identity and the plan's inputs (its random draws
//    come from the seed and the unit's identity), never on which process runs it or in what
//    order; results travel as text that encodes every double exactly (encode_double), so the
//    output assembled from the results is the same bit for bit whoever ran the units.
//  - Context: every sweep runs in an explicit SweepContext, the executor and the settings, that
//    the caller passes down with its options (EvalOptions::sweep, CurveOptions::sweep); nothing
//    about sweeps is process-wide. Without an executor, units run in plan order in this process
//    (the program as it always was). The MPI session (host/mpi, the only room that includes
//    <mpi.h>) makes one that hands units to ranks and gathers every result on rank 0, the only
//    rank that receives results (`output` true); the others get `output` false.
//  - Journal (`--journal DIR`): one folder per sweep, DIR/<kind>-<digest of its plan>/, so that
//    results of different sweeps (other options or inputs, or the several sweeps of one command,
//    such as one per ECC mode) can never mix. In it plan.txt names the sweep (kind, fingerprint of
//    every input and option the results depend on, unit identities) and units/NNNNNNNN.rec holds
//    one finished unit, written atomically (common/atomic_file.h) as soon as its result arrives
//    (in one process before the next unit starts; under MPI by a writer thread of rank 0, which
//    puts the records that queued up while it wrote into one file, units/NNNNNNNN-K.rec, so that
//    dispatch never waits for the disk).
//    A run with the same journal skips the recorded units of its own sweep; when DIR holds only
//    other sweeps a note on stderr says so. A record naming another unit, or a damaged record,
//    is a lowvolt::Error naming the file. Timings are not journalled.
//  - Schedules: "dynamic" (default: each rank asks for its next unit when it finishes one; units
//    handed out in descending cost hint, then plan order) or "static" (the pending units cut into
//    contiguous equal shares, one per rank, for comparison).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lowvolt::host {

/// A sweep's work: unit identities and what their results depend on.
struct SweepPlan {
  std::string kind;         ///< "curve" or "eval"
  std::string fingerprint;  ///< options and input digests (one line each); journals must match
  std::vector<std::string> units;  ///< unit identities, one line each, unique
  std::vector<double> cost_hint;   ///< per unit, larger = dispatched earlier; empty = plan order
};

/// Runs unit `index` of the plan and returns its result as one line of text (no '\n').
using UnitRunner = std::function<std::string(std::size_t index)>;

/// Called on the output rank once per unit as its result becomes known (from the journal or a
/// rank): `done` units known so far, `index` of this one. Called from one thread.
using UnitDone = std::function<void(std::size_t done, std::size_t index)>;

/// Settings of every sweep in this process (the CLI's --journal, --schedule, --sweep-stats).
struct SweepSettings {
  std::string journal;               ///< folder of the journal; "" = none
  std::string schedule = "dynamic";  ///< "dynamic" or "static"
  std::string stats;  ///< write per-unit costs and rank busy times here (JSON); "" = no

  /// Throws lowvolt::Error naming the option on a bad value.
  void validate() const;
};

/// The results of a sweep.
struct SweepOutcome {
  bool output = true;                ///< whether this process holds the results (rank 0)
  std::vector<std::string> results;  ///< per unit (output rank only)
  std::vector<double> seconds;       ///< per unit: run time in seconds; 0 for journalled units
  std::vector<int> rank;             ///< per unit: rank that ran it; −1 = from the journal
  std::vector<double> busy;          ///< per rank: seconds spent running units
  double wall = 0.0;                 ///< seconds from the start of dispatch to the last result
  std::uint64_t gathered_bytes = 0;  ///< result bytes sent to the output rank
  double journal_seconds = 0.0;      ///< time spent writing journal records, in seconds
  std::size_t journal_records = 0;   ///< records written by this run
  int ranks = 1;                     ///< processes that took part
};

/// Runs units somewhere: in this process (default) or across MPI ranks.
class SweepExecutor {
 public:
  virtual ~SweepExecutor() = default;
  /// Runs every unit whose result is not in `known` (journalled results, indexed like the plan;
  /// nullopt = to run). `record` is called on the output rank with each new result, in the
  /// order of arrival (it writes the journal), then `done`. Fills the outcome (see above).
  virtual SweepOutcome run(const SweepPlan& plan,
                           const std::vector<std::optional<std::string>>& known,
                           const UnitRunner& runner,
                           const std::function<void(std::size_t, const std::string&)>& record,
                           const UnitDone& done, const std::string& schedule) = 0;
  /// Whether this process prints and writes the outputs.
  virtual bool output() const = 0;
  /// Processes taking part (1 without MPI).
  virtual int ranks() const = 0;
  /// LibTorch threads a process of this executor should use when the command line does not say;
  /// 0: no opinion (the command's own default applies). The MPI executor's: the cores per rank.
  virtual int default_threads() const { return 0; }
};

/// Where and how a run's sweeps execute: the executor and the settings. Copies share the
/// executor. The default runs every unit in this process with no journal.
struct SweepContext {
  std::shared_ptr<SweepExecutor> executor;  ///< nullptr: units run in this process, in plan order
  SweepSettings settings;                   ///< journal, schedule, stats (validated by run_sweep)

  /// Whether this process prints results and writes output files (false on MPI ranks other
  /// than 0).
  bool output() const { return executor == nullptr || executor->output(); }
  /// Processes taking part (1 without MPI).
  int ranks() const { return executor == nullptr ? 1 : executor->ranks(); }
  /// The executor's default LibTorch threads (0: no opinion).
  int default_threads() const { return executor == nullptr ? 0 : executor->default_threads(); }
  /// Whether a sweep's plan must carry the digests of its inputs: a journal or other ranks must
  /// see that they hold the same sweep.
  bool needs_fingerprint() const { return !settings.journal.empty() || ranks() > 1; }
};

/// Runs a plan in `context`: opens the journal (creating it), skips the units recorded there,
/// records every new one, writes the stats file if asked. Results are returned on the output
/// rank (SweepOutcome::output). lowvolt::Error naming the option for invalid settings.
SweepOutcome run_sweep(const SweepContext& context, const SweepPlan& plan,
                       const UnitRunner& runner, const UnitDone& done = {});

/// Made on the thread that starts a sweep, called first by every other thread that runs its
/// units: gives that thread the starting thread's per-thread state (app/runtime.h's
/// torch_thread_setup: OpenMP's thread count is per thread).
using ThreadSetup = std::function<std::function<void()>()>;

/// The exact text of a double ("%a": hexadecimal, every bit kept).
std::string encode_double(double value);

/// Parses encode_double()'s text (and decimal); throws lowvolt::Error naming `context`.
double decode_double(const std::string& text, const std::string& context);

/// Splits a unit result into its space-separated fields.
std::vector<std::string> split_fields(const std::string& text);

/// 64-bit FNV-1a digest of bytes, as 16 hex digits.
std::string digest_bytes(const void* data, std::size_t size);

/// Digest of a file's contents (lowvolt::Error naming the path when it cannot be read).
std::string digest_file(const std::string& path);

/// The journal of one plan (see the contract). Only the output rank opens it.
class SweepJournal {
 public:
  /// Opens the plan's folder in the journal `folder`: creates it with plan.txt, or loads the
  /// recorded units. Throws lowvolt::Error naming the file on a bad record.
  SweepJournal(std::string folder, const SweepPlan& plan);

  /// Results recorded so far, indexed like the plan (nullopt = not recorded).
  const std::vector<std::optional<std::string>>& known() const { return known_; }

  /// Records unit `index`'s result atomically.
  void record(std::size_t index, const std::string& result);

  /// Records several units in one file atomically (units/NNNNNNNN-K.rec: the first index and the
  /// count), as the MPI root does when results arrive faster than single records are written.
  void record_batch(const std::vector<std::pair<std::size_t, std::string>>& records);

  /// Path of unit `index`'s record.
  std::string record_path(std::size_t index) const;

  /// This plan's folder inside the journal.
  const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
  const SweepPlan& plan_;
  std::vector<std::optional<std::string>> known_;
};

}  // namespace lowvolt::host
