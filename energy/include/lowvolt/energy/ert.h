#pragma once
// Accelergy energy reference tables (ERT) in and out, so a team reuses the table its
// Accelergy/Timeloop flow already made, and a LowVolt table feeds theirs. docs/energy.md.
//
// ERT format read and written (Accelergy 0.3/0.4, energies in pJ per action):
//   ERT: {version: 0.4, tables: [{name: <component>, actions: [{name, arguments: {…}, energy}]}]}
// and the summary Accelergy prints beside it:
//   ERT_summary: {version: 0.4, table_summary: [{name, actions: [{name, energy} |
//                                               {name, average_energy, max_energy, min_energy}]}]}
// An ERT has no voltage law, rail or clock: importing overlays its energies onto a base table
// (laws, rails, clock and unmapped actions come from the base, by default the bundled table),
// through an explicit mapping from LowVolt's (component, action) to the ERT's (name, action).
//
// Mapping file (YAML or JSON):
//   ert_mapping: 1
//   require: listed | all     # all: every action of the base table must be mapped
//   entries:
//   - {component: weight_buffer, action: read, ert_component: system.wbuf.bank[0..15],
//      ert_action: read, arguments: {data_delta: 1}, statistic: average, scale: 1}
// ert_component matches an ERT name exactly or with its [i..j] ranges removed; `arguments`
// picks one argument combination where the ERT has several (otherwise it is an error naming
// them); `statistic` (average|min|max) picks a summary figure; LowVolt energy = ERT energy ×
// scale (e.g. scale 8 when the ERT prices one 8-bit access and LowVolt a 64-bit word).
#include <map>
#include <string>
#include <vector>

#include "lowvolt/energy/table.h"

namespace lowvolt::energy {

/// One mapped action.
struct ErtMappingEntry {
  std::string component;                         ///< LowVolt component
  std::string action;                            ///< LowVolt action
  std::string ert_component;                     ///< ERT component name
  std::string ert_action;                        ///< ERT action name
  std::map<std::string, std::string> arguments;  ///< argument values to match (as text)
  std::string statistic;  ///< ERT_summary: "average", "min" or "max" ("" = none)
  double scale = 1.0;     ///< LowVolt energy = ERT energy × scale (> 0)
};

/// A mapping between LowVolt's actions and an ERT's.
struct ErtMapping {
  bool require_all = false;              ///< every action of the base table must be mapped
  std::vector<ErtMappingEntry> entries;  ///< unique (component, action) pairs
};

/// The identity mapping of `table`: ERT name "<prefix>.<component>", the same action names.
ErtMapping identity_ert_mapping(const EnergyTable& table, const std::string& prefix = "lowvolt");
/// Loads a mapping file; lowvolt::Error naming the file and the entry on any problem.
ErtMapping load_ert_mapping(const std::string& path);
/// Parses mapping text; `origin` names it in messages.
ErtMapping parse_ert_mapping(const std::string& text, const std::string& origin);

/// What an import did.
struct ErtImport {
  EnergyTable table;                  ///< the base table with the mapped energies replaced
  std::vector<std::string> replaced;  ///< "component.action" taken from the ERT
  std::vector<std::string> kept;      ///< "component.action" kept from the base table
};

/// Overlays the energies of the ERT (or ERT_summary) file `ert_path` onto `base` through
/// `mapping`. Throws lowvolt::Error naming the file and the entry when a mapped ERT component,
/// action or argument combination is missing or ambiguous, an energy is not a finite number
/// ≥ 0, a mapping names an action outside the base table's catalogue, or (require_all) base
/// actions are unmapped (all of them named).
ErtImport import_ert(const std::string& ert_path, const ErtMapping& mapping,
                     const EnergyTable& base);
/// The same on ERT text; `origin` names it in messages.
ErtImport import_ert_text(const std::string& ert_text, const std::string& origin,
                          const ErtMapping& mapping, const EnergyTable& base);

/// `table` as an Accelergy ERT (YAML, version 0.4) at `op`: every mapped action's energy at that
/// operating point divided by the entry's scale (leakage actions per cycle at the op's clock).
/// Every action of the table must be mapped (an unmapped one is an error naming it).
std::string export_ert(const EnergyTable& table, const ErtMapping& mapping,
                       const OperatingPoint& op = {});
/// Writes export_ert(...) to `path` atomically.
void save_ert(const EnergyTable& table, const ErtMapping& mapping, const OperatingPoint& op,
              const std::string& path);

}  // namespace lowvolt::energy
