#include "lowvolt/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "lowvolt/common/error.h"

namespace lowvolt {
namespace {

namespace fs = std::filesystem;

/// What kind of thing sits at a path, for the refusal message.
const char* kind_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// The file a write to `path` lands in: `path` itself, or the end of its chain of symbolic links
/// (each resolved relative to its own folder; at most 40, as the kernel allows).
fs::path resolve_links(const std::string& path) {
  fs::path p(path);
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    const fs::path next = fs::read_symlink(p);
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  fail(path, ": too many levels of symbolic links");
}

/// The mode a new output file gets: 0666 less the process's umask, as open(2) would give it.
mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

void write_all(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, ": write failed (", std::strerror(errno), ")");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Where a write to `path` lands, after the rules of atomic_file.h are checked.
struct OutputTarget {
  fs::path file;        ///< the regular file to replace (the end of any chain of links)
  fs::path folder;      ///< its folder, where the temporary file goes
  bool exists = false;  ///< whether `file` exists already
  mode_t mode = 0;      ///< its permission bits when it does
};

OutputTarget inspect_output(const std::string& path) {
  if (path.empty()) fail("an output path is empty");
  OutputTarget out;
  out.file = resolve_links(path);
  struct stat st{};
  if (::stat(out.file.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      fail(path, ": is ", kind_name(st.st_mode),
           "; LowVolt writes outputs only to regular files (give a file path)");
    }
    out.exists = true;
    out.mode = st.st_mode & 07777;
  } else if (errno != ENOENT) {
    fail(path, ": cannot inspect (", std::strerror(errno), ")");
  }
  out.folder = out.file.parent_path().empty() ? fs::path(".") : out.file.parent_path();
  if (::stat(out.folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    fail(path, ": folder ", out.folder.string(), " does not exist");
  }
  return out;
}

}  // namespace

void check_output_path(const std::string& path) { inspect_output(path); }

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  // Produce the contents first: a writer that throws leaves nothing behind.
  std::ostringstream buffer(std::ios::binary);
  writer(buffer);
  if (!buffer) fail(path, ": could not produce the contents");
  write_file_atomic(path, std::string_view(buffer.str()));
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  const OutputTarget target = inspect_output(path);
  // A fresh, exclusively created temporary file beside the target (never a fixed name that a
  // planted link could redirect), renamed over the target once complete and on disk.
  std::string tmp = (target.folder / ("." + target.file.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    fail(path, ": cannot create a temporary file in ", target.folder.string(), " (", std::strerror(errno), ")");
  }
  try {
    if (::fchmod(fd, target.exists ? target.mode : new_file_mode()) != 0) {
      fail(path, ": cannot set the permissions (", std::strerror(errno), ")");
    }
    write_all(fd, path, contents);
    if (::fsync(fd) != 0) fail(path, ": write failed (", std::strerror(errno), ")");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(path, ": write failed (", reason, ")");
  }
  if (::rename(tmp.c_str(), target.file.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(path, ": cannot rename the temporary file into place (", reason, ")");
  }
  // The rename itself is durable once the folder is on disk.
  const int dir = ::open(target.folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void check_input_file(const std::string& path) {
  // Only regular files (through links): a FIFO or device would block or never end.
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) fail(path, ": cannot open for reading (", std::strerror(errno), ")");
  if (!S_ISREG(st.st_mode)) fail(path, ": is ", kind_name(st.st_mode), ", not a regular file");
}

std::string read_file(const std::string& path) {
  check_input_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open for reading (", std::strerror(errno), ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(path, ": read failed");
  return buffer.str();
}

}  // namespace lowvolt
