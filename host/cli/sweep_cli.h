#pragma once
// Command-line options every distributed sweep shares (`lowvolt curve`, `lowvolt eval`):
// --journal, --schedule, --sweep-stats (sweep/sweep_units.h), and the --threads default under
// MPI (the sweep executor's default_threads()). docs/cli.md and docs/cluster.md describe them.
#include <string>

#include "cli.h"

namespace lowvolt::cli {

/// Adds --journal DIR, --schedule dynamic|static and --sweep-stats FILE to `options`.
void add_sweep_options(po::options_description& options);

/// Applies them to every following sweep of this process (host::set_sweep_settings); a bad value
/// is a UsageError prefixed with `prog`.
void apply_sweep_options(const po::variables_map& vm, const std::string& prog);

/// LibTorch threads to use: --threads as given, or — left at its default under MPI — the cores
/// per rank (the sweep executor's default_threads()).
int sweep_threads(const po::variables_map& vm);

}  // namespace lowvolt::cli
