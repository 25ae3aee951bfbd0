#pragma once
// Runs the `lowvolt` program (LOWVOLT_BIN, set by tests/cli/CMakeLists.txt) through the shell and
// returns its exit status and output; with the temporary folder and file reading the CLI
// end-to-end tests share.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lowvolt::test {

/// Exit status and captured output of one `lowvolt` run.
struct RunResult {
  int status = -1;  ///< exit status; -1 when the program did not exit normally
  std::string out;  ///< stdout, plus stderr when asked for
};

/// Runs a shell command line and captures its stdout.
inline RunResult run_shell(const std::string& command) {
  RunResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.out += buffer.data();
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// Runs `lowvolt <arguments>`; stderr joins the output when `with_stderr`, else is discarded.
inline RunResult run_lowvolt(const std::string& arguments, bool with_stderr) {
  return run_shell(std::string(LOWVOLT_BIN) + " " + arguments +
                   (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

/// A fresh temporary folder for one test (lowvolt_<prefix>_<name>_<pid>), removed at the end.
struct TempDir {
  std::filesystem::path path;  ///< the folder
  TempDir(const std::string& prefix, const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("lowvolt_" + prefix + "_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  /// Path of `file` inside the folder.
  std::string operator/(const std::string& file) const { return (path / file).string(); }
};

/// The whole content of a file ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lowvolt::test
