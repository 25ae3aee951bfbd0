// `lowvolt`: the only place that turns exceptions into exit statuses.
//   0 success, 1 user error (bad file/value), 2 usage error (unknown option/subcommand),
//   70 internal error (a bug: please report it).
#include <cstdio>
#include <exception>

#include "cli.h"
#include "lowvolt/common/error.h"

int main(int argc, char** argv) {
  try {
    return lowvolt::cli::main(argc, argv);
  } catch (const lowvolt::UsageError& e) {
    std::fprintf(stderr, "%s\n", e.what());  // already starts with "lowvolt <command>:"
    return 2;
  } catch (const lowvolt::Error& e) {
    std::fprintf(stderr, "lowvolt: error: %s\n", e.what());
    return 1;
  } catch (const lowvolt::InternalError& e) {
    std::fprintf(stderr, "lowvolt: %s\n", e.what());
    return 70;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lowvolt: error: %s\n", e.what());
    return 1;
  }
}
