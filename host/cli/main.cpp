// `lowvolt`: the only place that turns exceptions into exit statuses.
//   0 success, 1 user error (bad file/value), 2 usage error (unknown option/subcommand),
//   70 internal error (a bug: please report it).
// Under mpirun/srun the MPI session (mpi_driver.h) starts first and ends last; without an MPI
// launcher it does nothing.
#include "cli.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/mpi/mpi_driver.h"

int main(int argc, char** argv) {
  lowvolt::mpi::MpiSession mpi;
  // UsageError messages already start with "lowvolt <command>:".
  int status = lowvolt::run_main("lowvolt: error: ", [&] {
    mpi.start(argc, argv, lowvolt::host::torch_thread_setup);
    return 0;
  });
  if (status == 0) {
    status = lowvolt::run_main(mpi.error_prefix(), [&] {
      mpi.check_command(argc, argv);
      return lowvolt::cli::main(argc, argv, mpi.executor());
    });
  }
  return mpi.finish(status);
}
