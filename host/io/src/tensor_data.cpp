#include "lowvolt/io/tensor_data.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/torch_archive_check.h"
#include "lowvolt/nn/torch_error.h"

namespace lowvolt::host {

bool is_tensor_dataset(const std::string& spec) {
  return spec.size() > 3 && spec.compare(spec.size() - 3, 3, ".pt") == 0;
}

Dataset load_tensor_dataset(const std::string& path) {
  // Read once and checked before LibTorch sees it (a regular file of at most kMaxTorchArchiveBytes).
  const std::string bytes = read_checked_torch_archive(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    fail(path, ": cannot read the torch.save archive: ", torch_error_line(e));
  }
  if (!value.isGenericDict()) {
    fail(path, ": expected a dict {\"images\": float32 N×C×H×W, \"labels\": int64 N}, got a ",
         value.tagKind());
  }
  Dataset data;
  data.name = std::filesystem::path(path).filename().string();
  bool have_images = false, have_labels = false, have_classes = false;
  std::int64_t classes = 0;
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString()) fail(path, ": dict keys must be strings");
    const std::string key = item.key().toStringRef();
    const c10::IValue& v = item.value();
    if (key == "images") {
      if (!v.isTensor()) fail(path, ": \"images\" is a ", v.tagKind(), ", expected a tensor");
      const torch::Tensor t = v.toTensor();
      if (t.scalar_type() != torch::kFloat32 || t.dim() != 4) {
        fail(path, ": \"images\" is ", t.scalar_type(), " of shape ", shape_text(t),
             ", expected float32 N×C×H×W");
      }
      data.images = t.contiguous();
      have_images = true;
    } else if (key == "labels") {
      if (!v.isTensor()) fail(path, ": \"labels\" is a ", v.tagKind(), ", expected a tensor");
      const torch::Tensor t = v.toTensor();
      if (t.scalar_type() != torch::kInt64 || t.dim() != 1) {
        fail(path, ": \"labels\" is ", t.scalar_type(), " of shape ", shape_text(t),
             ", expected int64 of shape [N]");
      }
      data.labels = t.contiguous();
      have_labels = true;
    } else if (key == "classes") {
      if (!v.isInt()) fail(path, ": \"classes\" is a ", v.tagKind(), ", expected an int");
      classes = v.toInt();
      if (classes < 2 || classes > (std::int64_t{1} << 24)) {
        fail(path, ": \"classes\" = ", classes, " is outside 2…2^24");
      }
      have_classes = true;
    } else {
      fail(path, ": unknown key \"", key, "\" (known: images, labels, classes)");
    }
  }
  if (!have_images) fail(path, ": no \"images\" tensor");
  if (!have_labels) fail(path, ": no \"labels\" tensor");
  const std::int64_t n = data.images.size(0);
  if (n == 0) fail(path, ": \"images\" holds no image");
  if (data.labels.size(0) != n) {
    fail(path, ": ", n, " images but ", data.labels.size(0), " labels");
  }
  if (!torch::isfinite(data.images).all().item<bool>()) {
    fail(path, ": \"images\" holds NaN or infinite values");
  }
  const std::int64_t low = data.labels.min().item<std::int64_t>();
  const std::int64_t high = data.labels.max().item<std::int64_t>();
  if (low < 0) fail(path, ": \"labels\" holds a negative label (", low, ")");
  if (have_classes) {
    if (high >= classes) fail(path, ": label ", high, " is out of range for \"classes\" = ", classes);
  } else {
    if (high >= (std::int64_t{1} << 24)) fail(path, ": label ", high, " is beyond 2^24 classes");
    classes = std::max<std::int64_t>(2, high + 1);
  }
  data.classes = classes;
  return data;
}

Dataset open_dataset(const std::string& spec, const std::string& dir, bool train) {
  if (is_tensor_dataset(spec)) return load_tensor_dataset(spec);
  return load_dataset(spec, dir, train);
}

}  // namespace lowvolt::host
