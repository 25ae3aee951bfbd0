#pragma once
// The application layer of `lowvolt profile measure` and `lowvolt profile compare` (see app.h for
// eval and train): options struct in, result struct out, no printing. Contract:
//  - measure_profile() characterises an emulated chip through the accelerator's March-test MBIST
//    engine, as a test chip is profiled: the chip's profile is loaded into the named backend
//    ("rtl" or "golden"; the caller registers "rtl"), MBIST runs at each supply from the highest
//    down, and every failing-cell observation becomes a measured profile (profiles::import,
//    the chip's read noise, seed and energy model kept), written atomically to `out`.
//  - With MeasureRequest::ecc parity or secded the backend is built with that ECC mode, so its
//    MBIST (ECC bypassed, as a memory BIST does) also tests the mode's raw check cells (derived
//    from the chip by accelerator::ecc_check_cells()). The measured profile is built from the
//    data cells only, exactly as with ecc none (an .lvp holds the 64 data columns; a profile's
//    check cells are always derived from them); the check cells are reported per supply beside
//    the data cells: failing check cells seen, and those the measured profile predicts — its
//    own derived check cells (ecc_check_cells(measured)) faulty at that supply (vc > vdd).
//  - compare_profiles() compares B with reference A cell by cell at each supply: failing cells
//    in each and both, kind agreement, and whether B holds A's persistent faults exactly — every
//    cell of A that fails under the most favourable read noise found in B, and no cell of A that
//    never fails under the least favourable reported in B. Cells between are intermittent, and a
//    finite test may or may not catch them.
//  - Errors are lowvolt::Error naming the file (geometry, unreadable profile) or
//    lowvolt::UsageError naming the option.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/profiles/profile.h"

namespace lowvolt::host {

/// Options of measure_profile().
struct MeasureRequest {
  std::string chip;            ///< chip profile (.lvp) loaded into the weight buffer
  std::vector<double> vdds;    ///< supplies to test at, × Vmin (any order)
  std::string backend = "rtl"; ///< accelerator backend name
  std::string out;             ///< measured profile to write (.lvp)
  bool quiet = false;          ///< no progress output
  /// ECC mode of the backend: parity/secded also test that mode's check cells (none: data only)
  accelerator::EccMode ecc = accelerator::EccMode::kNone;

  /// Throws lowvolt::UsageError naming the option when one is missing or out of range.
  void validate() const;
};

/// One supply of measure_profile(): what its MBIST run saw (cells counted once, whatever the
/// direction), and the check cells the measured profile predicts at that supply.
struct MeasureVoltage {
  double vdd = 0.0;                    ///< supply, × Vmin
  std::uint64_t data_failing = 0;      ///< data cells seen failing at this supply
  std::uint64_t check_failing = 0;     ///< check cells of the mode seen failing (0 for none)
  std::uint64_t check_predicted = 0;   ///< of the measured profile's derived check cells of the
                                       ///< mode, those faulty at this supply (vc > vdd; 0 for none)
};

/// The result of measure_profile().
struct MeasureReport {
  std::string backend;                ///< the backend's name
  std::vector<double> vdds;           ///< supplies tested, highest first, × Vmin
  std::size_t observations = 0;       ///< failing-cell observations (a cell per direction and supply)
  profiles::Profile measured;         ///< the profile written to MeasureRequest::out
  accelerator::EccMode ecc = accelerator::EccMode::kNone;  ///< the backend's ECC mode
  std::uint64_t data_cells = 0;       ///< data cells tested (the buffer's 16 × 512 × 64)
  std::uint64_t check_cells = 0;      ///< check cells tested: words × the mode's check bits
  std::vector<MeasureVoltage> voltages;  ///< per supply, highest first (like vdds)
};

/// Runs MBIST on the emulated chip and writes the measured profile (see the contract).
MeasureReport measure_profile(const MeasureRequest& request);

/// Options of compare_profiles().
struct CompareRequest {
  std::string a;              ///< reference profile (.lvp)
  std::string b;              ///< profile compared with it (.lvp)
  std::vector<double> vdds;   ///< supplies, × Vmin; empty = B's observed ones, else A's
};

/// One supply of compare_profiles().
struct CompareVoltage {
  double vdd = 0.0;                       ///< supply, × Vmin
  double ber_a = 0.0;                     ///< fraction of A's cells failing (persistent view)
  double ber_b = 0.0;                     ///< the same for B
  std::uint64_t failing_a = 0;            ///< cells failing in A
  std::uint64_t failing_b = 0;            ///< cells failing in B
  std::uint64_t both = 0;                 ///< failing in both
  double kind_agreement = 1.0;            ///< of those, fraction with the same fault kind
  std::uint64_t always_failing_a = 0;     ///< cells of A failing whatever the read noise
  std::uint64_t always_failing_found_in_b = 0;  ///< of those, failing in B
  std::uint64_t never_failing_a_reported_in_b = 0;  ///< cells of A that never fail, failing in B
  std::uint64_t intermittent_a = 0;       ///< cells of A that fail for some read noise only
  std::uint64_t intermittent_found_in_b = 0;  ///< of those, failing in B
  bool persistent_agree = false;          ///< all always-failing found, no never-failing reported
};

/// The result of compare_profiles().
struct CompareReport {
  std::string a;                          ///< reference profile
  std::string b;                          ///< compared profile
  std::vector<CompareVoltage> voltages;   ///< highest supply first
  bool persistent_agree = false;          ///< persistent_agree at every supply
};

/// Compares two profiles cell by cell (see the contract).
CompareReport compare_profiles(const CompareRequest& request);

}  // namespace lowvolt::host
