#pragma once
// ECC in energy/error curves (issue 15; docs/memory-model.md "ECC", docs/results.md). Contract:
//  - Energy per weight-word access at supply v (× Vmin), in units of one 64-bit access at Vmin
//    without ECC: (64 + c)/64 · EnergyModel::access(v) + e_logic, with c the mode's stored check
//    bits (0, 1, 8; check cells are SRAM cells at the same supply, and an access's dynamic
//    energy is taken proportional to the columns it switches) and e_logic the encoder/decoder
//    energy per access (EccEnergy; the logic runs at the nominal logic supply, not the lowered
//    SRAM supply, so it does not scale with v). Energy per inference = reads × that energy, so
//    normalised to no ECC at 1.0 × Vmin the read count cancels; ECC adds no access.
//  - Word error rates of a chip at a supply (chip_word_rates), over all kBufferWords words, in
//    the persistent worst-case view in which every faulty cell (vc > vdd) reads wrong: raw = words
//    with ≥ 1 faulty data cell; detected = words the decoder flags uncorrectable; post = words
//    delivered differently from what was stored (a parity word delivered as 0 counts as wrong).
//  - curve_ecc.h runs one sweep per ECC mode with these energies and rates.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/chip_model.h"

namespace lowvolt::host {

/// Energy of the ECC logic per weight-word access, in units of one 64-bit SRAM access at Vmin
/// (defaults and their derivation: docs/memory-model.md, "ECC energy").
struct EccEnergy {
  double parity = 0.01;  ///< parity tree (63 XOR2) per access, × one access at Vmin
  double secded = 0.10;  ///< Hsiao encoder/decoder (≈ 800 gates) per access, × one access at Vmin

  /// The logic energy of `mode` per access (0 for none).
  double logic(accelerator::EccMode mode) const;
  /// Throws lowvolt::Error naming `what` if a value is negative or above 10.
  void validate(const std::string& what) const;
  /// Parses "parity=0.01,secded=0.1" (either key, in any order) over the defaults; lowvolt::Error
  /// naming `what` and the key on a bad item.
  static EccEnergy parse(const std::string& text, const std::string& what);
};

/// Energy per weight-word access at v (× Vmin) with ECC `mode`, × one access at Vmin without ECC.
double ecc_access_energy(const profiles::EnergyModel& model, double v, accelerator::EccMode mode,
                         const EccEnergy& logic);

/// Word error rates of one chip at one supply (fractions of all words; see the contract).
struct EccWordRates {
  double raw = 0.0;       ///< words with ≥ 1 faulty data cell
  double detected = 0.0;  ///< words flagged uncorrectable by the decoder
  double post = 0.0;      ///< words delivered wrong after the decoder
};

/// Word error rates of the chip with data cells `data` and check cells `check`
/// (ecc_check_cells(data)) at supply code `vdd` under `mode`.
EccWordRates chip_word_rates(const profiles::CellMap& data, const profiles::CellMap& check,
                             std::uint16_t vdd, accelerator::EccMode mode);

}  // namespace lowvolt::host
