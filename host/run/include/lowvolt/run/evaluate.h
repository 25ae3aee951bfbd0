#pragma once
// Evaluation: clean test error (TE) and robust test error (RTE) of a quantized network under bit
// errors in its weight memory. Contract:
//  - The network's memory parameters are quantized once (WeightMemory); every evaluation writes
//    dequantized codes into the parameters, so `net` holds quantized weights afterwards (reload
//    the model to get the float weights back).
//  - RTE at rate p: the test error over `samples` independent bit error samples. Sample s draws
//    its errors once from derive_seed(seed, s) for the largest rate and applies them at every
//    rate, so within a sample the errors at p' ≤ p are a subset of those at p (nested, as in a
//    memory whose voltage is lowered). Same seed → same numbers bit for bit.
//  - Errors are fractions (0.091 = 9.1 %), confidences mean max-softmax probabilities.
//  - Two RTE definitions, both computed on every pass (docs/quantization-variants.md): LowVolt's
//    physical one (the default, `mean`/`std`: an image counts when the perturbed model
//    misclassifies it, over all test images) and the paper's code's (`reference_*`: an image
//    counts when the clean *or* the perturbed model misclassifies it, over the first
//    EvalOptions::reference_images test images; never below that subset's TE).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lowvolt/io/data.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"
#include "lowvolt/run/eval_types.h"

namespace lowvolt::host {

/// Bit errors for one evaluation: returns the codes of sample `sample` at rate index `rate`
/// (flat, layout of WeightMemory::codes()). Samples are work units (sweep_units.h): called for
/// samples in any order (under MPI a process sees some of them), all rates of a sample in a row;
/// the result must depend on (sample, rate) alone.
using ErrorSource = std::function<torch::Tensor(const torch::Tensor& clean_codes, int sample,
                                                std::size_t rate)>;

/// A network's forward pass: N images in, N×classes logits out.
using Forward = std::function<torch::Tensor(const torch::Tensor& images)>;

/// Test error and mean confidence of `net` with its current weights.
ErrorStats test_error(Net& net, const Dataset& data, std::int64_t batch_size = kEvalBatch);

/// The same of any forward pass (an accelerator backend's, say), in batches of `batch_size`: an
/// image counts as wrong when the largest softmax probability is not its label's.
ErrorStats test_error(const Forward& forward, const Dataset& data, std::int64_t batch_size);

/// TE and RTE with random bit errors (see the contract above).
EvalResult evaluate(Net& net, const QuantScheme& quant, const Dataset& data,
                    const EvalOptions& options);

/// TE and the error under errors from `source` (samples × rates passes); `options.rates` only
/// labels the results. Used for fixed patterns and chip profiles.
EvalResult evaluate_with(Net& net, const QuantScheme& quant, const Dataset& data,
                         const EvalOptions& options, const ErrorSource& source);

/// The paper's code's robust error of one sample (common/eval/adversarial_weights_evaluation.py,
/// robust_test_error): the fraction of the first `images` images that the clean or the perturbed
/// model gets wrong (flags: 1 = wrong). lowvolt::Error when a list is shorter than `images`.
double reference_robust_error(const std::vector<std::uint8_t>& clean_wrong,
                              const std::vector<std::uint8_t>& perturbed_wrong,
                              std::int64_t images);

/// Seed of random bit error sample `sample` of evaluate() with `seed` (drawn at the largest rate).
std::uint64_t rte_sample_seed(std::uint64_t seed, int sample);

/// The paper's bound (appendix, Proposition 1): with probability 1 − delta the expected robust
/// error is below rte + sqrt(log((n + 1)/delta)/n)·(√l + √n)/√l, n test images, l samples.
double robust_error_bound(double rte, std::int64_t n, int l, double delta);

}  // namespace lowvolt::host
