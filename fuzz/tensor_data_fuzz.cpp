// Fuzz target: the tensor data-set reader (host::load_tensor_dataset, host/io/src/tensor_data.cpp),
// which hands the archive to LibTorch's own torch.save reader (torch::pickle_load). The first
// byte picks the form:
//   0 — the rest is the file, as is (a torch.save zip archive, or anything);
//   1 — the rest is the pickle (archive/data.pkl) of an archive built here with LibTorch's zip
//       writer, beside two storages (archive/data/0: 8 float32, archive/data/1: 2 int64), so
//       mutations get past the zip layer and reach the unpickler and the tensor rebuilding.
// A data set that reads must have N > 0 images with as many labels, finite pixels, labels in
// 0 … classes − 1, and tensors no larger than the file (nothing allocated beyond what it holds).
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "lowvolt/io/tensor_data.h"

namespace {

std::string archive_with_pickle(const std::string& pickle) {
  std::string out;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t size) {
      out.append(static_cast<const char*>(data), size);
      return size;
    });
    const float images[8] = {0.f, 0.25f, 0.5f, 1.f, 0.125f, 0.75f, 0.f, 1.f};
    const std::int64_t labels[2] = {0, 1};
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    writer.writeRecord("data/0", images, sizeof images);
    writer.writeRecord("data/1", labels, sizeof labels);
    writer.writeEndOfFile();
  }
  return out;
}

void check(const lowvolt::host::Dataset& d, std::size_t file_bytes) {
  using lowvolt::fuzz::require;
  require(d.images.defined() && d.labels.defined(), "a data set without images or labels");
  require(d.images.dim() == 4 && d.images.scalar_type() == torch::kFloat32, "images not float32 N×C×H×W");
  require(d.labels.dim() == 1 && d.labels.scalar_type() == torch::kInt64, "labels not int64 [N]");
  require(d.images.size(0) > 0 && d.labels.size(0) == d.images.size(0), "image and label counts differ");
  require(static_cast<std::size_t>(d.images.numel()) * 4 <= file_bytes + 64, "images larger than the file");
  require(torch::isfinite(d.images).all().item<bool>(), "a non-finite pixel passed");
  require(d.labels.min().item<std::int64_t>() >= 0 && d.labels.max().item<std::int64_t>() < d.classes,
          "a label out of range passed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 1) bytes = archive_with_pickle(bytes);
  const std::string path = lowvolt::fuzz::scratch_dir() + "/fuzz.pt";
  lowvolt::fuzz::write_bytes(path, bytes.data(), bytes.size());
  lowvolt::fuzz::expect_only_errors(
      [&] { check(lowvolt::host::load_tensor_dataset(path), bytes.size()); });
  return 0;
}
