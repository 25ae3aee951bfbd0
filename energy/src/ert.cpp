// Accelergy ERT import and export (ert.h).
#include "lowvolt/energy/ert.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <set>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "yaml_reader.h"

namespace lowvolt::energy {
namespace {

using detail::MapReader;
using detail::number_text;

std::string key_of(const std::string& component, const std::string& action) {
  return component + "." + action;
}

// Accelergy's base name: the component name with every [i..j] range removed.
std::string base_name(const std::string& name) {
  std::string out;
  int depth = 0;
  for (char ch : name) {
    if (ch == '[')
      ++depth;
    else if (ch == ']' && depth > 0)
      --depth;
    else if (depth == 0)
      out += ch;
  }
  return out;
}

std::string describe_arguments(const YAML::Node& args) {
  if (!args || args.IsNull() || (args.IsMap() && args.size() == 0)) return "{}";
  if (!args.IsMap()) return detail::type_name(args);
  std::string out = "{";
  for (const auto& kv : args) {
    if (out.size() > 1) out += ", ";
    out += kv.first.Scalar() + ": " + (kv.second.IsScalar() ? kv.second.Scalar() : "…");
  }
  return out + "}";
}

bool arguments_match(const YAML::Node& args, const std::map<std::string, std::string>& want) {
  for (const auto& [k, v] : want) {
    if (!args || !args.IsMap() || !args[k] || !args[k].IsScalar()) return false;
    const std::string have = args[k].Scalar();
    if (have == v) continue;
    auto a = detail::as_number(args[k]);
    auto b = detail::as_number(YAML::Node(v));
    if (!(a && b && *a == *b)) return false;
  }
  return true;
}

}  // namespace

ErtMapping identity_ert_mapping(const EnergyTable& table, const std::string& prefix) {
  ErtMapping m;
  for (const auto& c : table.components()) {
    for (const auto& a : c.actions) {
      ErtMappingEntry e;
      e.component = c.name;
      e.action = a.name;
      e.ert_component = prefix.empty() ? c.name : prefix + "." + c.name;
      e.ert_action = a.name;
      m.entries.push_back(e);
    }
  }
  return m;
}

ErtMapping parse_ert_mapping(const std::string& text, const std::string& origin) {
  YAML::Node doc = detail::parse_document(text, origin);
  MapReader top(doc, origin, "");
  if (top.number("ert_mapping") != 1) top.fail("'ert_mapping' must be 1 (the format version)");
  ErtMapping m;
  const std::string require = top.text("require", false);
  if (require == "all")
    m.require_all = true;
  else if (!require.empty() && require != "listed") {
    top.fail("require '" + require + "' is not 'listed' or 'all'");
  }
  YAML::Node entries = top.list("entries");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    MapReader r(entries[i], origin, "entry " + std::to_string(i + 1));
    ErtMappingEntry e;
    e.component = r.text("component");
    e.action = r.text("action");
    const std::string where =
        "entry " + std::to_string(i + 1) + " (" + key_of(e.component, e.action) + ")";
    if (!catalogue_entry(e.component)) {
      lowvolt::fail(origin, ": ", where, ": unknown component '", e.component, "'");
    }
    if (!catalogue_action(e.component, e.action)) {
      lowvolt::fail(origin, ": ", where, ": unknown action '", e.action, "' of component '",
                    e.component, "'");
    }
    if (!seen.insert(key_of(e.component, e.action)).second) {
      lowvolt::fail(origin, ": ", where, ": duplicate entry for ", key_of(e.component, e.action));
    }
    e.ert_component = r.text("ert_component");
    e.ert_action = r.text("ert_action");
    if (r.has("arguments")) {
      MapReader a(r.node("arguments"), origin, where + ": arguments");
      for (const auto& kv : r.node("arguments")) {
        e.arguments[kv.first.Scalar()] = a.text(kv.first.Scalar());
      }
      a.done();
    } else {
      r.text("arguments", false);
    }
    e.statistic = r.text("statistic", false);
    if (!e.statistic.empty() && e.statistic != "average" && e.statistic != "min" &&
        e.statistic != "max") {
      lowvolt::fail(origin, ": ", where, ": statistic '", e.statistic,
                    "' is not average, min or max");
    }
    if (auto s = r.optional_number("scale")) {
      if (*s <= 0.0) lowvolt::fail(origin, ": ", where, ": scale ", *s, " must be > 0");
      e.scale = *s;
    }
    r.done();
    m.entries.push_back(e);
  }
  top.done();
  return m;
}

ErtMapping load_ert_mapping(const std::string& path) {
  return parse_ert_mapping(detail::read_bounded(path), path);
}

ErtImport import_ert_text(const std::string& ert_text, const std::string& origin,
                          const ErtMapping& mapping, const EnergyTable& base) {
  YAML::Node doc = detail::parse_document(ert_text, origin);
  if (!doc.IsMap()) lowvolt::fail(origin, ": not an Accelergy ERT (expected a map)");
  const bool summary = static_cast<bool>(doc["ERT_summary"]);
  if (!summary && !doc["ERT"]) {
    lowvolt::fail(origin, ": not an Accelergy ERT: no top-level 'ERT' or 'ERT_summary' key");
  }
  if (summary && doc["ERT"]) lowvolt::fail(origin, ": both 'ERT' and 'ERT_summary' at the top");
  const std::string top_key = summary ? "ERT_summary" : "ERT";
  const std::string list_key = summary ? "table_summary" : "tables";
  YAML::Node body = doc[top_key];
  if (!body.IsMap()) lowvolt::fail(origin, ": '", top_key, "' must be a map");
  YAML::Node version = body["version"];
  if (!version || !version.IsScalar()) lowvolt::fail(origin, ": ", top_key, ": missing 'version'");
  const std::string v = version.Scalar();
  if (v != "0.2" && v != "0.3" && v != "0.4") {
    lowvolt::fail(origin, ": ", top_key, ": version ", v, " is not one LowVolt reads (0.2-0.4)");
  }
  YAML::Node tables = body[list_key];
  if (!tables || !tables.IsSequence()) {
    lowvolt::fail(origin, ": ", top_key, ": '", list_key, "' must be a list");
  }
  if (tables.size() > detail::kMaxListEntries) lowvolt::fail(origin, ": too many ERT entries");

  // Index the ERT's components by name and by base name (ranges removed).
  std::map<std::string, YAML::Node> by_name;
  std::map<std::string, std::vector<std::string>> by_base;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    YAML::Node t = tables[i];
    if (!t.IsMap() || !t["name"] || !t["name"].IsScalar()) {
      lowvolt::fail(origin, ": ", list_key, " entry ", i + 1, ": expected a map with a 'name'");
    }
    const std::string name = t["name"].Scalar();
    if (!by_name.emplace(name, t).second) {
      lowvolt::fail(origin, ": duplicate ERT component '", name, "'");
    }
    by_base[base_name(name)].push_back(name);
  }

  ErtImport result{base, {}, {}};
  std::set<std::string> mapped;
  for (const auto& e : mapping.entries) {
    const std::string ours = key_of(e.component, e.action);
    const std::string where =
        ours + " (ERT '" + e.ert_component + "' action '" + e.ert_action + "')";
    // The component: exact name first, then base name.
    YAML::Node comp;
    if (by_name.count(e.ert_component)) {
      comp = by_name.at(e.ert_component);
    } else {
      auto it = by_base.find(base_name(e.ert_component));
      if (it == by_base.end()) {
        lowvolt::fail(origin, ": ", where, ": the ERT has no component '", e.ert_component, "'");
      }
      if (it->second.size() > 1) {
        lowvolt::fail(origin, ": ", where, ": '", e.ert_component, "' matches ", it->second.size(),
                      " ERT components; name one exactly");
      }
      comp = by_name.at(it->second.front());
    }
    YAML::Node actions = comp["actions"];
    if (!actions || !actions.IsSequence()) {
      lowvolt::fail(origin, ": ", where, ": the ERT component has no 'actions' list");
    }
    std::vector<YAML::Node> matches;
    std::vector<std::string> names;
    for (std::size_t j = 0; j < actions.size() && j < detail::kMaxListEntries; ++j) {
      YAML::Node a = actions[j];
      if (!a.IsMap() || !a["name"] || !a["name"].IsScalar()) {
        lowvolt::fail(origin, ": ", where, ": action ", j + 1, " is not a map with a 'name'");
      }
      if (names.size() < 20) names.push_back(a["name"].Scalar());
      if (a["name"].Scalar() != e.ert_action) continue;
      if (!summary && !arguments_match(a["arguments"], e.arguments)) continue;
      matches.push_back(a);
    }
    if (matches.empty()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      lowvolt::fail(origin, ": ", where, ": no such action",
                    e.arguments.empty() ? "" : " with the mapped arguments", " (actions: ", known,
                    ")");
    }
    if (matches.size() > 1) {
      std::string combos;
      for (std::size_t q = 0; q < matches.size() && q < 8; ++q) {
        combos += (combos.empty() ? "" : "; ") + describe_arguments(matches[q]["arguments"]);
      }
      lowvolt::fail(origin, ": ", where, ": ", matches.size(), " argument combinations match (",
                    combos, "); pick one with 'arguments' in the mapping");
    }
    const YAML::Node a = matches.front();
    std::string field = "energy";
    if (summary && !e.statistic.empty()) {
      field = e.statistic + "_energy";
      if (!a[field] && a["energy"]) field = "energy";
    } else if (summary && !a["energy"] && (a["average_energy"] || a["max_energy"])) {
      lowvolt::fail(origin, ": ", where,
                    ": the summary gives average/min/max energies; pick one "
                    "with 'statistic' in the mapping");
    }
    if (!a[field]) lowvolt::fail(origin, ": ", where, ": missing '", field, "'");
    auto value = detail::as_number(a[field]);
    if (!value) {
      lowvolt::fail(origin, ": ", where, ": ", field, " ", detail::type_name(a[field]),
                    " is not a finite number");
    }
    if (*value < 0.0) lowvolt::fail(origin, ": ", where, ": negative ", field, " ", *value);

    Component* target = nullptr;
    for (auto& c : result.table.mutable_components()) {
      if (c.name == e.component) target = &c;
    }
    Action* action = nullptr;
    if (target) {
      for (auto& x : target->actions) {
        if (x.name == e.action) action = &x;
      }
    }
    if (!action) {
      lowvolt::fail(origin, ": ", where, ": the base table ", base.origin(), " does not price ",
                    ours, "; its law and rail come from there, so add it to the base table");
    }
    action->energy_pj = *value * e.scale;
    action->source = "Accelergy ERT " + origin + ": " + e.ert_component + " " + e.ert_action +
                     (e.arguments.empty() ? "" : " " + describe_arguments(a["arguments"])) +
                     (summary && !e.statistic.empty() ? " (" + e.statistic + ")" : "");
    action->derivation = e.scale == 1.0 ? "" : "ERT energy × " + number_text(e.scale);
    mapped.insert(ours);
    result.replaced.push_back(ours);
  }
  std::vector<std::string> unmapped;
  for (const auto& c : base.components()) {
    for (const auto& a : c.actions) {
      const std::string k = key_of(c.name, a.name);
      if (!mapped.count(k)) unmapped.push_back(k);
    }
  }
  if (mapping.require_all && !unmapped.empty()) {
    std::string list;
    for (const auto& u : unmapped) list += (list.empty() ? "" : ", ") + u;
    lowvolt::fail(origin,
                  ": the mapping requires every action of the base table, and these are "
                  "not mapped: ",
                  list);
  }
  result.kept = unmapped;
  result.table.set_origin(origin + " over " + base.origin());
  auto& info = result.table.mutable_info();
  info.description = "Imported from the Accelergy ERT " + origin + " over " + base.origin() +
                     (info.description.empty() ? "" : ": " + info.description);
  result.table.validate();
  return result;
}

ErtImport import_ert(const std::string& ert_path, const ErtMapping& mapping,
                     const EnergyTable& base) {
  return import_ert_text(detail::read_bounded(ert_path), ert_path, mapping, base);
}

std::string export_ert(const EnergyTable& table, const ErtMapping& mapping,
                       const OperatingPoint& op) {
  table.check(op);
  // ERT component → its actions, in table order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<const ErtMappingEntry*, double>>> rows;
  std::set<std::string> written;
  std::vector<std::string> unmapped;
  for (const auto& c : table.components()) {
    for (const auto& a : c.actions) {
      const ErtMappingEntry* e = nullptr;
      for (const auto& x : mapping.entries) {
        if (x.component == c.name && x.action == a.name) e = &x;
      }
      if (!e) {
        unmapped.push_back(key_of(c.name, a.name));
        continue;
      }
      std::string id = e->ert_component + "\n" + e->ert_action;
      for (const auto& [k, v] : e->arguments) id += "\n" + k + "=" + v;
      if (!written.insert(id).second) {
        fail("ERT export of ", table.origin(), ": two actions map to ERT '", e->ert_component,
             "' action '", e->ert_action, "' with the same arguments (one is ",
             key_of(c.name, a.name), ")");
      }
      if (!rows.count(e->ert_component)) order.push_back(e->ert_component);
      rows[e->ert_component].emplace_back(e, table.energy(c.name, a.name, op) / e->scale);
    }
  }
  if (!unmapped.empty()) {
    std::string list;
    for (const auto& u : unmapped) list += (list.empty() ? "" : ", ") + u;
    fail("ERT export of ", table.origin(), ": the mapping does not name ", list);
  }
  YAML::Emitter out;
  std::string at = "all rails at nominal";
  if (!op.v.empty()) {
    at.clear();
    for (const auto& [rail, v] : op.v) at += (at.empty() ? "" : ", ") + rail + " " + number_text(v);
  }
  out << YAML::Comment("Accelergy ERT written by LowVolt from the energy table '" +
                       table.info().name + "' at " + at + "; energies in pJ per action");
  out << YAML::BeginMap << YAML::Key << "ERT" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << "0.4";
  out << YAML::Key << "tables" << YAML::Value << YAML::BeginSeq;
  for (const auto& name : order) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
    for (const auto& [e, energy] : rows[name]) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << e->ert_action;
      out << YAML::Key << "arguments" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [k, v] : e->arguments) out << YAML::Key << k << YAML::Value << v;
      out << YAML::EndMap;
      out << YAML::Key << "energy" << YAML::Value << number_text(energy) << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  LV_CHECK(out.good(), "YAML emitter: " << out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

void save_ert(const EnergyTable& table, const ErtMapping& mapping, const OperatingPoint& op,
              const std::string& path) {
  write_file_atomic(path, export_ert(table, mapping, op));
}

}  // namespace lowvolt::energy
