#pragma once
// Command-line options every distributed sweep shares (`lowvolt curve`, `lowvolt eval`):
// --journal, --schedule, --sweep-stats (sweep/sweep_units.h), and the --threads default under
// MPI (the sweep executor's default_threads()). docs/cli.md and docs/cluster.md describe them.
#include <string>

#include "cli.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::cli {

/// Adds --journal DIR, --schedule dynamic|static and --sweep-stats FILE to `options`.
void add_sweep_options(po::options_description& options);

/// The context the command's sweeps run in: these options' settings (validated; a bad value is a
/// UsageError prefixed with `prog`) on `executor` (the MPI session's, or nullptr).
host::SweepContext sweep_context(const po::variables_map& vm, const std::string& prog,
                                 const std::shared_ptr<host::SweepExecutor>& executor);

/// LibTorch threads to use: --threads as given, or — left at its default under MPI — the cores
/// per rank (the executor's default_threads()).
int sweep_threads(const po::variables_map& vm, const host::SweepContext& context);

}  // namespace lowvolt::cli
