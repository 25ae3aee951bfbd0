#pragma once
// lowvolt::sim::EnergyMonitor — weight-memory energy of the accelerator, from the bank access
// counters the RTL keeps and the supply at the time of each access.
// Contract:
//  - After every access of the AccelModule that ran clock cycles (AccessTap::activity_event()),
//    the monitor adds, per bank, (reads + writes) × EnergyModel::access(V) and, for the access's
//    clock cycles, cycles × EnergyModel::leakage_per_cycle(V) per bank, where V = vdd_code / 4096
//    (× Vmin) is the supply the controller had when the access began. Energies are in units of
//    one SRAM access at Vmin, so E/E(Vmin) = (V/Vmin)^2 per access (profiles::EnergyModel).
//  - A set_vdd command makes no accesses; the accesses after it are counted at the new supply.
//    Reset and profile loads zero the RTL's counters and count no accesses.
#include <systemc>

#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/sim/accel_module.h"
#include "lowvolt/sim/energy_report.h"

namespace lowvolt::sim {

/// Integrates access energy from an AccessTap.
class EnergyMonitor : public sc_core::sc_module {
 public:
  /// The accelerator's counters.
  sc_core::sc_port<AccessTap> tap;

  SC_HAS_PROCESS(EnergyMonitor);
  explicit EnergyMonitor(const sc_core::sc_module_name& name);

  /// The energy model (leakage per cycle at Vmin); takes effect for later accesses.
  void set_model(const profiles::EnergyModel& model) { model_ = model; }
  /// The energy model in use.
  const profiles::EnergyModel& model() const { return model_; }
  /// What has been counted since construction or clear().
  const EnergyReport& report() const { return report_; }
  /// Starts counting from zero.
  void clear() { report_ = EnergyReport{}; }

 private:
  void on_activity();

  profiles::EnergyModel model_;
  EnergyReport report_;
};

}  // namespace lowvolt::sim
