#pragma once
// Energy of a workload: Σ count × energy per action, per component and per rail.
//
// Contract. ActionCounts holds how many times each (component, action) happened, as counted by a
// backend or derived from a schedule; counts are finite and ≥ 0 (a double, so analytic averages
// per image fit). breakdown() prices every count with EnergyTable::energy at one operating
// point: a count of an action the table does not price throws lowvolt::Error naming it (never a
// silent zero), even when the count is 0, so a table that lacks a counted action is found on the
// first inference, not when that action first happens. Leakage actions count clock cycles.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lowvolt/energy/table.h"

namespace lowvolt::energy {

/// Action counts keyed by (component, action).
class ActionCounts {
 public:
  /// Adds `n` (finite, ≥ 0) actions; throws lowvolt::Error naming the entry otherwise.
  void add(const std::string& component, const std::string& action, double n);
  /// The count of (component, action), 0 when never added.
  double get(const std::string& component, const std::string& action) const;
  /// All entries, ordered by (component, action).
  const std::map<std::pair<std::string, std::string>, double>& entries() const { return counts_; }

 private:
  std::map<std::pair<std::string, std::string>, double> counts_;
};

/// One priced line of a breakdown.
struct BreakdownLine {
  std::string component;              ///< component name
  std::string action;                 ///< action name
  std::string rail;                   ///< the component's rail
  double count = 0.0;                 ///< actions (leakage: cycles)
  double energy_per_action_pj = 0.0;  ///< pJ per action at the operating point
  double energy_pj = 0.0;             ///< count × energy_per_action_pj (pJ)
};

/// A workload's energy at one operating point.
struct Breakdown {
  std::vector<BreakdownLine> lines;            ///< one per counted action, in catalogue order
  std::map<std::string, double> component_pj;  ///< component → energy (pJ)
  std::map<std::string, double> rail_pj;       ///< rail → energy (pJ)
  double total_pj = 0.0;                       ///< Σ of every line (pJ)
  double frequency_ratio = 1.0;                ///< f(op) / f_nom the leakage lines used

  /// Share of the total of `component` (0 … 1; 0 when the total is 0).
  double component_share(const std::string& component) const;
  /// Share of the total of `rail` (0 … 1; 0 when the total is 0).
  double rail_share(const std::string& rail) const;
};

/// Prices `counts` with `table` at `op` (contract above).
Breakdown breakdown(const EnergyTable& table, const ActionCounts& counts,
                    const OperatingPoint& op = {});

}  // namespace lowvolt::energy
