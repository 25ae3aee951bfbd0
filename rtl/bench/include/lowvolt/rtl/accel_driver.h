#pragma once
// lowvolt::rtl::AccelDriver — drives the Verilated accelerator (rtl/accel_top.sv) cycle by cycle
// through its three 64-bit valid/ready streams (command, input data, output data) with the word
// formats of lowvolt/accelerator/hw_spec.h, and loads chip fault profiles through the backdoor
// port. Semantics of every command: docs/rtl.md.
// Ownership: each driver owns its VerilatedContext and model (no file-scope statics); several
// drivers may live in one process; a driver is not thread-safe. The Verilated model is hidden
// behind a pimpl, so users need neither Verilator headers nor flags.
// Failures: lowvolt::Error for a caller's mistake (wrong profile size, out-of-range field);
// LV_CHECK (lowvolt::InternalError) when the RTL breaks the stream protocol (e.g. never answers).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/accelerator/hw_spec.h"

namespace lowvolt::rtl {

/// Fault profile of one bank (docs/memory-model.md); cell (row, col) is entry row x kSramCols +
/// col. The bank's ECC check cells (row, c) are entry row x kEccCheckCols + c of check_vc and
/// check_kind (accelerator::ecc_check_cells() derives them from a chip); both empty: check cells
/// that never fail (vc code 0).
struct BankProfile {
  std::vector<std::uint16_t> vc_code;  ///< critical voltage code, V_c/Vmin x 4096
  std::vector<std::uint8_t> kind;      ///< failure kind: 0 flip, 1 stuck-at-0, 2 stuck-at-1
  std::vector<std::uint16_t> check_vc;   ///< check cells' vc codes (kSramRows x kEccCheckCols)
  std::vector<std::uint8_t> check_kind;  ///< check cells' failure kinds
};

/// Counters as returned by the `counters` command: the accelerator interface's type.
using Counters = accelerator::Counters;

/// The `ecc_counters` response: the accelerator interface's type.
using EccCounters = accelerator::EccCounters;

/// One failing cell reported by the MBIST engine: the accelerator interface's type (with ECC on,
/// check cell c of word w is cell kBufferWords × 64 + w × 8 + c).
using MbistRecord = accelerator::MbistRecord;

/// Cycle-level driver of one Verilated accel_top.
class AccelDriver {
 public:
  /// Builds the model and resets it. A non-empty `fst_path` traces every cycle into that file.
  explicit AccelDriver(const std::string& fst_path = "");
  ~AccelDriver();
  AccelDriver(const AccelDriver&) = delete;
  AccelDriver& operator=(const AccelDriver&) = delete;

  /// Pulses rst for one cycle and waits until the fault-mask sweep is done (cmd_ready).
  void reset();
  /// Backdoor-loads a chip profile: banks.size() == kBanks, each with kSramRows x kSramCols cells;
  /// sigma_code (V/Vmin x 4096) and seed are chip-wide. Zeroes every bank's counters.
  void load_profile(const std::vector<BankProfile>& banks, std::uint16_t sigma_code,
                    std::uint64_t seed);
  /// `write` command: words to addresses addr, addr+1, ... (mod kBufferWords).
  void write(std::uint32_t addr, const std::vector<std::uint64_t>& words);
  /// `read` command: `count` words from addr, addr+1, ..., through the fault overlay.
  std::vector<std::uint64_t> read(std::uint32_t addr, std::uint32_t count);
  /// `set_vdd` command; returns once the fault masks are refreshed.
  void set_vdd(std::uint16_t vdd_code);
  /// `tile_cfg` command; throws lowvolt::Error for a shape the RTL would reject.
  void tile_cfg(const accelerator::hw::TileCfgCmd& cfg);
  /// `run` command: activations[k] is the activation word of step k (k = activations.size());
  /// returns the rows x cols int32 results of the current tile_cfg, row-major.
  std::vector<std::int32_t> run(std::uint32_t w_bit_addr,
                                const std::vector<std::uint64_t>& activations);
  /// `counters` command.
  Counters counters();
  /// Sets the ECC mode strap cfg_ecc (hw::kEccNone, kEccParity or kEccSecded; lowvolt::Error
  /// otherwise). No clock cycle; it survives reset. Set it before writing the words it protects.
  void set_ecc_mode(std::uint32_t mode);
  /// `ecc_counters` command.
  EccCounters ecc_counters();
  /// `mbist` command: the records in ascending cell order (the end word's count is checked).
  std::vector<MbistRecord> mbist();
  /// Sends one raw command word that takes no data and returns none (nop, unknown opcodes).
  void raw_command(std::uint64_t word);
  /// Back-pressure for later commands: each cycle the driver withholds input data with
  /// probability in_idle and output readiness with probability out_idle (0 = never, the
  /// default; busy-cycle formulas hold only then), drawn from `seed`. Throws for p outside [0, 1).
  void set_stalls(double in_idle, double out_idle, std::uint64_t seed);
  /// Clock cycles this driver has simulated since construction.
  std::uint64_t ticks() const;
  /// Busy cycles of the last command: from the cycle that accepted it to the one after which
  /// cmd_ready was high again, both included (the timing formulas of docs/rtl.md).
  std::uint64_t last_command_cycles() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lowvolt::rtl
