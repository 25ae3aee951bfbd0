#pragma once
// Where a model's weight memory sits in the accelerator's weight SRAM, derived from its memory
// tensors alone, so that the torch backend, chip reads of plain code arrays, chip PattBET
// patterns and the accelerator place every code in the same cells for built-in and TorchScript
// models alike: the one layout builder of weights on the chip. Contract: the memory tensors, in memory
// order, become accelerator layers: a tensor of ≥ 2 dimensions W is a layer of N = W.size(0)
// rows of K = W.numel() / N codes; a 1-d tensor of N values right after it is that layer's bias;
// any other 1-d tensor (a norm parameter under `--memory all`) is a layer of N = numel rows of
// K = 1 without bias. For the built-in networks this is exactly the layer list AccelInference
// builds from their conv/linear modules.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "lowvolt/accelerator/weight_image.h"

namespace lowvolt::host {

/// One matrix layer of weights on the chip: N rows of K codes, then N bias codes when present
/// (conv2d: N = output channels, K = Cin·kh·kw).
struct ChipLayer {
  std::uint32_t out_features = 0;  ///< N, output features
  std::uint32_t in_features = 0;   ///< K, reduction length
  bool bias = false;               ///< whether N bias codes follow the N·K weight codes
  std::string name;                ///< for messages ("layer 2" when empty)
};

/// The layers of memory tensors `params` (named `names`), in memory order (see the contract).
std::vector<ChipLayer> memory_layers(const std::vector<torch::Tensor>& params,
                                     const std::vector<std::string>& names);

/// `n` codes, flat in layer order (N×K weights row-major, then N biases), cut into the
/// accelerator's layers; `codes` null: zeros (the placement only needs the sizes). The layers
/// must cover exactly n codes (checked).
std::vector<accelerator::LayerCodes> layer_codes(const std::vector<ChipLayer>& layers,
                                                 const std::uint8_t* codes, std::uint64_t n);

/// The accelerator's image of memory tensors `params` (named `names`) whose codes, flat in
/// memory order (WeightMemory::codes()), are `codes`, laid out with m = `bits` from cell `offset`.
accelerator::WeightImage memory_image(const std::vector<torch::Tensor>& params,
                                      const std::vector<std::string>& names,
                                      const std::vector<std::uint8_t>& codes, int bits,
                                      std::uint64_t offset);

}  // namespace lowvolt::host
