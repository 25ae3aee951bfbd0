#pragma once
// Helpers shared by the fuzz targets (fuzz/*_fuzz.cpp). Contract of every target: a reader fed
// any bytes either returns a value that passes the target's own checks (round trip, invariants)
// or throws lowvolt::Error; anything else — another exception, a sanitizer report, a crash, an
// allocation beyond libFuzzer's -malloc_limit_mb — is a finding. The same entry point,
// LLVMFuzzerTestOneInput, runs under libFuzzer (fuzz preset, clang) and under replay_main.cpp
// (ctest replay of fuzz/corpus/<target>/ in the ordinary g++ builds).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "lowvolt/common/error.h"

namespace lowvolt::fuzz {

/// A private scratch folder for this process (created once under $TMPDIR or /tmp, removed at
/// exit), into which path-based readers' inputs are written.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/lowvolt-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("lowvolt fuzz: mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup;
  return dir;
}

/// An empty folder `name` inside the scratch folder (emptied if it exists); returns its path.
inline std::string fresh_dir(const std::string& name) {
  const std::string path = scratch_dir() + "/" + name;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  std::filesystem::create_directories(path);
  return path;
}

/// Writes `size` bytes at `data` to `path` (replacing it); aborts if that fails (not a finding
/// about the reader, but nothing could be tested).
inline void write_bytes(const std::string& path, const void* data, std::size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

/// Runs `body`; a lowvolt::Error (the reader's documented answer to bad input) is swallowed,
/// everything else propagates and so is reported as a finding.
template <typename Body>
void expect_only_errors(Body&& body) {
  try {
    body();
  } catch (const lowvolt::Error&) {
  }
}

/// Aborts with `what` when a target's own invariant fails (libFuzzer records it as a crash).
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "lowvolt fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace lowvolt::fuzz
