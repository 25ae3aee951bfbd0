// Data set readers: IDX (raw and gzip), MNIST-format folders, CIFAR-10 binary batches,
// augmentation and seeded shuffling.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <boost/iostreams/filter/gzip.hpp>
#include <sys/resource.h>
#include <boost/iostreams/filtering_stream.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "lowvolt/common/error.h"
#include "lowvolt/io/data.h"

namespace fs = std::filesystem;
using lowvolt::host::Dataset;

namespace {

/// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            (std::string("lowvolt_data_") + info->test_suite_name() + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

/// IDX bytes for an unsigned-byte array with the given dims and payload value(i) = f(i).
std::string idx_bytes(const std::vector<std::uint32_t>& dims, int (*value)(std::size_t)) {
  std::string out = std::string("\0\0\x08", 3) + static_cast<char>(dims.size());
  std::size_t total = 1;
  for (auto d : dims) {
    out += be32(d);
    total *= d;
  }
  for (std::size_t i = 0; i < total; ++i) out.push_back(static_cast<char>(value(i)));
  return out;
}

void write(const std::string& path, const std::string& bytes, bool gzip) {
  std::ofstream file(path, std::ios::binary);
  if (!gzip) {
    file << bytes;
    return;
  }
  boost::iostreams::filtering_ostream out;
  out.push(boost::iostreams::gzip_compressor());
  out.push(file);
  out << bytes;
}

int pixel(std::size_t i) { return static_cast<int>(i % 251); }
int label(std::size_t i) { return static_cast<int>((i * 7) % 10); }
int bad_label(std::size_t i) { return static_cast<int>(i + 10); }

/// Writes an MNIST-format train split of `n` 4×5 images.
void write_mnist(const TempDir& dir, std::uint32_t n, bool gzip) {
  const std::string suffix = gzip ? ".gz" : "";
  write(dir.file("train-images-idx3-ubyte" + suffix), idx_bytes({n, 4, 5}, pixel), gzip);
  write(dir.file("train-labels-idx1-ubyte" + suffix), idx_bytes({n}, label), gzip);
}

}  // namespace

// A gzipped IDX file decodes to its dimensions and payload.
TEST(Idx, ReadsGzip) {
  TempDir dir;
  write(dir.file("a.gz"), idx_bytes({3, 2, 2}, pixel), true);
  const auto array = lowvolt::host::read_idx(dir.file("a.gz"));
  EXPECT_EQ(array.dims, (std::vector<std::int64_t>{3, 2, 2}));
  ASSERT_EQ(array.data.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(array.data[i], pixel(i));
}

// A raw IDX file and the same file gzipped give identical arrays.
TEST(Idx, RawEqualsGzip) {
  TempDir dir;
  write(dir.file("raw"), idx_bytes({5, 3}, label), false);
  write(dir.file("zip.gz"), idx_bytes({5, 3}, label), true);
  const auto raw = lowvolt::host::read_idx(dir.file("raw"));
  const auto zip = lowvolt::host::read_idx(dir.file("zip.gz"));
  EXPECT_EQ(raw.dims, zip.dims);
  EXPECT_EQ(raw.data, zip.data);
}

// An MNIST-format folder loads as N×1×H×W floats in [0, 1] with int64 labels, raw or gzipped.
TEST(Mnist, LoadsFolder) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    write_mnist(dir, 6, gzip);
    const Dataset data = lowvolt::host::load_mnist_folder(dir.str(), true);
    ASSERT_EQ(data.images.sizes(), (std::vector<std::int64_t>{6, 1, 4, 5}));
    EXPECT_EQ(data.labels.scalar_type(), torch::kInt64);
    EXPECT_FLOAT_EQ(data.images[1][0][0][0].item<float>(), static_cast<float>(pixel(20)) / 255.f);
    for (std::int64_t i = 0; i < 6; ++i) {
      EXPECT_EQ(data.labels[i].item<std::int64_t>(), label(static_cast<std::size_t>(i)));
    }
    EXPECT_EQ(data.head(4).size(), 4);
    EXPECT_EQ(data.head(0).size(), 6);
  }
}

// The installed Fashion-MNIST test split has 10 000 28×28 images with all ten classes.
TEST(Mnist, FashionMnistTestSplit) {
  const std::string dir = lowvolt::host::default_data_dir("fashion-mnist");
  ASSERT_TRUE(fs::exists(dir)) << dir << " is missing: the Fashion-MNIST test data comes with Debian's dataset-fashion-mnist, installed by `bash scripts/install-deps`";
  const Dataset data = lowvolt::host::load_dataset("fashion-mnist", "", false);
  EXPECT_EQ(data.images.sizes(), (std::vector<std::int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(std::get<0>(torch::_unique(data.labels)).numel(), 10);
  EXPECT_LE(data.images.max().item<float>(), 1.0f);
}

// CIFAR-10 records split into label and channel-major 3×32×32 pixels.
TEST(Cifar10, LoadsRecords) {
  TempDir dir;
  std::string bytes;
  for (int r = 0; r < 3; ++r) {
    bytes.push_back(static_cast<char>(r + 4));
    for (int i = 0; i < 3072; ++i) bytes.push_back(static_cast<char>((i + r) % 256));
  }
  write(dir.file("test_batch.bin"), bytes, false);
  const Dataset data = lowvolt::host::load_dataset("cifar10", dir.str(), false);
  ASSERT_EQ(data.images.sizes(), (std::vector<std::int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(data.labels[2].item<std::int64_t>(), 6);
  // channel 1, row 0, col 5 of record 2 is byte 1024 + 5 of its pixels.
  EXPECT_FLOAT_EQ(data.images[2][1][0][5].item<float>(), static_cast<float>((1029 + 2) % 256) / 255.f);
}

// Crop+flip keeps the shape, is reproducible from the seed, and with pad 0 only flips.
TEST(Augment, CropFlipSeeded) {
  const auto batch = torch::arange(2 * 3 * 8 * 8, torch::kFloat32).reshape({2, 3, 8, 8});
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  const auto x = lowvolt::host::augment_crop_flip(batch, 4, a);
  const auto y = lowvolt::host::augment_crop_flip(batch, 4, b);
  EXPECT_EQ(x.sizes(), batch.sizes());
  EXPECT_TRUE(torch::equal(x, y));
  std::mt19937_64 c(3);
  const auto z = lowvolt::host::augment_crop_flip(batch, 0, c);
  for (std::int64_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(torch::equal(z[i], batch[i]) || torch::equal(z[i], batch[i].flip({2})));
  }
}

// Shuffling gives a permutation that depends only on the seed.
TEST(Shuffle, SeededPermutation) {
  std::mt19937_64 a(11);
  std::mt19937_64 b(11);
  std::mt19937_64 c(12);
  const auto x = lowvolt::host::shuffled_indices(100, a);
  EXPECT_EQ(x, lowvolt::host::shuffled_indices(100, b));
  EXPECT_NE(x, lowvolt::host::shuffled_indices(100, c));
  auto sorted = x;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
}

// A missing file is an error naming the path.
TEST(DataErrors, MissingFile) {
  try {
    lowvolt::host::read_idx("/nonexistent/x-idx3-ubyte.gz");
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x-idx3-ubyte.gz"), std::string::npos);
  }
}

// A file shorter than its header announces is reported as truncated, raw or gzipped.
TEST(DataErrors, TruncatedPayload) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    std::string bytes = idx_bytes({10, 4, 4}, pixel);
    bytes.resize(bytes.size() - 5);
    write(dir.file("t"), bytes, gzip);
    try {
      lowvolt::host::read_idx(dir.file("t"));
      FAIL() << "expected lowvolt::Error";
    } catch (const lowvolt::Error& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
  }
}

/// Peak resident memory of this process so far, in bytes.
std::uint64_t peak_rss() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// A header that claims 2 GiB (a lying size) in a file of a few bytes, raw or gzip, is "truncated"
// without the reader allocating what the header says: the peak resident memory grows by less than
// 64 MiB (it grew by 2.2 GB when the payload was allocated from the header).
TEST(DataErrors, LyingHeaderSizeAllocatesNothingLarge) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    const std::string bytes = std::string("\0\0\x08\x03", 4) + be32(32768) + be32(256) + be32(256) + "tiny";
    write(dir.file("lying"), bytes, gzip);
    const std::uint64_t before = peak_rss();
    try {
      lowvolt::host::read_idx(dir.file("lying"));
      FAIL() << "expected lowvolt::Error";
    } catch (const lowvolt::Error& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dir.file("lying")), std::string::npos) << e.what();
    }
    EXPECT_LT(peak_rss() - before, std::uint64_t{64} << 20) << (gzip ? "gzip" : "raw");
  }
}

// A file without the IDX magic or of another element type is rejected.
TEST(DataErrors, BadMagicAndType) {
  TempDir dir;
  write(dir.file("m"), "PK\x03\x04 not idx", false);
  EXPECT_THROW(lowvolt::host::read_idx(dir.file("m")), lowvolt::Error);
  std::string floats = idx_bytes({2}, pixel);
  floats[2] = 0x0D;
  write(dir.file("f"), floats, false);
  EXPECT_THROW(lowvolt::host::read_idx(dir.file("f")), lowvolt::Error);
}

// Image and label files of different lengths, or labels above 9, are rejected.
TEST(DataErrors, MismatchedFolder) {
  TempDir dir;
  write(dir.file("train-images-idx3-ubyte"), idx_bytes({5, 2, 2}, pixel), false);
  write(dir.file("train-labels-idx1-ubyte"), idx_bytes({4}, label), false);
  EXPECT_THROW(lowvolt::host::load_mnist_folder(dir.str(), true), lowvolt::Error);
  write(dir.file("train-labels-idx1-ubyte"), idx_bytes({5}, bad_label), false);
  EXPECT_THROW(lowvolt::host::load_mnist_folder(dir.str(), true), lowvolt::Error);
}

// Missing folders, CIFAR-10 files of the wrong size and unknown data set names are errors.
TEST(DataErrors, FolderAndCifar) {
  TempDir dir;
  EXPECT_THROW(lowvolt::host::load_mnist_folder(dir.file("none"), true), lowvolt::Error);
  EXPECT_THROW(lowvolt::host::load_cifar10_folder(dir.str(), false), lowvolt::Error);
  write(dir.file("test_batch.bin"), std::string(3000, '\0'), false);
  EXPECT_THROW(lowvolt::host::load_cifar10_folder(dir.str(), false), lowvolt::Error);
  EXPECT_THROW(lowvolt::host::load_dataset("imagenet", "", true), lowvolt::Error);
}
