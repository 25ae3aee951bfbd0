#include "lowvolt/nn/models.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lowvolt/common/error.h"
#include "lowvolt/nn/script_net.h"

namespace lowvolt::host {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// GroupNorm groups for `channels`: 4 channels per group, at most 32 groups, dividing evenly.
std::int64_t groups_for(std::int64_t channels) {
  std::int64_t groups = std::clamp<std::int64_t>(channels / 4, 1, 32);
  while (channels % groups != 0) --groups;
  return groups;
}

std::int64_t scaled(std::int64_t channels, double width) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(channels) * width));
}

/// conv → norm → [2×2 max pool] → ReLU. Pooling before the ReLU gives the same values (max and
/// ReLU commute) at a quarter of the ReLU's work; the module indices of the parameters
/// (body.0, body.1, ...) are the same as with the ReLU first.
void add_conv_block(torch::nn::Sequential& body, std::int64_t in, std::int64_t out,
                    std::int64_t kernel, const std::string& norm, bool pool_after) {
  body->push_back(torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(true)));
  if (norm != "none") body->push_back(ReparamNorm(norm, out));
  if (pool_after) body->push_back(MaxPool2());
  body->push_back(torch::nn::ReLU());
}

torch::nn::Sequential build_mlp(const ModelConfig& c) {
  torch::nn::Sequential body;
  body->push_back(torch::nn::Flatten());
  body->push_back(torch::nn::Linear(c.channels * c.height * c.width_px, 256));
  body->push_back(torch::nn::ReLU());
  body->push_back(torch::nn::Linear(256, 256));
  body->push_back(torch::nn::ReLU());
  body->push_back(torch::nn::Linear(256, c.classes));
  return body;
}

torch::nn::Sequential build_cnn(const ModelConfig& c) {
  torch::nn::Sequential body;
  add_conv_block(body, c.channels, 32, 3, c.norm, true);
  add_conv_block(body, 32, 64, 3, c.norm, true);
  body->push_back(torch::nn::Flatten());
  body->push_back(torch::nn::Linear(64 * (c.height / 4) * (c.width_px / 4), 128));
  body->push_back(torch::nn::ReLU());
  body->push_back(torch::nn::Linear(128, c.classes));
  return body;
}

/// SimpleNet (Hasanpour et al. 2016) as the paper uses it: 13 convolutions (3×3, the two before
/// the head 1×1) in four stages separated by 2×2 max pooling, global average pooling and one
/// linear layer; `width` scales every channel count.
struct SimpleNetLayer {
  std::int64_t channels;
  std::int64_t kernel;
  bool pool_after;
};
const std::vector<SimpleNetLayer> kSimpleNetLayers = {
    {64, 3, false},  {128, 3, false}, {128, 3, false}, {128, 3, true},
    {128, 3, false}, {128, 3, false}, {256, 3, true},  {256, 3, false},
    {256, 3, true},  {512, 3, false}, {2048, 1, false}, {256, 1, false},
    {256, 3, false}};

torch::nn::Sequential build_simplenet(const ModelConfig& c) {
  torch::nn::Sequential body;
  std::int64_t in = c.channels;
  for (const auto& layer : kSimpleNetLayers) {
    const std::int64_t out = scaled(layer.channels, c.width);
    add_conv_block(body, in, out, layer.kernel, c.norm, layer.pool_after);
    in = out;
  }
  body->push_back(torch::nn::AdaptiveAvgPool2d(1));
  body->push_back(torch::nn::Flatten());
  body->push_back(torch::nn::Linear(in, c.classes));
  return body;
}

}  // namespace

namespace {

/// Saturating arithmetic for stored_floats(): a lying header cannot wrap the count to small.
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}
std::uint64_t u(std::int64_t v) { return v < 0 ? 0 : static_cast<std::uint64_t>(v); }

/// Floats of add_conv_block(in, out, kernel, norm): weights, bias, α' and β, bn's running stats.
std::uint64_t conv_block_floats(std::int64_t in, std::int64_t out, std::int64_t kernel,
                                const std::string& norm) {
  std::uint64_t n = add(mul(mul(u(out), u(in)), mul(u(kernel), u(kernel))), u(out));
  if (norm != "none") n = add(n, mul(2, u(out)));
  if (norm == "bn") n = add(n, mul(2, u(out)));
  return n;
}

/// Floats of a Linear(in, out) with bias.
std::uint64_t linear_floats(std::uint64_t in, std::int64_t out) {
  return add(mul(in, u(out)), u(out));
}

}  // namespace

std::uint64_t ModelConfig::stored_floats() const {
  if (arch == "mlp") {
    const std::uint64_t in = mul(mul(u(channels), u(height)), u(width_px));
    return add(add(linear_floats(in, 256), linear_floats(256, 256)), linear_floats(256, classes));
  }
  if (arch == "cnn") {
    const std::uint64_t flat = mul(64, mul(u(height / 4), u(width_px / 4)));
    return add(add(conv_block_floats(channels, 32, 3, norm), conv_block_floats(32, 64, 3, norm)),
               add(linear_floats(flat, 128), linear_floats(128, classes)));
  }
  std::uint64_t n = 0;
  std::int64_t in = channels;
  for (const auto& layer : kSimpleNetLayers) {
    const std::int64_t out = scaled(layer.channels, width);
    n = add(n, conv_block_floats(in, out, layer.kernel, norm));
    in = out;
  }
  return add(n, linear_floats(u(in), classes));
}

const std::vector<std::string>& arch_names() {
  static const std::vector<std::string> names = {"mlp", "cnn", "simplenet"};
  return names;
}

void ModelConfig::validate() const {
  const auto& archs = arch_names();
  if (std::find(archs.begin(), archs.end(), arch) == archs.end()) {
    fail("model: unknown architecture '", arch, "' (known: ", join(archs), ")");
  }
  if (norm != "gn" && norm != "bn" && norm != "none") {
    fail("model: unknown normalization '", norm, "' (known: gn, bn, none)");
  }
  if (!(width > 0.0 && width <= 8.0)) fail("model: width factor ", width, " is outside (0, 8]");
  if (channels < 1 || classes < 2) {
    fail("model: need ≥ 1 input channel and ≥ 2 classes, got ", channels, " and ", classes);
  }
  const std::int64_t min_side = arch == "simplenet" ? 8 : (arch == "cnn" ? 4 : 1);
  if (height < min_side || width_px < min_side) {
    fail("model: ", arch, " needs images of at least ", min_side, "×", min_side, ", got ", height,
         "×", width_px);
  }
}

ReparamNormImpl::ReparamNormImpl(const std::string& kind_, std::int64_t channels)
    : kind(kind_), groups(groups_for(channels)) {
  LV_CHECK(kind == "gn" || kind == "bn", "normalization kind " << kind);
  alpha = register_parameter("alpha", torch::zeros({channels}));
  beta = register_parameter("beta", torch::zeros({channels}));
  if (kind == "bn") {
    running_mean = register_buffer("running_mean", torch::zeros({channels}));
    running_var = register_buffer("running_var", torch::ones({channels}));
  }
}

torch::Tensor ReparamNormImpl::forward(torch::Tensor x) {
  const auto scale = alpha + 1.0;
  if (kind == "gn") return torch::group_norm(x, groups, scale, beta, 1e-5, true);
  return torch::batch_norm(x, scale, beta, running_mean, running_var, is_training(), 0.1, 1e-5,
                           true);
}

torch::Tensor MaxPool2Impl::forward(torch::Tensor x) {
  LV_CHECK(x.dim() == 4, "MaxPool2 on a " << x.dim() << "-d tensor");
  // Training: max_pool2d's index-based backward is cheaper than maximum()'s (a Normal epoch
  // took 22 % longer with the strided form, RandBET 43 %); the values are the same.
  if (torch::GradMode::is_enabled() && x.requires_grad()) return torch::max_pool2d(x, 2);
  return max_pool_2x2(std::move(x));
}

torch::Tensor max_pool_2x2(torch::Tensor x) {
  if (x.dim() == 3) return max_pool_2x2(x.unsqueeze(0)).squeeze(0);
  LV_CHECK(x.dim() == 4, "max_pool_2x2 on a " << x.dim() << "-d tensor");
  const std::int64_t h = x.size(2) / 2;
  const std::int64_t w = x.size(3) / 2;
  if (x.size(2) % 2 != 0 || x.size(3) % 2 != 0) {
    x = x.narrow(2, 0, 2 * h).narrow(3, 0, 2 * w);  // floor mode: drop the last row/column
  }
  const auto v = x.reshape({x.size(0), x.size(1), h, 2, w, 2});
  const auto rows = torch::maximum(v.select(3, 0), v.select(3, 1));
  return torch::maximum(rows.select(4, 0), rows.select(4, 1));
}

namespace {

/// Byte kept per output of max_pool_2x2_relu: the window position of the maximum (0..3, row
/// major), plus kReluPassed when the ReLU let the gradient through.
constexpr std::uint8_t kReluPassed = 4;

/// Planes per at::parallel_for chunk: about LibTorch's grain (32 768 elements) of work each.
std::int64_t plane_grain(std::int64_t plane_elements) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, plane_elements));
}

/// One output of pool_relu_row, in scalar code (the reference for the SIMD lanes below).
inline void pool_relu_one(const float* row0, const float* row1, float* out, std::uint8_t* route) {
  const float v[4] = {row0[0], row0[1], row1[0], row1[1]};
  float m = v[0];
  std::uint8_t k = 0;
  for (std::uint8_t q = 1; q < 4; ++q) {
    if (v[q] > m || std::isnan(v[q])) {
      m = v[q];
      k = q;
    }
  }
  *out = m < 0.0F ? 0.0F : m;
  *route = m <= 0.0F ? k : static_cast<std::uint8_t>(k | kReluPassed);
}

/// Forward of one output row (w outputs) from input rows row0 and row1 (2w floats each read).
/// Only compares and selects: SSE2 lanes give the scalar code's bits; branch-free, because the
/// scalar code's data-dependent branches made this operator a quarter of a training step.
void pool_relu_row(const float* row0, const float* row1, float* out, std::uint8_t* route,
                   std::int64_t w) {
  std::int64_t j = 0;
#if defined(__SSE2__)
  const __m128 zero = _mm_setzero_ps();
  // Later element taken when greater or NaN; k is the taken position, as int32 lanes.
  const auto take = [](__m128 v, __m128& m, __m128i& k, int q) {
    const __m128 t = _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
    m = _mm_or_ps(_mm_and_ps(t, v), _mm_andnot_ps(t, m));
    const __m128i ti = _mm_castps_si128(t);
    k = _mm_or_si128(_mm_and_si128(ti, _mm_set1_epi32(q)), _mm_andnot_si128(ti, k));
  };
  for (; j + 4 <= w; j += 4) {
    const __m128 a0 = _mm_loadu_ps(row0 + 2 * j);
    const __m128 a1 = _mm_loadu_ps(row0 + 2 * j + 4);
    const __m128 b0 = _mm_loadu_ps(row1 + 2 * j);
    const __m128 b1 = _mm_loadu_ps(row1 + 2 * j + 4);
    __m128 m = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));  // window position 0
    __m128i k = _mm_setzero_si128();
    take(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), m, k, 1);
    take(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), m, k, 2);
    take(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), m, k, 3);
    _mm_storeu_ps(out + j, _mm_andnot_ps(_mm_cmplt_ps(m, zero), m));  // m < 0 → +0
    const __m128i passed = _mm_andnot_si128(_mm_castps_si128(_mm_cmple_ps(m, zero)),
                                            _mm_set1_epi32(kReluPassed));
    const __m128i r32 = _mm_or_si128(k, passed);
    const __m128i r8 = _mm_packus_epi16(_mm_packs_epi32(r32, r32), _mm_setzero_si128());
    const int bytes = _mm_cvtsi128_si32(r8);
    std::memcpy(route + j, &bytes, 4);
  }
#endif
  for (; j < w; ++j) pool_relu_one(row0 + 2 * j, row1 + 2 * j, out + j, route + j);
}

/// Backward of one output row: input-gradient rows row0 and row1 (2w floats each written) from
/// the output gradients g and the routes. 0 + g, not g: max_pool2d's backward adds the output's
/// gradient to a zero-filled tensor (so -0 arrives as +0).
void pool_relu_grad_row(const float* g, const std::uint8_t* route, float* row0, float* row1,
                        std::int64_t w) {
  std::int64_t j = 0;
#if defined(__SSE2__)
  const __m128 zero = _mm_setzero_ps();
  for (; j + 4 <= w; j += 4) {
    int bytes = 0;
    std::memcpy(&bytes, route + j, 4);
    const __m128i r8 = _mm_cvtsi32_si128(bytes);
    const __m128i r32 = _mm_unpacklo_epi16(_mm_unpacklo_epi8(r8, _mm_setzero_si128()),
                                           _mm_setzero_si128());
    const __m128i pass = _mm_cmpeq_epi32(_mm_and_si128(r32, _mm_set1_epi32(kReluPassed)),
                                         _mm_set1_epi32(kReluPassed));
    const __m128 value = _mm_and_ps(_mm_castsi128_ps(pass), _mm_add_ps(zero, _mm_loadu_ps(g + j)));
    const __m128i k = _mm_and_si128(r32, _mm_set1_epi32(3));
    __m128 at[4];
    for (int q = 0; q < 4; ++q) {
      at[q] = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k, _mm_set1_epi32(q))), value);
    }
    _mm_storeu_ps(row0 + 2 * j, _mm_unpacklo_ps(at[0], at[1]));
    _mm_storeu_ps(row0 + 2 * j + 4, _mm_unpackhi_ps(at[0], at[1]));
    _mm_storeu_ps(row1 + 2 * j, _mm_unpacklo_ps(at[2], at[3]));
    _mm_storeu_ps(row1 + 2 * j + 4, _mm_unpackhi_ps(at[2], at[3]));
  }
#endif
  for (; j < w; ++j) {
    const float passed = (route[j] & kReluPassed) != 0 ? 0.0F + g[j] : 0.0F;
    const int k = route[j] & 3;
    row0[2 * j] = k == 0 ? passed : 0.0F;
    row0[2 * j + 1] = k == 1 ? passed : 0.0F;
    row1[2 * j] = k == 2 ? passed : 0.0F;
    row1[2 * j + 1] = k == 3 ? passed : 0.0F;
  }
}

/// relu(max_pool2d(x, 2)) with LibTorch 1.13's arithmetic, written out:
///  - max_pool2d scans a window row by row and takes an element when it is greater than the
///    maximum so far or NaN (so the first of equal maxima wins, and the last NaN);
///  - relu keeps m unless m < 0 (relu(-0) = -0, relu(NaN) = NaN);
///  - relu's backward passes the gradient where its result is not ≤ 0, else writes 0;
///  - max_pool2d's backward zero-fills the input gradient and adds each output's gradient at its
///    argmax: 0 + g (so a gradient of -0 arrives as +0).
struct PoolReluFunction : torch::autograd::Function<PoolReluFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input) {
    const auto x = input.contiguous();
    const std::int64_t n = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
    const std::int64_t h = height / 2, w = width / 2;
    auto out = torch::empty({n, c, h, w}, x.options());
    auto route = torch::empty({n, c, h, w}, x.options().dtype(torch::kUInt8));
    const float* in = x.data_ptr<float>();
    float* o = out.data_ptr<float>();
    std::uint8_t* r = route.data_ptr<std::uint8_t>();
    at::parallel_for(0, n * c, plane_grain(height * width), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t p = begin; p < end; ++p) {
        for (std::int64_t i = 0; i < h; ++i) {
          const float* row0 = in + (p * height + 2 * i) * width;
          pool_relu_row(row0, row0 + width, o + (p * h + i) * w, r + (p * h + i) * w, w);
        }
      }
    });
    ctx->save_for_backward({route});
    ctx->saved_data["height"] = height;
    ctx->saved_data["width"] = width;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto route = ctx->get_saved_variables()[0];
    const auto g = grads[0].contiguous();
    const std::int64_t n = route.size(0), c = route.size(1), h = route.size(2), w = route.size(3);
    const std::int64_t height = ctx->saved_data["height"].toInt();
    const std::int64_t width = ctx->saved_data["width"].toInt();
    auto grad_input = torch::empty({n, c, height, width}, g.options());
    const float* go = g.data_ptr<float>();
    const std::uint8_t* r = route.data_ptr<std::uint8_t>();
    float* gi = grad_input.data_ptr<float>();
    at::parallel_for(0, n * c, plane_grain(height * width), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t p = begin; p < end; ++p) {
        float* plane = gi + p * height * width;
        for (std::int64_t i = 0; i < h; ++i) {
          float* row[2] = {plane + 2 * i * width, plane + (2 * i + 1) * width};
          pool_relu_grad_row(go + (p * h + i) * w, r + (p * h + i) * w, row[0], row[1], w);
          if (width % 2 != 0) row[0][width - 1] = row[1][width - 1] = 0.0F;
        }
        if (height % 2 != 0) std::fill_n(plane + (height - 1) * width, width, 0.0F);
      }
    });
    return {grad_input};
  }
};

}  // namespace

torch::Tensor max_pool_2x2_relu(const torch::Tensor& x) {
  if (x.dim() != 4 || x.scalar_type() != torch::kFloat32 || !x.device().is_cpu() ||
      x.size(2) < 2 || x.size(3) < 2) {
    return torch::relu(torch::max_pool2d(x, 2));
  }
  return PoolReluFunction::apply(x);
}

NetImpl::NetImpl(ModelConfig config_) : config(std::move(config_)) {
  config.validate();
  if (config.arch == "mlp") {
    body = build_mlp(config);
  } else if (config.arch == "cnn") {
    body = build_cnn(config);
  } else {
    body = build_simplenet(config);
  }
  register_module("body", body);
}

torch::Tensor NetImpl::forward(torch::Tensor x) {
  if (script) return script_forward(*script, x);
  if (!torch::GradMode::is_enabled()) return body->forward(x);
  // Training: a MaxPool2 and the ReLU after it run as one operation (max_pool_2x2_relu), the
  // largest single saving of a training step; the modules stay as they are (parameter names,
  // evaluation and the accelerator's walk over the body do not change).
  for (auto it = body->begin(); it != body->end(); ++it) {
    const auto next = std::next(it);
    if (next != body->end() && it->ptr()->as<MaxPool2Impl>() != nullptr) {
      const auto* relu = next->ptr()->as<torch::nn::ReLUImpl>();
      if (relu != nullptr && !relu->options.inplace() && x.requires_grad()) {
        x = max_pool_2x2_relu(x);
        it = next;
        continue;
      }
    }
    x = it->forward(x);
  }
  return x;
}

void NetImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (script) script_train(*script, on);
}

std::vector<torch::Tensor> NetImpl::memory_parameters() const {
  if (script) return script_memory(*script);
  std::vector<torch::Tensor> out;
  for (const auto& module : body->children()) {
    if (const auto* conv = module->as<torch::nn::Conv2dImpl>()) {
      out.push_back(conv->weight);
      if (conv->bias.defined()) out.push_back(conv->bias);
    } else if (const auto* linear = module->as<torch::nn::LinearImpl>()) {
      out.push_back(linear->weight);
      if (linear->bias.defined()) out.push_back(linear->bias);
    }
  }
  return out;
}

std::vector<std::string> NetImpl::memory_parameter_names() const {
  if (script) return script_memory_names(*script);
  std::vector<std::string> out;
  const auto children = body->named_children();
  for (const auto& item : children) {
    const auto& module = item.value();
    const bool conv = module->as<torch::nn::Conv2dImpl>() != nullptr;
    const bool linear = module->as<torch::nn::LinearImpl>() != nullptr;
    if (!conv && !linear) continue;
    out.push_back("body." + item.key() + ".weight");
    const auto params = module->named_parameters(false);
    if (params.contains("bias")) out.push_back("body." + item.key() + ".bias");
  }
  return out;
}

std::int64_t memory_numel(const Net& net) {
  std::int64_t n = 0;
  for (const auto& p : net->memory_parameters()) n += p.numel();
  return n;
}

void check_image_shape(const Net& net, const torch::Tensor& images, const std::string& what) {
  const ModelConfig& c = net->config;
  if (c.channels > 0 && (images.dim() != 4 || images.size(1) != c.channels ||
                         images.size(2) != c.height || images.size(3) != c.width_px)) {
    fail(what, " are ", images.sizes().slice(1), ", the model expects ", c.channels, "×", c.height,
         "×", c.width_px);
  }
}

}  // namespace lowvolt::host
