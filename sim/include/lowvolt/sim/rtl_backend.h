#pragma once
// lowvolt::sim::RtlAccelerator — the `rtl` backend of lowvolt::accelerator::Accelerator: the one
// RTL driver (accelerator::CommandDriver) encodes every command and decodes its answer, and its
// port sends each as a TLM-2.0 transaction from the host driver (initiator) to the Verilated
// accelerator under SystemC (lowvolt/sim/simulation.h), supply changes go through the voltage
// regulator, and the energy monitor counts weight-memory energy. No SystemC in this header.
// Contract (beyond accelerator.h's, which it meets bit for bit with the golden backend):
//  - One live RtlAccelerator per process (SystemC elaborates once): constructing a second while
//    one lives throws lowvolt::Error. Constructed one after another they share the simulation;
//    each starts from the state accelerator.h promises after construction (reset, all-good
//    profile, all-zero buffer, counters zero), which costs about 17 000 simulated cycles.
//  - Options (AcceleratorConfig), unknown keys rejected with lowvolt::Error naming the key:
//      trace         path of an FST waveform of every RTL signal, written while the backend lives
//      vdd_schedule  comma-separated supply voltages (× Vmin), one per layer (begin_layer())
//      leakage       leakage energy per bank and cycle at Vmin, in units of one access at Vmin
//                    (profiles::EnergyModel::leakage; default 0)
//      ecc           none (default), parity or secded: the RTL's ECC mode strap (cfg_ecc); the
//                    backend then equals the golden backend with the same option bit for bit
//                    (EccGoldenAccelerator). Profiles load their check cells
//                    (accelerator::ecc_check_cells) whatever the mode.
//  - set_vdd_code() drives the regulator (one set_vdd); begin_layer() applies the schedule.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/command_driver.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/sim/energy_report.h"

namespace lowvolt::sim {

/// The Verilated accelerator under SystemC, driven through TLM-2.0.
class RtlAccelerator final : public accelerator::Accelerator {
 public:
  /// Takes the process's co-simulation (see above) and brings it to the post-construction state.
  explicit RtlAccelerator(const accelerator::AcceleratorConfig& config = {});
  ~RtlAccelerator() override;
  RtlAccelerator(const RtlAccelerator&) = delete;
  RtlAccelerator& operator=(const RtlAccelerator&) = delete;

  std::string name() const override { return "rtl"; }
  void reset() override;
  void load_profile(const profiles::CellMap& map) override;
  void set_vdd_code(std::uint16_t vdd_code) override;
  void write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) override;
  void read(std::uint32_t addr, std::size_t count, std::uint64_t* out) override;
  void tile_cfg(const accelerator::TileConfig& cfg) override;
  void run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
           std::int32_t* out) override;
  accelerator::Counters counters() override;
  std::vector<accelerator::MbistRecord> mbist() override;
  using Accelerator::read;
  using Accelerator::run;
  using Accelerator::write;

  /// Per-layer supply codes (V/Vmin × 4096) for begin_layer(); empty: no schedule.
  void set_vdd_schedule(const std::vector<std::uint16_t>& codes);
  /// The schedule in use.
  std::vector<std::uint16_t> vdd_schedule() const;
  /// A layer boundary: the regulator drives the schedule's supply for `layer` if it changes;
  /// returns whether a set_vdd was sent.
  bool begin_layer(std::size_t layer);
  /// The supply code the RTL's controller holds now (read through the debug tap).
  std::uint16_t supply_code() const;
  /// Weight-memory energy since construction or clear_energy().
  EnergyReport energy() const;
  /// Starts the energy count from zero.
  void clear_energy();
  /// Clock cycles simulated since this backend was constructed (including its set-up).
  std::uint64_t simulated_cycles() const;
  /// The tile configuration the RTL holds (mirrored: accelerator.h's reset value after reset()).
  const accelerator::TileConfig& tile_config() const { return driver_.tile_config(); }
  /// The ECC mode (option ecc).
  accelerator::EccMode ecc_mode() const { return ecc_; }
  /// The `ecc_counters` command: per bank, decoded reads corrected and detected uncorrectable
  /// (EccGoldenAccelerator::ecc_counters_command(); its cycles count like any command's).
  accelerator::EccCounters ecc_counters();

 private:
  accelerator::CommandDriver driver_;  // over the TLM host driver (SimPort)
  accelerator::EccMode ecc_ = accelerator::EccMode::kNone;
  std::uint64_t start_cycle_ = 0;
  bool tracing_ = false;
};

/// Parses a vdd_schedule option ("1.0,0.9,0.85", × Vmin) into supply codes; lowvolt::Error
/// naming the option and the bad entry otherwise.
std::vector<std::uint16_t> parse_vdd_schedule(const std::string& text);

/// Registers RtlAccelerator as "rtl" in lowvolt::accelerator's registry. Idempotent.
void register_rtl_backend();

}  // namespace lowvolt::sim
