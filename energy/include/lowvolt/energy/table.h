#pragma once
// The energy table: what one action of each accelerator component costs, and how that cost moves
// with the supply voltage of the component's rail. Format, default numbers and their sources:
// docs/energy.md.
//
// Contract.
//  - Units. Energies are in picojoules (pJ) per action. Voltages in an OperatingPoint are ratios
//    v = V / V_nom of each rail's nominal supply. For an SRAM rail the nominal supply is the
//    SRAM's Vmin (the lowest fault-free supply, where the paper's Figure 1 and profiles::
//    EnergyModel normalise), so a chip voltage of 0.84 × Vmin is v = 0.84 on that rail, the same
//    number LowVolt's --vdd takes. Logic rails are at their nominal supply (v = 1) unless set.
//  - Catalogue. The components and actions LowVolt counts are fixed (catalogue()); a table may
//    price a subset of them, but never a name outside it (a misspelt name is an error, not an
//    unpriced extra). Rails, laws and sources are the table's own.
//  - Voltage laws (VoltageLaw): a dynamic law gives energy per action at v; a leakage law gives
//    energy per clock cycle at v at the nominal clock, then stretched by f_nom / f(v) when the
//    clock model scales the frequency with the supply (ClockModel).
//  - Errors. Loading throws lowvolt::Error with one line that names the file and the entry
//    (component, action, rail, law, key). Asking for an action the table does not price is a
//    lowvolt::Error naming the table, the component and the action: never a silent zero.
//    Hostile files are bounded (size, separator count, entry counts, nesting) before anything is
//    allocated per entry.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lowvolt::energy {

/// How an energy scales with the supply of its rail (v = V / V_nom of that rail).
enum class LawKind {
  kDynamicV2,        ///< E(v) = E_nom · v² (C·V² switching energy)
  kChipEnergyModel,  ///< E(v) = E_nom · profiles::EnergyModel::access(v) (= v², the paper's Figure
                     ///< 1)
  kConstant,       ///< E(v) = E_nom (off-chip energy, a rail LowVolt does not scale)
  kLeakageLinear,  ///< per cycle: E(v) = E_nom · v · f_nom/f(v) (constant leakage current)
  kLeakageDibl,    ///< per cycle: E(v) = E_nom · v · exp(k·(v − 1)) · f_nom/f(v) (DIBL)
};

/// A voltage law with its parameters; built-in names or ones the table defines under `laws:`.
struct VoltageLaw {
  std::string name;                    ///< name the table refers to it by
  LawKind kind = LawKind::kDynamicV2;  ///< the formula
  double k = 0.0;                      ///< kLeakageDibl: exponent per unit of v (dimensionless)
  std::string source;                  ///< where the law (and k) comes from

  /// True for the per-cycle leakage laws (the clock stretch applies).
  bool per_cycle() const;
  /// The factor E(v) / E_nom at v (× the rail's nominal) and frequency ratio f(v)/f_nom.
  double factor(double v, double frequency_ratio) const;
  /// Every field equal.
  bool operator==(const VoltageLaw& o) const;
};

/// Names of the built-in laws: dynamic_v2, chip_energy_model, constant, leakage_linear.
const std::vector<std::string>& builtin_law_names();
/// The kind a law file entry names ("dynamic_v2", …, "leakage_dibl"); nullopt if unknown.
std::optional<LawKind> law_kind_from_name(const std::string& kind);
/// The file name of a law kind ("leakage_dibl", …).
std::string law_kind_name(LawKind kind);

/// A supply rail: a named supply that components sit on.
struct Rail {
  std::string name;            ///< e.g. "logic", "sram_weights"
  double nominal_volts = 0.0;  ///< nominal supply in volts (0 = not stated; informational)
  std::optional<double> vth;   ///< threshold voltage (× nominal), for the alpha-power clock law
  std::string doc;             ///< what the rail feeds
  /// Every field equal.
  bool operator==(const Rail& o) const;
};

/// How the clock frequency follows the supply.
struct ClockModel {
  enum class Kind {
    kFixed,       ///< the clock stays at its nominal frequency at every supply (the default)
    kAlphaPower,  ///< f ∝ (v − vth)^alpha / v on each listed rail; the slowest rail sets f
  };
  Kind kind = Kind::kFixed;        ///< the law
  double nominal_mhz = 1000.0;     ///< nominal clock frequency (MHz), the leakage prices' clock
  double alpha = 1.3;              ///< kAlphaPower: velocity-saturation exponent (1 … 2)
  std::vector<std::string> rails;  ///< kAlphaPower: rails on the critical path
  std::string source;              ///< where the model comes from
  /// Every field equal.
  bool operator==(const ClockModel& o) const;
};

/// One priced action of a component.
struct Action {
  std::string name;        ///< e.g. "read"
  double energy_pj = 0.0;  ///< energy per action at nominal supply and clock (pJ), finite, ≥ 0
  std::string law;         ///< name of its voltage law
  std::string source;      ///< where the number comes from
  std::string derivation;  ///< optional: the arithmetic from the source to energy_pj
  /// Every field equal.
  bool operator==(const Action& o) const;
};

/// One component: its rail and its priced actions.
struct Component {
  std::string name;             ///< a catalogue name, e.g. "weight_buffer"
  std::string rail;             ///< the rail it sits on
  std::string doc;              ///< what it is (size, width), free text
  std::vector<Action> actions;  ///< priced actions, unique names
  /// The action named `name`, or nullptr.
  const Action* find(const std::string& name) const;
  /// Every field equal.
  bool operator==(const Component& o) const;
};

/// An action LowVolt counts.
struct CatalogueAction {
  std::string name;      ///< action name
  std::string doc;       ///< what one action is
  bool leakage = false;  ///< counted in clock cycles and priced by a leakage (per-cycle) law
};

/// A catalogue entry: a component LowVolt counts and the actions it counts.
struct CatalogueEntry {
  std::string component;                 ///< component name
  std::string doc;                       ///< what it is
  std::vector<CatalogueAction> actions;  ///< its actions
};
/// The components and actions LowVolt counts, in a fixed order.
const std::vector<CatalogueEntry>& catalogue();
/// The catalogue entry of `component`, or nullptr.
const CatalogueEntry* catalogue_entry(const std::string& component);
/// The catalogue action `action` of `component`, or nullptr.
const CatalogueAction* catalogue_action(const std::string& component, const std::string& action);

/// The supply of each rail, as V / V_nom of that rail; rails not named are at nominal (v = 1).
struct OperatingPoint {
  std::map<std::string, double> v;  ///< rail name → supply (× the rail's nominal)
  /// The supply of `rail` (1 when not set).
  double at(const std::string& rail) const;
  /// All rails at nominal.
  static OperatingPoint nominal() { return {}; }
};

/// A validated energy table (see the contract above).
class EnergyTable {
 public:
  /// Table metadata (name, node, sources) as written in the file.
  struct Info {
    std::string name;                            ///< table name
    std::string description;                     ///< free text
    std::string node;                            ///< technology node, e.g. "14nm-class"
    std::map<std::string, std::string> sources;  ///< citation key → full citation
    /// Every field equal.
    bool operator==(const Info& o) const;
  };

  /// An empty table named by `origin` (a path or "<default>") for messages; use the loaders.
  explicit EnergyTable(std::string origin = "<table>");

  /// Where the table came from (file path, or "<default>"), as error messages name it.
  const std::string& origin() const { return origin_; }
  /// Metadata.
  const Info& info() const { return info_; }
  /// Rails, in file order.
  const std::vector<Rail>& rails() const { return rails_; }
  /// The clock model.
  const ClockModel& clock() const { return clock_; }
  /// Laws the table defines under `laws:` (built-ins are not listed), in file order.
  const std::vector<VoltageLaw>& laws() const { return laws_; }
  /// Components, in file order.
  const std::vector<Component>& components() const { return components_; }

  /// The component named `name`, or nullptr.
  const Component* find(const std::string& name) const;
  /// The rail named `name`, or nullptr.
  const Rail* find_rail(const std::string& name) const;
  /// The law named `name` (table-defined or built-in); throws lowvolt::Error if unknown.
  VoltageLaw law(const std::string& name) const;
  /// True if the table prices `action` of `component`.
  bool prices(const std::string& component, const std::string& action) const;

  /// Throws lowvolt::Error (naming the table) unless every rail `op` names exists and each
  /// supply is finite and in (0, 16].
  void check(const OperatingPoint& op) const;
  /// Clock frequency at `op` relative to nominal, f(op) / f_nom (1 for a fixed clock). Throws
  /// lowvolt::Error when a critical-path rail is at or below its threshold voltage.
  double frequency_ratio(const OperatingPoint& op) const;
  /// Energy of one `action` of `component` at `op`, in pJ (a leakage action: one clock cycle).
  /// Throws lowvolt::Error naming the table, component and action when the table does not price
  /// it, and on a bad operating point.
  double energy(const std::string& component, const std::string& action,
                const OperatingPoint& op = {}) const;

  /// Every field equal (origin excluded).
  bool operator==(const EnergyTable& o) const;

  // Building (the loaders, the ERT import and tests); validate() checks the whole table.
  void set_origin(std::string origin) { origin_ = std::move(origin); }  ///< renames the origin
  Info& mutable_info() { return info_; }                                ///< metadata, writable
  std::vector<Rail>& mutable_rails() { return rails_; }                 ///< rails, writable
  ClockModel& mutable_clock() { return clock_; }                        ///< clock, writable
  std::vector<VoltageLaw>& mutable_laws() { return laws_; }             ///< laws, writable
  std::vector<Component>& mutable_components() { return components_; }  ///< writable
  /// Checks every rule of the format (catalogue names, unique names, known rails and laws,
  /// finite non-negative energies, clock parameters); throws lowvolt::Error naming the origin
  /// and the entry.
  void validate() const;

 private:
  std::string origin_;
  Info info_;
  std::vector<Rail> rails_;
  ClockModel clock_;
  std::vector<VoltageLaw> laws_;
  std::vector<Component> components_;
};

/// Largest table or ERT file read (bytes); larger files are refused before reading. A document
/// is also refused before parsing when it has more than 200 000 separators (',', ':', '-', '[',
/// '{', '?', lines), which bounds the parser's memory to about 100 MB.
inline constexpr std::size_t kMaxTableFileBytes = 4u << 20;

/// Loads and validates an energy table file (YAML or JSON, docs/energy.md). Throws lowvolt::Error
/// naming `path` and the entry on any problem.
EnergyTable load_energy_table(const std::string& path);
/// Parses table text; `origin` names it in messages (a path, or "<default>").
EnergyTable parse_energy_table(const std::string& text, const std::string& origin);
/// The bundled 14 nm-class default table (energy/tables/default_14nm.yaml, embedded at build
/// time, so no file is looked up at run time).
const EnergyTable& default_energy_table();
/// The bundled default table's text, exactly as in the repository.
const std::string& default_energy_table_text();

/// The table in the file format (YAML), sources and derivations included; parse_energy_table of
/// the result gives an equal table.
std::string format_energy_table(const EnergyTable& table);
/// Writes format_energy_table(table) to `path` atomically (common/atomic_file.h).
void save_energy_table(const EnergyTable& table, const std::string& path);

}  // namespace lowvolt::energy
