#pragma once
// Fitting chip-model parameters to a profile (`lowvolt profile fit`), so that generate_chip()
// makes new chips like it. Contract:
//  - Voltages: an import's observed voltages, else a grid where the BER spans 50 % … 0.01 %.
//  - Weak columns (rows) are those whose failing count at the reference voltage (BER nearest
//    0.5 %) is improbable under their array's bulk rate (binomial tail < 1e-3 / all columns).
//  - μ, σ: grouped-normal maximum likelihood of the bulk cells' critical voltages per array
//    (interval-censored by the voltage grid); μ = mean, σ = mean of the per-array fits,
//    σ_array = standard deviation of the per-array μ. Shifts: the same fit of the weak cells
//    with σ fixed. b and flip_fraction: shares among cells failing at the lowest voltage.
//    σ_n is the profile's recorded sigma_code (not estimated from data).
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/profile.h"

namespace lowvolt::profiles {

/// The fitted parameters and how they were obtained.
struct FitResult {
  ChipParams params;                 ///< fitted model parameters
  std::vector<double> vdds;          ///< voltages used (× Vmin, descending)
  double reference_vdd = 0;          ///< voltage of the weak column/row search (× Vmin)
  std::uint64_t weak_columns = 0;    ///< weak columns found (over all arrays)
  std::uint64_t columns = 0;         ///< columns searched (arrays × cols)
  std::uint64_t weak_rows = 0;       ///< weak rows found
  std::uint64_t rows = 0;            ///< rows searched (arrays × rows)
  std::vector<double> array_mu;      ///< per-array μ (× Vmin)
  std::vector<double> array_sigma;   ///< per-array σ (× Vmin)
};

/// Fits `p`; `vdds` (× Vmin) overrides the voltage grid when not empty.
FitResult fit_profile(const Profile& p, const std::vector<double>& vdds = {});

}  // namespace lowvolt::profiles
