#pragma once
// The calibrated chip generator. Critical voltage of a cell, in × Vmin:
//   V_c = mu + δ_array + δ_column + δ_row + sigma · z,   z ~ N(0, 1) per cell,
//   δ_array ~ N(0, sigma_array) per array, δ_column = col_shift for a fraction f_col of the
//   columns of each array (else 0), δ_row = row_shift for a fraction f_row of rows (else 0).
// Each cell is a flip with probability flip_fraction, else stuck at s ~ Bernoulli(b) (b = share
// of 0→1 errors). sigma_n is the chip-wide per-read noise on V_c (0 = always-failing cells).
// Every draw comes from the explicit seed through splitmix64 and portable transforms, so a
// (params, geometry, seed) triple gives the same map on every platform. Constants and their
// sources: docs/profiles.md.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::profiles {

/// Parameters of the chip model (all voltages × Vmin).
struct ChipParams {
  double mu = 0.7035;         ///< mean critical voltage (× Vmin); Figure 1 fit
  double sigma = 0.0562;      ///< per-cell spread of V_c (× Vmin); Figure 1 fit
  double sigma_array = 0.01;  ///< spread of the per-array offset (× Vmin); assumption
  double f_col = 0.0;         ///< fraction of weak columns per array (0…1)
  double col_shift = 0.095;   ///< V_c shift of a weak column (× Vmin)
  double f_row = 0.0;         ///< fraction of weak rows per array (0…1)
  double row_shift = 0.095;   ///< V_c shift of a weak row (× Vmin)
  double flip_fraction = 1.0; ///< share of cells that fail as XOR flips (0…1); rest stuck-at
  double b = 0.5;             ///< share of stuck cells stuck at 1, i.e. 0→1 errors (0…1)
  double sigma_n = 0.0;       ///< per-read noise on V_c (× Vmin); 0 = persistent faults

  /// Every field equal.
  bool operator==(const ChipParams& o) const;
};

/// Names of the ChipParams fields, in file order ("mu", "sigma", …).
const std::vector<std::string>& param_names();
/// The value of field `name`; throws lowvolt::Error listing the known names if unknown.
double get_param(const ChipParams& p, const std::string& name);
/// Sets field `name`, checking its range; throws lowvolt::Error naming key and value.
void set_param(ChipParams& p, const std::string& name, double value);
/// Applies "key=value" overrides (as typed after --set); throws lowvolt::Error on bad ones.
void apply_overrides(ChipParams& p, const std::vector<std::string>& assignments);
/// Checks every field's range; throws lowvolt::Error naming `what` and the field.
void check_params(const ChipParams& p, const std::string& what);

/// Model parameters from a JSON file: `lowvolt profile fit --json` output (its "params" object)
/// or an object of parameters only; unset fields keep the uniform preset's values. lowvolt::Error
/// naming the file (and the key) when it is not such an object or a value is out of range.
ChipParams read_params_json(const std::string& path);

/// Names of the presets: "uniform", "chip1", "chip2".
std::vector<std::string> preset_names();
/// A preset's parameters; throws lowvolt::Error listing the known presets if unknown.
ChipParams preset(const std::string& name);

/// Draws a chip: the cell map of `g` under `p` from `seed` (also the intermittent hash seed).
CellMap generate_chip(const ChipParams& p, const Geometry& g, std::uint64_t seed);

/// Portable random numbers from one 64-bit seed (splitmix64 stream; Box–Muller normals).
class SplitMix64 {
 public:
  /// A stream starting from `seed`.
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  /// Next raw 64-bit draw.
  std::uint64_t next() {
    state_ += kSplitMixGamma;
    return mix64(state_);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box–Muller; one of each pair, so every call costs two draws).
  double normal();

 private:
  std::uint64_t state_;
};

/// Energy per access and leakage against supply, normalised to one access at Vmin.
struct EnergyModel {
  double leakage = 0.0;  ///< leakage energy per cycle at Vmin, in units of one access at Vmin

  /// Dynamic energy per access at v (× Vmin): (v)^2, the paper's Figure 1.
  double access(double v) const { return v * v; }
  /// Leakage energy per cycle at v (× Vmin): leakage · v (assumes a constant leakage current).
  double leakage_per_cycle(double v) const { return leakage * v; }
  /// Energy of `accesses` accesses over `cycles` cycles at v, in units of one access at Vmin.
  double total(double v, double accesses, double cycles) const {
    return accesses * access(v) + cycles * leakage_per_cycle(v);
  }
};

}  // namespace lowvolt::profiles
