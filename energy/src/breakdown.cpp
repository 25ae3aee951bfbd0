// Σ count × energy per action, per component and rail (breakdown.h).
#include "lowvolt/energy/breakdown.h"

#include <cmath>

#include "lowvolt/common/error.h"

namespace lowvolt::energy {

void ActionCounts::add(const std::string& component, const std::string& action, double n) {
  if (!std::isfinite(n) || n < 0.0) {
    fail("action count of '", component, ".", action, "' is ", n, ": counts are finite and >= 0");
  }
  double& c = counts_[{component, action}];
  c += n;
  if (!std::isfinite(c)) fail("action count of '", component, ".", action, "' overflows");
}

double ActionCounts::get(const std::string& component, const std::string& action) const {
  auto it = counts_.find({component, action});
  return it == counts_.end() ? 0.0 : it->second;
}

double Breakdown::component_share(const std::string& component) const {
  auto it = component_pj.find(component);
  return (it == component_pj.end() || total_pj <= 0.0) ? 0.0 : it->second / total_pj;
}

double Breakdown::rail_share(const std::string& rail) const {
  auto it = rail_pj.find(rail);
  return (it == rail_pj.end() || total_pj <= 0.0) ? 0.0 : it->second / total_pj;
}

Breakdown breakdown(const EnergyTable& table, const ActionCounts& counts,
                    const OperatingPoint& op) {
  table.check(op);
  Breakdown b;
  b.frequency_ratio = table.frequency_ratio(op);
  // Catalogue order first, so reports list components the same way every time; names outside
  // the catalogue are still priced (and so refused by energy()).
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& e : catalogue()) {
    for (const auto& a : e.actions) {
      if (counts.entries().count({e.component, a.name})) order.emplace_back(e.component, a.name);
    }
  }
  for (const auto& [key, n] : counts.entries()) {
    if (!catalogue_action(key.first, key.second)) order.push_back(key);
  }
  for (const auto& [component, action] : order) {
    const double n = counts.get(component, action);
    BreakdownLine line;
    line.component = component;
    line.action = action;
    line.energy_per_action_pj = table.energy(component, action, op);
    line.rail = table.find(component)->rail;
    line.count = n;
    line.energy_pj = n * line.energy_per_action_pj;
    b.component_pj[component] += line.energy_pj;
    b.rail_pj[line.rail] += line.energy_pj;
    b.total_pj += line.energy_pj;
    b.lines.push_back(std::move(line));
  }
  return b;
}

}  // namespace lowvolt::energy
