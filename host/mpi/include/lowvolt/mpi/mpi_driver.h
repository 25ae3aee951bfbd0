#pragma once
// The MPI driver of `lowvolt` (docs/cluster.md): the only part of LowVolt that talks to MPI, over
// the plain MPI C API of the MPI library it was built with (Open MPI on Debian). Contract:
//  - MPI is initialised only when an MPI launcher started the process (mpirun/mpiexec: Open
//    MPI's OMPI_COMM_WORLD_SIZE; srun and other PMI launchers: PMIX_RANK or PMI_RANK). Otherwise
//    nothing of MPI runs and the program behaves as it always has.
//  - Under MPI, every rank parses the same command line and builds the same sweep plan; rank 0
//    checks that every rank's plan is the same (a digest), hands out the units (dynamically by
//    default: each rank asks for the next unit when it finishes one; rank 0 itself runs units on
//    a second thread), receives every result, writes the journal and alone prints and writes the
//    outputs (the other ranks' stdout goes to /dev/null).
//  - Only `curve` and `eval` (and --help/--version) run under more than one rank; any other
//    command is a UsageError there.
//  - A failure on any rank prints its one-line error (naming the rank) and aborts the whole job
//    (MPI_Abort) with the command's exit status, so mpirun/srun end every rank; a rank killed
//    by a signal makes mpirun end the job. Journal records written before stay valid.
#include <memory>
#include <string>

#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::mpi {

/// MPI for the lifetime of main() (see the contract).
class MpiSession {
 public:
  MpiSession() = default;
  ~MpiSession();
  /// Initialises MPI when launched by an MPI launcher and makes the sweep executor (executor()),
  /// whose second thread on rank 0 calls `thread_setup`'s function first; throws lowvolt::Error
  /// when MPI fails. The executor's default_threads(): SLURM_CPUS_PER_TASK when set, else the cores
  /// this process may run on, at most the machine's cores divided by the ranks on this node; at
  /// least 1.
  void start(int& argc, char**& argv, const host::ThreadSetup& thread_setup = {});
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// Whether MPI was initialised.
  bool active() const { return active_; }
  /// The executor that spreads sweep units over the ranks; nullptr without MPI (units run in
  /// this process). The commands that distribute work put it into their SweepContext.
  std::shared_ptr<host::SweepExecutor> executor() const { return executor_; }
  /// This process's rank (0 without MPI).
  int rank() const { return rank_; }
  /// Processes in the job (1 without MPI).
  int size() const { return size_; }
  /// The prefix of this process's error line: "lowvolt: error: ", or naming the rank under MPI.
  std::string error_prefix() const;
  /// Throws UsageError when a command that does not distribute its work runs on several ranks.
  void check_command(int argc, char** argv) const;
  /// Ends MPI: MPI_Finalize after success, MPI_Abort(status) after a failure with more than one
  /// rank (so the other ranks end too). Returns `status`.
  int finish(int status);

 private:
  bool active_ = false;
  bool finished_ = false;
  int rank_ = 0;
  int size_ = 1;
  std::shared_ptr<host::SweepExecutor> executor_;
};

}  // namespace lowvolt::mpi
