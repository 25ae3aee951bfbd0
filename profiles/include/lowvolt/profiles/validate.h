#pragma once
// Validation of a chip profile against the random bit error model (independent cells, equal
// flip directions), as `lowvolt profile validate` reports it. Contract:
//  - Per supply voltage, a cell counts as failing when it is faulty in the persistent view
//    (vc > vdd: with σ_n > 0, it fails on at least about half of its reads).
//  - Tests (each at level alpha after a Holm correction over every test of the report, so the
//    whole report's false-alarm rate is at most alpha):
//      direction          two-sided binomial test that the 0→1 share of stuck cells lies within
//                         0.5 ± direction_margin (flip cells fail both ways and are left out);
//      column_dispersion  per array: binomial index of dispersion of failing cells per column
//                         (columns pooled into runs until ≥ min_expected failures each) vs χ²;
//      row_dispersion     the same over rows;
//      adjacency          failing horizontal/vertical neighbour pairs vs their exact mean and
//                         variance given each array's failure count (one-sided, all arrays);
//      word_errors        64-bit words with ≥ 2 failing bits vs Binomial(64, p) per array
//                         (one-sided, all arrays).
//    A test without enough failing cells is reported as not applicable and never rejects.
//  - The verdict of a voltage is "consistent with independent random bit errors" or names the
//    tests that reject. BER(V) gets a maximum-likelihood probit fit (μ, σ) with a Pearson χ²
//    goodness of fit; the fit is reported, not part of the verdict.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/profile.h"

namespace lowvolt::profiles {

/// What to validate and how strictly.
struct ValidationOptions {
  std::vector<double> vdds;        ///< supplies (× Vmin); empty = default_voltages()
  double alpha = 0.01;             ///< family-wise level of the report
  double direction_margin = 0.1;   ///< tolerated |0→1 share − 0.5| before "biased"
  double min_expected = 5.0;       ///< failures per pooled bin of the dispersion tests
  bool per_array = false;          ///< also report BER per array
};

/// One statistical test.
struct TestResult {
  std::string name;          ///< direction, column_dispersion, row_dispersion, adjacency, word_errors
  std::int64_t array = -1;   ///< array tested, −1 = all arrays together
  bool applicable = false;   ///< false when there were too few failing cells
  double statistic = 0;      ///< observed value (χ², count or 0→1 share)
  double expected = 0;       ///< its expectation under the random model
  double dof = 0;            ///< degrees of freedom (χ² tests), else 0
  double p_value = 1;        ///< raw p-value
  double p_adjusted = 1;     ///< Holm-adjusted p-value
  bool rejected = false;     ///< p_adjusted ≤ alpha
  std::string note;          ///< e.g. "0→1 share 0.85", "pooled 8 columns per bin"
};

/// BER of one array.
struct ArrayRate {
  std::uint32_t array = 0;   ///< array index
  std::uint64_t failing = 0; ///< failing cells
  double ber = 0;            ///< failing / cells in the array
  double ber_lo = 0;         ///< Clopper–Pearson 95 % interval, lower end
  double ber_hi = 0;         ///< Clopper–Pearson 95 % interval, upper end
};

/// Everything reported at one supply voltage.
struct VoltageReport {
  double vdd = 0;                    ///< supply (× Vmin), = code / 4096
  std::uint16_t code = 0;            ///< supply code
  std::uint64_t cells = 0;           ///< cells in the chip
  std::uint64_t failing = 0;         ///< failing cells (vc > vdd)
  double ber = 0;                    ///< failing / cells
  double ber_lo = 0, ber_hi = 0;     ///< Clopper–Pearson 95 % interval of the BER
  std::uint64_t flips = 0;           ///< failing cells of kind flip
  std::uint64_t stuck0 = 0;          ///< failing cells stuck at 0 (1→0 errors)
  std::uint64_t stuck1 = 0;          ///< failing cells stuck at 1 (0→1 errors)
  double p01 = 0, p10 = 0;           ///< 0→1 and 1→0 rates (flips count half to each)
  std::uint64_t always_failing = 0;  ///< cells failing on every read (σ_n > 0)
  std::uint64_t ever_failing = 0;    ///< cells failing on some read (σ_n > 0)
  bool nesting_observed = false;     ///< nesting from an import's observations, else by model
  std::uint64_t violations = 0;      ///< failing here but not at the next lower voltage
  double nested_fraction = 1;        ///< 1 − violations / failing
  std::vector<TestResult> tests;     ///< the tests at this voltage
  std::vector<ArrayRate> arrays;     ///< per array, when asked
  bool consistent = true;            ///< no test rejected
  std::string verdict;               ///< one line
};

/// Maximum-likelihood probit fit of BER(V) = Φ((μ − V)/σ).
struct ProbitFit {
  bool ok = false;          ///< false with fewer than two informative voltages
  double mu = 0;            ///< × Vmin
  double sigma = 0;         ///< × Vmin
  double chi2 = 0;          ///< Pearson goodness of fit
  double dof = 0;           ///< voltages − 2
  double p_value = 1;       ///< of chi2 (1 when dof = 0)
  std::string note;         ///< why not ok, when not
};

/// The whole validation.
struct ValidationReport {
  std::vector<VoltageReport> voltages;  ///< descending supply
  ProbitFit fit;                        ///< BER(V) fit
  double alpha = 0.01;                  ///< level used
  bool consistent = true;               ///< every voltage consistent
};

/// Supplies (× Vmin, descending) to validate when none are given: an import's observed
/// voltages, else those where the profile's BER is nearest 5, 2, 1, 0.5, 0.2 and 0.1 %.
std::vector<double> default_voltages(const Profile& p);
/// The supply code where the share of cells with vc > code first drops to ≤ `ber`.
std::uint16_t code_for_ber(const CellMap& map, double ber);
/// Runs every test; throws lowvolt::Error for an empty voltage list or bad options.
ValidationReport validate(const Profile& p, const ValidationOptions& options);
/// Probit fit of k[i] failing out of n at supplies v[i] (× Vmin).
ProbitFit fit_probit(const std::vector<double>& v, const std::vector<std::uint64_t>& k,
                     std::uint64_t n);

}  // namespace lowvolt::profiles
