#include "lowvolt/chip/memory_layout.h"

#include "lowvolt/common/error.h"

namespace lowvolt::host {

accelerator::WeightImage memory_image(const std::vector<torch::Tensor>& params,
                                      const std::vector<std::string>& names,
                                      const std::vector<std::uint8_t>& codes, int bits,
                                      std::uint64_t offset) {
  LV_CHECK(params.size() == names.size(), params.size() << " tensors, " << names.size() << " names");
  std::vector<accelerator::LayerCodes> layers;
  std::size_t flat = 0;
  const auto take = [&](std::int64_t n) {
    LV_CHECK(flat + static_cast<std::size_t>(n) <= codes.size(),
             "memory tensors hold more than " << codes.size() << " codes");
    std::vector<std::uint8_t> out(codes.begin() + static_cast<std::ptrdiff_t>(flat),
                                  codes.begin() + static_cast<std::ptrdiff_t>(flat + n));
    flat += static_cast<std::size_t>(n);
    return out;
  };
  for (std::size_t i = 0; i < params.size(); ++i) {
    const torch::Tensor& w = params[i];
    accelerator::LayerCodes layer;
    layer.name = names[i];
    if (w.dim() >= 2) {
      layer.out_features = static_cast<std::uint32_t>(w.size(0));
      layer.in_features = static_cast<std::uint32_t>(w.numel() / w.size(0));
      layer.weights = take(w.numel());
      if (i + 1 < params.size() && params[i + 1].dim() == 1 && params[i + 1].size(0) == w.size(0)) {
        layer.bias = take(params[i + 1].numel());
        ++i;
      }
    } else {
      layer.out_features = static_cast<std::uint32_t>(w.numel());
      layer.in_features = 1;
      layer.weights = take(w.numel());
    }
    layers.push_back(std::move(layer));
  }
  LV_CHECK(flat == codes.size(), "memory tensors hold " << flat << " codes, memory " << codes.size());
  return accelerator::WeightImage(std::move(layers), static_cast<std::uint32_t>(bits), offset);
}

}  // namespace lowvolt::host
