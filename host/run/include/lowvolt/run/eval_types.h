#pragma once
// What an evaluation is asked (EvalOptions) and what it reports (ErrorStats, RateResult,
// EvalResult), as plain data: the command line prints them without LibTorch. Definitions:
// evaluate.h's contract.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::host {

/// Error and confidence of one pass over a test set.
struct ErrorStats {
  double error = 0.0;       ///< fraction of misclassified images
  double confidence = 0.0;  ///< mean max-softmax probability
};

/// RTE at one bit error rate.
struct RateResult {
  double p = 0.0;               ///< bit error rate (probability per bit)
  int samples = 0;              ///< number of bit error samples
  double mean = 0.0;            ///< mean test error over samples (the RTE)
  double std = 0.0;             ///< standard deviation over samples (n − 1 denominator; 0 for 1)
  double min = 0.0;             ///< smallest test error of a sample
  double max = 0.0;             ///< largest test error of a sample
  double confidence = 0.0;      ///< mean confidence over samples
  double bound = 0.0;           ///< the paper's upper bound on the expected robust error
  std::vector<double> errors;   ///< test error of every sample, in sample order
  double reference_mean = 0.0;  ///< the reference RTE (clean OR perturbed wrong), mean over samples
  double reference_std = 0.0;   ///< its standard deviation over samples (n − 1 denominator)
  std::vector<double> reference_errors;  ///< the reference definition per sample, in sample order
};

/// Result of evaluate().
struct EvalResult {
  std::int64_t images = 0;        ///< test images per pass
  std::int64_t memory_words = 0;  ///< weights in memory (words of `bits` bits)
  int bits = 0;                   ///< bits per weight
  ErrorStats clean;               ///< quantized network without bit errors (TE)
  std::int64_t reference_images = 0;  ///< images the reference RTE counts (the first N)
  double reference_clean = 0.0;   ///< TE over those images
  std::vector<RateResult> rte;    ///< one entry per rate, in the order given
  double seconds = 0.0;           ///< wall time of evaluate(), in seconds
  double forward_seconds = 0.0;   ///< time spent in forward passes, in seconds
  std::int64_t forward_images = 0;  ///< images pushed through the network in total
};

/// Options of evaluate().
/// Images per LibTorch forward pass for evaluation: at 100 the cnn's activations stay in cache,
/// 1.7× the images/s of 1 000 (docs/benchmarks.md, bench/host-speed).
inline constexpr std::int64_t kEvalBatch = 100;

struct EvalOptions {
  std::vector<double> rates;      ///< bit error rates; empty = clean error only
  int samples = 50;               ///< bit error samples per rate
  std::uint64_t seed = 0;         ///< seed of the bit error samples
  std::int64_t batch_size = kEvalBatch;  ///< images per forward pass
  double delta = 0.01;            ///< the bound holds with probability 1 − delta
  /// Images of the reference RTE: the first N test images (the paper's code: 9 000); 0 = all.
  std::int64_t reference_images = 9000;
  bool quiet = false;             ///< no progress output
  SweepContext sweep;             ///< where the samples run (default: this process, no journal)

  /// Throws lowvolt::Error naming the option when a value is out of range.
  void validate() const;
};

}  // namespace lowvolt::host
