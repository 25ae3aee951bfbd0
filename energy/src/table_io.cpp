// The energy table file format (YAML or JSON; docs/energy.md): reading, writing, the default.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <set>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/energy/table.h"
#include "yaml_reader.h"

// The bundled table's text, generated at build time from energy/tables/default_14nm.yaml.
extern const char kLowvoltDefaultEnergyTable[];
extern const unsigned long kLowvoltDefaultEnergyTableSize;

namespace lowvolt::energy {
namespace {

using detail::MapReader;
using detail::number_text;

constexpr const char* kFormat = "lowvolt-energy-table";
constexpr int kVersion = 1;

// The name an entry of a list is known by in messages, before its map is read.
std::string entry_name(const YAML::Node& node, std::size_t index) {
  if (node.IsMap() && node["name"] && node["name"].IsScalar()) return node["name"].Scalar();
  return "#" + std::to_string(index + 1);
}

Rail read_rail(const YAML::Node& node, std::size_t i, const std::string& origin) {
  MapReader m(node, origin, "rail '" + entry_name(node, i) + "'");
  Rail r;
  r.name = m.text("name");
  r.nominal_volts = m.optional_number("nominal_volts").value_or(0.0);
  r.vth = m.optional_number("vth");
  r.doc = m.text("doc", false);
  m.done();
  return r;
}

VoltageLaw read_law(const YAML::Node& node, std::size_t i, const std::string& origin) {
  MapReader m(node, origin, "law '" + entry_name(node, i) + "'");
  VoltageLaw l;
  l.name = m.text("name");
  const std::string kind = m.text("kind");
  auto k = law_kind_from_name(kind);
  if (!k) {
    m.fail("unknown law kind '" + kind +
           "' (known: dynamic_v2, chip_energy_model, constant, leakage_linear, leakage_dibl)");
  }
  l.kind = *k;
  if (l.kind == LawKind::kLeakageDibl) {
    l.k = m.number("k");
  } else if (m.has("k")) {
    m.fail("'k' is only for leakage_dibl");
  }
  l.source = m.text("source");
  m.done();
  return l;
}

Action read_action(const YAML::Node& node, std::size_t i, const std::string& origin,
                   const std::string& component) {
  const std::string where = "component '" + component + "' action '" + entry_name(node, i) + "'";
  MapReader m(node, origin, where);
  Action a;
  a.name = m.text("name");
  if (!m.has("energy_pj")) m.fail("missing key 'energy_pj'");
  a.energy_pj = m.number("energy_pj");
  if (!m.has("law")) m.fail("missing law");
  a.law = m.text("law");
  if (!m.has("source")) m.fail("missing source");
  a.source = m.text("source");
  a.derivation = m.text("derivation", false);
  m.done();
  return a;
}

Component read_component(const YAML::Node& node, std::size_t i, const std::string& origin) {
  const std::string name = entry_name(node, i);
  MapReader m(node, origin, "component '" + name + "'");
  Component c;
  c.name = m.text("name");
  if (!catalogue_entry(c.name)) {
    std::string known;
    for (const auto& e : catalogue()) known += (known.empty() ? "" : ", ") + e.component;
    lowvolt::fail(origin, ": unknown component '", c.name, "' (known: ", known, ")");
  }
  if (!m.has("rail")) m.fail("missing rail");
  c.rail = m.text("rail");
  c.doc = m.text("doc", false);
  YAML::Node actions = m.list("actions");
  for (std::size_t j = 0; j < actions.size(); ++j) {
    c.actions.push_back(read_action(actions[j], j, origin, c.name));
    // Entries are bounded by the catalogue: a duplicate is refused at once.
    for (std::size_t q = 0; q + 1 < c.actions.size(); ++q) {
      if (c.actions[q].name == c.actions.back().name) {
        lowvolt::fail(origin, ": component '", c.name, "': duplicate action '",
                      c.actions.back().name, "'");
      }
    }
  }
  m.done();
  return c;
}

}  // namespace

EnergyTable parse_energy_table(const std::string& text, const std::string& origin) {
  YAML::Node doc = detail::parse_document(text, origin);
  MapReader top(doc, origin, "");
  const std::string format = top.text("format");
  if (format != kFormat) {
    top.fail("format '" + format + "' is not '" + std::string(kFormat) + "'");
  }
  const double version = top.number("version");
  if (version != kVersion) {
    top.fail("version " + std::to_string(version) + " is not supported (this LowVolt reads " +
             std::to_string(kVersion) + ")");
  }
  EnergyTable t(origin);
  auto& info = t.mutable_info();
  info.name = top.text("name");
  info.description = top.text("description", false);
  info.node = top.text("node", false);
  if (top.has("sources")) {
    MapReader s(top.node("sources"), origin, "sources");
    for (const auto& kv : top.node("sources")) {
      info.sources[kv.first.Scalar()] = s.text(kv.first.Scalar());
    }
    s.done();
  } else {
    top.text("sources", false);
  }

  YAML::Node rails = top.list("rails");
  for (std::size_t i = 0; i < rails.size(); ++i) {
    t.mutable_rails().push_back(read_rail(rails[i], i, origin));
  }

  ClockModel& clock = t.mutable_clock();
  if (top.has("clock")) {
    MapReader c(top.node("clock"), origin, "clock");
    const std::string model = c.text("model");
    if (model == "fixed") {
      clock.kind = ClockModel::Kind::kFixed;
    } else if (model == "alpha_power") {
      clock.kind = ClockModel::Kind::kAlphaPower;
    } else {
      c.fail("unknown clock model '" + model + "' (known: fixed, alpha_power)");
    }
    clock.nominal_mhz = c.number("nominal_mhz");
    if (clock.kind == ClockModel::Kind::kAlphaPower)
      clock.alpha = c.number("alpha");
    else if (c.has("alpha"))
      c.fail("'alpha' is only for the alpha_power model");
    YAML::Node r = c.list("rails", false);
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!r[i].IsScalar()) c.fail("rails: entry " + std::to_string(i + 1) + " is not a name");
      clock.rails.push_back(r[i].Scalar());
    }
    clock.source = c.text("source");
    c.done();
  } else {
    top.fail("missing key 'clock'");
  }

  YAML::Node laws = top.list("laws", false);
  for (std::size_t i = 0; i < laws.size(); ++i) {
    t.mutable_laws().push_back(read_law(laws[i], i, origin));
  }

  YAML::Node components = top.list("components");
  for (std::size_t i = 0; i < components.size(); ++i) {
    t.mutable_components().push_back(read_component(components[i], i, origin));
    const auto& cs = t.components();
    for (std::size_t q = 0; q + 1 < cs.size(); ++q) {
      if (cs[q].name == cs.back().name) {
        lowvolt::fail(origin, ": duplicate component '", cs.back().name, "'");
      }
    }
  }
  top.done();
  t.validate();
  return t;
}

EnergyTable load_energy_table(const std::string& path) {
  return parse_energy_table(detail::read_bounded(path), path);
}

const std::string& default_energy_table_text() {
  static const std::string text(kLowvoltDefaultEnergyTable, kLowvoltDefaultEnergyTableSize);
  return text;
}

const EnergyTable& default_energy_table() {
  static const EnergyTable table = parse_energy_table(default_energy_table_text(), "<default>");
  return table;
}

std::string format_energy_table(const EnergyTable& table) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << kFormat;
  out << YAML::Key << "version" << YAML::Value << kVersion;
  const auto& info = table.info();
  out << YAML::Key << "name" << YAML::Value << info.name;
  if (!info.description.empty())
    out << YAML::Key << "description" << YAML::Value << info.description;
  if (!info.node.empty()) out << YAML::Key << "node" << YAML::Value << info.node;
  if (!info.sources.empty()) {
    out << YAML::Key << "sources" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : info.sources) out << YAML::Key << k << YAML::Value << v;
    out << YAML::EndMap;
  }
  out << YAML::Key << "rails" << YAML::Value << YAML::BeginSeq;
  for (const auto& r : table.rails()) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << r.name;
    if (r.nominal_volts != 0.0) {
      out << YAML::Key << "nominal_volts" << YAML::Value << number_text(r.nominal_volts);
    }
    if (r.vth) out << YAML::Key << "vth" << YAML::Value << number_text(*r.vth);
    if (!r.doc.empty()) out << YAML::Key << "doc" << YAML::Value << r.doc;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  const auto& c = table.clock();
  out << YAML::Key << "clock" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "model" << YAML::Value
      << (c.kind == ClockModel::Kind::kFixed ? "fixed" : "alpha_power");
  out << YAML::Key << "nominal_mhz" << YAML::Value << number_text(c.nominal_mhz);
  if (c.kind == ClockModel::Kind::kAlphaPower) {
    out << YAML::Key << "alpha" << YAML::Value << number_text(c.alpha);
    out << YAML::Key << "rails" << YAML::Value << YAML::Flow << c.rails;
  }
  out << YAML::Key << "source" << YAML::Value << c.source;
  out << YAML::EndMap;
  if (!table.laws().empty()) {
    out << YAML::Key << "laws" << YAML::Value << YAML::BeginSeq;
    for (const auto& l : table.laws()) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << l.name;
      out << YAML::Key << "kind" << YAML::Value << law_kind_name(l.kind);
      if (l.kind == LawKind::kLeakageDibl)
        out << YAML::Key << "k" << YAML::Value << number_text(l.k);
      out << YAML::Key << "source" << YAML::Value << l.source << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "components" << YAML::Value << YAML::BeginSeq;
  for (const auto& comp : table.components()) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << comp.name;
    out << YAML::Key << "rail" << YAML::Value << comp.rail;
    if (!comp.doc.empty()) out << YAML::Key << "doc" << YAML::Value << comp.doc;
    out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
    for (const auto& a : comp.actions) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << a.name;
      out << YAML::Key << "energy_pj" << YAML::Value << number_text(a.energy_pj);
      out << YAML::Key << "law" << YAML::Value << a.law;
      out << YAML::Key << "source" << YAML::Value << a.source;
      if (!a.derivation.empty()) out << YAML::Key << "derivation" << YAML::Value << a.derivation;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  LV_CHECK(out.good(), "YAML emitter: " << out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

void save_energy_table(const EnergyTable& table, const std::string& path) {
  write_file_atomic(path, format_energy_table(table));
}

}  // namespace lowvolt::energy
