#pragma once
// lowvolt::sim::EnergyReport — what the energy monitor (lowvolt/sim/energy_monitor.h) counted.
// Plain C++ (no SystemC), so the rtl backend's users need no SystemC headers.
#include <array>
#include <cstdint>
#include <map>

#include "lowvolt/accelerator/hw_spec.h"

namespace lowvolt::sim {

/// Energy of the weight memory since the monitor was last cleared.
struct EnergyReport {
  double dynamic = 0.0;      ///< access energy, in units of one access at Vmin
  double leakage = 0.0;      ///< leakage energy of all banks, in units of one access at Vmin
  std::uint64_t reads = 0;   ///< bank reads counted
  std::uint64_t writes = 0;  ///< bank writes counted
  std::uint64_t cycles = 0;  ///< clock cycles of the counted accesses
  /// Access energy per bank, in units of one access at Vmin.
  std::array<double, accelerator::hw::kBanks> bank_dynamic{};
  /// Accesses (reads + writes) per supply code (V/Vmin × 4096) they ran at.
  std::map<std::uint16_t, std::uint64_t> accesses_at;

  /// dynamic + leakage, in units of one access at Vmin.
  double total() const { return dynamic + leakage; }
};

}  // namespace lowvolt::sim
