// `lowvolt`: the only place that turns exceptions into exit statuses.
//   0 success, 1 user error (bad file/value), 2 usage error (unknown option/subcommand),
//   70 internal error (a bug: please report it).
#include "cli.h"
#include "lowvolt/common/error.h"

int main(int argc, char** argv) {
  // UsageError messages already start with "lowvolt <command>:".
  return lowvolt::run_main("lowvolt: error: ", [&] { return lowvolt::cli::main(argc, argv); });
}
