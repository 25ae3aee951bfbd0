// Host inference on an accelerator backend (accel_inference.h).
#include "lowvolt/chip/accel_inference.h"

#include "lowvolt/chip/memory_layout.h"
#include "lowvolt/chip/script_accel.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "lowvolt/common/error.h"
#include "lowvolt/nn/weight_memory.h"

namespace lowvolt::host {

namespace acc = lowvolt::accelerator;

/// An instance's buffers, reused from batch to batch.
struct AccelInference::Instance {
  std::vector<std::uint8_t> q;   // quantized activations
  std::vector<double> sx;        // their scale per image
  std::vector<double> bias;      // dequantized bias per output feature
  acc::LayerResult result;       // the tiler's output
};

/// The threads of instances 1 … n − 1: run() hands each the same job and returns when all are
/// done (instance 0 runs in the calling thread); errors are rethrown there, the first first.
/// The calling thread, once its own instance is done, polls for the others briefly before it
/// sleeps: the instances of a layer take about the same time, and a sleep costs a futex wake and
/// a reschedule per layer and batch (thousands per evaluation).
struct AccelInference::Workers {
  explicit Workers(int n) : errors(static_cast<std::size_t>(n)) {
    for (int i = 1; i < n; ++i) threads.emplace_back([this, i] { loop(i); });
  }
  ~Workers() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    wake.notify_all();
    for (auto& t : threads) t.join();
  }
  void run(int active, const std::function<void(int)>& f) {
    std::fill(errors.begin(), errors.end(), nullptr);
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = &f;
      job_active = active;
      pending.store(active - 1, std::memory_order_relaxed);
      ++generation;
    }
    wake.notify_all();
    call(0);
    for (int spin = 0; spin < kSpins && pending.load(std::memory_order_acquire) != 0; ++spin) {
      pause();
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      finished.wait(lock, [&] { return pending.load(std::memory_order_acquire) == 0; });
      job = nullptr;
    }
    for (auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  void call(int i) {
    try {
      (*job)(i);
    } catch (...) {
      errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  }
  void loop(int i) {
    std::uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        if (i >= job_active) continue;
      }
      call(i);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex);  // run() checks pending under the lock
        finished.notify_one();
      }
    }
  }
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  static constexpr int kSpins = 1000;  // pause instructions: ~35 µs on the 2-core test machine

  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors;
  std::mutex mutex;
  std::condition_variable wake, finished;
  const std::function<void(int)>* job = nullptr;
  int job_active = 0;
  std::atomic<int> pending{0};
  std::uint64_t generation = 0;
  bool stop = false;
};

namespace {
/// Where a matrix layer sits and how it runs: the part of AccelInference::MatrixLayer that the
/// network's structure fixes.
struct LayerShape {
  std::size_t module = 0;   // position in net->body
  bool conv = false;
  acc::Conv2dShape shape;   // kernel, stride, padding, dilation (conv only)
  bool unsigned_input = false;  // input comes from a ReLU
};
}  // namespace

struct AccelInference::MatrixLayer : LayerShape {
  std::uint32_t out_features = 0;
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

namespace {
// The loops of quantize_activations, cloned for AVX2 (no multiply-add to contract: the same
// roundings) and the baseline. They do not throw (a target_clones function that can throw
// confused GCC 12's exception tables: the error below ended in std::terminate).

/// max |x| (as the bits of the float, which order as |x| does for finite x) and whether some x
/// is not finite or, with `unsigned_input`, negative; no branch out, so it vectorises.
__attribute__((target_clones("avx2", "default"))) void scan_row(const float* x, std::int64_t n,
                                                                bool unsigned_input,
                                                                std::uint32_t* max_bits,
                                                                bool* bad) noexcept {
  std::uint32_t mx = 0, b = 0;
  const std::uint32_t neg_bad = unsigned_input ? 1u : 0u;
  for (std::int64_t j = 0; j < n; ++j) {
    std::uint32_t u;
    std::memcpy(&u, x + j, sizeof u);
    const std::uint32_t a = u & 0x7fffffffu;
    b |= static_cast<std::uint32_t>(a >= 0x7f800000u) |
         (neg_bad & static_cast<std::uint32_t>(u > 0x80000000u));
    mx = std::max(mx, a);
  }
  *max_bits = mx;
  *bad = b != 0;
}

/// o[j] = clamp(round_half_even(x[j] / s), qmin, qmax) as a byte.
__attribute__((target_clones("avx2", "default"))) void quantize_row(const float* x, std::int64_t n,
                                                                    double s, double qmin,
                                                                    double qmax,
                                                                    std::uint8_t* o) noexcept {
  for (std::int64_t j = 0; j < n; ++j) {
    // round half to even as nearbyint() in the default rounding mode: |x / s| ≤ 255 < 2^51,
    // so adding and subtracting 1.5 · 2^52 leaves the nearest integer, ties to even
    constexpr double kRound = 6755399441055744.0;
    double q = (static_cast<double>(x[j]) / s + kRound) - kRound;
    q = q < qmin ? qmin : (q > qmax ? qmax : q);
    o[j] = static_cast<std::uint8_t>(static_cast<std::int32_t>(q) & 0xff);
  }
}
}  // namespace

void quantize_activations(const float* x, std::int64_t images, std::int64_t per_image,
                          bool is_unsigned, std::vector<double>& scales,
                          std::vector<std::uint8_t>& out) {
  const double qmax = is_unsigned ? 255.0 : 127.0;
  const double qmin = is_unsigned ? 0.0 : -127.0;
  out.resize(static_cast<std::size_t>(images * per_image));
  scales.assign(static_cast<std::size_t>(images), 1.0);
  for (std::int64_t i = 0; i < images; ++i) {
    const float* xi = x + i * per_image;
    std::uint32_t mx_bits = 0;
    bool bad = false;
    scan_row(xi, per_image, is_unsigned, &mx_bits, &bad);
    if (bad) {
      for (std::int64_t j = 0; j < per_image; ++j) {
        if (!std::isfinite(xi[j])) fail("accel inference: a layer input is ", xi[j]);
        if (is_unsigned && xi[j] < 0.0f) {
          fail("accel inference: negative value ", xi[j], " in the input of a uint8 layer (image ",
               i, "); set nonnegative_input = false for signed network inputs");
        }
      }
    }
    // all finite here: max |x| in double is the largest magnitude's float, widened
    float mx_float;
    std::memcpy(&mx_float, &mx_bits, sizeof mx_float);
    const double mx = static_cast<double>(mx_float);
    const double s = mx > 0.0 ? mx / qmax : 1.0;
    scales[static_cast<std::size_t>(i)] = s;
    quantize_row(xi, per_image, s, qmin, qmax, out.data() + i * per_image);
  }
}

std::vector<std::uint8_t> quantize_activations(const float* x, std::int64_t images,
                                               std::int64_t per_image, bool is_unsigned,
                                               std::vector<double>& scales) {
  std::vector<std::uint8_t> out;
  quantize_activations(x, images, per_image, is_unsigned, scales, out);
  return out;
}

std::vector<std::uint8_t> quantize_activations(const torch::Tensor& x, bool is_unsigned,
                                               std::vector<double>& scales) {
  const auto xc = x.to(torch::kFloat32).contiguous();
  const std::int64_t n = xc.size(0);
  const std::int64_t per = n == 0 ? 0 : xc.numel() / n;
  return quantize_activations(xc.data_ptr<float>(), n, per, is_unsigned, scales);
}

namespace {

/// A convolution or linear layer of a built-in network's body, as the accelerator runs it.
struct BodyLayer {
  LayerShape layer;      ///< position, shape, whether its input is non-negative
  std::string name;      ///< "body.<position>"
  torch::Tensor weight;  ///< its weight
  torch::Tensor bias;    ///< its bias (undefined: none)
};

/// The matrix layers of a built-in network's body, in order. A layer's input is unsigned when a
/// ReLU (or, for the first, `nonnegative_input`) precedes it with only pooling, flattening or
/// dropout between; a convolution needs groups = 1, zero and explicit padding.
std::vector<BodyLayer> body_matrix_layers(const torch::nn::Sequential& body, bool nonnegative_input) {
  std::vector<BodyLayer> out;
  bool relu_input = nonnegative_input;
  std::size_t position = 0;
  for (const auto& any : *body) {
    const auto module = any.ptr();
    const auto* conv = module->as<torch::nn::Conv2dImpl>();
    const auto* linear = module->as<torch::nn::LinearImpl>();
    if (conv != nullptr || linear != nullptr) {
      LayerShape ml;
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
      out.push_back({ml, "body." + std::to_string(position), w, b});
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
  return out;
}

}  // namespace

AccelInference::AccelInference(Net net, const QuantScheme& quant,
                               const AccelInferenceOptions& options,
                               const profiles::CellMap* profile)
    : net_(std::move(net)), quantizer_(quant), options_(options) {
  options_.validate();
  if (quant.bits > static_cast<int>(acc::hw::kMaxWbits)) {
    fail("accel inference: the accelerator stores codes of at most ", acc::hw::kMaxWbits,
         " bits, the scheme has ", quant.bits);
  }
  if (quant.clamp_dequantized) {
    fail("accel inference: the accelerator's integer datapath does not clamp dequantized weights "
         "(scheme ", quant.name(), "); use the torch backend for the clamp variant");
  }
  net_->eval();
  torch::NoGradGuard no_grad;
  const auto params = net_->memory_parameters();
  const WeightMemory memory(quant, params);
  const auto codes = memory.codes().contiguous();
  const std::uint8_t* code_ptr = codes.data_ptr<std::uint8_t>();

  // The layers and their codes as the chip holds them (memory_layout.h: from the memory tensors
  // alone, as the torch backend places them); the network's structure adds each layer's shape and
  // input encoding, layer by layer in the same order.
  const std::vector<ChipLayer> chip_layers = memory_layers(params, net_->memory_parameter_names());
  std::vector<acc::LayerCodes> layer_codes =
      host::layer_codes(chip_layers, code_ptr, static_cast<std::uint64_t>(codes.numel()));
  std::size_t param = 0;
  const auto add_layer = [&](const LayerShape& shape, const std::string& name, bool has_bias) {
    const std::size_t l = layers_.size();
    LV_CHECK(l < chip_layers.size() && chip_layers[l].bias == has_bias,
             "matrix layer " << name << " does not match layer " << l << " of the weight memory");
    MatrixLayer ml;
    static_cast<LayerShape&>(ml) = shape;
    acc::LayerCodes& lc = layer_codes[l];
    lc.name = name;
    ml.out_features = lc.out_features;
    ml.weight = memory.params().at(param++);
    lc.w_signed = !ml.weight.unsigned_codes;
    lc.w_zero = static_cast<std::uint8_t>(ml.weight.zero_point());
    if (has_bias) {
      ml.has_bias = true;
      ml.bias = memory.params().at(param++);
      // every code's value once, so that instance threads dequantize without LibTorch
      const std::int64_t n_codes = std::int64_t{1} << quant.bits;
      const auto table = quantizer_.dequantize(torch::arange(n_codes, torch::kInt64).to(torch::kUInt8),
                                               ml.bias)
                             .to(torch::kFloat64)
                             .contiguous();
      ml.bias_table.assign(table.data_ptr<double>(), table.data_ptr<double>() + n_codes);
    }
    layers_.push_back(ml);
  };
  if (net_->script) {
    script_graph_ = std::make_unique<ScriptAccelGraph>(net_, options_.nonnegative_input);
    for (const ScriptMatrixLayer& sl : script_graph_->layers()) {
      LV_CHECK(sl.weight == param, "TorchScript layer " << sl.node << " at memory tensor " << sl.weight
                                   << ", expected " << param);
      LayerShape shape;
      shape.conv = sl.conv;
      shape.shape = sl.shape;
      shape.unsigned_input = sl.unsigned_input;
      add_layer(shape, sl.node, sl.has_bias);
    }
  } else {
    for (const BodyLayer& l : body_matrix_layers(net_->body, options_.nonnegative_input)) {
      add_layer(l.layer, l.name, l.bias.defined());
    }
  }
  LV_CHECK(param == params.size() && layers_.size() == chip_layers.size(),
           "memory parameters " << params.size() << " vs " << param << " matrix parameters");
  image_ = std::make_unique<acc::WeightImage>(std::move(layer_codes),
                                              static_cast<std::uint32_t>(quant.bits),
                                              options_.offset);
  for (int i = 0; i < options_.instances; ++i) {
    accels_.push_back(acc::make_accelerator(options_.backend, options_.backend_config));
    if (options_.instances > 1 && !accels_.back()->can_set_bank_counters()) {
      fail("accel inference: the ", options_.backend,
           " backend cannot start a batch at one chip's bank counters; run it with instances = 1");
    }
    if (profile != nullptr) accels_.back()->load_profile(*profile);
    if (options_.vdd > 0.0) accels_.back()->set_vdd(options_.vdd);
    tilers_.push_back(std::make_unique<acc::Tiler>(*accels_.back(), *image_));
  }
  if (options_.instances > 1) chip_ = accels_.front()->counters();
  scratch_.resize(static_cast<std::size_t>(options_.instances));
  workers_ = std::make_unique<Workers>(options_.instances);
}

AccelInference::~AccelInference() = default;

void AccelInference::set_vdd(double v_over_vmin) {
  for (auto& a : accels_) a->set_vdd(v_over_vmin);
  options_.vdd = v_over_vmin;
}

acc::Counters AccelInference::counters() {
  if (options_.instances == 1) return accels_.front()->counters();
  return chip_;
}

namespace {
/// a − b per bank, modulo 2^32 (the counters wrap).
std::vector<std::uint32_t> counter_step(const std::vector<std::uint32_t>& a,
                                        const std::vector<std::uint32_t>& b) {
  std::vector<std::uint32_t> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}
/// a + k·step per bank, modulo 2^32.
std::vector<std::uint32_t> counter_advance(std::vector<std::uint32_t> a,
                                           const std::vector<std::uint32_t>& step,
                                           std::uint32_t k) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += k * step[i];
  return a;
}
}  // namespace

void AccelInference::start_round(int active, std::vector<acc::Counters>& before) {
  before.resize(static_cast<std::size_t>(active));
  for (int i = 0; i < active; ++i) {
    auto& accel = *accels_[static_cast<std::size_t>(i)];
    // batch i of the round starts where one chip would: after i full batches (only the round's
    // last batch can be short)
    auto reads = i == 0 ? chip_.bank_reads : counter_advance(chip_.bank_reads, step_reads_, i);
    auto writes = i == 0 ? chip_.bank_writes : counter_advance(chip_.bank_writes, step_writes_, i);
    auto& c = before[static_cast<std::size_t>(i)];
    c = accel.counters();
    if (c.bank_reads != reads || c.bank_writes != writes) {
      accel.set_bank_counters(reads, writes);
      c.bank_reads = std::move(reads);
      c.bank_writes = std::move(writes);
    }
  }
}

void AccelInference::end_round(int active, const std::vector<std::int64_t>& sizes,
                               const std::vector<acc::Counters>& before) {
  for (int i = 0; i < active; ++i) {
    const auto& b = before[static_cast<std::size_t>(i)];
    const auto a = accels_[static_cast<std::size_t>(i)]->counters();
    auto reads = counter_step(a.bank_reads, b.bank_reads);
    auto writes = counter_step(a.bank_writes, b.bank_writes);
    if (sizes[static_cast<std::size_t>(i)] == options_.batch) {
      if (step_reads_.empty()) {
        step_reads_ = reads;
        step_writes_ = writes;
      }
      LV_CHECK(reads == step_reads_ && writes == step_writes_,
               "a full batch on instance " << i << " moved the bank counters differently from the first");
    }
    chip_.bank_reads = counter_advance(chip_.bank_reads, reads, 1);
    chip_.bank_writes = counter_advance(chip_.bank_writes, writes, 1);
    chip_.cycles += a.cycles - b.cycles;
    chip_.macs += a.macs - b.macs;
    chip_.status |= a.status;
  }
}

namespace {
/// dequantize_image() without AVX-512. Cloned for AVX2 (4 doubles a vector, no FMA: the same
/// roundings) and the baseline.
__attribute__((target_clones("avx2", "default"))) void dequantize_image_plain(
    const std::int32_t* acc, const std::int64_t* act_sum, std::int64_t pixels, std::int64_t n,
    double ss, double cs, const double* bias, float* out) {
  constexpr std::int64_t kBlock = 8;  // pixels computed together, then stored feature by feature
  float block[kBlock * 512];
  const std::int64_t cols = std::min<std::int64_t>(n, 512);
  for (std::int64_t j0 = 0; j0 < n; j0 += cols) {  // features in chunks of ≤ 512
    const std::int64_t nj = std::min(cols, n - j0);
    for (std::int64_t p0 = 0; p0 < pixels; p0 += kBlock) {
      const std::int64_t np = std::min(kBlock, pixels - p0);
      for (std::int64_t q = 0; q < np; ++q) {
        const double c_term = cs * static_cast<double>(act_sum[p0 + q]);
        const std::int32_t* a = acc + (p0 + q) * n + j0;
        float* b = block + q * nj;
        for (std::int64_t j = 0; j < nj; ++j) {
          b[j] = static_cast<float>(ss * static_cast<double>(a[j]) + c_term + bias[j0 + j]);
        }
      }
      for (std::int64_t j = 0; j < nj; ++j) {
        float* o = out + (j0 + j) * pixels + p0;
        for (std::int64_t q = 0; q < np; ++q) o[q] = block[q * nj + j];
      }
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LV_DEQ_AVX512 __attribute__((target("avx2,avx512f,avx512vl,avx512dq")))
/// dequantize_image() on AVX-512: 8 pixels × 8 features at a time, 8 doubles a vector, the
/// block transposed in registers into 8 features' runs of 8 pixels. The arithmetic uses the
/// explicit-rounding intrinsics (round to nearest, as the default mode): the compiler cannot
/// contract them into fused multiply-adds, so each operation rounds as the plain code's does.
LV_DEQ_AVX512 void dequantize_image_avx512(const std::int32_t* acc, const std::int64_t* act_sum,
                                           std::int64_t pixels, std::int64_t n, double ss,
                                           double cs, const double* bias, float* out) {
  constexpr int kRn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m512d ssv = _mm512_set1_pd(ss);
  const __m512d csv = _mm512_set1_pd(cs);
  for (std::int64_t j0 = 0; j0 < n; j0 += 8) {
    const std::int64_t nj = std::min<std::int64_t>(8, n - j0);
    const auto jm = static_cast<__mmask8>((1u << nj) - 1u);
    const __m512d bv = _mm512_maskz_loadu_pd(jm, bias + j0);
    for (std::int64_t p0 = 0; p0 < pixels; p0 += 8) {
      const std::int64_t np = std::min<std::int64_t>(8, pixels - p0);
      __m256 r[8];
      for (std::int64_t q = 0; q < 8; ++q) {
        if (q >= np) {
          r[q] = _mm256_setzero_ps();
          continue;
        }
        // cs·Σq, then ss·acc + that, then + bias: each rounded
        // (the maskz forms with all lanes: GCC 12 warns about the others' undefined sources)
        const __m512d c_term = _mm512_maskz_mul_round_pd(
            0xff, csv, _mm512_set1_pd(static_cast<double>(act_sum[p0 + q])), kRn);
        const __m512d a =
            _mm512_maskz_cvtepi32_pd(0xff, _mm256_maskz_loadu_epi32(jm, acc + (p0 + q) * n + j0));
        const __m512d y = _mm512_maskz_add_round_pd(
            0xff, _mm512_maskz_add_round_pd(0xff, _mm512_maskz_mul_round_pd(0xff, ssv, a, kRn),
                                            c_term, kRn),
            bv, kRn);
        r[q] = _mm512_maskz_cvt_roundpd_ps(0xff, y, kRn);
      }
      if (pixels == 1) {  // a linear layer: the features side by side
        _mm256_mask_storeu_ps(out + j0, jm, r[0]);
        continue;
      }
      // 8 × 8 transpose: t[j] = pixels p0 … p0 + 7 of feature j0 + j
      const __m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
      const __m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
      const __m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
      const __m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
      const __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
      const __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
      const __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
      const __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
      const __m256 t[8] = {_mm256_permute2f128_ps(b0, b4, 0x20), _mm256_permute2f128_ps(b1, b5, 0x20),
                           _mm256_permute2f128_ps(b2, b6, 0x20), _mm256_permute2f128_ps(b3, b7, 0x20),
                           _mm256_permute2f128_ps(b0, b4, 0x31), _mm256_permute2f128_ps(b1, b5, 0x31),
                           _mm256_permute2f128_ps(b2, b6, 0x31), _mm256_permute2f128_ps(b3, b7, 0x31)};
      const auto pm = static_cast<__mmask8>((1u << np) - 1u);
      for (std::int64_t j = 0; j < nj; ++j) {
        _mm256_mask_storeu_ps(out + (j0 + j) * pixels + p0, pm, t[j]);
      }
    }
  }
}
#endif
}  // namespace

bool dequantize_avx512_supported() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

void dequantize_image(const std::int32_t* acc, const std::int64_t* act_sum, std::int64_t pixels,
                      std::int64_t n, double ss, double cs, const double* bias, float* out,
                      bool avx512) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (avx512) {
    LV_CHECK(dequantize_avx512_supported(), "dequantize_image: this CPU has no AVX-512");
    dequantize_image_avx512(acc, act_sum, pixels, n, ss, cs, bias, out);
    return;
  }
#else
  LV_CHECK(!avx512, "dequantize_image: AVX-512 code on a CPU without it");
#endif
  dequantize_image_plain(acc, act_sum, pixels, n, ss, cs, bias, out);
}

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
  // y = S_w·S_x·acc + C_w·S_x·Σq + bias into that batch's part of the output, NCHW for a conv
  const std::int64_t n = ml.out_features;
  const std::int64_t pixels = oh * ow;
  auto y = ml.conv ? torch::empty({images, n, oh, ow}, torch::kFloat32)
                   : torch::empty({images, n}, torch::kFloat32);
  float* yp = y.data_ptr<float>();
  const double sw = ml.weight.scale(), cw = ml.weight.center();
  const float* data = x.data_ptr<float>();
  static const bool avx512 = dequantize_avx512_supported();
  workers_->run(active, [&](int i) {
    Instance& inst = scratch_[static_cast<std::size_t>(i)];
    const std::int64_t lo = i * batch, count = std::min(images, lo + batch) - lo;
    quantize_activations(data + lo * per, count, per, ml.unsigned_input, inst.sx, inst.q);
    const acc::ActEncoding act{!ml.unsigned_input, 0};
    acc::Tiler& tiler = *tilers_[static_cast<std::size_t>(i)];
    acc::LayerResult& res = inst.result;
    if (ml.conv) {
      acc::Conv2dShape sh = shape;
      sh.batch = static_cast<std::uint32_t>(count);
      tiler.conv2d(index, inst.q.data(), sh, act, res);
    } else {
      tiler.linear(index, inst.q.data(), static_cast<std::uint32_t>(count), act, res);
    }
    inst.bias.assign(static_cast<std::size_t>(n), 0.0);
    for (std::size_t j = 0; j < res.bias.size(); ++j) inst.bias[j] = ml.bias_table[res.bias[j]];
    for (std::int64_t img = 0; img < count; ++img) {
      const double s = inst.sx[static_cast<std::size_t>(img)];
      dequantize_image(res.acc.data() + img * pixels * n,
                       res.act_sum.data() + img * pixels, pixels, n, sw * s, cw * s,
                       inst.bias.data(), yp + (lo + img) * pixels * n, avx512);
    }
  });
  if (on_layer) {
    for (int i = 0; i < active; ++i) {
      on_layer(LayerTrace{index, i, scratch_[static_cast<std::size_t>(i)].result});
    }
  }
  return y;
}

torch::Tensor AccelInference::forward(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = images.size(0);
  const std::int64_t b = options_.batch;
  const bool parallel = options_.instances > 1;
  std::vector<torch::Tensor> outputs;
  std::vector<acc::Counters> before;
  std::vector<std::int64_t> sizes;
  // a round gives batch i of it to instance i, which starts at one chip's counters there; until
  // a full batch has shown the counter step of a batch, a round is that one batch alone
  for (std::int64_t lo = 0, round = 0; lo < n; lo += round) {
    round = parallel && !step_reads_.empty() ? b * options_.instances : b;
    const std::int64_t hi = std::min(n, lo + round);
    const int active = static_cast<int>((hi - lo + b - 1) / b);
    sizes.assign(static_cast<std::size_t>(active), b);
    sizes.back() = hi - lo - b * (active - 1);
    if (parallel) start_round(active, before);
    torch::Tensor x = images.slice(0, lo, hi);
    if (script_graph_) {
      outputs.push_back(script_graph_->forward(x, [&](std::size_t layer, const torch::Tensor& in) {
        return run_layer(layer, in, b, active);
      }));
      if (parallel) end_round(active, sizes, before);
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
    if (parallel) end_round(active, sizes, before);
    outputs.push_back(x);
  }
  if (outputs.empty()) return torch::empty({0}, torch::kFloat32);
  return torch::cat(outputs, 0);
}

}  // namespace lowvolt::host
