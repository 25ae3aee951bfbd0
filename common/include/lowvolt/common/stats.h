#pragma once
// Summary statistics of a list of sample values (test errors over bit error samples), computed
// one way everywhere they are reported: the mean, then the standard deviation with the n − 1
// denominator (0 for a single sample) from the deviations to that mean.
#include <algorithm>
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

/// Mean, sample standard deviation, smallest and largest of some values.
struct SampleStats {
  double mean = 0.0;  ///< as mean_std()
  double std = 0.0;   ///< as mean_std()
  double min = 0.0;   ///< smallest value (NaN for no value)
  double max = 0.0;   ///< largest value (NaN for no value)
};

/// The statistics every report gives of sample values (RTE over bit error samples or mappings).
inline SampleStats sample_stats(const std::vector<double>& values) {
  const MeanStd ms = mean_std(values);
  SampleStats out;
  out.mean = ms.mean;
  out.std = ms.std;
  out.min = values.empty() ? std::nan("") : *std::min_element(values.begin(), values.end());
  out.max = values.empty() ? std::nan("") : *std::max_element(values.begin(), values.end());
  return out;
}

}  // namespace lowvolt
