#include "plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"

extern char** environ;

namespace lowvolt::cli {

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

void run_gnuplot(const std::string& option, const std::string& output, int width, int height,
                 const std::map<std::string, std::string>& data_files, const std::string& script) {
  namespace fs = std::filesystem;
  const std::string ext = fs::path(output).extension().string();
  std::ostringstream terminal;
  if (ext == ".svg") {
    terminal << "svg size " << width << ',' << height << " dynamic background rgb 'white'";
  } else if (ext == ".png") {
    terminal << "pngcairo size " << width << ',' << height;
  } else {
    fail(option, ' ', output, ": the file must end in .svg or .png");
  }
  const std::string gnuplot = find_on_path("gnuplot");
  if (gnuplot.empty()) fail(option, ": gnuplot is not on PATH (install gnuplot-nox, or omit ", option, ")");

  check_output_path(output);
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_plot_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, contents] : data_files) write_file_atomic((dir / name).string(), contents);
  // gnuplot draws into the private folder; the picture then goes into place like every output.
  const std::string tmp_out = (dir / "plot.out").string();
  std::string body = script;
  for (std::size_t at = body.find("$OUTPUT"); at != std::string::npos; at = body.find("$OUTPUT")) {
    body.replace(at, 7, tmp_out);
  }
  const std::string script_file = (dir / "plot.gp").string();
  write_file_atomic(script_file, "set terminal " + terminal.str() + "\nset output '" + tmp_out +
                                     "'\n" + body + "\nset output\n");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string arg0 = "gnuplot";
  std::vector<char*> argv = {const_cast<char*>(arg0.c_str()),
                             const_cast<char*>(script_file.c_str()), nullptr};
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  fs::current_path(cwd);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    fs::remove_all(dir);
    fail(option, ": cannot start ", gnuplot);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(tmp_out)) {
    fs::remove_all(dir);
    fail(option, ' ', output, ": gnuplot failed (exit status ",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1, ")");
  }
  std::string picture;
  try {
    picture = read_file(tmp_out);
  } catch (...) {
    fs::remove_all(dir);
    throw;
  }
  fs::remove_all(dir);
  write_file_atomic(output, picture);
}

}  // namespace lowvolt::cli
