// Fuzz target: the CIFAR-10 binary reader (host::load_cifar10_folder, host/io/src/data.cpp). The
// input is written as test_batch.bin (first byte even) or split at its middle into
// data_batch_1.bin and data_batch_3.bin (odd; batches 2, 4, 5 missing). A loaded set must have one
// image of 3×32×32 pixels in [0, 1] per 3073-byte record and labels in 0..9.
#include <torch/torch.h>

#include <string>

#include "fuzz_util.h"
#include "lowvolt/io/data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool train = (data[0] & 1) != 0;
  const std::string dir = lowvolt::fuzz::fresh_dir("cifar");
  const auto* rest = data + 1;
  const std::size_t n = size - 1;
  if (train) {
    lowvolt::fuzz::write_bytes(dir + "/data_batch_1.bin", rest, n / 2);
    lowvolt::fuzz::write_bytes(dir + "/data_batch_3.bin", rest + n / 2, n - n / 2);
  } else {
    lowvolt::fuzz::write_bytes(dir + "/test_batch.bin", rest, n);
  }
  lowvolt::fuzz::expect_only_errors([&] {
    const auto set = lowvolt::host::load_cifar10_folder(dir, train);
    lowvolt::fuzz::require(set.size() * 3073 == static_cast<std::int64_t>(n), "records miscounted");
    lowvolt::fuzz::require(set.images.sizes() == torch::IntArrayRef({set.size(), 3, 32, 32}),
                           "image shape is not N×3×32×32");
    lowvolt::fuzz::require(
        set.labels.min().item<std::int64_t>() >= 0 && set.labels.max().item<std::int64_t>() <= 9,
        "label outside 0..9");
    lowvolt::fuzz::require(
        set.images.min().item<float>() >= 0 && set.images.max().item<float>() <= 1,
        "pixel outside [0, 1]");
  });
  return 0;
}
