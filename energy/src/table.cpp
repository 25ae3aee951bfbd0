// The energy table: catalogue, voltage laws, clock model, validation and pricing (table.h).
#include "lowvolt/energy/table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"

namespace lowvolt::energy {
namespace {

// Bounds that keep every product finite: energy ≤ 1 mJ per action, k ≤ 20, v ≤ 16.
constexpr double kMaxEnergyPj = 1e9;
constexpr double kMaxDiblK = 20.0;
constexpr double kMaxSupply = 16.0;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

// ---- laws ----

bool VoltageLaw::per_cycle() const {
  return kind == LawKind::kLeakageLinear || kind == LawKind::kLeakageDibl;
}

double VoltageLaw::factor(double v, double frequency_ratio) const {
  switch (kind) {
    case LawKind::kDynamicV2:
      return v * v;
    case LawKind::kChipEnergyModel:
      return profiles::EnergyModel{}.access(v);
    case LawKind::kConstant:
      return 1.0;
    case LawKind::kLeakageLinear:
      return v / frequency_ratio;
    case LawKind::kLeakageDibl:
      return v * std::exp(k * (v - 1.0)) / frequency_ratio;
  }
  LV_CHECK(false, "unknown law kind " << static_cast<int>(kind));
}

bool VoltageLaw::operator==(const VoltageLaw& o) const {
  return name == o.name && kind == o.kind && k == o.k && source == o.source;
}

namespace {
const std::vector<std::pair<std::string, LawKind>>& kind_names() {
  static const std::vector<std::pair<std::string, LawKind>> names = {
      {"dynamic_v2", LawKind::kDynamicV2},
      {"chip_energy_model", LawKind::kChipEnergyModel},
      {"constant", LawKind::kConstant},
      {"leakage_linear", LawKind::kLeakageLinear},
      {"leakage_dibl", LawKind::kLeakageDibl}};
  return names;
}
}  // namespace

const std::vector<std::string>& builtin_law_names() {
  static const std::vector<std::string> names = {"dynamic_v2", "chip_energy_model", "constant",
                                                 "leakage_linear"};
  return names;
}

std::optional<LawKind> law_kind_from_name(const std::string& kind) {
  for (const auto& [name, k] : kind_names()) {
    if (name == kind) return k;
  }
  return std::nullopt;
}

std::string law_kind_name(LawKind kind) {
  for (const auto& [name, k] : kind_names()) {
    if (k == kind) return name;
  }
  LV_CHECK(false, "unknown law kind " << static_cast<int>(kind));
}

bool Rail::operator==(const Rail& o) const {
  return name == o.name && nominal_volts == o.nominal_volts && vth == o.vth && doc == o.doc;
}

bool ClockModel::operator==(const ClockModel& o) const {
  return kind == o.kind && nominal_mhz == o.nominal_mhz && alpha == o.alpha && rails == o.rails &&
         source == o.source;
}

bool Action::operator==(const Action& o) const {
  return name == o.name && energy_pj == o.energy_pj && law == o.law && source == o.source &&
         derivation == o.derivation;
}

const Action* Component::find(const std::string& action) const {
  for (const auto& a : actions) {
    if (a.name == action) return &a;
  }
  return nullptr;
}

bool Component::operator==(const Component& o) const {
  return name == o.name && rail == o.rail && doc == o.doc && actions == o.actions;
}

bool EnergyTable::Info::operator==(const Info& o) const {
  return name == o.name && description == o.description && node == o.node && sources == o.sources;
}

// ---- catalogue ----

const std::vector<CatalogueEntry>& catalogue() {
  auto sram = [](const std::string& name, const std::string& doc) {
    return CatalogueEntry{
        name,
        doc,
        {{"read", "one 64-bit data word read (word line, 64 bit-line pairs, sense amplifiers)"},
         {"write", "one 64-bit data word written"},
         {"check_bit_read",
          "one ECC check-bit cell read beside a data word (parity: 1 per "
          "word, SECDED: 8)"},
         {"check_bit_write", "one ECC check-bit cell written"},
         {"leak",
          "leakage of the whole buffer over one clock cycle; counted for every cycle, "
          "busy or idle",
          true}}};
  };
  static const std::vector<CatalogueEntry> entries = {
      {"mac",
       "one processing element's multiply-accumulate: int8 activation × weight code (≤ 8 bits) "
       "added into an int32 accumulator",
       {{"mac", "one multiply-accumulate"}}},
      {"registers",
       "the PE array's pipeline and accumulator registers and the controller, clocked every "
       "cycle",
       {{"cycle", "one clock cycle of the array and controller"}}},
      sram("weight_buffer", "the weight buffer: 16 banks × 512 rows × 64-bit words (64 KiB)"),
      sram("act_scratchpad", "the activation scratchpad (issue 31)"),
      sram("output_buffer", "the output buffer (issue 31)"),
      {"dram",
       "off-chip DRAM traffic of the input and output streams",
       {{"read", "one 64-bit input-stream word (weights or activations) read from DRAM"},
        {"write", "one 64-bit output-stream word (results) written to DRAM"}}},
      {"ecc_parity",
       "the even-parity encoder and checker beside a buffer",
       {{"encode", "one 64-bit word encoded (on a write)"},
        {"decode", "one 64-bit word checked (on a read)"}}},
      {"ecc_secded",
       "the Hsiao (72,64) SECDED encoder and decoder beside a buffer",
       {{"encode", "one 64-bit word encoded (on a write)"},
        {"decode", "one 72-bit codeword decoded and corrected (on a read)"}}},
      {"masking",
       "the mitigation unit's word/bit masking between a buffer and the datapath",
       {{"access", "one 64-bit word passed through the masking logic"}}},
  };
  return entries;
}

const CatalogueEntry* catalogue_entry(const std::string& component) {
  for (const auto& e : catalogue()) {
    if (e.component == component) return &e;
  }
  return nullptr;
}

const CatalogueAction* catalogue_action(const std::string& component, const std::string& action) {
  const CatalogueEntry* e = catalogue_entry(component);
  if (!e) return nullptr;
  for (const auto& a : e->actions) {
    if (a.name == action) return &a;
  }
  return nullptr;
}

double OperatingPoint::at(const std::string& rail) const {
  auto it = v.find(rail);
  return it == v.end() ? 1.0 : it->second;
}

// ---- the table ----

EnergyTable::EnergyTable(std::string origin) : origin_(std::move(origin)) {}

const Component* EnergyTable::find(const std::string& name) const {
  for (const auto& c : components_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Rail* EnergyTable::find_rail(const std::string& name) const {
  for (const auto& r : rails_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

VoltageLaw EnergyTable::law(const std::string& name) const {
  for (const auto& l : laws_) {
    if (l.name == name) return l;
  }
  for (const auto& b : builtin_law_names()) {
    if (b == name) {
      return VoltageLaw{name, *law_kind_from_name(name), 0.0, "built-in"};
    }
  }
  std::vector<std::string> known = builtin_law_names();
  for (const auto& l : laws_) known.push_back(l.name);
  fail(origin_, ": unknown law '", name, "' (known: ", join(known), ")");
}

bool EnergyTable::prices(const std::string& component, const std::string& action) const {
  const Component* c = find(component);
  return c && c->find(action);
}

void EnergyTable::check(const OperatingPoint& op) const {
  for (const auto& [rail, v] : op.v) {
    if (!find_rail(rail)) {
      std::vector<std::string> known;
      for (const auto& r : rails_) known.push_back(r.name);
      fail(origin_, ": operating point names rail '", rail,
           "', which the table does not have "
           "(rails: ",
           join(known), ")");
    }
    if (!std::isfinite(v) || v <= 0.0 || v > kMaxSupply) {
      fail(origin_, ": operating point: rail '", rail, "' at ", v,
           " × nominal is out of range (0, ", kMaxSupply, "]");
    }
  }
}

double EnergyTable::frequency_ratio(const OperatingPoint& op) const {
  check(op);
  if (clock_.kind == ClockModel::Kind::kFixed) return 1.0;
  double ratio = std::numeric_limits<double>::infinity();
  for (const auto& name : clock_.rails) {
    const Rail* r = find_rail(name);
    LV_CHECK(r && r->vth, "clock rail " << name << " not validated");
    const double vth = *r->vth;
    const double v = op.at(name);
    if (v <= vth) {
      fail(origin_, ": clock: rail '", name, "' at ", v, " × nominal is at or below its threshold ",
           vth, " × nominal: the alpha-power clock stops");
    }
    const double g = std::pow(v - vth, clock_.alpha) / v;
    const double g_nom = std::pow(1.0 - vth, clock_.alpha);
    ratio = std::min(ratio, g / g_nom);
  }
  return ratio;
}

double EnergyTable::energy(const std::string& component, const std::string& action,
                           const OperatingPoint& op) const {
  const Component* c = find(component);
  if (!c) {
    std::vector<std::string> known;
    for (const auto& x : components_) known.push_back(x.name);
    fail("energy table ", origin_, ": no price for component '", component, "' (action '", action,
         "'): the table has no such component (it has: ", join(known), ")");
  }
  const Action* a = c->find(action);
  if (!a) {
    std::vector<std::string> known;
    for (const auto& x : c->actions) known.push_back(x.name);
    fail("energy table ", origin_, ": no price for action '", action, "' of component '", component,
         "' (it prices: ", join(known), ")");
  }
  check(op);
  const VoltageLaw l = law(a->law);
  const double fr = l.per_cycle() ? frequency_ratio(op) : 1.0;
  return a->energy_pj * l.factor(op.at(c->rail), fr);
}

bool EnergyTable::operator==(const EnergyTable& o) const {
  return info_ == o.info_ && rails_ == o.rails_ && clock_ == o.clock_ && laws_ == o.laws_ &&
         components_ == o.components_;
}

void EnergyTable::validate() const {
  const std::string& f = origin_;
  // Rails.
  std::set<std::string> rail_names;
  for (const auto& r : rails_) {
    if (r.name.empty()) fail(f, ": rails: a rail has an empty name");
    if (!rail_names.insert(r.name).second) fail(f, ": rails: duplicate rail '", r.name, "'");
    if (!std::isfinite(r.nominal_volts) || r.nominal_volts < 0.0 || r.nominal_volts > 100.0) {
      fail(f, ": rail '", r.name, "': nominal_volts ", r.nominal_volts,
           " is out of range [0, 100] (0 = not stated)");
    }
    if (r.vth && (!std::isfinite(*r.vth) || *r.vth < 0.0 || *r.vth >= 1.0)) {
      fail(f, ": rail '", r.name, "': vth ", *r.vth, " must be in [0, 1) × nominal");
    }
  }
  // Clock.
  if (!std::isfinite(clock_.nominal_mhz) || clock_.nominal_mhz <= 0.0 || clock_.nominal_mhz > 1e6) {
    fail(f, ": clock: nominal_mhz ", clock_.nominal_mhz, " is out of range (0, 1e6]");
  }
  if (clock_.kind == ClockModel::Kind::kAlphaPower) {
    if (!std::isfinite(clock_.alpha) || clock_.alpha < 1.0 || clock_.alpha > 2.0) {
      fail(f, ": clock: alpha ", clock_.alpha, " is out of range [1, 2]");
    }
    if (clock_.rails.empty()) fail(f, ": clock: alpha_power needs at least one rail in 'rails'");
    std::set<std::string> seen;
    for (const auto& name : clock_.rails) {
      const Rail* r = find_rail(name);
      if (!r) fail(f, ": clock: unknown rail '", name, "'");
      if (!seen.insert(name).second) fail(f, ": clock: rail '", name, "' listed twice");
      if (!r->vth) fail(f, ": clock: rail '", name, "' has no vth, which alpha_power needs");
    }
  } else if (!clock_.rails.empty()) {
    fail(f, ": clock: 'rails' is only for the alpha_power model");
  }
  // Laws.
  std::set<std::string> law_names;
  for (const auto& l : laws_) {
    if (l.name.empty()) fail(f, ": laws: a law has an empty name");
    for (const auto& b : builtin_law_names()) {
      if (l.name == b) fail(f, ": law '", l.name, "' redefines the built-in law of that name");
    }
    if (!law_names.insert(l.name).second) fail(f, ": laws: duplicate law '", l.name, "'");
    if (l.kind == LawKind::kLeakageDibl && (!std::isfinite(l.k) || l.k < 0.0 || l.k > kMaxDiblK)) {
      fail(f, ": law '", l.name, "': k ", l.k, " is out of range [0, ", kMaxDiblK, "]");
    }
  }
  // Components.
  std::set<std::string> component_names;
  for (const auto& c : components_) {
    const CatalogueEntry* entry = catalogue_entry(c.name);
    if (!entry) {
      std::vector<std::string> known;
      for (const auto& e : catalogue()) known.push_back(e.component);
      fail(f, ": unknown component '", c.name, "' (known: ", join(known), ")");
    }
    if (!component_names.insert(c.name).second) fail(f, ": duplicate component '", c.name, "'");
    if (c.rail.empty()) fail(f, ": component '", c.name, "': missing rail");
    if (!find_rail(c.rail)) fail(f, ": component '", c.name, "': unknown rail '", c.rail, "'");
    std::set<std::string> action_names;
    for (const auto& a : c.actions) {
      const CatalogueAction* ca = catalogue_action(c.name, a.name);
      const std::string where = "component '" + c.name + "' action '" + a.name + "'";
      if (!ca) {
        std::vector<std::string> known;
        for (const auto& x : entry->actions) known.push_back(x.name);
        fail(f, ": component '", c.name, "': unknown action '", a.name, "' (known: ", join(known),
             ")");
      }
      if (!action_names.insert(a.name).second) {
        fail(f, ": component '", c.name, "': duplicate action '", a.name, "'");
      }
      if (!std::isfinite(a.energy_pj)) fail(f, ": ", where, ": energy_pj is not a finite number");
      if (a.energy_pj < 0.0) fail(f, ": ", where, ": negative energy_pj ", a.energy_pj);
      if (a.energy_pj > kMaxEnergyPj) {
        fail(f, ": ", where, ": energy_pj ", a.energy_pj, " is above ", kMaxEnergyPj, " pJ");
      }
      if (a.law.empty()) fail(f, ": ", where, ": missing law");
      VoltageLaw l;
      try {
        l = law(a.law);
      } catch (const Error&) {
        std::vector<std::string> known = builtin_law_names();
        for (const auto& x : laws_) known.push_back(x.name);
        fail(f, ": ", where, ": unknown law '", a.law, "' (known: ", join(known), ")");
      }
      if (ca->leakage && !l.per_cycle()) {
        fail(f, ": ", where, ": law '", a.law, "' is not a leakage law (", law_kind_name(l.kind),
             "); a per-cycle leakage action needs leakage_linear or leakage_dibl");
      }
      if (!ca->leakage && l.per_cycle()) {
        fail(f, ": ", where, ": law '", a.law,
             "' is a per-cycle leakage law; this action is not "
             "leakage");
      }
      if (a.source.empty()) fail(f, ": ", where, ": missing source");
    }
  }
}

}  // namespace lowvolt::energy
