#include "sweep_cli.h"

#include "lowvolt/common/error.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::cli {

void add_sweep_options(po::options_description& options) {
  options.add_options()("journal", po::value<std::string>()->default_value(""),
                        "record every finished work unit in folder DIR; a rerun (any number of MPI "
                        "ranks) skips them")(
      "schedule", po::value<std::string>()->default_value("dynamic"),
      "under MPI: dynamic (ranks take the next unit when free) or static (equal contiguous "
      "shares)")("sweep-stats", po::value<std::string>()->default_value(""),
                 "write per-unit run times, ranks and idle fraction as JSON to FILE");
}

host::SweepContext sweep_context(const po::variables_map& vm, const std::string& prog,
                                 const std::shared_ptr<host::SweepExecutor>& executor) {
  host::SweepContext context;
  context.executor = executor;
  context.settings.journal = vm["journal"].as<std::string>();
  context.settings.schedule = vm["schedule"].as<std::string>();
  context.settings.stats = vm["sweep-stats"].as<std::string>();
  as_usage_error(prog, [&] { context.settings.validate(); });
  return context;
}

int sweep_threads(const po::variables_map& vm, const host::SweepContext& context) {
  const int threads = vm["threads"].as<int>();
  const int executor_default = context.default_threads();
  if (vm["threads"].defaulted() && executor_default > 0) return executor_default;
  return threads;
}

}  // namespace lowvolt::cli
