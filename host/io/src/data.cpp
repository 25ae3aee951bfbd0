#include "lowvolt/io/data.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <boost/iostreams/device/file.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <filesystem>
#include <fstream>

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace fs = std::filesystem;
namespace io = boost::iostreams;

namespace {

/// Reads exactly `n` bytes or reports how many were missing.
void read_exact(std::istream& in, char* out, std::size_t n, const std::string& path,
                const char* what) {
  in.read(out, static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(in.gcount()) != n) {
    fail(path, ": truncated ", what, " (expected ", n, " bytes, got ", in.gcount(), ")");
  }
}

bool starts_with_gzip_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 2> magic{};
  in.read(reinterpret_cast<char*>(magic.data()), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/// Bytes an IDX payload is read in: memory grows with the data actually present, never with what
/// a (possibly lying) header claims.
constexpr std::size_t kIdxChunk = std::size_t{16} << 20;

/// A gzip IDX payload may expand to at most this many times its compressed size (plus one chunk):
/// real IDX files compress 2–5×, while a 1 MB deflate stream of zeros expands to 1 GB, which as
/// float32 images would need 4 GB more.
constexpr std::uint64_t kMaxGzipExpansion = 64;

/// `file_size`: the size of a raw file, checked against the header before reading; for gzip 0 and
/// `gz_size` the compressed size (the payload is read in chunks up to kMaxGzipExpansion × it).
IdxArray read_idx_stream(std::istream& in, const std::string& path, std::uint64_t file_size,
                         std::uint64_t gz_size = 0) {
  std::array<unsigned char, 4> magic{};
  read_exact(in, reinterpret_cast<char*>(magic.data()), 4, path, "IDX header");
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path, ": not an IDX file (magic bytes ", static_cast<int>(magic[0]), ",",
         static_cast<int>(magic[1]), " instead of 0,0)");
  }
  if (magic[2] != 0x08) {
    fail(path, ": IDX element type 0x", std::hex, static_cast<int>(magic[2]),
         " is not unsigned byte (0x08)");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > 4) fail(path, ": IDX rank ", rank, " is not in 1..4");
  IdxArray array;
  std::uint64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    std::array<unsigned char, 4> size{};
    read_exact(in, reinterpret_cast<char*>(size.data()), 4, path, "IDX dimensions");
    const std::uint32_t value = (std::uint32_t{size[0]} << 24) | (std::uint32_t{size[1]} << 16) |
                                (std::uint32_t{size[2]} << 8) | std::uint32_t{size[3]};
    array.dims.push_back(value);
    total *= value;
    if (total > (std::uint64_t{1} << 34)) fail(path, ": IDX dimensions are implausibly large");
  }
  const std::uint64_t header = 4 + 4 * static_cast<std::uint64_t>(rank);
  if (file_size > 0 && total > file_size - std::min(file_size, header)) {
    fail(path, ": truncated IDX payload (the header claims ", total, " bytes, the file holds ",
         file_size - std::min(file_size, header), ")");
  }
  if (file_size == 0 && total > kIdxChunk + kMaxGzipExpansion * gz_size) {
    fail(path, ": truncated IDX payload or a decompression bomb (the header claims ", total,
         " bytes, more than ", kMaxGzipExpansion, " times the ", gz_size, "-byte gzip file)");
  }
  while (array.data.size() < total) {
    const std::size_t have = array.data.size();
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kIdxChunk, total - have));
    array.data.resize(have + n);
    in.read(reinterpret_cast<char*>(array.data.data() + have), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(in.gcount()) != n) {
      fail(path, ": truncated IDX payload (expected ", total, " bytes, got ",
           have + static_cast<std::size_t>(in.gcount()), ")");
    }
  }
  return array;
}

/// `<dir>/<stem>.gz` when present, else `<dir>/<stem>`; names both when neither exists.
std::string find_with_gz(const std::string& dir, const std::string& stem) {
  const fs::path gz = fs::path(dir) / (stem + ".gz");
  if (fs::exists(gz)) return gz.string();
  const fs::path raw = fs::path(dir) / stem;
  if (fs::exists(raw)) return raw.string();
  fail("data folder ", dir, ": neither ", gz.filename().string(), " nor ",
       raw.filename().string(), " exists");
}

}  // namespace

std::int64_t Dataset::size() const { return labels.defined() ? labels.size(0) : 0; }

Dataset Dataset::head(std::int64_t n) const {
  if (n <= 0 || n >= size()) return *this;
  Dataset out = *this;
  out.images = images.narrow(0, 0, n);
  out.labels = labels.narrow(0, 0, n);
  return out;
}

IdxArray read_idx(const std::string& path) {
  if (!fs::is_regular_file(path)) {
    fail(path, fs::exists(path) ? ": not a regular file (a FIFO, device or folder is refused)"
                                : ": no such file");
  }
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (gz || starts_with_gzip_magic(path)) {
    io::filtering_istream in;
    in.push(io::gzip_decompressor());
    in.push(io::file_source(path, std::ios::binary));
    // The decompressor's errors reach the caller only with badbit exceptions on (otherwise the
    // stream just ends, and corrupt data read as a truncated IDX file).
    in.exceptions(std::ios::badbit);
    try {
      return read_idx_stream(in, path, 0, fs::file_size(path));
    } catch (const io::gzip_error& e) {
      fail(path, ": corrupt gzip data (", e.what(), ")");
    } catch (const std::ios_base::failure& e) {
      fail(path, ": corrupt gzip data (", e.what(), ")");
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open for reading");
  return read_idx_stream(in, path, fs::file_size(path));
}

Dataset load_mnist_folder(const std::string& dir, bool train) {
  if (!fs::is_directory(dir)) fail("data folder ", dir, ": no such folder");
  const std::string prefix = train ? "train" : "t10k";
  const std::string image_path = find_with_gz(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_with_gz(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx(image_path);
  IdxArray labels = read_idx(label_path);
  if (images.dims.size() != 3) {
    fail(image_path, ": expected a 3-dimensional image array, got rank ", images.dims.size());
  }
  if (labels.dims.size() != 1) {
    fail(label_path, ": expected a 1-dimensional label array, got rank ", labels.dims.size());
  }
  if (images.dims[0] != labels.dims[0]) {
    fail(image_path, " holds ", images.dims[0], " images but ", label_path, " holds ",
         labels.dims[0], " labels");
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] > 9) {
      fail(label_path, ": label ", static_cast<int>(labels.data[i]), " at index ", i,
           " is not in 0..9");
    }
  }
  const std::int64_t n = images.dims[0];
  Dataset out;
  out.images = torch::from_blob(images.data.data(), {n, 1, images.dims[1], images.dims[2]},
                                torch::kUInt8)
                   .to(torch::kFloat32)
                   .div_(255.0);
  out.labels = torch::from_blob(labels.data.data(), {n}, torch::kUInt8).to(torch::kInt64);
  out.classes = 10;
  out.name = fs::path(dir).filename().string();
  return out;
}

Dataset load_cifar10_folder(const std::string& dir, bool train) {
  if (!fs::is_directory(dir)) fail("data folder ", dir, ": no such folder");
  std::vector<std::string> files;
  if (train) {
    for (int i = 1; i <= 5; ++i) files.push_back("data_batch_" + std::to_string(i) + ".bin");
  } else {
    files.push_back("test_batch.bin");
  }
  constexpr std::int64_t kRecord = 1 + 3 * 32 * 32;
  std::vector<std::uint8_t> bytes;
  for (const auto& name : files) {
    const fs::path path = fs::path(dir) / name;
    if (!fs::exists(path)) continue;
    const std::uint64_t size = fs::file_size(path);
    if (size == 0 || size % kRecord != 0) {
      fail(path.string(), ": size ", size, " bytes is not a positive multiple of the ", kRecord,
           "-byte CIFAR-10 record");
    }
    std::ifstream in(path, std::ios::binary);
    const std::size_t offset = bytes.size();
    bytes.resize(offset + size);
    read_exact(in, reinterpret_cast<char*>(bytes.data() + offset), size, path.string(),
               "CIFAR-10 records");
  }
  if (bytes.empty()) fail("data folder ", dir, ": no CIFAR-10 batch file (", files.front(), ")");
  const std::int64_t n = static_cast<std::int64_t>(bytes.size()) / kRecord;
  const auto records = torch::from_blob(bytes.data(), {n, kRecord}, torch::kUInt8);
  const auto labels = records.select(1, 0).to(torch::kInt64);
  if (labels.max().item<std::int64_t>() > 9) {
    fail("data folder ", dir, ": CIFAR-10 label ", labels.max().item<std::int64_t>(),
         " is not in 0..9");
  }
  Dataset out;
  out.images = records.narrow(1, 1, kRecord - 1)
                   .reshape({n, 3, 32, 32})
                   .to(torch::kFloat32)
                   .div_(255.0);
  out.labels = labels;
  out.classes = 10;
  out.name = "cifar10";
  return out;
}

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"fashion-mnist", "mnist", "cifar10"};
  return names;
}

std::string default_data_dir(const std::string& name) {
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "mnist") return "/usr/share/datasets/mnist";
  if (name == "cifar10") return "/usr/share/datasets/cifar10";
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  fail("unknown data set '", name, "' (known: ", known, ")");
}

Dataset load_dataset(const std::string& name, const std::string& dir, bool train) {
  const std::string folder = dir.empty() ? default_data_dir(name) : dir;
  if (name == "cifar10") return load_cifar10_folder(folder, train);
  default_data_dir(name);  // validates the name
  Dataset out = load_mnist_folder(folder, train);
  out.name = name;
  return out;
}

at::Tensor augment_crop_flip(const at::Tensor& batch, int pad, std::mt19937_64& rng) {
  LV_CHECK(batch.dim() == 4, "augment_crop_flip expects N×C×H×W, got " << batch.sizes());
  LV_CHECK(pad >= 0, "pad=" << pad);
  const std::int64_t n = batch.size(0);
  const std::int64_t h = batch.size(2);
  const std::int64_t w = batch.size(3);
  const auto padded = torch::constant_pad_nd(batch, {pad, pad, pad, pad}, 0.0);
  auto out = torch::empty_like(batch);
  const auto span = static_cast<std::uint64_t>(2 * pad + 1);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto dy = static_cast<std::int64_t>(rng() % span);
    const auto dx = static_cast<std::int64_t>(rng() % span);
    const bool flip = (rng() & 1U) != 0;
    auto crop = padded[i].narrow(1, dy, h).narrow(2, dx, w);
    out[i].copy_(flip ? crop.flip({2}) : crop);
  }
  return out;
}

std::vector<std::int64_t> shuffled_indices(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  // Fisher–Yates with a plain modulo: the slight bias (< 2^-40 for data-set sizes) is irrelevant
  // and, unlike std::uniform_int_distribution, the result is the same with every standard library.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

}  // namespace lowvolt::host
