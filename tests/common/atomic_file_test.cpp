// Proves atomic writes replace whole files, leave the target intact when the writer fails, and
// that read errors name the file.
#include "lowvolt/common/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "lowvolt/common/error.h"

namespace fs = std::filesystem;

namespace {

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() /
                       ("lowvolt_atomic_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(AtomicFile, WritesAndReplacesWholeContents) {
  const auto path = (scratch_dir() / "out.txt").string();
  lowvolt::write_file_atomic(path, std::string(1000, 'a'));
  lowvolt::write_file_atomic(path, std::string("short"));
  EXPECT_EQ(lowvolt::read_file(path), "short");
}

TEST(AtomicFile, FailingWriterLeavesTargetAndNoTempFile) {
  const auto dir = scratch_dir();
  const auto path = (dir / "keep.txt").string();
  lowvolt::write_file_atomic(path, std::string("saved"));
  EXPECT_THROW(lowvolt::write_file_atomic(path,
                                          [](std::ostream& out) {
                                            out << "partial";
                                            throw std::runtime_error("interrupted");
                                          }),
               std::runtime_error);
  EXPECT_EQ(lowvolt::read_file(path), "saved");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(AtomicFileErrors, UnwritableFolderNamesPath) {
  try {
    lowvolt::write_file_atomic("/nonexistent_lowvolt_dir/x.bin", std::string("x"));
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_lowvolt_dir/x.bin"), std::string::npos);
  }
}

TEST(AtomicFileErrors, MissingFileNamesPath) {
  try {
    (void)lowvolt::read_file("/nonexistent_lowvolt_file");
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_lowvolt_file"), std::string::npos);
  }
}

}  // namespace
