// Host inference on an accelerator backend (accel_inference.h).
#include "lowvolt/host/accel_inference.h"

#include "lowvolt/host/script_accel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include "lowvolt/common/error.h"
#include "lowvolt/host/weight_memory.h"

namespace lowvolt::host {

namespace acc = lowvolt::accelerator;

struct AccelInference::MatrixLayer {
  std::size_t module = 0;   // position in net->body
  bool conv = false;
  acc::Conv2dShape shape;   // kernel, stride, padding, dilation (conv only)
  std::uint32_t out_features = 0;
  bool unsigned_input = false;  // input comes from a ReLU
  QuantParams weight;
  bool has_bias = false;
  QuantParams bias;
  std::vector<double> bias_table;  // dequantized value of every m-bit bias code
};

void AccelInferenceOptions::validate() const {
  if (batch < 1) fail("accel inference: batch = ", batch, " must be ≥ 1");
  if (instances < 1 || instances > 256) {
    fail("accel inference: instances = ", instances, " outside 1..256");
  }
  if (!(vdd >= 0.0 && vdd < 16.0)) fail("accel inference: vdd = ", vdd, " × Vmin outside [0, 16)");
}

std::vector<std::uint8_t> quantize_activations(const float* x, std::int64_t images,
                                               std::int64_t per_image, bool is_unsigned,
                                               std::vector<double>& scales) {
  const double qmax = is_unsigned ? 255.0 : 127.0;
  const double qmin = is_unsigned ? 0.0 : -127.0;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(images * per_image));
  scales.assign(static_cast<std::size_t>(images), 1.0);
  for (std::int64_t i = 0; i < images; ++i) {
    const float* xi = x + i * per_image;
    double mx = 0.0;
    for (std::int64_t j = 0; j < per_image; ++j) {
      if (!std::isfinite(xi[j])) fail("accel inference: a layer input is ", xi[j]);
      if (is_unsigned && xi[j] < 0.0f) {
        fail("accel inference: negative value ", xi[j], " in the input of a uint8 layer (image ",
             i, "); set nonnegative_input = false for signed network inputs");
      }
      mx = std::max(mx, std::fabs(static_cast<double>(xi[j])));
    }
    const double s = mx > 0.0 ? mx / qmax : 1.0;
    scales[static_cast<std::size_t>(i)] = s;
    for (std::int64_t j = 0; j < per_image; ++j) {
      const double q = std::clamp(std::nearbyint(static_cast<double>(xi[j]) / s), qmin, qmax);
      const auto qi = static_cast<std::int32_t>(q);
      out[static_cast<std::size_t>(i * per_image + j)] = static_cast<std::uint8_t>(qi & 0xff);
    }
  }
  return out;
}

std::vector<std::uint8_t> quantize_activations(const torch::Tensor& x, bool is_unsigned,
                                               std::vector<double>& scales) {
  const auto xc = x.to(torch::kFloat32).contiguous();
  const std::int64_t n = xc.size(0);
  const std::int64_t per = n == 0 ? 0 : xc.numel() / n;
  return quantize_activations(xc.data_ptr<float>(), n, per, is_unsigned, scales);
}

AccelInference::AccelInference(Net net, const QuantScheme& quant,
                               const AccelInferenceOptions& options,
                               const profiles::CellMap* profile)
    : net_(std::move(net)), quantizer_(quant), options_(options) {
  options_.validate();
  if (quant.bits > static_cast<int>(acc::hw::kMaxWbits)) {
    fail("accel inference: the accelerator stores codes of at most ", acc::hw::kMaxWbits,
         " bits, the scheme has ", quant.bits);
  }
  net_->eval();
  torch::NoGradGuard no_grad;
  const auto params = net_->memory_parameters();
  const WeightMemory memory(quant, params);
  const auto codes = memory.codes().contiguous();
  const std::uint8_t* code_ptr = codes.data_ptr<std::uint8_t>();

  std::vector<acc::LayerCodes> layer_codes;
  std::size_t param = 0;
  std::int64_t flat = 0;
  // One accelerator layer: weight w (memory parameter `param`) and bias b (the next one, or
  // undefined), codes from the weight memory in order.
  const auto add_layer = [&](MatrixLayer ml, const std::string& name, const torch::Tensor& w,
                           const torch::Tensor& b) {
    LV_CHECK(param < params.size(), "matrix layer " << name << " beyond the memory parameters");
    acc::LayerCodes lc;
    lc.name = name;
    lc.out_features = static_cast<std::uint32_t>(w.size(0));
    lc.in_features = static_cast<std::uint32_t>(w.numel() / w.size(0));
    ml.out_features = lc.out_features;
    ml.weight = memory.params().at(param);
    lc.w_signed = !ml.weight.unsigned_codes;
    lc.w_zero = static_cast<std::uint8_t>(ml.weight.zero_point());
    lc.weights.assign(code_ptr + flat, code_ptr + flat + w.numel());
    flat += w.numel();
    ++param;
    if (b.defined()) {
      ml.has_bias = true;
      ml.bias = memory.params().at(param);
      // every code's value once, so that instance threads dequantize without LibTorch
      const std::int64_t n_codes = std::int64_t{1} << quant.bits;
      const auto table = quantizer_.dequantize(torch::arange(n_codes, torch::kInt64).to(torch::kUInt8),
                                               ml.bias)
                             .to(torch::kFloat64)
                             .contiguous();
      ml.bias_table.assign(table.data_ptr<double>(), table.data_ptr<double>() + n_codes);
      lc.bias.assign(code_ptr + flat, code_ptr + flat + b.numel());
      flat += b.numel();
      ++param;
    }
    layer_codes.push_back(std::move(lc));
    layers_.push_back(ml);
  };
  if (net_->script) {
    script_graph_ = std::make_unique<ScriptAccelGraph>(net_, options_.nonnegative_input);
    for (const ScriptMatrixLayer& sl : script_graph_->layers()) {
      LV_CHECK(sl.weight == param, "TorchScript layer " << sl.node << " at memory tensor " << sl.weight
                                   << ", expected " << param);
      MatrixLayer ml;
      ml.conv = sl.conv;
      ml.shape = sl.shape;
      ml.unsigned_input = sl.unsigned_input;
      add_layer(ml, sl.node, params[sl.weight], sl.has_bias ? params[sl.weight + 1] : torch::Tensor());
    }
  }
  bool relu_input = options_.nonnegative_input;
  std::size_t position = 0;
  const torch::nn::Sequential body = net_->script ? torch::nn::Sequential() : net_->body;
  for (auto& any : *body) {
    const auto module = any.ptr();
    const auto* conv = module->as<torch::nn::Conv2dImpl>();
    const auto* linear = module->as<torch::nn::LinearImpl>();
    if (conv != nullptr || linear != nullptr) {
      MatrixLayer ml;
      ml.module = position;
      ml.conv = conv != nullptr;
      ml.unsigned_input = relu_input;
      const torch::Tensor& w = conv ? conv->weight : linear->weight;
      const torch::Tensor& b = conv ? conv->bias : linear->bias;
      if (conv) {
        const auto& o = conv->options;
        if (o.groups() != 1 || c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) == nullptr) {
          fail("accel inference: conv2d at body.", position,
               " needs groups = 1 and zero padding");
        }
        const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
        if (pad == nullptr) fail("accel inference: conv2d at body.", position, " needs explicit padding");
        ml.shape.kernel_h = static_cast<std::uint32_t>((*o.kernel_size())[0]);
        ml.shape.kernel_w = static_cast<std::uint32_t>((*o.kernel_size())[1]);
        ml.shape.stride_h = static_cast<std::uint32_t>((*o.stride())[0]);
        ml.shape.stride_w = static_cast<std::uint32_t>((*o.stride())[1]);
        ml.shape.pad_h = static_cast<std::uint32_t>((**pad)[0]);
        ml.shape.pad_w = static_cast<std::uint32_t>((**pad)[1]);
        ml.shape.dilation_h = static_cast<std::uint32_t>((*o.dilation())[0]);
        ml.shape.dilation_w = static_cast<std::uint32_t>((*o.dilation())[1]);
      }
      add_layer(ml, "body." + std::to_string(position), w, b);
      relu_input = false;
    } else if (module->as<torch::nn::ReLUImpl>() != nullptr) {
      relu_input = true;
    } else if (module->as<MaxPool2Impl>() == nullptr &&
               module->as<torch::nn::MaxPool2dImpl>() == nullptr &&
               module->as<torch::nn::AvgPool2dImpl>() == nullptr &&
               module->as<torch::nn::AdaptiveAvgPool2dImpl>() == nullptr &&
               module->as<torch::nn::FlattenImpl>() == nullptr &&
               module->as<torch::nn::DropoutImpl>() == nullptr) {
      relu_input = false;  // e.g. a normalization: values may be negative again
    }
    ++position;
  }
  LV_CHECK(param == params.size() && flat == codes.numel(),
           "memory parameters " << params.size() << " vs " << param << " matrix parameters");
  image_ = std::make_unique<acc::WeightImage>(std::move(layer_codes),
                                              static_cast<std::uint32_t>(quant.bits),
                                              options_.offset);
  for (int i = 0; i < options_.instances; ++i) {
    accels_.push_back(acc::make_accelerator(options_.backend, options_.backend_config));
    if (profile != nullptr) accels_.back()->load_profile(*profile);
    if (options_.vdd > 0.0) accels_.back()->set_vdd(options_.vdd);
    tilers_.push_back(std::make_unique<acc::Tiler>(*accels_.back(), *image_));
  }
}

AccelInference::~AccelInference() = default;

void AccelInference::set_vdd(double v_over_vmin) {
  for (auto& a : accels_) a->set_vdd(v_over_vmin);
  options_.vdd = v_over_vmin;
}

std::vector<acc::Counters> AccelInference::counters() {
  std::vector<acc::Counters> out;
  for (auto& a : accels_) out.push_back(a->counters());
  return out;
}

namespace {
/// Runs f(i) for i in [0, n) on n threads (inline when n == 1); rethrows the first error.
template <typename F>
void parallel_instances(int n, const F& f) {
  if (n == 1) {
    f(0);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      try {
        f(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}
}  // namespace

torch::Tensor AccelInference::run_layer(std::size_t index, const torch::Tensor& input,
                                        std::int64_t batch, int active) {
  const MatrixLayer& ml = layers_[index];
  const auto x = input.to(torch::kFloat32).contiguous();
  const std::int64_t images = x.size(0);
  const std::int64_t per = x.numel() / std::max<std::int64_t>(images, 1);
  std::int64_t oh = 1, ow = 1;
  acc::Conv2dShape shape = ml.shape;
  if (ml.conv) {
    if (x.dim() != 4) fail("accel inference: conv2d at body.", ml.module, " got a ", x.dim(), "-d input");
    shape.in_channels = static_cast<std::uint32_t>(x.size(1));
    shape.height = static_cast<std::uint32_t>(x.size(2));
    shape.width = static_cast<std::uint32_t>(x.size(3));
    oh = shape.out_h();
    ow = shape.out_w();
  }
  // one batch per instance in parallel, plain C++ (no LibTorch): quantize, run, and
  // y = S_w·S_x·acc + C_w·S_x·Σq + bias into the rows of that batch
  const std::int64_t n = ml.out_features;
  const std::int64_t rows_per_image = oh * ow;
  auto y = torch::empty({images * rows_per_image, n}, torch::kFloat32);
  float* yp = y.data_ptr<float>();
  const double sw = ml.weight.scale(), cw = ml.weight.center();
  std::vector<acc::LayerResult> results(static_cast<std::size_t>(active));
  const float* data = x.data_ptr<float>();
  parallel_instances(active, [&](int i) {
    const std::int64_t lo = i * batch, count = std::min(images, lo + batch) - lo;
    std::vector<double> sx;
    const auto q = quantize_activations(data + lo * per, count, per, ml.unsigned_input, sx);
    const acc::ActEncoding act{!ml.unsigned_input, 0};
    acc::Tiler& tiler = *tilers_[static_cast<std::size_t>(i)];
    auto& res = results[static_cast<std::size_t>(i)];
    if (ml.conv) {
      acc::Conv2dShape sh = shape;
      sh.batch = static_cast<std::uint32_t>(count);
      res = tiler.conv2d(index, q.data(), sh, act);
    } else {
      res = tiler.linear(index, q.data(), static_cast<std::uint32_t>(count), act);
    }
    std::vector<double> bias(static_cast<std::size_t>(n), 0.0);
    for (std::size_t j = 0; j < res.bias.size(); ++j) bias[j] = ml.bias_table[res.bias[j]];
    float* out = yp + lo * rows_per_image * n;
    for (std::int64_t r = 0; r < static_cast<std::int64_t>(res.rows); ++r) {
      const double s = sx[static_cast<std::size_t>(r / rows_per_image)];
      const double c_term = cw * s * static_cast<double>(res.act_sum[static_cast<std::size_t>(r)]);
      const std::int32_t* a = res.acc.data() + r * n;
      for (std::int64_t j = 0; j < n; ++j) {
        out[r * n + j] = static_cast<float>(sw * s * static_cast<double>(a[j]) + c_term +
                                            bias[static_cast<std::size_t>(j)]);
      }
    }
  });
  if (on_layer) {
    for (int i = 0; i < active; ++i) on_layer(LayerTrace{index, i, results[static_cast<std::size_t>(i)]});
  }
  return ml.conv ? y.view({images, oh, ow, n}).permute({0, 3, 1, 2}).contiguous() : y;
}

torch::Tensor AccelInference::forward(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = images.size(0);
  const std::int64_t b = options_.batch;
  const std::int64_t round = b * options_.instances;
  std::vector<torch::Tensor> outputs;
  // a round gives batch i of it to instance i: batch j of the call runs on instance j mod
  // instances, and every instance sees its batches in order, layer by layer
  for (std::int64_t lo = 0; lo < n; lo += round) {
    const std::int64_t hi = std::min(n, lo + round);
    const int active = static_cast<int>((hi - lo + b - 1) / b);
    torch::Tensor x = images.slice(0, lo, hi);
    if (script_graph_) {
      outputs.push_back(script_graph_->forward(x, [&](std::size_t layer, const torch::Tensor& in) {
        return run_layer(layer, in, b, active);
      }));
      continue;
    }
    std::size_t next = 0;
    std::size_t position = 0;
    for (auto& any : *net_->body) {
      if (next < layers_.size() && layers_[next].module == position) {
        x = run_layer(next, x, b, active);
        ++next;
      } else {
        x = any.forward(x);
      }
      ++position;
    }
    outputs.push_back(x);
  }
  if (outputs.empty()) return torch::empty({0}, torch::kFloat32);
  return torch::cat(outputs, 0);
}

}  // namespace lowvolt::host
