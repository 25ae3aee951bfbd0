#pragma once
// A quantization scheme: one row of the paper's quantization table with its reference-code
// variants, as plain data (no LibTorch: the command line and the application layer's requests
// hold one). The arithmetic it selects is quantize.h's contract.
#include <string>
#include <vector>

namespace lowvolt::host {

/// The ε of the paper's public code (common/quantization.py, EPSILON), in weight units for
/// symmetric ranges and in the normalised [-1, 1] domain for asymmetric ones.
inline constexpr double kReferenceEpsilon = 0.001;

/// One row of the paper's quantization table, plus optional weight clipping.
struct QuantScheme {
  /// Code width m in bits: 2..8 (uint8 codes in the low m bits) or 16 (int16, signed symmetric).
  int bits = 8;
  /// Range per tensor (true) or one global range over all tensors of quantize_all (false).
  bool per_layer = true;
  /// Map [qmin, qmax] linearly onto [-1, 1] before quantizing (true) or use [-qmax, qmax].
  bool asymmetric = false;
  /// Store c = v + 2^(m-1)-1 as an unsigned code (true) or v in two's complement (false).
  bool unsigned_codes = false;
  /// Round to nearest, ties to even (true) or truncate toward zero (false).
  bool rounding = false;
  /// If > 0: clamp weights to [-wmax, wmax] (weight units) before taking the range; 0 = off.
  double wmax = 0.0;
  /// Reference-code ε widening the range (see the contract); 0 = off (the reference: 0.001).
  double epsilon = 0.0;
  /// Unsigned codes offset by 2^(m-1) (the reference) instead of 2^(m-1)-1 (LowVolt).
  bool half_offset = false;
  /// Clamp dequantized values to [qmin, qmax] (the reference); false = LowVolt (no clamp).
  bool clamp_dequantized = false;
  /// If > 0: the range is [-fixed_range, fixed_range] for every tensor (weight units); 0 = from
  /// the weights.
  double fixed_range = 0.0;
  /// v = floor(x) instead of trunc(x) (the reference's unsigned fixed-point arithmetic, preset
  /// "paper-normal"; needs fixed_range > 0, unsigned codes with half_offset, no rounding).
  bool floor_values = false;

  /// Named preset at `bits` bits: "global" (global, symmetric, signed, trunc), "normal"
  /// (per-layer, symmetric, signed, trunc), "asymmetric" (normal + asymmetric), "unsigned"
  /// (asymmetric + unsigned codes), "rquant" (unsigned + rounding), "fixed" (normal with the
  /// fixed range [-1, 1]), "paper-normal" (the paper's Normal: the reference's unsigned fixed
  /// range [-1, 1], see the contract). Unknown name -> lowvolt::Error listing the known ones;
  /// bad bits -> lowvolt::Error.
  static QuantScheme preset(const std::string& name, int bits);
  /// Names accepted by preset(), in table order.
  static std::vector<std::string> preset_names();
  /// The preset name if the flags equal one (",wmax=X" appended when clipping, then the
  /// reference variants as ",eps=X", ",half-offset", ",clamp"), else a description such as
  /// "per-layer,asymmetric,signed,round".
  std::string name() const;
  /// Sets the reference-code variants from a comma list of "eps" (ε = 0.001), "half-offset",
  /// "clamp", "reference" (all three) or "none"; lowvolt::Error naming `option` on other words.
  void set_variants(const std::string& list, const std::string& option = "--quant-variant");
  /// The variants as set_variants() reads them ("none" when all are off).
  std::string variants() const;
  /// Throws lowvolt::Error naming the field and value when the scheme is not valid.
  void validate() const;
};

}  // namespace lowvolt::host
