#include "lowvolt/nn/quantize.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include <ATen/Parallel.h>

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

/// Elements per parallel chunk of the CPU loops: small tensors stay on one thread, where waking
/// the OpenMP pool costs more than it saves.
constexpr std::int64_t kGrain = std::int64_t{1} << 18;

/// Preset rows of the paper's quantization table, in table order.
const std::vector<std::string>& preset_list() {
  static const std::vector<std::string> kNames = {"global", "normal", "asymmetric", "unsigned",
                                                  "rquant", "fixed", "paper-normal"};
  return kNames;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

/// Flags of a named preset, without bits or clipping.
bool preset_flags(const std::string& name, QuantScheme& scheme) {
  scheme.per_layer = name != "global";
  scheme.asymmetric = name == "asymmetric" || name == "unsigned" || name == "rquant";
  scheme.unsigned_codes = name == "unsigned" || name == "rquant";
  scheme.rounding = name == "rquant";
  scheme.fixed_range = name == "fixed" || name == "paper-normal" ? 1.0 : 0.0;
  const bool paper = name == "paper-normal";  // the reference's q81unfp arithmetic, exactly
  scheme.unsigned_codes = scheme.unsigned_codes || paper;
  scheme.floor_values = paper;
  scheme.half_offset = paper;
  scheme.clamp_dequantized = paper;
  scheme.epsilon = paper ? kReferenceEpsilon : 0.0;
  const auto& names = preset_list();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Observed range of the (clipped) weights: {min, max} and whether the tensor was non-empty.
struct Range {
  double lo = 0.0;
  double hi = 0.0;
  bool any = false;
};

/// Rejects non-floating, NaN or Inf weights with a message naming the tensor; returns the range
/// of the weights after clamping to [-wmax, wmax] (wmax > 0). One pass: min and max propagate
/// NaN and reveal Inf, and clamping commutes with min and max.
Range checked_range(const torch::Tensor& w, const std::string& what, double wmax) {
  if (!w.defined()) fail("quantize: ", what, " is an undefined tensor");
  if (!w.is_floating_point()) {
    fail("quantize: ", what, " must be a floating-point tensor, got dtype ", w.scalar_type());
  }
  Range r;
  if (w.numel() == 0) return r;
  const auto [lo, hi] = torch::aminmax(w.detach());
  r.lo = lo.item<double>();
  r.hi = hi.item<double>();
  if (!std::isfinite(r.lo) || !std::isfinite(r.hi)) {
    fail("quantize: ", what, " (shape ", shape_of(w), ") contains NaN or Inf weights");
  }
  if (wmax > 0) {
    r.lo = std::clamp(r.lo, -wmax, wmax);
    r.hi = std::clamp(r.hi, -wmax, wmax);
  }
  r.any = true;
  return r;
}

void merge(Range& into, const Range& other) {
  if (!other.any) return;
  if (!into.any) {
    into = other;
    return;
  }
  into.lo = std::min(into.lo, other.lo);
  into.hi = std::max(into.hi, other.hi);
}

/// Parameters of the scheme for an observed range (degenerate ranges made usable).
QuantParams make_params(const QuantScheme& scheme, const Range& range) {
  QuantParams p;
  p.bits = scheme.bits;
  p.asymmetric = scheme.asymmetric;
  p.unsigned_codes = scheme.unsigned_codes;
  p.rounding = scheme.rounding;
  p.half_offset = scheme.half_offset && scheme.unsigned_codes;
  p.clamp_dequantized = scheme.clamp_dequantized;
  p.floor_values = scheme.floor_values;
  const double vmax = static_cast<double>(p.vmax());
  if (scheme.floor_values) {  // the reference's unsigned fixed range: [-r, r], Δ = (r + ε)/vmax
    p.qmin = -scheme.fixed_range;
    p.qmax = scheme.fixed_range;
    p.delta = (scheme.fixed_range + scheme.epsilon) / vmax;
    return p;
  }
  if (scheme.fixed_range > 0) {  // a fixed range: ignore the weights
    Range fixed;
    fixed.lo = -scheme.fixed_range;
    fixed.hi = scheme.fixed_range;
    fixed.any = true;
    QuantScheme plain = scheme;
    plain.fixed_range = 0.0;
    plain.epsilon = 0.0;
    QuantParams q = make_params(plain, fixed);
    if (!scheme.asymmetric && scheme.epsilon > 0) {
      q.qmax += scheme.epsilon;
      q.qmin = -q.qmax;
      q.delta = q.qmax / vmax;
    } else if (scheme.asymmetric && scheme.epsilon > 0) {
      q.delta = (1.0 + scheme.epsilon) / vmax;
    }
    return q;
  }
  if (scheme.asymmetric) {
    double lo = range.any ? range.lo : -1.0;
    double hi = range.any ? range.hi : 1.0;
    if (!(hi > lo)) {  // constant tensor c: [c - |c|, c + |c|] keeps c exact (c = 0: [-1, 1])
      const double half = lo != 0.0 ? std::abs(lo) : 1.0;
      hi = lo + half;
      lo = lo - half;
    }
    p.qmin = lo;
    p.qmax = hi;
    p.delta = (1.0 + scheme.epsilon) / vmax;
  } else {
    double qmax = range.any ? std::max(std::abs(range.lo), std::abs(range.hi)) : 1.0;
    if (!(qmax > 0.0)) qmax = 1.0;  // all-zero tensor: any step keeps 0 exact
    if (scheme.epsilon > 0) {  // the reference: max|w| + ε, capped at the clipping bound
      qmax += scheme.epsilon;
      if (scheme.wmax > 0) qmax = std::min(qmax, scheme.wmax);
    }
    p.qmin = -qmax;
    p.qmax = qmax;
    p.delta = qmax / vmax;
  }
  return p;
}

void check_code_dtype(const torch::Tensor& codes) {
  if (!codes.defined()) fail("dequantize: codes tensor is undefined");
  const auto dtype = codes.scalar_type();
  if (dtype != torch::kUInt8 && dtype != torch::kInt8 && dtype != torch::kInt16 &&
      dtype != torch::kInt32) {
    fail("dequantize: codes must be uint8, int8, int16 or int32, got dtype ", dtype);
  }
}

void check_params(const QuantParams& p) {
  const bool bits_ok = (p.bits >= 2 && p.bits <= 8) || p.bits == 16;
  if (!bits_ok) fail("quantization params: bits=", p.bits, " (expected 2..8 or 16)");
  if (!(std::isfinite(p.qmin) && std::isfinite(p.qmax) && p.qmax > p.qmin)) {
    fail("quantization params: range [", p.qmin, ", ", p.qmax, "] is not a finite interval");
  }
  if (!(std::isfinite(p.delta) && p.delta > 0)) fail("quantization params: delta=", p.delta);
  if (p.bits == 16 && (p.asymmetric || p.unsigned_codes)) {
    fail("quantization params: 16-bit codes are signed symmetric only");
  }
}

}  // namespace

// --- QuantScheme ---------------------------------------------------------------------------

QuantScheme QuantScheme::preset(const std::string& name, int bits) {
  QuantScheme scheme;
  if (!preset_flags(name, scheme)) {
    fail("quantization preset '", name, "' is unknown (known: ", join(preset_list()), ")");
  }
  scheme.bits = bits;
  scheme.validate();
  return scheme;
}

std::vector<std::string> QuantScheme::preset_names() { return preset_list(); }

std::string QuantScheme::name() const {
  std::ostringstream out;
  std::string found;
  for (const auto& candidate : preset_list()) {
    QuantScheme flags;
    preset_flags(candidate, flags);
    if (flags.per_layer == per_layer && flags.asymmetric == asymmetric &&
        flags.unsigned_codes == unsigned_codes && flags.rounding == rounding &&
        flags.fixed_range == fixed_range && flags.floor_values == floor_values &&
        (!floor_values || (flags.epsilon == epsilon && flags.half_offset == half_offset &&
                           flags.clamp_dequantized == clamp_dequantized))) {
      found = candidate;
      break;
    }
  }
  if (found == "paper-normal") {  // its variants are part of the preset
    out << found;
    if (wmax > 0) out << ",wmax=" << wmax;
    return out.str();
  }
  if (!found.empty()) {
    out << found;
  } else {
    out << (per_layer ? "per-layer" : "global") << ',' << (asymmetric ? "asymmetric" : "symmetric")
        << ',' << (unsigned_codes ? "unsigned" : "signed") << ','
        << (rounding ? "round" : floor_values ? "floor" : "trunc");
    if (fixed_range > 0) out << ",range=" << fixed_range;
  }
  if (wmax > 0) out << ",wmax=" << wmax;
  if (epsilon > 0) out << ",eps=" << epsilon;
  if (half_offset) out << ",half-offset";
  if (clamp_dequantized) out << ",clamp";
  return out.str();
}

void QuantScheme::set_variants(const std::string& list, const std::string& option) {
  if (floor_values) {
    fail("option '", option, "': the paper-normal scheme is the reference's arithmetic already ",
         "(its ε, offset and clamp are part of it)");
  }
  epsilon = 0.0;
  half_offset = false;
  clamp_dequantized = false;
  std::string word;
  const auto apply = [&](const std::string& w) {
    if (w == "eps") {
      epsilon = kReferenceEpsilon;
    } else if (w == "half-offset") {
      half_offset = true;
    } else if (w == "clamp") {
      clamp_dequantized = true;
    } else if (w == "reference") {
      epsilon = kReferenceEpsilon;
      half_offset = true;
      clamp_dequantized = true;
    } else if (w != "none") {
      fail("option '", option, "': unknown variant '", w,
           "' (known: eps, half-offset, clamp, reference, none)");
    }
  };
  for (const char c : list) {
    if (c == ',') {
      apply(word);
      word.clear();
    } else {
      word += c;
    }
  }
  apply(word);
}

std::string QuantScheme::variants() const {
  std::string out;
  if (epsilon > 0) out += "eps";
  if (half_offset) out += std::string(out.empty() ? "" : ",") + "half-offset";
  if (clamp_dequantized) out += std::string(out.empty() ? "" : ",") + "clamp";
  return out.empty() ? "none" : out;
}

void QuantScheme::validate() const {
  if (!((bits >= 2 && bits <= 8) || bits == 16)) {
    fail("quantization bits=", bits, " is not supported (expected 2..8, or 16 for signed ",
         "symmetric codes)");
  }
  if (bits == 16 && (asymmetric || unsigned_codes)) {
    fail("quantization bits=16 supports only signed symmetric codes (scheme '", name(), "')");
  }
  if (!(std::isfinite(wmax) && wmax >= 0)) {
    fail("quantization wmax=", wmax, " must be a finite value >= 0 (0 = no clipping)");
  }
  if (!(std::isfinite(epsilon) && epsilon >= 0 && epsilon < 1)) {
    fail("quantization epsilon=", epsilon, " must be in [0, 1)");
  }
  if (!(std::isfinite(fixed_range) && fixed_range >= 0)) {
    fail("quantization fixed_range=", fixed_range, " must be a finite value >= 0 (0 = off)");
  }
  if (half_offset && !unsigned_codes) {
    fail("quantization variant half-offset needs unsigned codes (scheme '", name(), "')");
  }
  if (bits == 16 && (epsilon > 0 || clamp_dequantized || fixed_range > 0 || floor_values)) {
    fail("quantization bits=16 supports no reference variants (scheme '", name(), "')");
  }
  if (floor_values && !(fixed_range > 0 && unsigned_codes && half_offset && !rounding && !asymmetric)) {
    fail("quantization floor (the reference's unsigned fixed range) needs a fixed range, unsigned "
         "codes offset by 2^(m-1), no rounding and a symmetric range (scheme '", name(), "')");
  }
}

// --- QuantParams ---------------------------------------------------------------------------

double QuantParams::scale() const { return asymmetric ? delta * (qmax - qmin) / 2.0 : delta; }

double QuantParams::center() const { return asymmetric ? (qmax + qmin) / 2.0 : 0.0; }

std::int64_t QuantParams::zero_point() const {
  if (!unsigned_codes) return 0;
  return half_offset ? vmax() + 1 : vmax();
}

std::int64_t QuantParams::vmax() const { return (std::int64_t{1} << (bits - 1)) - 1; }

std::int64_t QuantParams::code_vmin() const {
  return unsigned_codes ? -zero_point() : -(std::int64_t{1} << (bits - 1));
}

std::int64_t QuantParams::code_vmax() const {
  return unsigned_codes ? (std::int64_t{1} << bits) - 1 - zero_point() : vmax();
}

double QuantParams::snap_tolerance() const {
  return std::ldexp(std::max(std::abs(qmin), std::abs(qmax)) / scale() + 1.0, -20);
}

std::uint32_t QuantParams::bit_mask() const {
  return static_cast<std::uint32_t>((std::uint64_t{1} << bits) - 1);
}

torch::ScalarType QuantParams::code_dtype() const {
  return bits <= 8 ? torch::kUInt8 : torch::kInt16;
}

// --- LibTorch-operator implementations (any device) ----------------------------------------

torch::Tensor quantize_with_torch_ops(const torch::Tensor& weights, const QuantParams& params,
                                      double wmax) {
  check_params(params);
  torch::NoGradGuard no_grad;
  torch::Tensor x = weights.detach().to(torch::kFloat64);
  if (wmax > 0) x = x.clamp(-wmax, wmax);
  if (params.floor_values) x = x.clamp(params.qmin, params.qmax);  // the reference clamps first
  const double center = params.center();
  if (center != 0.0) x = x - center;
  x = x / params.scale();
  torch::Tensor v;
  if (params.rounding) {
    v = x.round();
  } else {
    const torch::Tensor nearest = x.round();
    v = torch::where((x - nearest).abs() <= params.snap_tolerance(), nearest,
                     params.floor_values ? x.floor() : x.trunc());
  }
  v = v.clamp(static_cast<double>(params.code_vmin()), static_cast<double>(params.code_vmax()))
          .to(torch::kInt64);
  if (params.bits == 16) return v.to(torch::kInt16);
  if (params.unsigned_codes) v = v + params.zero_point();
  return v.bitwise_and(static_cast<std::int64_t>(params.bit_mask())).to(torch::kUInt8);
}

torch::Tensor dequantize_with_torch_ops(const torch::Tensor& codes, const QuantParams& params) {
  check_params(params);
  check_code_dtype(codes);
  const torch::Tensor c =
      codes.to(torch::kInt64).bitwise_and(static_cast<std::int64_t>(params.bit_mask()));
  torch::Tensor v;
  if (params.unsigned_codes) {
    v = c - params.zero_point();
  } else {  // sign extension from bit m-1
    v = c - c.bitwise_and(std::int64_t{1} << (params.bits - 1)) * 2;
  }
  torch::Tensor w = v.to(torch::kFloat64) * params.scale();
  const double center = params.center();
  if (center != 0.0) w = w + center;
  if (params.clamp_dequantized) w = w.clamp(params.qmin, params.qmax);
  return w.to(torch::kFloat32);
}

// --- Quantizer -----------------------------------------------------------------------------

Quantizer::Quantizer(QuantScheme scheme) : scheme_(std::move(scheme)) { scheme_.validate(); }

QuantParams Quantizer::params_for(const torch::Tensor& weights) const {
  return make_params(scheme_, checked_range(weights, "weights", scheme_.wmax));
}

QuantParams Quantizer::params_for_all(const std::vector<torch::Tensor>& tensors) const {
  Range range;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    merge(range, checked_range(tensors[i], detail::cat("tensor ", i, " of ", tensors.size()),
                               scheme_.wmax));
  }
  return make_params(scheme_, range);
}

QuantizedTensor Quantizer::quantize(const torch::Tensor& weights) const {
  const QuantParams params = params_for(weights);
  return {quantize_checked(weights, params), params};
}

torch::Tensor Quantizer::quantize(const torch::Tensor& weights, const QuantParams& params) const {
  checked_range(weights, "weights", scheme_.wmax);
  return quantize_checked(weights, params);
}

torch::Tensor Quantizer::quantize_checked(const torch::Tensor& weights,
                                          const QuantParams& params) const {
  check_params(params);
  const auto dtype = weights.scalar_type();
  if (!weights.device().is_cpu() || !weights.is_contiguous() ||
      (dtype != torch::kFloat32 && dtype != torch::kFloat64)) {
    return quantize_with_torch_ops(weights, params, scheme_.wmax);
  }
  // Fused CPU loop: the same double arithmetic as quantize_with_torch_ops, in one pass.
  torch::Tensor codes =
      torch::empty(weights.sizes(), torch::TensorOptions().dtype(params.code_dtype()));
  const double wmax = scheme_.wmax;
  const double center = params.center();
  const double scale = params.scale();
  const double tolerance = params.snap_tolerance();
  const bool rounding = params.rounding;
  const bool floor_values = params.floor_values;
  const double qmin = params.qmin, qmax = params.qmax;
  const auto vmin = static_cast<double>(params.code_vmin());
  const auto vmax = static_cast<double>(params.code_vmax());
  const std::int64_t zero = params.zero_point();
  const std::int64_t mask = params.bit_mask();
  const auto run = [&](const auto* w, auto* out) {
    using Out = std::remove_pointer_t<decltype(out)>;
    at::parallel_for(0, weights.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        double x = static_cast<double>(w[i]);
        if (wmax > 0) x = std::min(std::max(x, -wmax), wmax);
        if (floor_values) x = std::min(std::max(x, qmin), qmax);
        if (center != 0.0) x = x - center;
        x = x / scale;
        double v = std::nearbyint(x);
        if (!rounding && !(std::abs(x - v) <= tolerance)) v = floor_values ? std::floor(x) : std::trunc(x);
        v = std::min(std::max(v, vmin), vmax);
        out[i] = static_cast<Out>((static_cast<std::int64_t>(v) + zero) & mask);
      }
    });
  };
  const auto dispatch_out = [&](const auto* w) {
    if (params.bits == 16) {
      run(w, codes.data_ptr<std::int16_t>());
    } else {
      run(w, codes.data_ptr<std::uint8_t>());
    }
  };
  if (dtype == torch::kFloat32) {
    dispatch_out(weights.data_ptr<float>());
  } else {
    dispatch_out(weights.data_ptr<double>());
  }
  return codes;
}

std::vector<QuantizedTensor> Quantizer::quantize_all(
    const std::vector<torch::Tensor>& tensors) const {
  std::vector<QuantizedTensor> out;
  out.reserve(tensors.size());
  if (scheme_.per_layer) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const QuantParams params = make_params(
          scheme_, checked_range(tensors[i], detail::cat("tensor ", i, " of ", tensors.size()),
                                 scheme_.wmax));
      out.push_back({quantize_checked(tensors[i], params), params});
    }
  } else {
    const QuantParams params = params_for_all(tensors);
    for (const auto& t : tensors) out.push_back({quantize_checked(t, params), params});
  }
  return out;
}

torch::Tensor Quantizer::dequantize(const QuantizedTensor& q) const {
  return dequantize(q.codes, q.params);
}

torch::Tensor Quantizer::dequantize(const torch::Tensor& codes, const QuantParams& params) const {
  check_params(params);
  check_code_dtype(codes);
  // Every code's value from the operator implementation (2^m entries), then a table look-up.
  const torch::Tensor all_codes =
      torch::arange(std::int64_t{1} << params.bits, torch::TensorOptions().dtype(torch::kInt32));
  const torch::Tensor table = dequantize_with_torch_ops(all_codes, params);
  const std::int64_t mask = params.bit_mask();
  if (!codes.device().is_cpu()) {
    const torch::Tensor index = codes.to(torch::kInt64).bitwise_and(mask).reshape({-1});
    return table.to(codes.device()).index_select(0, index).reshape(codes.sizes());
  }
  const torch::Tensor c = codes.contiguous();
  torch::Tensor out = torch::empty(codes.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
  const float* lut = table.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const auto run = [&](const auto* src) {
    using Unsigned =
        std::make_unsigned_t<std::remove_const_t<std::remove_pointer_t<decltype(src)>>>;
    at::parallel_for(0, c.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        dst[i] = lut[static_cast<Unsigned>(src[i]) & mask];
      }
    });
  };
  switch (c.scalar_type()) {
    case torch::kUInt8:
      run(c.data_ptr<std::uint8_t>());
      break;
    case torch::kInt8:
      run(c.data_ptr<std::int8_t>());
      break;
    case torch::kInt16:
      run(c.data_ptr<std::int16_t>());
      break;
    default:
      run(c.data_ptr<std::int32_t>());
      break;
  }
  return out;
}

}  // namespace lowvolt::host
