#include "lowvolt/run/evaluate.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>

#include "lowvolt/common/error.h"
#include "lowvolt/common/progress.h"
#include "lowvolt/common/seed.h"
#include "lowvolt/common/stats.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::host {
namespace {

using Clock = std::chrono::steady_clock;

/// The test set cut into contiguous batches once, so that every pass only runs the network.
struct Batches {
  std::vector<torch::Tensor> images;
  std::vector<torch::Tensor> labels;
  std::int64_t total = 0;
};

Batches split(const Dataset& data, std::int64_t batch_size) {
  Batches out;
  out.total = data.size();
  for (std::int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const std::int64_t count = std::min(batch_size, data.size() - begin);
    out.images.push_back(data.images.narrow(0, begin, count).contiguous());
    out.labels.push_back(data.labels.narrow(0, begin, count).contiguous());
  }
  return out;
}

/// One pass of `forward`; `flags` (when given) receives 1 per misclassified image, in test-set
/// order. The one test-error loop: every backend's TE and RTE come from it.
ErrorStats run_pass(const Forward& forward, const Batches& batches,
                    std::vector<std::uint8_t>* flags = nullptr) {
  torch::NoGradGuard no_grad;
  std::int64_t wrong = 0;
  double confidence = 0.0;
  if (flags) flags->clear();
  for (std::size_t b = 0; b < batches.images.size(); ++b) {
    const auto logits = forward(batches.images[b]);
    const auto [top, index] = torch::softmax(logits, 1).max(1);
    const auto miss = index.ne(batches.labels[b]);
    wrong += miss.sum().item<std::int64_t>();
    confidence += top.sum().item<double>();
    if (flags) {
      const auto m = miss.to(torch::kUInt8).contiguous();
      flags->insert(flags->end(), m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
    }
  }
  const auto n = static_cast<double>(batches.total);
  return {static_cast<double>(wrong) / n, confidence / n};
}

void check_shape(const Net& net, const Dataset& data) {
  if (data.size() == 0) fail("test set is empty");
  check_image_shape(net, data.images, "test images");
}

/// The bit error samples of an evaluation as work units; the fingerprint names everything their
/// results depend on: the quantized codes, the test set, the options, and (with a journal or
/// under MPI) the error source itself: a digest of its codes for sample 0 at every rate.
SweepPlan sample_plan(const WeightMemory& weights, const Dataset& data, const EvalOptions& options,
                      const ErrorSource& source) {
  SweepPlan plan;
  plan.kind = "eval";
  const auto codes = weights.codes().contiguous();
  const auto images = data.images.contiguous();
  const auto labels = data.labels.contiguous();
  std::ostringstream f;
  f << "seed " << options.seed << "\nsamples " << options.samples << "\nbatch_size "
    << options.batch_size << "\nreference_images " << options.reference_images << "\nrates";
  for (const double p : options.rates) f << ' ' << encode_double(p);
  f << "\ncodes " << weights.bits() << ' ' << codes.numel() << ' '
    << digest_bytes(codes.data_ptr(), static_cast<std::size_t>(codes.nbytes())) << "\ntest "
    << data.size() << ' ' << digest_bytes(images.data_ptr(), static_cast<std::size_t>(images.nbytes()))
    << ' ' << digest_bytes(labels.data_ptr(), static_cast<std::size_t>(labels.nbytes())) << "\nerrors";
  // The source is asked for these codes only when a journal or other ranks need the fingerprint
  // (without them the source sees exactly the calls of the sweep itself).
  if (options.sweep.needs_fingerprint()) {
    for (std::size_t r = 0; r < options.rates.size(); ++r) {
      const auto sample = source(codes, 0, r).contiguous();
      f << ' ' << digest_bytes(sample.data_ptr(), static_cast<std::size_t>(sample.nbytes()));
    }
  }
  f << '\n';
  plan.fingerprint = f.str();
  for (int s = 0; s < options.samples; ++s) plan.units.push_back("sample " + std::to_string(s));
  return plan;
}

}  // namespace

void EvalOptions::validate() const {
  for (const double p : rates) {
    if (!(p >= 0.0 && p <= 1.0)) fail("option '--p': rate ", p, " is outside [0, 1]");
  }
  if (samples < 1) fail("option '--samples': ", samples, " is not positive");
  if (batch_size < 1) fail("option '--batch-size': ", batch_size, " is not positive");
  if (!(delta > 0.0 && delta < 1.0)) fail("option '--delta': ", delta, " is not in (0, 1)");
  if (reference_images < 0) {
    fail("option '--reference-images': ", reference_images, " is negative (0 = all)");
  }
}

double reference_robust_error(const std::vector<std::uint8_t>& clean_wrong,
                              const std::vector<std::uint8_t>& perturbed_wrong,
                              std::int64_t images) {
  const auto n = static_cast<std::size_t>(images);
  if (images <= 0 || clean_wrong.size() < n || perturbed_wrong.size() < n) {
    fail("reference robust error over ", images, " images: have ", clean_wrong.size(),
         " clean and ", perturbed_wrong.size(), " perturbed results");
  }
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) wrong += (clean_wrong[i] | perturbed_wrong[i]) != 0;
  return static_cast<double>(wrong) / static_cast<double>(images);
}

ErrorStats test_error(Net& net, const Dataset& data, std::int64_t batch_size) {
  check_shape(net, data);
  net->eval();
  return test_error([&net](const torch::Tensor& x) { return net->forward(x); }, data, batch_size);
}

ErrorStats test_error(const Forward& forward, const Dataset& data, std::int64_t batch_size) {
  if (data.size() == 0) fail("test set is empty");
  return run_pass(forward, split(data, batch_size));
}

double robust_error_bound(double rte, std::int64_t n, int l, double delta) {
  LV_CHECK(n > 0 && l > 0 && delta > 0 && delta < 1, "n=" << n << " l=" << l << " delta=" << delta);
  const double nn = static_cast<double>(n);
  const double ll = static_cast<double>(l);
  return rte + std::sqrt(std::log((nn + 1.0) / delta) / nn) * (std::sqrt(ll) + std::sqrt(nn)) /
                   std::sqrt(ll);
}

EvalResult evaluate_with(Net& net, const QuantScheme& quant, const Dataset& data,
                         const EvalOptions& options, const ErrorSource& source) {
  options.validate();
  check_shape(net, data);
  const auto start = Clock::now();
  net->eval();
  const auto memory = net->memory_parameters();
  const WeightMemory weights(quant, memory);
  const Batches batches = split(data, options.batch_size);

  EvalResult result;
  result.images = data.size();
  result.memory_words = weights.numel();
  result.bits = weights.bits();
  double forward = 0.0;
  const Forward net_forward = [&net](const torch::Tensor& x) { return net->forward(x); };
  const auto timed_pass = [&](std::vector<std::uint8_t>* flags) {
    const auto t0 = Clock::now();
    const ErrorStats stats = run_pass(net_forward, batches, flags);
    forward += std::chrono::duration<double>(Clock::now() - t0).count();
    result.forward_images += data.size();
    return stats;
  };

  weights.load(weights.codes(), memory);
  std::vector<std::uint8_t> clean_wrong;
  std::vector<std::uint8_t> perturbed_wrong;
  result.clean = timed_pass(&clean_wrong);
  result.reference_images = options.reference_images > 0
                                ? std::min(options.reference_images, data.size())
                                : data.size();
  {
    const std::vector<std::uint8_t> none(clean_wrong.size(), 0);
    result.reference_clean = reference_robust_error(clean_wrong, none, result.reference_images);
  }

  const std::size_t rates = options.rates.size();
  result.rte.resize(rates);
  for (std::size_t r = 0; r < rates; ++r) {
    result.rte[r].p = options.rates[r];
    result.rte[r].samples = options.samples;
  }
  if (rates > 0) {
    // One work unit per bit error sample, all rates (sweep_units.h): a sample's errors come from
    // the source, which derives them from the sample alone, so any process may run any sample.
    SweepPlan plan = sample_plan(weights, data, options, source);
    const UnitRunner runner = [&](std::size_t index) {
      std::string out;
      for (std::size_t r = 0; r < rates; ++r) {
        weights.load(source(weights.codes(), static_cast<int>(index), r), memory);
        const ErrorStats stats = timed_pass(&perturbed_wrong);
        const double reference =
            reference_robust_error(clean_wrong, perturbed_wrong, result.reference_images);
        out += (r ? " " : "") + encode_double(stats.error) + " " + encode_double(stats.confidence) +
               " " + encode_double(reference);
      }
      return out;
    };
    Progress progress("bit error samples", options.samples, options.quiet);
    const SweepOutcome outcome =
        run_sweep(options.sweep, plan, runner, [&](std::size_t done, std::size_t index) {
      progress.update(static_cast<std::int64_t>(done), plan.units[index]);
    });
    progress.finish();
    if (!outcome.output) {  // an MPI rank other than 0: rank 0 reports
      weights.load(weights.codes(), memory);
      return result;
    }
    for (std::size_t s = 0; s < plan.units.size(); ++s) {
      const auto fields = split_fields(outcome.results[s]);
      if (fields.size() != 3 * rates) {
        fail("unit '", plan.units[s], "': malformed result '", outcome.results[s], "'");
      }
      for (std::size_t r = 0; r < rates; ++r) {
        result.rte[r].errors.push_back(decode_double(fields[3 * r], plan.units[s]));
        result.rte[r].confidence += decode_double(fields[3 * r + 1], plan.units[s]) / options.samples;
        result.rte[r].reference_errors.push_back(decode_double(fields[3 * r + 2], plan.units[s]));
      }
      if (outcome.rank[s] > 0) {  // passes run by other MPI ranks
        forward += outcome.seconds[s];
        result.forward_images += data.size() * static_cast<std::int64_t>(rates);
      }
    }
  }
  for (auto& rate : result.rte) {
    const auto& e = rate.errors;
    const SampleStats physical = sample_stats(e);
    rate.mean = physical.mean;
    rate.std = physical.std;
    rate.min = physical.min;
    rate.max = physical.max;
    rate.bound = robust_error_bound(rate.mean, data.size(), rate.samples, options.delta);
    const MeanStd reference = mean_std(rate.reference_errors);
    rate.reference_mean = reference.mean;
    rate.reference_std = reference.std;
  }
  // Leave the clean quantized weights in the network.
  weights.load(weights.codes(), memory);
  result.forward_seconds = forward;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::uint64_t rte_sample_seed(std::uint64_t seed, int sample) {
  return derive_seed(seed, 0x52544500ULL, static_cast<std::uint64_t>(sample));
}

EvalResult evaluate(Net& net, const QuantScheme& quant, const Dataset& data,
                    const EvalOptions& options) {
  options.validate();
  const double p_max =
      options.rates.empty() ? 0.0 : *std::max_element(options.rates.begin(), options.rates.end());
  std::int64_t numel = 0;
  for (const auto& p : net->memory_parameters()) numel += p.numel();
  std::optional<RandomBitErrors> errors;
  int current = -1;
  const ErrorSource source = [&](const torch::Tensor& codes, int sample, std::size_t rate) {
    if (sample != current) {
      errors.emplace(numel, quant.bits, p_max, rte_sample_seed(options.seed, sample));
      current = sample;
    }
    return errors->apply(codes, options.rates[rate]);
  };
  return evaluate_with(net, quant, data, options, source);
}

}  // namespace lowvolt::host
