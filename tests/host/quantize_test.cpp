// Tests of lowvolt::host::Quantizer: every scheme of the paper's table for m = 2..8 and 16-bit
// signed codes, checked against the defining formulas (DESIGN.md) computed independently here.
#include "lowvolt/nn/quantize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

/// Every (preset, bits) pair with codes in a uint8 tensor, except the paper's Normal, whose
/// clamp makes its end codes read as the range's ends (tested on its own below).
std::vector<QuantScheme> all_byte_schemes() {
  std::vector<QuantScheme> out;
  for (const auto& name : QuantScheme::preset_names()) {
    if (name == "paper-normal") continue;
    for (int bits = 2; bits <= 8; ++bits) out.push_back(QuantScheme::preset(name, bits));
  }
  return out;
}

/// Seeded normal weights with a few layer-like scales.
torch::Tensor sample_weights(std::int64_t n, double scale, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randn({n}, gen, torch::TensorOptions().dtype(torch::kFloat32)) * scale;
}

std::string label(const QuantScheme& s) { return s.name() + " m=" + std::to_string(s.bits); }

/// Every m-bit code as a tensor of the scheme's code dtype.
torch::Tensor all_codes(const QuantParams& p) {
  if (p.bits == 16) return torch::arange(-32768, 32768, torch::kInt32).to(torch::kInt16);
  return torch::arange(0, std::int64_t{1} << p.bits, torch::kInt32).to(torch::kUInt8);
}

// The paper's Normal (preset paper-normal: the reference's AlternativeUnsignedFixedPointQuantization
// with range 1, its q81unfp models) against the reference's formulas, by hand:
//   Δ = (1 + 0.001)/(2^(m-1) − 1); code = min(floor(clamp(w, −1, 1)/Δ + 2^(m-1)), 2^m − 1);
//   w' = clamp((code − 2^(m-1))·Δ, −1, 1).
// m = 8, Δ = 1.001/127 = 0.0078819: w = −1.5 and −1 → −126.873 + 128 = 1.127 → 1; −0.5 →
// −63.437 + 128 = 64.563 → 64 (LowVolt's signed `fixed` gives v = −63 here); −0.0039 → 127.505
// → 127; 0 → 128; 0.0039 → 128.495 → 128; 0.5 → 191.437 → 191; 0.9999 → 254.86 → 254; 1 and
// 1.5 → 254.873 → 254. Dequantized: code 0 → −128Δ = −1.00888, clamped to −1; 1 → −127Δ =
// −1.001 → −1; 64 → −64Δ = −0.504441; 128 → 0; 191 → 63Δ = 0.496559; 255 → 127Δ = 1.001 → 1.
// m = 4, Δ = 1.001/7 = 0.143: −0.5 → −3.497 + 8 = 4.503 → 4; 0.5 → 11.497 → 11; 1 → 14.993 →
// 14; −1 → 1.007 → 1. Fails with trunc instead of floor (−0.5 → 65), without the input clamp
// (1.5 → 255) or with the clamp at ±(1 + ε).
TEST(Quantize, PaperNormalFollowsTheReferenceFormulas) {
  const torch::Tensor w = torch::tensor(
      {-1.5, -1.0, -0.5, -0.0039, 0.0, 0.0039, 0.5, 0.9999, 1.0, 1.5}, torch::kFloat32);
  const Quantizer q8(QuantScheme::preset("paper-normal", 8));
  const QuantizedTensor c8 = q8.quantize(w);
  const std::vector<int> want8 = {1, 1, 64, 127, 128, 128, 191, 254, 254, 254};
  for (std::size_t i = 0; i < want8.size(); ++i) {
    EXPECT_EQ(c8.codes[static_cast<std::int64_t>(i)].item<int>(), want8[i]) << "w = " << w[i].item<float>();
  }
  EXPECT_EQ(c8.params.zero_point(), 128);
  const torch::Tensor codes = torch::tensor({0, 1, 64, 128, 191, 255}, torch::kUInt8);
  const torch::Tensor back = q8.dequantize(codes, c8.params);
  const double d = 1.001 / 127.0;
  const std::vector<double> want_w = {-1.0, -1.0, -64 * d, 0.0, 63 * d, 1.0};
  for (std::size_t i = 0; i < want_w.size(); ++i) {
    EXPECT_NEAR(back[static_cast<std::int64_t>(i)].item<double>(), want_w[i], 1e-7) << "code " << i;
  }
  const Quantizer q4(QuantScheme::preset("paper-normal", 4));
  const torch::Tensor c4 = q4.quantize(torch::tensor({-0.5, 0.5, 1.0, -1.0}, torch::kFloat32)).codes;
  EXPECT_EQ(c4[0].item<int>(), 4);
  EXPECT_EQ(c4[1].item<int>(), 11);
  EXPECT_EQ(c4[2].item<int>(), 14);
  EXPECT_EQ(c4[3].item<int>(), 1);
  // the CPU loop and the operator implementation agree on it too
  const QuantParams p = q8.params_for(w);
  EXPECT_TRUE(torch::equal(quantize_with_torch_ops(w, p, 0.0), c8.codes));
  EXPECT_EQ(QuantScheme::preset("paper-normal", 8).name(), "paper-normal");
  EXPECT_THROW(QuantScheme::preset("paper-normal", 8).set_variants("eps"), lowvolt::Error);
}

// Every one of the 2^m codes of every scheme dequantizes and requantizes to itself.
TEST(Quantize, EveryCodeRoundTripsForEverySchemeAndWidth) {
  auto schemes = all_byte_schemes();
  schemes.push_back(QuantScheme::preset("normal", 16));
  schemes.push_back(QuantScheme::preset("global", 16));
  QuantScheme rounded16 = QuantScheme::preset("normal", 16);
  rounded16.rounding = true;
  schemes.push_back(rounded16);
  for (const auto& scheme : schemes) {
    const Quantizer q(scheme);
    for (double shift : {0.0, 0.3, 100.0}) {  // ranges centred, off-centre and far from zero
      const QuantParams params = q.params_for(sample_weights(1000, 0.05, 7) + shift);
      const torch::Tensor codes = all_codes(params);
      const torch::Tensor w = q.dequantize(codes, params);
      ASSERT_TRUE(torch::isfinite(w).all().item<bool>()) << label(scheme);
      EXPECT_TRUE(torch::equal(q.quantize(w, params), codes))
          << label(scheme) << " shift " << shift;
    }
  }
}

// Rounding error is at most Δ/2 and truncation error below Δ (S in weight units), per scheme.
TEST(Quantize, ErrorBoundsOfRoundingAndTruncation) {
  const torch::Tensor w = sample_weights(20000, 0.1, 11);
  for (const auto& scheme : all_byte_schemes()) {
    const Quantizer q(scheme);
    const QuantizedTensor qt = q.quantize(w);
    const double step = qt.params.scale();
    const double error =
        (q.dequantize(qt).to(torch::kFloat64) - w.to(torch::kFloat64)).abs().max().item<double>();
    const double float_slack = 4 * std::numeric_limits<float>::epsilon() * qt.params.qmax;
    if (scheme.rounding) {
      EXPECT_LE(error, step / 2 + float_slack) << label(scheme);
    } else {
      EXPECT_LT(error, step) << label(scheme);
    }
  }
}

// Symmetric truncation moves every weight toward zero: |ŵ| <= |w| and sign(ŵ) never opposes w.
TEST(Quantize, TruncationIsTowardZero) {
  const torch::Tensor w = sample_weights(5000, 0.2, 12).to(torch::kFloat64);
  for (int bits = 2; bits <= 8; ++bits) {
    const Quantizer q(QuantScheme::preset("normal", bits));
    const QuantizedTensor qt = q.quantize(w);
    const torch::Tensor back = q.dequantize(qt).to(torch::kFloat64);
    // Slack: the snap band plus float32 storage of the result.
    const double slack = qt.params.snap_tolerance() * qt.params.scale() + 1e-7 * qt.params.qmax;
    EXPECT_TRUE((back.abs() <= w.abs() + slack).all().item<bool>()) << bits;
    EXPECT_TRUE((back * w >= 0).all().item<bool>()) << bits;
  }
}

// Symmetric codes equal trunc / round of w/Δ with Δ = qmax/(2^(m-1)-1), stored two's complement.
TEST(Quantize, SymmetricCodesFollowThePaperFormula) {
  const torch::Tensor w = sample_weights(4000, 0.3, 13);
  for (bool rounding : {false, true}) {
    for (int bits = 2; bits <= 8; ++bits) {
      QuantScheme scheme = QuantScheme::preset("normal", bits);
      scheme.rounding = rounding;
      const Quantizer q(scheme);
      const QuantizedTensor qt = q.quantize(w);
      const auto wa = w.accessor<float, 1>();
      const auto ca = qt.codes.accessor<std::uint8_t, 1>();
      double qmax = 0;
      for (std::int64_t i = 0; i < w.numel(); ++i) qmax = std::max(qmax, std::abs(double(wa[i])));
      const double delta = qmax / ((1 << (bits - 1)) - 1);
      EXPECT_DOUBLE_EQ(qt.params.delta, delta);
      for (std::int64_t i = 0; i < w.numel(); ++i) {
        const double x = wa[i] / delta;
        // Truncation snaps within the documented band; the paper's trunc differs only there.
        if (std::abs(x - std::round(x)) <= qt.params.snap_tolerance()) continue;
        const auto v = static_cast<std::int64_t>(rounding ? std::nearbyint(x) : std::trunc(x));
        ASSERT_EQ(ca[i], static_cast<std::uint8_t>(v & ((1 << bits) - 1))) << bits << " " << i;
      }
    }
  }
}

// Asymmetric unsigned codes follow the paper: w' = 2(w-qmin)/(qmax-qmin)-1, v = q(w'/Δ),
// c = v + 2^(m-1)-1 with Δ = 1/(2^(m-1)-1); the range ends map to the extreme codes.
TEST(Quantize, AsymmetricUnsignedCodesFollowThePaperFormula) {
  const torch::Tensor w = sample_weights(4000, 0.3, 14) + 0.2;
  for (const char* name : {"unsigned", "rquant"}) {
    for (int bits = 2; bits <= 8; ++bits) {
      const QuantScheme scheme = QuantScheme::preset(name, bits);
      const Quantizer q(scheme);
      const QuantizedTensor qt = q.quantize(w);
      const double qmin = w.min().item<double>();
      const double qmax = w.max().item<double>();
      EXPECT_EQ(qt.params.qmin, qmin);
      EXPECT_EQ(qt.params.qmax, qmax);
      const std::int64_t z = (1 << (bits - 1)) - 1;
      const double delta = 1.0 / z;
      const auto wa = w.accessor<float, 1>();
      const auto ca = qt.codes.accessor<std::uint8_t, 1>();
      for (std::int64_t i = 0; i < w.numel(); ++i) {
        const double x = ((wa[i] - qmin) / (qmax - qmin) * 2 - 1) / delta;
        const double v = scheme.rounding ? std::nearbyint(x) : std::trunc(x);
        // Truncation snaps within the documented band; the paper's trunc differs only there.
        if (std::abs(x - std::round(x)) <= qt.params.snap_tolerance()) continue;
        ASSERT_EQ(ca[i], static_cast<std::int64_t>(v) + z) << label(scheme) << " " << i;
      }
      EXPECT_EQ(qt.codes.min().item<int>(), 0) << label(scheme);
      EXPECT_EQ(qt.codes.max().item<int>(), 2 * z) << label(scheme);
    }
  }
}

// Dequantization equals DESIGN.md's datapath form w = S·(c - z) + C for unsigned codes.
TEST(Quantize, DequantizeMatchesIntegerDatapathForm) {
  const Quantizer q(QuantScheme::preset("rquant", 8));
  const QuantizedTensor qt = q.quantize(sample_weights(3000, 0.1, 15) - 0.05);
  const auto& p = qt.params;
  const double s = p.delta * (p.qmax - p.qmin) / 2;
  const double c = (p.qmax + p.qmin) / 2;
  const torch::Tensor expected =
      ((qt.codes.to(torch::kFloat64) - double(p.zero_point())) * s + c).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(q.dequantize(qt), expected));
  EXPECT_DOUBLE_EQ(p.scale(), s);
  EXPECT_DOUBLE_EQ(p.center(), c);
}

// Codes of m < 8 bits occupy only the low m bits (upper bits zero) for every scheme.
TEST(Quantize, CodesUseOnlyTheLowBits) {
  const torch::Tensor w = sample_weights(5000, 1.0, 16);
  for (const auto& scheme : all_byte_schemes()) {
    const QuantizedTensor qt = Quantizer(scheme).quantize(w);
    EXPECT_EQ(qt.codes.scalar_type(), torch::kUInt8);
    EXPECT_LT(qt.codes.max().item<int>(), 1 << scheme.bits) << label(scheme);
  }
}

// Flipping the sign bit of a symmetric signed code moves the weight by 2^(m-1)·Δ ≈ qmax.
TEST(Quantize, SignBitFlipMovesByAboutQmax) {
  const torch::Tensor w = sample_weights(2000, 0.1, 17);
  for (int bits = 2; bits <= 8; ++bits) {
    const Quantizer q(QuantScheme::preset("normal", bits));
    const QuantizedTensor qt = q.quantize(w);
    const torch::Tensor flipped = qt.codes.bitwise_xor(1 << (bits - 1));
    const torch::Tensor moved =
        (q.dequantize(flipped, qt.params) - q.dequantize(qt)).to(torch::kFloat64).abs();
    const double qmax = qt.params.qmax;
    const double expected = qmax * (1 << (bits - 1)) / ((1 << (bits - 1)) - 1);
    EXPECT_NEAR(moved.min().item<double>(), expected, 1e-6 * qmax) << bits;
    EXPECT_NEAR(moved.max().item<double>(), expected, 1e-6 * qmax) << bits;
  }
}

// Zero weights stay exactly zero under every symmetric scheme.
TEST(Quantize, ZeroIsExactForSymmetricSchemes) {
  torch::Tensor w = sample_weights(1000, 0.1, 18);
  w.index_put_({torch::arange(0, 1000, 7)}, 0.0);
  for (const char* name : {"normal", "global"}) {
    for (int bits : {2, 3, 4, 5, 6, 7, 8, 16}) {
      QuantScheme scheme = QuantScheme::preset(name, bits);
      for (bool rounding : {false, true}) {
        scheme.rounding = rounding;
        const Quantizer q(scheme);
        const torch::Tensor back = q.dequantize(q.quantize(w));
        EXPECT_TRUE((back.index({torch::arange(0, 1000, 7)}) == 0).all().item<bool>())
            << label(scheme);
      }
    }
  }
}

// Constant, all-zero, single-element and empty tensors quantize; constants come back exactly.
TEST(Quantize, ConstantSingleAndEmptyTensors) {
  for (const auto& scheme : all_byte_schemes()) {
    if (scheme.fixed_range > 0) continue;  // "fixed": the range ignores the weights by design
    const Quantizer q(scheme);
    for (float c : {0.0f, 0.25f, -3.5f}) {
      const torch::Tensor w = torch::full({4, 3}, c);
      const torch::Tensor back = q.dequantize(q.quantize(w));
      EXPECT_TRUE(torch::equal(back, w)) << label(scheme) << " c=" << c;
    }
    const torch::Tensor one = torch::full({1}, -0.375f);
    EXPECT_TRUE(torch::equal(q.dequantize(q.quantize(one)), one)) << label(scheme);
    const QuantizedTensor empty = q.quantize(torch::zeros({0, 5}));
    EXPECT_EQ(q.dequantize(empty).sizes(), (std::vector<std::int64_t>{0, 5}));
  }
}

// 16-bit signed codes are int16 and have error below Δ with Δ = qmax/32767.
TEST(Quantize, SixteenBitSignedCodes) {
  const torch::Tensor w = sample_weights(10000, 0.5, 19);
  const Quantizer q(QuantScheme::preset("normal", 16));
  const QuantizedTensor qt = q.quantize(w);
  EXPECT_EQ(qt.codes.scalar_type(), torch::kInt16);
  EXPECT_DOUBLE_EQ(qt.params.delta, w.abs().max().item<double>() / 32767);
  const double error = (q.dequantize(qt) - w).abs().max().item<double>();
  EXPECT_LT(error, qt.params.delta);
  EXPECT_EQ(qt.codes.abs().max().item<int>(), 32767);
}

// Per-layer schemes give each tensor its own range; global schemes share the range of all.
TEST(Quantize, PerLayerAndGlobalRanges) {
  const std::vector<torch::Tensor> tensors = {sample_weights(500, 0.1, 20),
                                              sample_weights(40, 2.0, 21) + 1.0};
  const auto per_layer = Quantizer(QuantScheme::preset("normal", 8)).quantize_all(tensors);
  const auto global = Quantizer(QuantScheme::preset("global", 8)).quantize_all(tensors);
  ASSERT_EQ(per_layer.size(), 2u);
  ASSERT_EQ(global.size(), 2u);
  double all_max = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const double own = tensors[i].abs().max().item<double>();
    all_max = std::max(all_max, own);
    EXPECT_EQ(per_layer[i].params.qmax, own);
  }
  for (const auto& g : global) EXPECT_EQ(g.params.qmax, all_max);
  const auto rq = Quantizer(QuantScheme::preset("rquant", 4)).quantize_all(tensors);
  EXPECT_EQ(rq[1].params.qmin, tensors[1].min().item<double>());
  EXPECT_EQ(rq[1].params.qmax, tensors[1].max().item<double>());
}

// Clipping with wmax bounds the range and every dequantized weight to [-wmax, wmax].
TEST(Quantize, ClippingBoundsTheRange) {
  const torch::Tensor w = sample_weights(3000, 0.5, 22);
  for (const char* name : {"normal", "rquant"}) {
    QuantScheme scheme = QuantScheme::preset(name, 8);
    scheme.wmax = 0.1;
    const Quantizer q(scheme);
    const QuantizedTensor qt = q.quantize(w);
    EXPECT_LE(qt.params.qmax, scheme.wmax);
    EXPECT_GE(qt.params.qmin, -scheme.wmax);
    EXPECT_LE(q.dequantize(qt).abs().max().item<double>(), scheme.wmax * (1 + 1e-6));
    EXPECT_EQ(scheme.name(), std::string(name) + ",wmax=0.1");
  }
}

// Presets set the flags of the paper's table rows, and name() gives the preset back.
TEST(Quantize, PresetsMatchTheTableRows) {
  const QuantScheme normal = QuantScheme::preset("normal", 8);
  EXPECT_TRUE(normal.per_layer && !normal.asymmetric && !normal.unsigned_codes && !normal.rounding);
  const QuantScheme global = QuantScheme::preset("global", 8);
  EXPECT_TRUE(!global.per_layer && !global.asymmetric && !global.unsigned_codes);
  const QuantScheme rquant = QuantScheme::preset("rquant", 4);
  EXPECT_TRUE(rquant.per_layer && rquant.asymmetric && rquant.unsigned_codes && rquant.rounding);
  EXPECT_EQ(rquant.bits, 4);
  for (const auto& name : QuantScheme::preset_names()) {
    EXPECT_EQ(QuantScheme::preset(name, 6).name(), name);
  }
  QuantScheme custom = QuantScheme::preset("normal", 8);
  custom.rounding = true;
  EXPECT_EQ(custom.name(), "per-layer,symmetric,signed,round");
}

// Quantization follows the weights' device and shape and does not require grad-free inputs.
TEST(Quantize, KeepsShapeAndAcceptsParametersWithGrad) {
  const torch::Tensor w = sample_weights(24, 0.1, 23).reshape({2, 3, 4}).set_requires_grad(true);
  const Quantizer q(QuantScheme::preset("rquant", 8));
  const QuantizedTensor qt = q.quantize(w);
  EXPECT_EQ(qt.codes.sizes(), w.sizes());
  EXPECT_EQ(q.dequantize(qt).sizes(), w.sizes());
  EXPECT_EQ(q.dequantize(qt).scalar_type(), torch::kFloat32);
}

// The fused CPU loops give exactly the codes and values of the LibTorch-operator versions, for
// every scheme, float32 and float64 weights, clipping, and every code dtype.
TEST(Quantize, CpuLoopsEqualOperatorImplementation) {
  const torch::Tensor w = sample_weights(30000, 0.2, 24) + 0.01;
  auto schemes = all_byte_schemes();
  schemes.push_back(QuantScheme::preset("normal", 16));
  QuantScheme clipped = QuantScheme::preset("rquant", 8);
  clipped.wmax = 0.1;
  schemes.push_back(clipped);
  for (const auto& scheme : schemes) {
    const Quantizer q(scheme);
    for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
      const torch::Tensor x = w.to(dtype);
      const QuantParams params = q.params_for(x);
      const torch::Tensor codes = q.quantize(x, params);
      EXPECT_TRUE(torch::equal(codes, quantize_with_torch_ops(x, params, scheme.wmax)))
          << label(scheme) << " " << dtype;
      EXPECT_TRUE(
          torch::equal(q.dequantize(codes, params), dequantize_with_torch_ops(codes, params)))
          << label(scheme);
      if (scheme.bits <= 8) {
        const torch::Tensor as_int8 = codes.to(torch::kInt16).sub(128).to(torch::kInt8);
        EXPECT_TRUE(
            torch::equal(q.dequantize(as_int8, params), dequantize_with_torch_ops(as_int8, params)))
            << label(scheme);
      }
    }
  }
}

// --- error paths ---------------------------------------------------------------------------

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// NaN and Inf weights are rejected with a message naming the problem.
TEST(QuantizeErrors, NanAndInfRejected) {
  const Quantizer q(QuantScheme::preset("normal", 8));
  torch::Tensor w = torch::zeros({3, 3});
  w[1][1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { q.quantize(w); }).find("NaN or Inf"), std::string::npos);
  w[1][1] = std::numeric_limits<float>::infinity();
  EXPECT_NE(error_of([&] { q.quantize(w); }).find("NaN or Inf"), std::string::npos);
  const std::string msg = error_of([&] { q.quantize_all({torch::ones({2}), w}); });
  EXPECT_NE(msg.find("tensor 1 of 2"), std::string::npos) << msg;
}

// An unknown preset name is an error listing the known names.
TEST(QuantizeErrors, UnknownPresetListsKnownNames) {
  const std::string msg = error_of([] { QuantScheme::preset("fancy", 8); });
  EXPECT_NE(msg.find("'fancy'"), std::string::npos) << msg;
  for (const auto& name : QuantScheme::preset_names()) {
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
}

// Unsupported widths, 16-bit asymmetric/unsigned codes and negative wmax are rejected.
TEST(QuantizeErrors, InvalidSchemes) {
  for (int bits : {0, 1, 9, 12, 17, 32}) {
    EXPECT_NE(error_of([&] { QuantScheme::preset("normal", bits); }).find("bits="),
              std::string::npos)
        << bits;
  }
  EXPECT_THROW(QuantScheme::preset("rquant", 16), Error);
  QuantScheme scheme;
  scheme.wmax = -0.1;
  EXPECT_NE(error_of([&] { Quantizer{scheme}; }).find("wmax"), std::string::npos);
}

// Integer weights and float codes are rejected instead of silently converted.
TEST(QuantizeErrors, WrongDtypes) {
  const Quantizer q(QuantScheme::preset("normal", 8));
  EXPECT_THROW(q.quantize(torch::ones({3}, torch::kInt32)), Error);
  const QuantParams params = q.params_for(torch::ones({3}));
  EXPECT_THROW(q.dequantize(torch::ones({3}), params), Error);
}

}  // namespace
}  // namespace lowvolt::host
