#include "lowvolt/common/error.h"

namespace lowvolt::detail {

void check_failed(const char* condition, const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << "internal error (a bug in LowVolt): check '" << condition << "' failed at " << file << ':'
      << line;
  if (!message.empty()) out << ": " << message;
  throw InternalError(out.str());
}

}  // namespace lowvolt::detail
