#pragma once
// Helpers of the energy suites: temporary table files and error-message matching.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "lowvolt/common/error.h"

namespace lowvolt::energy::testing {

/// A fresh folder under the system temp folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lowvolt_energy_XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(dir_); }
  /// Writes `text` to `name` inside the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (std::filesystem::path(dir_) / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  /// The folder.
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

/// The lowvolt::Error message `f` throws; fails the test (and returns "") if it throws nothing
/// or something else.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const lowvolt::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-lowvolt::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "threw nothing";
  return "";
}

/// Replaces the first `from` in `text` by `to` (the test fails if `from` is absent).
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not in the text";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace lowvolt::energy::testing
