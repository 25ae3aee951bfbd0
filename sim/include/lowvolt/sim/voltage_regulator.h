#pragma once
// lowvolt::sim::VoltageRegulator — the accelerator's supply: a TLM-2.0 initiator on the
// AccelModule's `supply` socket that drives set_vdd, either on request or from a per-layer
// schedule of supply voltages that changes between layers.
// Contract:
//  - set_supply() always runs one set_vdd on the accelerator (the RTL re-sweeps its fault masks,
//    hw::kSramRows cycles), even when the code does not change, as the command does.
//  - begin_layer(i) looks up the schedule entry of layer i (the last entry for layers past the
//    end) and drives it only when it differs from the supply the accelerator has now (read
//    through the AccessTap), so an unchanged supply costs no cycles. Without a schedule it does
//    nothing. Layer numbers are the caller's; the regulator only remembers the last one.
//  - Both must be called from an SC_THREAD (b_transport waits for the RTL).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "lowvolt/sim/accel_module.h"

namespace lowvolt::sim {

/// Supply-voltage schedule and set_vdd driver.
class VoltageRegulator : public sc_core::sc_module {
 public:
  /// To AccelModule::supply.
  tlm_utils::simple_initiator_socket<VoltageRegulator, 64> out;
  /// The accelerator's counters and present supply.
  sc_core::sc_port<AccessTap> tap;

  explicit VoltageRegulator(const sc_core::sc_module_name& name);

  /// Per-layer supply codes (V/Vmin × 4096); layer i runs at codes[min(i, size − 1)]. An empty
  /// schedule switches scheduling off.
  void set_schedule(std::vector<std::uint16_t> codes) { schedule_ = std::move(codes); }
  /// The schedule in use (empty: none).
  const std::vector<std::uint16_t>& schedule() const { return schedule_; }
  /// Drives the supply to `code` (V/Vmin × 4096) now: one set_vdd command.
  void set_supply(std::uint16_t code);
  /// A layer boundary: drives the schedule's code for `layer` if it differs from the present
  /// supply; returns whether a set_vdd was sent.
  bool begin_layer(std::size_t layer);
  /// The last layer passed to begin_layer() (0 before any).
  std::size_t layer() const { return layer_; }
  /// set_vdd commands this regulator has sent.
  std::uint64_t changes() const { return changes_; }

 private:
  std::vector<std::uint16_t> schedule_;
  std::size_t layer_ = 0;
  std::uint64_t changes_ = 0;
};

}  // namespace lowvolt::sim
