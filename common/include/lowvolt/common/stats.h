#pragma once
// Summary statistics of a list of sample values (test errors over bit error samples), computed
// one way everywhere they are reported: the mean, then the standard deviation with the n − 1
// denominator (0 for a single sample) from the deviations to that mean.
#include <cmath>
#include <vector>

namespace lowvolt {

/// Mean and sample standard deviation of some values.
struct MeanStd {
  double mean = 0.0;  ///< arithmetic mean (NaN for no value)
  double std = 0.0;   ///< standard deviation, n − 1 denominator; 0 for fewer than 2 values
};

/// Mean and sample standard deviation of `values` (see the contract).
inline MeanStd mean_std(const std::vector<double>& values) {
  MeanStd out;
  double sum = 0.0;
  for (const double x : values) sum += x;
  out.mean = sum / static_cast<double>(values.size());
  double squares = 0.0;
  for (const double x : values) squares += (x - out.mean) * (x - out.mean);
  out.std = values.size() > 1 ? std::sqrt(squares / static_cast<double>(values.size() - 1)) : 0.0;
  return out;
}

}  // namespace lowvolt
