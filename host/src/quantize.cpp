#include "lowvolt/host/quantize.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

/// Preset rows of the paper's quantization table, in table order.
const std::vector<std::string>& preset_list() {
  static const std::vector<std::string> kNames = {"global", "normal", "asymmetric", "unsigned",
                                                  "rquant"};
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
  const auto& names = preset_list();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Rejects non-floating, NaN or Inf weights with a message naming the tensor.
void check_weights(const torch::Tensor& w, const std::string& what) {
  if (!w.defined()) fail("quantize: ", what, " is an undefined tensor");
  if (!w.is_floating_point()) {
    fail("quantize: ", what, " must be a floating-point tensor, got dtype ", w.scalar_type());
  }
  if (w.numel() > 0 && !torch::isfinite(w).all().item<bool>()) {
    fail("quantize: ", what, " (shape ", shape_of(w), ") contains NaN or Inf weights");
  }
}

/// Observed range of the (clipped) weights: {min, max} and whether the tensor was non-empty.
struct Range {
  double lo = 0.0;
  double hi = 0.0;
  bool any = false;
};

Range observe(const torch::Tensor& w, double wmax) {
  Range r;
  if (w.numel() == 0) return r;
  torch::Tensor x = w.detach().to(torch::kFloat64);
  if (wmax > 0) x = x.clamp(-wmax, wmax);
  r.lo = x.min().item<double>();
  r.hi = x.max().item<double>();
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
  const double vmax = static_cast<double>(p.vmax());
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
    p.delta = 1.0 / vmax;
  } else {
    double qmax = range.any ? std::max(std::abs(range.lo), std::abs(range.hi)) : 1.0;
    if (!(qmax > 0.0)) qmax = 1.0;  // all-zero tensor: any step keeps 0 exact
    p.qmin = -qmax;
    p.qmax = qmax;
    p.delta = qmax / vmax;
  }
  return p;
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
        flags.unsigned_codes == unsigned_codes && flags.rounding == rounding) {
      found = candidate;
      break;
    }
  }
  if (!found.empty()) {
    out << found;
  } else {
    out << (per_layer ? "per-layer" : "global") << ',' << (asymmetric ? "asymmetric" : "symmetric")
        << ',' << (unsigned_codes ? "unsigned" : "signed") << ',' << (rounding ? "round" : "trunc");
  }
  if (wmax > 0) out << ",wmax=" << wmax;
  return out.str();
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
}

// --- QuantParams ---------------------------------------------------------------------------

double QuantParams::scale() const { return asymmetric ? delta * (qmax - qmin) / 2.0 : delta; }

double QuantParams::center() const { return asymmetric ? (qmax + qmin) / 2.0 : 0.0; }

std::int64_t QuantParams::zero_point() const { return unsigned_codes ? vmax() : 0; }

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

// --- Quantizer -----------------------------------------------------------------------------

Quantizer::Quantizer(QuantScheme scheme) : scheme_(std::move(scheme)) { scheme_.validate(); }

QuantParams Quantizer::params_for(const torch::Tensor& weights) const {
  check_weights(weights, "weights");
  return make_params(scheme_, observe(weights, scheme_.wmax));
}

QuantParams Quantizer::params_for_all(const std::vector<torch::Tensor>& tensors) const {
  Range range;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    check_weights(tensors[i], detail::cat("tensor ", i, " of ", tensors.size()));
    merge(range, observe(tensors[i], scheme_.wmax));
  }
  return make_params(scheme_, range);
}

QuantizedTensor Quantizer::quantize(const torch::Tensor& weights) const {
  QuantParams params = params_for(weights);
  torch::Tensor codes = quantize(weights, params);
  return {codes, params};
}

torch::Tensor Quantizer::quantize(const torch::Tensor& weights, const QuantParams& params) const {
  check_weights(weights, "weights");
  check_params(params);
  torch::NoGradGuard no_grad;
  torch::Tensor x = weights.detach().to(torch::kFloat64);
  if (scheme_.wmax > 0) x = x.clamp(-scheme_.wmax, scheme_.wmax);
  const double scale = params.scale();
  const double center = params.center();
  if (center != 0.0) x = x - center;
  x = x / scale;
  torch::Tensor v;
  if (params.rounding) {
    v = x.round();
  } else {
    // Snap to an integer within the float32 representation error of the largest weight (in code
    // steps), so that dequantized weights requantize to their code; elsewhere plain trunc.
    const double tolerance = params.snap_tolerance();
    torch::Tensor nearest = x.round();
    v = torch::where((x - nearest).abs() <= tolerance, nearest, x.trunc());
  }
  v = v.clamp(static_cast<double>(params.code_vmin()), static_cast<double>(params.code_vmax()))
          .to(torch::kInt64);
  if (params.bits == 16) return v.to(torch::kInt16);
  if (params.unsigned_codes) v = v + params.zero_point();
  return v.bitwise_and(static_cast<std::int64_t>(params.bit_mask())).to(torch::kUInt8);
}

std::vector<QuantizedTensor> Quantizer::quantize_all(
    const std::vector<torch::Tensor>& tensors) const {
  std::vector<QuantizedTensor> out;
  out.reserve(tensors.size());
  if (scheme_.per_layer) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      check_weights(tensors[i], detail::cat("tensor ", i, " of ", tensors.size()));
      const QuantParams params = make_params(scheme_, observe(tensors[i], scheme_.wmax));
      out.push_back({quantize(tensors[i], params), params});
    }
  } else {
    const QuantParams params = params_for_all(tensors);
    for (const auto& t : tensors) out.push_back({quantize(t, params), params});
  }
  return out;
}

torch::Tensor Quantizer::dequantize(const QuantizedTensor& q) const {
  return dequantize(q.codes, q.params);
}

torch::Tensor Quantizer::dequantize(const torch::Tensor& codes, const QuantParams& params) const {
  check_params(params);
  const auto dtype = codes.scalar_type();
  if (dtype != torch::kUInt8 && dtype != torch::kInt8 && dtype != torch::kInt16 &&
      dtype != torch::kInt32) {
    fail("dequantize: codes must be uint8, int8, int16 or int32, got dtype ", dtype);
  }
  torch::Tensor c = codes.to(torch::kInt64).bitwise_and(static_cast<std::int64_t>(params.bit_mask()));
  torch::Tensor v;
  if (params.unsigned_codes) {
    v = c - params.zero_point();
  } else {  // sign extension from bit m-1
    v = c - c.bitwise_and(std::int64_t{1} << (params.bits - 1)) * 2;
  }
  torch::Tensor w = v.to(torch::kFloat64) * params.scale();
  const double center = params.center();
  if (center != 0.0) w = w + center;
  return w.to(torch::kFloat32);
}

}  // namespace lowvolt::host
