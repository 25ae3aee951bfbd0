// Proves atomic writes replace whole files, leave the target intact when the writer fails, write
// through symbolic links, refuse devices, FIFOs and folders without touching them, keep or set
// permissions, and that read and write errors name the file.
#include "lowvolt/common/atomic_file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

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

// A symbolic link (relative, and a chain of two) is written through: the file at its end gets the
// new contents atomically and the links stay links; a dangling link creates its target.
TEST(AtomicFile, WritesThroughSymbolicLinks) {
  const auto dir = scratch_dir();
  lowvolt::write_file_atomic((dir / "real.csv").string(), std::string("old"));
  fs::create_symlink("real.csv", dir / "link.csv");
  fs::create_symlink(dir / "link.csv", dir / "link2.csv");
  lowvolt::write_file_atomic((dir / "link2.csv").string(), std::string("new"));
  EXPECT_TRUE(fs::is_symlink(dir / "link.csv"));
  EXPECT_TRUE(fs::is_symlink(dir / "link2.csv"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir / "real.csv")));
  EXPECT_EQ(lowvolt::read_file((dir / "real.csv").string()), "new");
  fs::create_symlink("made.csv", dir / "dangling.csv");
  lowvolt::write_file_atomic((dir / "dangling.csv").string(), std::string("made"));
  EXPECT_TRUE(fs::is_symlink(dir / "dangling.csv"));
  EXPECT_EQ(lowvolt::read_file((dir / "made.csv").string()), "made");
}

// An existing file keeps its permission bits; a new one gets 0666 less the umask.
TEST(AtomicFile, PermissionsKeptOrFromUmask) {
  const auto dir = scratch_dir();
  const auto kept = (dir / "private.txt").string();
  lowvolt::write_file_atomic(kept, std::string("a"));
  fs::permissions(kept, fs::perms::owner_read | fs::perms::owner_write);
  lowvolt::write_file_atomic(kept, std::string("b"));
  EXPECT_EQ(fs::status(kept).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  const mode_t old = ::umask(027);
  lowvolt::write_file_atomic((dir / "new.txt").string(), std::string("c"));
  ::umask(old);
  struct stat st{};
  ASSERT_EQ(::stat((dir / "new.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

void expect_refused(const std::string& path, const std::string& what) {
  try {
    lowvolt::write_file_atomic(path, std::string("x"));
    FAIL() << "expected lowvolt::Error for " << path;
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
  EXPECT_THROW(lowvolt::check_output_path(path), lowvolt::Error);
}

// A FIFO, a folder, a character device (made here when the test runs as root, as CI does) and a
// link to a FIFO are refused, with the path and what it is in the message, and left as they were;
// nothing blocks on the FIFO. (Before, the rename replaced each with a regular file.)
TEST(AtomicFileErrors, RefusesFifosFoldersAndDevices) {
  const auto dir = scratch_dir();
  const auto fifo = (dir / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  expect_refused(fifo, "FIFO");
  EXPECT_TRUE(fs::is_fifo(fifo));
  fs::create_symlink("pipe", dir / "to_pipe");
  expect_refused((dir / "to_pipe").string(), "FIFO");
  EXPECT_TRUE(fs::is_fifo(fifo));
  fs::create_directory(dir / "folder");
  expect_refused((dir / "folder").string(), "directory");
  EXPECT_TRUE(fs::is_directory(dir / "folder"));
  const auto device = (dir / "null");
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {  // /dev/null's numbers
    expect_refused(device.string(), "character device");
    EXPECT_TRUE(fs::is_character_file(device));
  } else {
    std::printf("note: mknod needs root; the character-device case ran only for the FIFO and folder\n");
  }
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.path().filename().string()[0] == '.';
  EXPECT_EQ(files, 0) << "a temporary file was left behind";
}

TEST(AtomicFileErrors, UnwritableFolderNamesPath) {
  try {
    lowvolt::write_file_atomic("/nonexistent_lowvolt_dir/x.bin", std::string("x"));
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_lowvolt_dir/x.bin"), std::string::npos);
  }
}

// Reading a FIFO (given as a model or profile) is refused at once instead of blocking, and a
// folder is refused too; both messages name the path and what it is.
TEST(AtomicFileErrors, ReadRefusesFifosAndFolders) {
  const auto dir = scratch_dir();
  const auto fifo = (dir / "model.lvm").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  for (const auto& [path, what] : {std::pair{fifo, "FIFO"}, std::pair{dir.string(), "directory"}}) {
    try {
      (void)lowvolt::read_file(path);
      FAIL() << "expected lowvolt::Error";
    } catch (const lowvolt::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
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
