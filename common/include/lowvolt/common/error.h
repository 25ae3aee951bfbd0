#pragma once
// Two kinds of failure, after gem5's fatal/panic:
//  - lowvolt::Error: the user's mistake (bad file, bad option, impossible configuration). Its
//    message is one line naming the file / option / key and the offending value. Libraries throw
//    it; only `main` catches it and turns it into a non-zero exit status.
//  - LV_CHECK(cond, msg): an internal invariant. Always on (also in release builds); on failure it
//    throws lowvolt::InternalError with the condition text, file and line — a bug in LowVolt.
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace lowvolt {

/// A user error: bad input, bad option or an impossible configuration. Message is one line.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A usage error on the command line (unknown option or subcommand); exit status 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

/// A violated internal invariant: a bug in LowVolt, never the user's fault.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

namespace detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line,
                               const std::string& message);

/// Builds a message from stream-able parts: lowvolt::detail::cat("p=", p, " out of range").
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

/// Throws lowvolt::Error with the concatenation of the given parts.
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(detail::cat(parts...));
}

/// Throws lowvolt::UsageError with the concatenation of the given parts.
template <typename... Parts>
[[noreturn]] void usage_fail(const Parts&... parts) {
  throw UsageError(detail::cat(parts...));
}

/// Runs `check` (an options struct's validate(), say) and turns the lowvolt::Error it throws into
/// a UsageError: an out-of-range option value is a usage error (exit 2), like an unknown option
/// or a malformed number, whichever layer finds it. `prefix` + ": " goes before a message that
/// does not already start with `prefix` ("" = none). The one converter.
void as_usage_error(const std::string& prefix, const std::function<void()>& check);

/// The body of a program's main(): tunes the allocator (tuning.h), runs `body` and turns what it throws into an exit status,
/// printing one line on stderr — UsageError: its message, 2; Error: `error_prefix` + message, 1;
/// InternalError: `error_prefix` + message, 70; any other std::exception: `error_prefix` + message, 1.
int run_main(const std::string& error_prefix, const std::function<int()>& body);

}  // namespace lowvolt

/// Always-on invariant check; `msg` is a stream expression, e.g. LV_CHECK(n > 0, "n=" << n).
#define LV_CHECK(cond, msg)                                                              \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::ostringstream lv_check_msg_;                                                  \
      lv_check_msg_ << msg;                                                              \
      ::lowvolt::detail::check_failed(#cond, __FILE__, __LINE__, lv_check_msg_.str());   \
    }                                                                                    \
  } while (false)
