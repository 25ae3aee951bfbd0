#pragma once
// Fixed-point weight quantization as in Stutz et al. (MLSys 2021), every row of the paper's
// quantization table as composable options (QuantScheme), for m = 2..8 bits (codes in the low m
// bits of a uint8 tensor, upper bits zero) and m = 16 (signed symmetric codes in an int16 tensor).
//
// Contract (all arithmetic in double, results stored as float32):
//  - Range: per tensor (per_layer, weights and biases are separate tensors) or one range over all
//    tensors given to quantize_all (global). With wmax > 0 the weights are first clamped to
//    [-wmax, wmax] and the range is taken from the clamped weights.
//  - Symmetric: qmax = max|w|, qmin = -qmax, Δ = qmax/(2^(m-1)-1) in weight units, x = w/Δ.
//    Asymmetric: [qmin, qmax] = [min w, max w] is mapped linearly onto [-1, 1], Δ = 1/(2^(m-1)-1)
//    in that normalised domain; equivalently x = (w - C)/S with C = (qmax+qmin)/2 and
//    S = Δ·(qmax-qmin)/2 (DESIGN.md's integer datapath form).
//  - Integer value v = trunc(x) (truncation, the paper's float-to-int conversion) or round(x)
//    (rounding, half to even). Truncation snaps x to the nearest integer when it lies within
//    QuantParams::snap_tolerance() of it (16× the float32 rounding error of the largest weight,
//    1.2e-4 code steps at 8 bits), so that dequantized float32 weights requantize to the same
//    code; elsewhere it is plain trunc.
//  - Signed codes: v in two's complement in the low m bits. Unsigned codes: c = v + z with
//    z = 2^(m-1)-1. Quantization of in-range weights gives |v| <= 2^(m-1)-1; requantizing weights
//    outside the range (e.g. after bit errors) clamps v to what m bits can store.
//  - Dequantization: w = S·v + C with v recovered from the code (sign extension, or c - z);
//    every one of the 2^m codes dequantizes to a finite value that requantizes to itself.
//  - Degenerate ranges: an all-zero tensor gets qmax = 1 (symmetric) and a constant tensor c gets
//    [c - |c|, c + |c|] (or [-1, 1] for c = 0), so constants dequantize exactly.
//  - NaN or Inf weights are a user error (lowvolt::Error naming the tensor and its shape).
//  - Reference-code variants (docs/quantization-variants.md; all off by default, LowVolt's own
//    arithmetic above): epsilon > 0 widens the range as the paper's public code does (symmetric:
//    qmax = max|w| + ε, capped at wmax when clipping; asymmetric: Δ = (1 + ε)/(2^(m-1)-1) in the
//    normalised domain); half_offset stores unsigned codes as v + 2^(m-1) (code range of v:
//    -2^(m-1) … 2^(m-1)-1); clamp_dequantized clamps every dequantized value to [qmin, qmax], so
//    codes outside the range (after bit errors) read as the range's end and no longer requantize
//    to themselves; fixed_range > 0 replaces the observed range by [-r, r] for every tensor
//    (LowVolt's signed fixed-range row, preset "fixed" = [-1, 1]: symmetric, signed, truncating,
//    not the reference's scheme).
//  - The paper's "Normal" (preset "paper-normal"; the reference's q81unfp models,
//    AlternativeUnsignedFixedPointQuantization with range 1): floor_values with fixed_range r,
//    epsilon, half_offset and clamp_dequantized, exactly the reference's arithmetic: the weight is
//    clamped to [-r, r], Δ = (r + ε)/(2^(m-1)-1), v = floor(w/Δ) (code = v + 2^(m-1), capped at
//    2^m − 1), dequantized w = clamp(v·Δ, -r, r). Here [qmin, qmax] = [-r, r] (not widened by ε);
//    floor snaps to the nearest integer within snap_tolerance() as truncation does.
// Device-agnostic: on the CPU a fused loop (identical results) replaces the LibTorch operator
// chain that runs on any other device (quantize_with_torch_ops, dequantize_with_torch_ops).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/nn/quant_scheme.h"

namespace lowvolt::host {

/// Everything needed to dequantize (and requantize) one tensor's codes.
struct QuantParams {
  /// Code width m in bits (2..8 or 16).
  int bits = 8;
  /// Whether the asymmetric mapping was used.
  bool asymmetric = false;
  /// Whether codes are stored unsigned (offset zero_point()).
  bool unsigned_codes = false;
  /// Whether values were rounded (true) or truncated (false).
  bool rounding = false;
  /// Whether unsigned codes are offset by 2^(m-1) (the reference) instead of 2^(m-1)-1.
  bool half_offset = false;
  /// Whether dequantized values are clamped to [qmin, qmax] (the reference).
  bool clamp_dequantized = false;
  /// Whether values were floored (the reference's unsigned fixed range; weights are clamped to
  /// [qmin, qmax] before quantizing).
  bool floor_values = false;
  /// Lower end of the quantization range, in weight units (-qmax when symmetric).
  double qmin = -1.0;
  /// Upper end of the quantization range, in weight units.
  double qmax = 1.0;
  /// Δ: the code step, in weight units when symmetric, in the normalised [-1, 1] domain when
  /// asymmetric.
  double delta = 1.0 / 127.0;

  /// S: the code step in weight units (= delta when symmetric, delta·(qmax-qmin)/2 otherwise).
  double scale() const;
  /// C: the weight value of integer value v = 0, in weight units (0 when symmetric).
  double center() const;
  /// z: the offset added to v to form an unsigned code (2^(m-1)-1, or 2^(m-1) with half_offset),
  /// 0 for signed codes.
  std::int64_t zero_point() const;
  /// Largest integer value v that quantization of in-range weights produces: 2^(m-1)-1.
  std::int64_t vmax() const;
  /// Smallest integer value v that an m-bit code can hold under this encoding.
  std::int64_t code_vmin() const;
  /// Largest integer value v that an m-bit code can hold under this encoding.
  std::int64_t code_vmax() const;
  /// Band, in code steps, around each integer within which truncation snaps to that integer:
  /// 2^-20·(max(|qmin|, |qmax|)/S + 1), 16× the float32 rounding error of the largest weight.
  double snap_tolerance() const;
  /// Mask of the stored bits, 2^m - 1.
  std::uint32_t bit_mask() const;
  /// Code tensor dtype: kUInt8 for m <= 8, kInt16 for m = 16.
  torch::ScalarType code_dtype() const;
};

/// Codes of one tensor (same shape as the weights) and their parameters.
struct QuantizedTensor {
  /// Codes: uint8 with the m-bit code in the low m bits (m <= 8), or int16 (m = 16).
  torch::Tensor codes;
  /// Parameters to dequantize `codes`.
  QuantParams params;
};

/// Quantizes and dequantizes weight tensors under one scheme. Stateless apart from the scheme;
/// safe to share between threads.
class Quantizer {
 public:
  /// Validates the scheme (lowvolt::Error on bad fields).
  explicit Quantizer(QuantScheme scheme);
  /// The scheme this quantizer applies.
  const QuantScheme& scheme() const { return scheme_; }

  /// Range parameters of one tensor under the scheme (per-tensor range, clipping applied).
  QuantParams params_for(const torch::Tensor& weights) const;
  /// Range parameters covering all tensors at once (the global range).
  QuantParams params_for_all(const std::vector<torch::Tensor>& tensors) const;
  /// Quantizes a floating-point tensor with its own range (per tensor, whatever per_layer says).
  QuantizedTensor quantize(const torch::Tensor& weights) const;
  /// Quantizes with given parameters (clipping of the scheme applied first); values outside the
  /// range saturate at the code limits.
  torch::Tensor quantize(const torch::Tensor& weights, const QuantParams& params) const;
  /// Quantizes each tensor with its own range (per_layer) or one global range over all of them.
  std::vector<QuantizedTensor> quantize_all(const std::vector<torch::Tensor>& tensors) const;
  /// Dequantizes to float32 of the codes' shape, on the codes' device.
  torch::Tensor dequantize(const QuantizedTensor& q) const;
  /// Dequantizes codes (e.g. after bit errors; only the low m bits are read) with `params`.
  torch::Tensor dequantize(const torch::Tensor& codes, const QuantParams& params) const;

 private:
  torch::Tensor quantize_checked(const torch::Tensor& weights, const QuantParams& params) const;

  QuantScheme scheme_;
};

/// Quantization written with LibTorch operators only (runs on any device); clamps to
/// [-wmax, wmax] first when wmax > 0. Quantizer uses it off the CPU and a fused CPU loop that
/// produces identical codes otherwise. Does not check the weights for NaN/Inf.
torch::Tensor quantize_with_torch_ops(const torch::Tensor& weights, const QuantParams& params,
                                      double wmax);
/// Dequantization written with LibTorch operators only; Quantizer::dequantize looks the values
/// up in a table of this function's result for all 2^m codes.
torch::Tensor dequantize_with_torch_ops(const torch::Tensor& codes, const QuantParams& params);

}  // namespace lowvolt::host
