// lowvolt-bench: speed of bit error injection and quantization on 5.5 M weights (the size of
// the paper's SimpleNet), with LibTorch on 2 threads.
//
//  inject/per_bit_draw/p:P     the reference method: torch::rand of shape (W, m), compare with p,
//                              pack into a mask, XOR (output: a new code tensor)
//  inject/random/p:P           inject_random: geometric skipping, new code tensor
//  inject/nested_apply/p:P     RandomBitErrors drawn once for p_max = 1 %, apply() at p
//  inject/nested_draw/p:0.01   constructing that RandomBitErrors (draw + sort by threshold)
//  quantize/<preset>           Quantizer::quantize of 5.5 M float32 weights (8 bits)
//  dequantize/rquant           Quantizer::dequantize of 5.5 M 8-bit codes
//  pipeline/rquant_inject_dequantize/p:0.01
//                              one bit error sample of a SimpleNet-like network (26 weight and
//                              bias tensors, 5.3 M values): quantize_all, concatenate the codes
//                              into one flat memory, inject_random, split, dequantize each
//
// After the run it prints, to stderr, the speed-up of each injection method over the per-bit
// draw at the same p (medians when --benchmark_repetitions > 1), with the targets
// (>= 50× at p = 0.1 %, >= 10× at p = 1 %). Standard Google Benchmark flags apply.
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "lowvolt/app/runtime.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/quantize.h"

namespace {

/// Number of weights: the paper's SimpleNet on CIFAR-10 has about 5.5 M.
constexpr std::int64_t kWeights = 5'500'000;
/// Bits per code.
constexpr int kBits = 8;
/// Largest rate the nested memory is drawn for.
constexpr double kNestedMax = 0.01;
/// LibTorch intra-op threads, as on the 2-core reference machine.
constexpr int kThreads = 2;
/// The two bit error rates of the targets, and the speed-up each must reach.
const std::vector<std::pair<double, double>> kTargets = {{0.001, 50.0}, {0.01, 10.0}};

const torch::Tensor& codes() {
  static const torch::Tensor kCodes = [] {
    auto gen = at::detail::createCPUGenerator(1);
    return at::randint(0, 1 << kBits, {kWeights}, gen, torch::TensorOptions().dtype(torch::kUInt8));
  }();
  return kCodes;
}

const torch::Tensor& weights() {
  static const torch::Tensor kWeightsTensor = [] {
    auto gen = at::detail::createCPUGenerator(2);
    return at::randn({kWeights}, gen, torch::TensorOptions().dtype(torch::kFloat32)) * 0.05;
  }();
  return kWeightsTensor;
}

/// The reference: one uniform draw per stored bit.
void per_bit_draw(benchmark::State& state, double p) {
  const torch::Tensor& c = codes();
  auto gen = at::detail::createCPUGenerator(3);
  const torch::Tensor weights_of_bits =
      torch::ones({kBits}, torch::kUInt8).bitwise_left_shift(torch::arange(kBits, torch::kUInt8));
  for (auto _ : state) {
    const torch::Tensor hits = at::rand({kWeights, kBits}, gen) < p;
    const torch::Tensor mask =
        (hits.to(torch::kUInt8) * weights_of_bits).sum(1, false, torch::kUInt8);
    torch::Tensor out = c.bitwise_xor(mask);
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

void inject_random(benchmark::State& state, double p) {
  const torch::Tensor& c = codes();
  std::uint64_t seed = 0;
  for (auto _ : state) {
    torch::Tensor out = lowvolt::host::inject_random(c, kBits, p, ++seed);
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

const lowvolt::host::RandomBitErrors& nested_memory() {
  static const lowvolt::host::RandomBitErrors kMemory(kWeights, kBits, kNestedMax, 4);
  return kMemory;
}

void nested_apply(benchmark::State& state, double p) {
  const torch::Tensor& c = codes();
  const auto& memory = nested_memory();
  for (auto _ : state) {
    torch::Tensor out = memory.apply(c, p);
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

void nested_draw(benchmark::State& state, double p) {
  std::uint64_t seed = 100;
  for (auto _ : state) {
    lowvolt::host::RandomBitErrors memory(kWeights, kBits, p, ++seed);
    benchmark::DoNotOptimize(&memory);
  }
}

void quantize(benchmark::State& state, const std::string& preset) {
  const lowvolt::host::Quantizer q(lowvolt::host::QuantScheme::preset(preset, kBits));
  const torch::Tensor& w = weights();
  for (auto _ : state) {
    lowvolt::host::QuantizedTensor out = q.quantize(w);
    benchmark::DoNotOptimize(out.codes.data_ptr());
  }
}

void dequantize(benchmark::State& state, const std::string& preset) {
  const lowvolt::host::Quantizer q(lowvolt::host::QuantScheme::preset(preset, kBits));
  const lowvolt::host::QuantizedTensor quantized = q.quantize(weights());
  for (auto _ : state) {
    torch::Tensor out = q.dequantize(quantized);
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

/// Weight and bias tensors shaped like a SimpleNet (13 layers, 5.3 M values), seeded.
const std::vector<torch::Tensor>& layers() {
  static const std::vector<torch::Tensor> kLayers = [] {
    const std::vector<std::vector<std::int64_t>> shapes = {
        {64, 3, 3, 3},     {128, 64, 3, 3},  {128, 128, 3, 3}, {128, 128, 3, 3}, {128, 128, 3, 3},
        {256, 128, 3, 3},  {256, 256, 3, 3}, {256, 256, 3, 3}, {512, 256, 3, 3}, {2048, 512, 1, 1},
        {256, 2048, 1, 1}, {256, 256, 3, 3}, {10, 256}};
    auto gen = at::detail::createCPUGenerator(5);
    std::vector<torch::Tensor> out;
    for (const auto& shape : shapes) {
      out.push_back(at::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat32)) * 0.05);
      out.push_back(at::randn({shape[0]}, gen, torch::TensorOptions().dtype(torch::kFloat32)) *
                    0.01);
    }
    return out;
  }();
  return kLayers;
}

void pipeline(benchmark::State& state, double p) {
  const lowvolt::host::Quantizer q(lowvolt::host::QuantScheme::preset("rquant", kBits));
  const auto& tensors = layers();
  std::uint64_t seed = 200;
  for (auto _ : state) {
    const auto quantized = q.quantize_all(tensors);
    std::vector<torch::Tensor> flat;
    flat.reserve(quantized.size());
    for (const auto& t : quantized) flat.push_back(t.codes.reshape({-1}));
    const torch::Tensor memory = torch::cat(flat);
    const torch::Tensor faulty = lowvolt::host::inject_random(memory, kBits, p, ++seed);
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < quantized.size(); ++k) {
      const std::int64_t n = quantized[k].codes.numel();
      const torch::Tensor codes = faulty.narrow(0, offset, n).view(quantized[k].codes.sizes());
      torch::Tensor weights = q.dequantize(codes, quantized[k].params);
      benchmark::DoNotOptimize(weights.data_ptr());
      offset += n;
    }
  }
  std::int64_t total = 0;
  for (const auto& t : tensors) total += t.numel();
  state.counters["weights"] = static_cast<double>(total);
}

std::string rate_name(double p) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", p);
  return buffer;
}

void register_all() {
  const auto add = [](const std::string& name, auto fn, auto arg) {
    benchmark::RegisterBenchmark(name.c_str(), fn, arg)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  for (const auto& [p, target] : kTargets) {
    (void)target;
    add("inject/per_bit_draw/p:" + rate_name(p), per_bit_draw, p);
    add("inject/random/p:" + rate_name(p), inject_random, p);
    add("inject/nested_apply/p:" + rate_name(p), nested_apply, p);
  }
  add("inject/nested_draw/p:" + rate_name(kNestedMax), nested_draw, kNestedMax);
  for (const std::string preset : {"rquant", "normal"}) add("quantize/" + preset, quantize, preset);
  add("dequantize/rquant", dequantize, std::string("rquant"));
  add("pipeline/rquant_inject_dequantize/p:0.01", pipeline, 0.01);
}

/// Forwards to the display reporter chosen by the flags and keeps each benchmark's real times.
class RecordingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RecordingReporter(benchmark::BenchmarkReporter* display) : display_(display) {}

  bool ReportContext(const Context& context) override {
    display_->SetOutputStream(&GetOutputStream());
    display_->SetErrorStream(&GetErrorStream());
    return display_->ReportContext(context);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Iteration) {
        times_[run.run_name.str()].push_back(run.GetAdjustedRealTime());
      } else if (run.aggregate_name == "median") {  // --benchmark_report_aggregates_only
        medians_[run.run_name.str()] = run.GetAdjustedRealTime();
      }
    }
    display_->ReportRuns(runs);
  }
  void Finalize() override { display_->Finalize(); }

  /// Median real time of a benchmark (its time unit), or a negative value if it did not run.
  double median(const std::string& name) const {
    const auto reported = medians_.find(name);
    if (reported != medians_.end()) return reported->second;
    const auto it = times_.find(name);
    if (it == times_.end() || it->second.empty()) return -1.0;
    std::vector<double> t = it->second;
    std::sort(t.begin(), t.end());
    const std::size_t n = t.size();
    return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  }

 private:
  /// Not owned: Google Benchmark keeps the default display reporter for the process.
  benchmark::BenchmarkReporter* display_;
  std::map<std::string, std::vector<double>> times_;
  std::map<std::string, double> medians_;
};

/// Prints speed-ups over the per-bit draw and whether the targets hold.
void print_ratios(const RecordingReporter& reporter) {
  for (const auto& [p, target] : kTargets) {
    const std::string suffix = "/p:" + rate_name(p) + "/real_time";
    const double reference = reporter.median("inject/per_bit_draw" + suffix);
    if (reference <= 0) continue;
    for (const std::string method : {"inject/random", "inject/nested_apply"}) {
      const double time = reporter.median(method + suffix);
      if (time <= 0) continue;
      const double speedup = reference / time;
      std::fprintf(stderr, "speed-up %s over per_bit_draw at p=%s: %.1fx (target >= %.0fx): %s\n",
                   method.c_str(), rate_name(p).c_str(), speedup, target,
                   speedup >= target ? "met" : "NOT met");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  lowvolt::host::configure_threads(kThreads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  RecordingReporter reporter(benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_ratios(reporter);
  return 0;
}
