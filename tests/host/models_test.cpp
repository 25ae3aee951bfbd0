// Models, the weight-memory glue (quantize → flat codes → dequantize into the parameters) and the
// model file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "lowvolt/common/error.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/weight_memory.h"

namespace fs = std::filesystem;
using lowvolt::host::MaxPool2;
using lowvolt::host::ModelConfig;
using lowvolt::host::Net;

namespace {

Net make(const std::string& arch, const std::string& norm = "gn", std::int64_t channels = 1,
         std::int64_t side = 28) {
  torch::manual_seed(0);
  ModelConfig c;
  c.arch = arch;
  c.norm = norm;
  c.channels = channels;
  c.height = side;
  c.width_px = side;
  c.width = arch == "simplenet" ? 0.25 : 1.0;
  return Net(c);
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("lowvolt_models_" + name)).string();
}

}  // namespace

// Every architecture maps a batch to one logit per class, with GN, BN and no normalization.
TEST(Models, ForwardShapes) {
  for (const std::string arch : {"mlp", "cnn", "simplenet"}) {
    for (const std::string norm : {"gn", "bn", "none"}) {
      Net net = make(arch, norm);
      const auto out = net->forward(torch::rand({3, 1, 28, 28}));
      EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{3, 10})) << arch << " " << norm;
    }
  }
  Net cifar = make("cnn", "gn", 3, 32);
  EXPECT_EQ(cifar->forward(torch::rand({2, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{2, 10}));
}

// The cnn has the layer sizes: its memory holds conv 1→32, conv 32→64, fc 3136→128, fc 128→10.
// The strided 2×2 max pool is max_pool2d(x, 2) value for value (even and odd sizes, floor mode),
// and pooling before the ReLU gives the ReLU-then-pool result exactly.
TEST(Models, MaxPool2MatchesMaxPool2d) {
  torch::manual_seed(3);
  MaxPool2 pool;
  for (const auto& shape : std::vector<std::vector<std::int64_t>>{{4, 3, 8, 8}, {2, 5, 7, 9}, {1, 1, 2, 2}}) {
    const auto x = torch::randn(shape);
    const auto expected = torch::max_pool2d(x, 2);
    const auto got = pool->forward(x);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::equal(got, expected));
    EXPECT_TRUE(torch::equal(torch::relu(pool->forward(x)), torch::max_pool2d(torch::relu(x), 2)));
  }
  // gradients reach the maximum of each window
  auto x = torch::tensor({1.0F, 4.0F, 2.0F, 3.0F}).reshape({1, 1, 2, 2}).requires_grad_();
  pool->forward(x).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad().flatten(), torch::tensor({0.0F, 1.0F, 0.0F, 0.0F})));
}

namespace {

/// Same bits (a float tensor's -0 and +0, and NaN payloads, differ here; torch::equal says equal).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a.contiguous().view(torch::kInt32),
                                                 b.contiguous().view(torch::kInt32));
}

/// Inputs with what separates implementations: ties of the maximum (values on a coarse grid),
/// zeros of both signs, negative windows, -inf, and NaN in a few windows.
torch::Tensor awkward_input(const std::vector<std::int64_t>& shape) {
  auto x = torch::randint(-3, 4, shape).to(torch::kFloat32) * 0.5F;
  auto flat = x.view({-1});
  const std::int64_t n = flat.numel();
  for (std::int64_t k = 0; k < n; k += 7) flat[k] = -0.0F;
  for (std::int64_t k = 3; k < n; k += 29) flat[k] = -std::numeric_limits<float>::infinity();
  for (std::int64_t k = 11; k < n; k += 53) flat[k] = std::numeric_limits<float>::quiet_NaN();
  return x;
}

}  // namespace

// The fused training operator equals max_pool2d followed by relu bit for bit, forward and
// backward: ties, ±0, NaN, -inf, odd sizes (floor mode), and an upstream gradient with -0.
TEST(Models, PoolReluMatchesMaxPool2dThenRelu) {
  torch::manual_seed(5);
  for (const auto& shape : std::vector<std::vector<std::int64_t>>{
           {4, 3, 8, 8}, {2, 5, 7, 9}, {1, 1, 2, 2}, {3, 2, 3, 2}, {128, 32, 28, 28}}) {
    const auto x = awkward_input(shape);
    auto a = x.clone().requires_grad_();
    auto b = x.clone().requires_grad_();
    const auto fused = lowvolt::host::max_pool_2x2_relu(a);
    const auto plain = torch::relu(torch::max_pool2d(b, 2));
    ASSERT_TRUE(same_bits(fused, plain)) << c10::IntArrayRef(shape);
    auto g = torch::randint(-2, 3, fused.sizes()).to(torch::kFloat32);
    g.view({-1}).index_put_({torch::arange(0, g.numel(), 5)}, -0.0F);
    fused.backward(g);
    plain.backward(g);
    EXPECT_TRUE(same_bits(a.grad(), b.grad())) << c10::IntArrayRef(shape);
  }
}

// In training a cnn runs its pool and ReLU fused: logits and every parameter's gradient are the
// bits of the modules run one by one (body->forward).
TEST(Models, FusedTrainingForwardEqualsModules) {
  for (const std::string norm : {"gn", "bn"}) {
    Net net = make("cnn", norm);
    net->train();
    const auto x = torch::rand({16, 1, 28, 28});
    const auto labels = torch::randint(0, 10, {16});
    auto grads = [&](const torch::Tensor& logits) {
      for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();  // fresh, not 0 + g
      torch::nn::functional::cross_entropy(logits, labels).backward();
      std::vector<torch::Tensor> out;
      for (const auto& p : net->parameters()) out.push_back(p.grad().clone());
      return out;
    };
    const auto fused_logits = net->forward(x);
    const auto fused = grads(fused_logits);
    const auto plain_logits = net->body->forward(x);
    const auto plain = grads(plain_logits);
    ASSERT_TRUE(same_bits(fused_logits, plain_logits)) << norm;
    ASSERT_EQ(fused.size(), plain.size());
    for (std::size_t k = 0; k < fused.size(); ++k) {
      EXPECT_TRUE(same_bits(fused[k], plain[k])) << norm << " parameter " << k;
    }
  }
}

TEST(Models, CnnMemoryLayout) {
  Net net = make("cnn");
  const auto params = net->memory_parameters();
  const auto names = net->memory_parameter_names();
  ASSERT_EQ(params.size(), 8u);
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(params[0].sizes(), (std::vector<std::int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(params[2].sizes(), (std::vector<std::int64_t>{64, 32, 3, 3}));
  EXPECT_EQ(params[4].sizes(), (std::vector<std::int64_t>{128, 64 * 7 * 7}));
  EXPECT_EQ(params[6].sizes(), (std::vector<std::int64_t>{10, 128}));
  EXPECT_EQ(lowvolt::host::memory_numel(net), 32 * 9 + 32 + 64 * 32 * 9 + 64 + 3136 * 128 + 128 + 1290);
  const auto named = net->named_parameters();
  for (std::size_t k = 0; k < names.size(); ++k) {
    EXPECT_TRUE(named[names[k]].is_same(params[k])) << names[k];
  }
}

// Normalization starts as the identity affine map: scale 1 + α' with α' = 0 and shift 0, so
// clipping all parameters to [-wmax, wmax] keeps the scale near 1.
TEST(Models, ReparameterisedNormStartsAtIdentity) {
  lowvolt::host::ReparamNorm norm("gn", 32);
  EXPECT_TRUE(torch::equal(norm->alpha, torch::zeros({32})));
  const auto x = torch::randn({2, 32, 4, 4});
  const auto expected = torch::group_norm(x, norm->groups, {}, {}, 1e-5);
  EXPECT_TRUE(torch::allclose(norm->forward(x), expected, 1e-5, 1e-6));
}

// The same seed builds the same weights.
TEST(Models, SeededInitialisation) {
  Net a = make("cnn");
  Net b = make("cnn");
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  for (std::size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k]));
}

// Loading the clean codes writes each parameter's own quantize→dequantize round trip (per-layer
// ranges); a flipped word changes only the parameter that holds it; FloatBackup restores floats.
TEST(WeightMemory, LoadCleanAndFaulty) {
  Net net = make("cnn");
  const auto params = net->memory_parameters();
  std::vector<torch::Tensor> floats;
  for (const auto& p : params) floats.push_back(p.detach().clone());
  const auto scheme = lowvolt::host::QuantScheme::preset("normal", 8);
  const lowvolt::host::Quantizer quantizer(scheme);
  const lowvolt::host::WeightMemory memory(scheme, params);
  ASSERT_EQ(memory.numel(), lowvolt::host::memory_numel(net));
  const lowvolt::host::FloatBackup backup(params);

  memory.load(memory.codes(), params);
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto expected = quantizer.dequantize(quantizer.quantize(floats[k]));
    EXPECT_TRUE(torch::equal(params[k], expected)) << k;
  }
  // Flip the sign bit of the first word of parameter 4 (the first fc weight).
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < 4; ++k) offset += params[k].numel();
  auto faulty = memory.codes().clone();
  faulty[offset] = faulty[offset].bitwise_xor(0x80);
  const auto before = params[4].detach().clone();
  memory.load(faulty, params);
  EXPECT_EQ(params[4].ne(before).sum().item<std::int64_t>(), 1);
  EXPECT_EQ(params[3].ne(quantizer.dequantize(quantizer.quantize(floats[3]))).sum().item<std::int64_t>(), 0);

  backup.restore(params);
  for (std::size_t k = 0; k < params.size(); ++k) EXPECT_TRUE(torch::equal(params[k], floats[k]));
}

// Clipping clamps every value into [-wmax, wmax] and leaves smaller values alone.
TEST(WeightMemory, Clip) {
  auto t = torch::tensor({-0.5f, -0.05f, 0.0f, 0.07f, 0.3f});
  lowvolt::host::clip_parameters({t}, 0.1);
  EXPECT_TRUE(torch::equal(t, torch::tensor({-0.1f, -0.05f, 0.0f, 0.07f, 0.1f})));
}

// A model file round-trips weights, buffers, configuration, scheme, options and metrics, and the
// rebuilt network computes the same logits.
TEST(ModelFile, RoundTrip) {
  Net net = make("cnn", "bn");
  net->eval();
  auto file = lowvolt::host::snapshot(net, lowvolt::host::QuantScheme::preset("rquant", 4));
  file.training = {{"epochs", "3"}, {"method", "randbet"}};
  file.metrics = {{"test_error", 0.125}};
  const std::string path = temp_path("roundtrip.lvm");
  lowvolt::host::save_model_file(file, path);
  const auto loaded = lowvolt::host::load_model_file(path);
  fs::remove(path);
  EXPECT_EQ(loaded.model.arch, "cnn");
  EXPECT_EQ(loaded.model.norm, "bn");
  EXPECT_EQ(loaded.quant.name(), file.quant.name());
  EXPECT_EQ(loaded.quant.bits, 4);
  EXPECT_EQ(loaded.training, file.training);
  EXPECT_EQ(loaded.metrics, file.metrics);
  EXPECT_EQ(loaded.memory, net->memory_parameter_names());
  ASSERT_EQ(loaded.tensors.size(), file.tensors.size());
  Net copy = lowvolt::host::instantiate(loaded);
  copy->eval();
  const auto x = torch::rand({4, 1, 28, 28});
  EXPECT_TRUE(torch::equal(net->forward(x), copy->forward(x)));
}

// A file that is not a model file, a truncated one and one missing a tensor are errors naming
// the problem.
TEST(ModelFileErrors, BadFiles) {
  const std::string path = temp_path("bad.lvm");
  {
    std::ofstream out(path, std::ios::binary);
    out << "not a model";
  }
  EXPECT_THROW(lowvolt::host::load_model_file(path), lowvolt::Error);
  Net net = make("mlp");
  auto file = lowvolt::host::snapshot(net, lowvolt::host::QuantScheme::preset("normal", 8));
  lowvolt::host::save_model_file(file, path);
  const auto size = fs::file_size(path);
  fs::resize_file(path, size - 100);
  try {
    lowvolt::host::load_model_file(path);
    FAIL() << "expected lowvolt::Error";
  } catch (const lowvolt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  fs::remove(path);
  file.tensors.pop_back();
  EXPECT_THROW(lowvolt::host::instantiate(file), lowvolt::Error);
  EXPECT_THROW(lowvolt::host::load_model_file(temp_path("missing.lvm")), lowvolt::Error);
}

/// CRC-32 (IEEE 802.3, reflected, as zlib), bit by bit: an independent reference for the trailer.
std::uint32_t reference_crc32(const std::string& bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (const char c : bytes) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Writes `body` with a fresh CRC-32 trailer (version 2) or as it is (version 1).
void write_with_trailer(const std::string& path, const std::string& body, bool trailer) {
  std::string out = body;
  if (trailer) {
    const std::uint32_t crc = reference_crc32(body);
    out.append(reinterpret_cast<const char*>(&crc), 4);
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
}

/// Rewrites the model file at `path` (version 2) with its JSON header changed by `edit`, the
/// data kept and the trailer recomputed, so that only the edited field can be at fault.
void edit_header(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data() + 8, 8);
  auto header = nlohmann::json::parse(bytes.substr(16, length));
  edit(header);
  const std::string text = header.dump();
  const std::uint64_t new_length = text.size();
  std::string out = bytes.substr(0, 8);
  out.append(reinterpret_cast<const char*>(&new_length), 8);
  out += text;
  out += bytes.substr(16 + length, bytes.size() - 16 - length - 4);
  write_with_trailer(path, out, true);
}

// Version 2 files end in the CRC-32 of everything before it (checked against a bit-by-bit
// reference); one flipped byte anywhere — a weight, a digit of an offset in the header, the
// trailer itself — is refused naming the file (it loaded silently, with other weights, before).
TEST(ModelFileErrors, ChecksumCatchesEveryFlippedByte) {
  Net net = make("mlp");
  const auto file = lowvolt::host::snapshot(net, lowvolt::host::QuantScheme::preset("normal", 8));
  const std::string path = temp_path("crc.lvm");
  lowvolt::host::save_model_file(file, path);
  const std::string good = slurp(path);
  std::uint32_t trailer = 0;
  std::memcpy(&trailer, good.data() + good.size() - 4, 4);
  EXPECT_EQ(trailer, reference_crc32(good.substr(0, good.size() - 4)));
  const std::size_t offset_digit = good.find("\"offset\":4") + 10;  // a digit inside the header
  for (const std::size_t at : {good.size() / 2, offset_digit, good.size() - 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x04);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    try {
      lowvolt::host::load_model_file(path);
      ADD_FAILURE() << "a flipped byte at " << at << " loaded";
    } catch (const lowvolt::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": corrupt or truncated model file"), std::string::npos) << e.what();
    }
  }
  fs::remove(path);
}

// stored_floats() is what a built Net holds (parameters and buffers), for every architecture and
// normalization: the bound a model file's data is checked against before anything is built.
TEST(Models, StoredFloatsWithoutBuilding) {
  for (const std::string arch : {"mlp", "cnn", "simplenet"}) {
    for (const std::string norm : {"gn", "bn", "none"}) {
      ModelConfig c;
      c.arch = arch;
      c.norm = norm;
      c.width = arch == "simplenet" ? 0.25 : 1.0;
      c.channels = 3;
      c.height = 32;
      c.width_px = 32;
      Net net(c);
      std::uint64_t floats = 0;
      for (const auto& p : net->parameters()) floats += static_cast<std::uint64_t>(p.numel());
      for (const auto& b : net->buffers()) floats += static_cast<std::uint64_t>(b.numel());
      EXPECT_EQ(c.stored_floats(), floats) << arch << "/" << norm;
    }
  }
  ModelConfig huge;
  huge.arch = "mlp";
  huge.channels = huge.height = huge.width_px = std::int64_t{1} << 40;
  EXPECT_EQ(huge.stored_floats(), UINT64_MAX);  // saturates, never wraps
}

// A version 1 file (no trailer) still loads, the same tensors, with a warning naming it.
TEST(ModelFile, ReadsVersion1WithWarning) {
  Net net = make("mlp");
  const auto file = lowvolt::host::snapshot(net, lowvolt::host::QuantScheme::preset("normal", 8));
  const std::string path = temp_path("v1.lvm");
  lowvolt::host::save_model_file(file, path);
  std::string bytes = slurp(path);
  bytes.resize(bytes.size() - 4);
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data() + 8, 8);
  auto header = nlohmann::json::parse(bytes.substr(16, length));
  header["version"] = 1;
  const std::string text = header.dump();
  const std::uint64_t new_length = text.size();
  std::string v1 = bytes.substr(0, 8);
  v1.append(reinterpret_cast<const char*>(&new_length), 8);
  v1 += text + bytes.substr(16 + length);
  write_with_trailer(path, v1, false);
  ::testing::internal::CaptureStderr();
  const auto loaded = lowvolt::host::load_model_file(path);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find(path + ": model file version 1 has no checksum"), std::string::npos) << warning;
  ASSERT_EQ(loaded.tensors.size(), file.tensors.size());
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    EXPECT_TRUE(torch::equal(loaded.tensors[i].second, file.tensors[i].second)) << file.tensors[i].first;
  }
  fs::remove(path);
}

// Numbers in the header are taken exactly or refused, naming the file and the field: element
// counts that overflow 64 bits ([2^32, 2^32], [2^62]) do not wrap past the size check, fractional
// or huge offsets are not truncated into other weights, and integers too large for their field
// (bits = 2^40 + 8, version = 2^32 + 1) are not narrowed into valid ones.
TEST(ModelFileErrors, HeaderNumbersAreExact) {
  Net net = make("mlp");
  const auto file = lowvolt::host::snapshot(net, lowvolt::host::QuantScheme::preset("normal", 8));
  const std::string path = temp_path("numbers.lvm");
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> cases = {
      {"shape", [](nlohmann::json& h) { h["tensors"][0]["shape"] = {1ULL << 32, 1ULL << 32}; }},
      {"shape", [](nlohmann::json& h) { h["tensors"][0]["shape"] = {1ULL << 62}; }},
      {"offset", [](nlohmann::json& h) { h["tensors"][1]["offset"] = 1.5; }},
      {"offset", [](nlohmann::json& h) { h["tensors"][1]["offset"] = 1e308; }},
      {"quant.bits", [](nlohmann::json& h) { h["quant"]["bits"] = (1ULL << 40) + 8; }},
      {"version", [](nlohmann::json& h) { h["version"] = (1ULL << 32) + 1; }},
      {"model.classes", [](nlohmann::json& h) { h["model"]["classes"] = 1e7; }},
      {"needs", [](nlohmann::json& h) { h["model"]["classes"] = 10000000; }},
      {"needs", [](nlohmann::json& h) { h["model"]["height"] = 1000000; }},
      {"needs", [](nlohmann::json& h) { h["model"]["channels"] = 1000000000; }},
  };
  for (const auto& [field, edit] : cases) {
    lowvolt::host::save_model_file(file, path);
    ASSERT_NO_THROW(lowvolt::host::load_model_file(path));
    edit_header(path, edit);
    try {
      lowvolt::host::load_model_file(path);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const lowvolt::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
  fs::remove(path);
}

// Unknown architectures or normalizations and impossible input sizes are errors.
TEST(ModelsErrors, BadConfig) {
  ModelConfig c;
  c.arch = "resnet";
  EXPECT_THROW(c.validate(), lowvolt::Error);
  c = ModelConfig{};
  c.norm = "ln";
  EXPECT_THROW(c.validate(), lowvolt::Error);
  c = ModelConfig{};
  c.height = 2;
  EXPECT_THROW(c.validate(), lowvolt::Error);
}
