// Tests of the reference-code quantization variants (issue 16, docs/quantization-variants.md):
// ε-widened ranges, the 2^(m-1) unsigned offset, clamping of dequantized values and the fixed
// range [-1, 1], each pinned against values computed by hand in the comments; and the .lvm file
// recording them (old files without the keys load with every variant off).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "lowvolt/common/error.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"

namespace lowvolt::host {
namespace {

torch::Tensor values(std::initializer_list<float> v) { return torch::tensor(std::vector<float>(v)); }

std::vector<int> codes_of(const torch::Tensor& codes) {
  std::vector<int> out;
  const auto c = codes.to(torch::kInt32).contiguous();
  for (std::int64_t i = 0; i < c.numel(); ++i) out.push_back(c.data_ptr<std::int32_t>()[i]);
  return out;
}

// Symmetric ε: qmax = 0.5 + 0.001, Δ = 0.501/127; 0.5 → trunc(126.75) = 126 (LowVolt: 127),
// -0.25 → trunc(-63.37) = -63 → 193 in two's complement.
TEST(FidelityQuant, EpsilonWidensTheSymmetricRangeByHand) {
  QuantScheme s = QuantScheme::preset("normal", 8);
  const torch::Tensor w = values({0.5f, -0.25f});
  EXPECT_EQ(codes_of(Quantizer(s).quantize(w).codes), (std::vector<int>{127, 193}));
  s.set_variants("eps");
  const QuantizedTensor q = Quantizer(s).quantize(w);
  EXPECT_DOUBLE_EQ(q.params.qmax, 0.501);
  EXPECT_DOUBLE_EQ(q.params.delta, 0.501 / 127.0);
  EXPECT_EQ(codes_of(q.codes), (std::vector<int>{126, 193}));
  // With clipping at 0.1 the reference caps max|w| + ε at the bound: qmax = min(0.101, 0.1).
  s.wmax = 0.1;
  EXPECT_DOUBLE_EQ(Quantizer(s).params_for(w).qmax, 0.1);
}

// Asymmetric ε: range [-0.2, 0.6] (C = 0.2, half width 0.4), Δ = 1.001/127 in the normalised
// domain; the top code 127 + 127 = 254 reads 0.2 + 0.4·1.001 = 0.6004 (LowVolt's Δ: exactly 0.6).
TEST(FidelityQuant, EpsilonWidensTheAsymmetricStepByHand) {
  QuantScheme s = QuantScheme::preset("rquant", 8);
  s.set_variants("eps");
  const Quantizer q(s);
  const QuantizedTensor qt = q.quantize(values({-0.2f, 0.6f}));
  EXPECT_DOUBLE_EQ(qt.params.delta, 1.001 / 127.0);
  // 0.6: x = 127/1.001 = 126.87 → round 127 → code 254; -0.2 → -127 → code 0.
  EXPECT_EQ(codes_of(qt.codes), (std::vector<int>{0, 254}));
  const auto w = q.dequantize(torch::tensor({254}, torch::kUInt8), qt.params);
  EXPECT_NEAR(w.item<double>(), 0.6004, 1e-7);
}

// Half offset: z = 128 instead of 127; the centre C = 0.2 of [-0.2, 0.6] is code 128 (LowVolt:
// 127), and code 0 holds v = -128: C - 128·0.4/127 = -0.203149606.
TEST(FidelityQuant, HalfOffsetStoresVPlus128ByHand) {
  QuantScheme s = QuantScheme::preset("rquant", 8);
  const torch::Tensor w = values({-0.2f, 0.2f, 0.6f});
  EXPECT_EQ(codes_of(Quantizer(s).quantize(w).codes), (std::vector<int>{0, 127, 254}));
  s.set_variants("half-offset");
  const Quantizer q(s);
  const QuantizedTensor qt = q.quantize(w);
  EXPECT_EQ(qt.params.zero_point(), 128);
  EXPECT_EQ(qt.params.code_vmin(), -128);
  EXPECT_EQ(qt.params.code_vmax(), 127);
  EXPECT_EQ(codes_of(qt.codes), (std::vector<int>{1, 128, 255}));
  EXPECT_NEAR(q.dequantize(torch::tensor({0}, torch::kUInt8), qt.params).item<double>(),
              0.2 - 128 * 0.4 / 127, 1e-7);
  // Signed codes have no offset: the variant is refused there.
  QuantScheme bad = QuantScheme::preset("normal", 8);
  bad.half_offset = true;
  EXPECT_THROW(bad.validate(), Error);
}

// Clamp: with z = 127, code 255 holds v = 128 and reads qmax + S = 0.6 + 0.4/127 = 0.6031496
// without the clamp, exactly qmax = 0.6 with it; in-range codes are unchanged.
TEST(FidelityQuant, ClampReadsOutOfRangeCodesAsTheRangeEndByHand) {
  QuantScheme s = QuantScheme::preset("rquant", 8);
  const torch::Tensor w = values({-0.2f, 0.6f});
  const QuantizedTensor plain = Quantizer(s).quantize(w);
  const torch::Tensor probe = torch::tensor({255, 254, 0}, torch::kUInt8);
  const auto a = Quantizer(s).dequantize(probe, plain.params);
  EXPECT_NEAR(a[0].item<double>(), 0.6 + 0.4 / 127, 1e-7);
  s.set_variants("clamp");
  const QuantizedTensor clamped = Quantizer(s).quantize(w);
  const auto b = Quantizer(s).dequantize(probe, clamped.params);
  EXPECT_FLOAT_EQ(b[0].item<float>(), 0.6f);
  EXPECT_FLOAT_EQ(b[1].item<float>(), a[1].item<float>());
  EXPECT_FLOAT_EQ(b[2].item<float>(), a[2].item<float>());
}

// Fixed range: [-1, 1] whatever the weights; Δ = 1/127, 0.05 → trunc(6.35) = 6, -0.3 →
// trunc(-38.1) = -38 → 218, 1.5 saturates at 127.
TEST(FidelityQuant, FixedRangeIgnoresTheWeightsByHand) {
  const QuantScheme s = QuantScheme::preset("fixed", 8);
  EXPECT_EQ(s.name(), "fixed");
  const QuantizedTensor q = Quantizer(s).quantize(values({0.05f, -0.3f, 1.5f}));
  EXPECT_DOUBLE_EQ(q.params.qmax, 1.0);
  EXPECT_DOUBLE_EQ(q.params.delta, 1.0 / 127);
  EXPECT_EQ(codes_of(q.codes), (std::vector<int>{6, 218, 127}));
}

// Names and variant lists read back; unknown words name the option.
TEST(FidelityQuant, VariantNamesAndErrors) {
  QuantScheme s = QuantScheme::preset("rquant", 4);
  EXPECT_EQ(s.variants(), "none");
  s.set_variants("reference");
  EXPECT_EQ(s.variants(), "eps,half-offset,clamp");
  EXPECT_EQ(s.name(), "rquant,eps=0.001,half-offset,clamp");
  s.set_variants("none");
  EXPECT_EQ(s.name(), "rquant");
  try {
    s.set_variants("eps,bogus");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'--quant-variant': unknown variant 'bogus'"),
              std::string::npos)
        << e.what();
  }
}

// A .lvm file records the variants and reads them back; a file without them (every file written
// before) loads with all off, so its evaluation is unchanged.
TEST(FidelityQuant, ModelFileRecordsVariants) {
  ModelConfig config;
  config.arch = "mlp";
  config.channels = 1;
  config.height = 4;
  config.width_px = 4;
  config.classes = 3;
  torch::manual_seed(3);
  Net net(config);
  QuantScheme s = QuantScheme::preset("rquant", 6);
  s.set_variants("reference");
  const auto dir = std::filesystem::temp_directory_path() / "lowvolt_fidelity_quant";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "variants.lvm").string();
  save_model_file(snapshot(net, s), path);
  const ModelFile back = load_model_file(path);
  EXPECT_EQ(back.quant.name(), s.name());
  EXPECT_DOUBLE_EQ(back.quant.epsilon, 0.001);
  EXPECT_TRUE(back.quant.half_offset);
  EXPECT_TRUE(back.quant.clamp_dequantized);
  const ModelFile old =
      load_model_file(std::string(LOWVOLT_SOURCE_DIR) + "/models/cnn_normal_8bit.lvm");
  EXPECT_EQ(old.quant.variants(), "none");
  EXPECT_EQ(old.quant.fixed_range, 0.0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lowvolt::host
