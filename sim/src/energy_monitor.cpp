#include "lowvolt/sim/energy_monitor.h"

#include "lowvolt/profiles/read_model.h"

namespace lowvolt::sim {

EnergyMonitor::EnergyMonitor(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), tap("tap") {
  SC_METHOD(on_activity);
  sensitive << tap;  // the tap's default_event(): a new Activity record
  dont_initialize();
}

void EnergyMonitor::on_activity() {
  const Activity& a = tap->last_activity();
  const double v = profiles::code_volts(a.vdd_code);
  const double per_access = model_.access(v);
  std::uint64_t accesses = 0;
  for (std::uint32_t b = 0; b < accelerator::hw::kBanks; ++b) {
    const std::uint64_t n = std::uint64_t{a.reads[b]} + a.writes[b];
    report_.bank_dynamic[b] += static_cast<double>(n) * per_access;
    report_.reads += a.reads[b];
    report_.writes += a.writes[b];
    accesses += n;
  }
  report_.dynamic += static_cast<double>(accesses) * per_access;
  report_.leakage +=
      static_cast<double>(a.cycles) * accelerator::hw::kBanks * model_.leakage_per_cycle(v);
  report_.cycles += a.cycles;
  if (accesses > 0) report_.accesses_at[a.vdd_code] += accesses;
}

}  // namespace lowvolt::sim
