#include "lowvolt/common/error.h"

#include "lowvolt/common/tuning.h"

#include <cstdio>

namespace lowvolt::detail {

void check_failed(const char* condition, const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << "internal error (a bug in LowVolt): check '" << condition << "' failed at " << file << ':'
      << line;
  if (!message.empty()) out << ": " << message;
  throw InternalError(out.str());
}

}  // namespace lowvolt::detail

namespace lowvolt {

void as_usage_error(const std::string& prefix, const std::function<void()>& check) {
  try {
    check();
  } catch (const Error& e) {  // a UsageError too: it gets the prefix
    const std::string what = e.what();
    if (prefix.empty() || what.rfind(prefix, 0) == 0) throw UsageError(what);
    throw UsageError(prefix + ": " + what);
  }
}

int run_main(const std::string& error_prefix, const std::function<int()>& body) {
  tune_allocator();
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix.c_str(), e.what());
    return 1;
  } catch (const InternalError& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix.c_str(), e.what());
    return 70;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix.c_str(), e.what());
    return 1;
  }
}

}  // namespace lowvolt
