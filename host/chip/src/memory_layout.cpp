#include "lowvolt/chip/memory_layout.h"

#include <algorithm>

#include "lowvolt/common/error.h"

namespace lowvolt::host {

std::vector<ChipLayer> memory_layers(const std::vector<torch::Tensor>& params,
                                     const std::vector<std::string>& names) {
  LV_CHECK(params.size() == names.size(), params.size() << " tensors, " << names.size() << " names");
  std::vector<ChipLayer> layers;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const torch::Tensor& w = params[i];
    ChipLayer layer;
    layer.name = names[i];
    if (w.dim() >= 2) {
      layer.out_features = static_cast<std::uint32_t>(w.size(0));
      layer.in_features = static_cast<std::uint32_t>(w.numel() / w.size(0));
      if (i + 1 < params.size() && params[i + 1].dim() == 1 && params[i + 1].size(0) == w.size(0)) {
        layer.bias = true;
        ++i;
      }
    } else {
      layer.out_features = static_cast<std::uint32_t>(w.numel());
      layer.in_features = 1;
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::vector<accelerator::LayerCodes> layer_codes(const std::vector<ChipLayer>& layers,
                                                 const std::uint8_t* codes, std::uint64_t n) {
  std::vector<accelerator::LayerCodes> out;
  out.reserve(layers.size());
  std::uint64_t flat = 0;
  const auto take = [&](std::uint64_t count) {
    LV_CHECK(flat + count <= n, "the layers hold more than " << n << " codes");
    std::vector<std::uint8_t> part(count, 0);
    if (codes != nullptr) std::copy(codes + flat, codes + flat + count, part.begin());
    flat += count;
    return part;
  };
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const ChipLayer& layer = layers[l];
    accelerator::LayerCodes lc;
    lc.name = layer.name.empty() ? "layer " + std::to_string(l) : layer.name;
    lc.out_features = layer.out_features;
    lc.in_features = layer.in_features;
    lc.weights = take(std::uint64_t{layer.out_features} * layer.in_features);
    if (layer.bias) lc.bias = take(layer.out_features);
    out.push_back(std::move(lc));
  }
  LV_CHECK(flat == n, "the layers hold " << flat << " codes, memory " << n);
  return out;
}

accelerator::WeightImage memory_image(const std::vector<torch::Tensor>& params,
                                      const std::vector<std::string>& names,
                                      const std::vector<std::uint8_t>& codes, int bits,
                                      std::uint64_t offset) {
  return accelerator::WeightImage(layer_codes(memory_layers(params, names), codes.data(), codes.size()),
                                  static_cast<std::uint32_t>(bits), offset);
}

}  // namespace lowvolt::host
