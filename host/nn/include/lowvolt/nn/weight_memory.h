#pragma once
// A network's weight memory: the glue between a Net and quantization / bit errors. Contract:
//  - The memory parameters of a Net (conv/linear weights and biases, forward order) are quantized
//    with one QuantScheme (per layer or global) and their codes concatenated into one flat code
//    tensor: parameter k occupies words [offset(k), offset(k) + numel(k)). This is the linear
//    weight-to-memory mapping of the paper; bit errors act on this flat tensor.
//  - load() dequantizes a flat code tensor (clean or with bit errors) and writes the values into
//    the parameters' storage in place, without autograd; the quantization ranges are those of the
//    snapshot (errors change codes, never ranges, as on the accelerator).
//  - FloatBackup saves the floating-point values so that training can run forward/backward on
//    quantized weights and apply the gradient to the float weights (straight-through).
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "lowvolt/nn/quantize.h"

namespace lowvolt::host {

/// Quantized snapshot of a list of parameters as one flat memory.
class WeightMemory {
 public:
  /// Quantizes `params` (current values) under `scheme`.
  WeightMemory(const QuantScheme& scheme, const std::vector<torch::Tensor>& params);

  /// Flat codes, one word per parameter element (uint8, or int16 at 16 bits).
  const torch::Tensor& codes() const { return codes_; }
  /// Number of words (parameter elements).
  std::int64_t numel() const { return codes_.numel(); }
  /// Stored bits per word (m).
  int bits() const { return quantizer_.scheme().bits; }
  /// Per-parameter quantization parameters, same order as the parameters.
  const std::vector<QuantParams>& params() const { return params_; }

  /// Dequantized values of `codes` (flat, layout of codes()) for parameter k, shaped like it.
  torch::Tensor dequantize(const torch::Tensor& codes, std::size_t k) const;
  /// Writes the dequantized `codes` into `targets` (the parameters this memory was built from, or
  /// tensors of the same shapes) in place, outside autograd.
  void load(const torch::Tensor& codes, const std::vector<torch::Tensor>& targets) const;

 private:
  Quantizer quantizer_;
  std::vector<QuantParams> params_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::vector<std::int64_t>> shapes_;
  torch::Tensor codes_;
};

/// A copy of parameter values, restored on request (not automatically: training decides when).
class FloatBackup {
 public:
  /// Copies the current values of `params`.
  explicit FloatBackup(const std::vector<torch::Tensor>& params);
  /// Writes the saved values back into `params` in place, outside autograd.
  void restore(const std::vector<torch::Tensor>& params) const;

 private:
  std::vector<torch::Tensor> saved_;
};

/// Clamps every tensor to [-wmax, wmax] in place, outside autograd (wmax > 0).
void clip_parameters(const std::vector<torch::Tensor>& params, double wmax);

}  // namespace lowvolt::host
