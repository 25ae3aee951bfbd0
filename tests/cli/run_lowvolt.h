#pragma once
// Runs the `lowvolt` program (LOWVOLT_BIN, set by tests/cli/CMakeLists.txt) through the shell and
// returns its exit status and output; shared by the CLI end-to-end tests.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace lowvolt::test {

/// Exit status and captured output of one `lowvolt` run.
struct RunResult {
  int status = -1;   ///< exit status; -1 when the program did not exit normally
  std::string out;   ///< stdout, plus stderr when asked for
};

/// Runs `lowvolt <arguments>`; stderr joins the output when `with_stderr`, else is discarded.
inline RunResult run_lowvolt(const std::string& arguments, bool with_stderr) {
  const std::string command = std::string(LOWVOLT_BIN) + " " + arguments +
                              (with_stderr ? " 2>&1" : " 2>/dev/null");
  RunResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.out += buffer.data();
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace lowvolt::test
