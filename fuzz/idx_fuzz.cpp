// Fuzz target: the IDX reader (host::read_idx, raw and gzip) and the MNIST-folder loader
// (host::load_mnist_folder), host/io/src/data.cpp. The first byte picks the form:
//   0 — the rest is the file, as is (gzip when it starts with the gzip magic);
//   1 — the rest is gzip-compressed here first, so mutations reach the IDX parser behind gzip;
//   2 — the rest splits (at the offset in its first two bytes) into an images file and a labels
//       file, loaded as a folder; 3 — the same, both gzip-compressed.
// An array that reads must hold exactly the bytes its dimensions announce; a loaded data set
// must have matching image and label counts and labels in 0..9.
#include <torch/torch.h>

#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <string>

#include "fuzz_util.h"
#include "lowvolt/io/data.h"

namespace {

std::string gzip(const std::string& raw) {
  namespace io = boost::iostreams;
  std::string out;
  {
    io::filtering_ostream gz;
    gz.push(io::gzip_compressor());
    gz.push(io::back_inserter(out));
    gz.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  }
  return out;
}

void check_array(const lowvolt::host::IdxArray& a) {
  std::uint64_t total = 1;
  for (const auto d : a.dims) total *= static_cast<std::uint64_t>(d);
  lowvolt::fuzz::require(total == a.data.size(), "IDX payload size differs from its dimensions");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 4;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode < 2) {
    const std::string path =
        lowvolt::fuzz::scratch_dir() + (mode == 1 ? "/fuzz.idx.gz" : "/fuzz.idx");
    if (mode == 1) rest = gzip(rest);
    lowvolt::fuzz::write_bytes(path, rest.data(), rest.size());
    lowvolt::fuzz::expect_only_errors([&] { check_array(lowvolt::host::read_idx(path)); });
    return 0;
  }
  if (rest.size() < 2) return 0;
  const std::size_t split =
      std::min<std::size_t>(rest.size() - 2, static_cast<unsigned char>(rest[0]) |
                                                 (static_cast<unsigned char>(rest[1]) << 8));
  std::string images = rest.substr(2, split);
  std::string labels = rest.substr(2 + split);
  const std::string dir = lowvolt::fuzz::fresh_dir("mnist");
  const std::string suffix = mode == 3 ? ".gz" : "";
  if (mode == 3) {
    images = gzip(images);
    labels = gzip(labels);
  }
  lowvolt::fuzz::write_bytes(dir + "/train-images-idx3-ubyte" + suffix, images.data(),
                             images.size());
  lowvolt::fuzz::write_bytes(dir + "/train-labels-idx1-ubyte" + suffix, labels.data(),
                             labels.size());
  lowvolt::fuzz::expect_only_errors([&] {
    const auto set = lowvolt::host::load_mnist_folder(dir, true);
    lowvolt::fuzz::require(set.images.size(0) == set.labels.size(0),
                           "image and label counts differ");
    if (set.size() > 0) {
      lowvolt::fuzz::require(
          set.labels.min().item<std::int64_t>() >= 0 && set.labels.max().item<std::int64_t>() <= 9,
          "label outside 0..9");
    }
  });
  return 0;
}
