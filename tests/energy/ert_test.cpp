// Accelergy ERT: export then import gives equal energies (identity and scaled mappings); an
// Accelergy-style ERT with argument combinations and an ERT_summary import through a mapping;
// missing, ambiguous and unmapped entries are errors naming the file and the entry.
#include <gtest/gtest.h>

#include "lowvolt/energy/ert.h"
#include "test_util.h"

namespace lowvolt::energy {
namespace {

using testing::error_of;
using testing::TempDir;

#define EXPECT_MSG(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

// Export at nominal, import over a base whose energies are all different: every energy returns.
TEST(EnergyErt, RoundTripIdentityMapping) {
  const EnergyTable& t = default_energy_table();
  const ErtMapping m = identity_ert_mapping(t);
  TempDir dir;
  const std::string path = dir.path() + "/ert.yaml";
  save_ert(t, m, {}, path);
  EnergyTable base = t;
  for (auto& c : base.mutable_components()) {
    for (auto& a : c.actions) a.energy_pj *= 3;
  }
  const ErtImport imported = import_ert(path, m, base);
  EXPECT_TRUE(imported.kept.empty());
  for (const auto& c : t.components()) {
    for (const auto& a : c.actions) {
      EXPECT_EQ(imported.table.energy(c.name, a.name), a.energy_pj) << c.name << "." << a.name;
      EXPECT_NE(imported.table.find(c.name)->find(a.name)->source.find(path), std::string::npos);
    }
  }
  // Laws, rails and clock come from the base.
  EXPECT_EQ(imported.table.rails(), t.rails());
  EXPECT_EQ(imported.table.laws(), t.laws());
}

// At an operating point the ERT carries that point's energies; a scale converts units.
TEST(EnergyErt, ExportAtOperatingPointAndScale) {
  const EnergyTable& t = default_energy_table();
  ErtMapping m = identity_ert_mapping(t, "system.chip");
  for (auto& e : m.entries) {
    if (e.component == "weight_buffer" && e.action == "read") {
      e.ert_component = "system.chip.wbuf.bank[0..15]";
      e.scale = 8;  // the ERT prices an 8-bit access
      e.arguments = {{"data_delta", "1"}};
    }
  }
  const OperatingPoint op{{{"sram_weights", 0.8}}};
  const std::string text = export_ert(t, m, op);
  EXPECT_MSG(text, "ERT:");
  EXPECT_MSG(text, "version: 0.4");
  EXPECT_MSG(text, "name: system.chip.wbuf.bank[0..15]");
  const ErtImport back = import_ert_text(text, "x.yaml", m, t);
  EXPECT_DOUBLE_EQ(back.table.energy("weight_buffer", "read"),
                   t.energy("weight_buffer", "read", op));
  EXPECT_DOUBLE_EQ(back.table.energy("mac", "mac"), t.energy("mac", "mac"));
  EXPECT_MSG(error_of([&] { export_ert(t, ErtMapping{}, op); }),
             "the mapping does not name mac.mac");
}

// An ERT as Accelergy writes it (argument combinations, ranged names) and its summary.
const std::string kAccelergyErt = R"(ERT:
  version: 0.3
  tables:
  - name: design.mac
    actions:
    - name: mac_random
      arguments: {}
      energy: 0.31
    - name: leak
      arguments: {}
      energy: 0
  - name: design.scratchpad[0..2]
    actions:
    - name: read
      arguments:
        address_delta: 0
        data_delta: 0
      energy: 4
    - name: read
      arguments:
        address_delta: 1
        data_delta: 1
      energy: 8
    - name: write
      arguments: {}
      energy: 9.5
)";

const std::string kMapping = R"(ert_mapping: 1
entries:
  - {component: mac, action: mac, ert_component: design.mac, ert_action: mac_random}
  - component: weight_buffer
    action: read
    ert_component: design.scratchpad
    ert_action: read
    arguments: {address_delta: 1, data_delta: 1}
  - component: weight_buffer
    action: write
    ert_component: design.scratchpad[0..2]
    ert_action: write
    scale: 2
)";

TEST(EnergyErt, ImportAccelergyErtThroughMapping) {
  TempDir dir;
  const std::string ert = dir.write("ERT.yaml", kAccelergyErt);
  const ErtMapping m = load_ert_mapping(dir.write("map.yaml", kMapping));
  const ErtImport r = import_ert(ert, m, default_energy_table());
  EXPECT_EQ(r.table.energy("mac", "mac"), 0.31);
  EXPECT_EQ(r.table.energy("weight_buffer", "read"), 8);
  EXPECT_EQ(r.table.energy("weight_buffer", "write"), 19);
  EXPECT_EQ(r.replaced.size(), 3u);
  std::size_t actions = 0;
  for (const auto& c : default_energy_table().components()) actions += c.actions.size();
  EXPECT_EQ(r.kept.size(), actions - 3);
  EXPECT_EQ(r.table.energy("dram", "read"), default_energy_table().energy("dram", "read"));
  // The voltage law still applies to the imported number.
  EXPECT_DOUBLE_EQ(r.table.energy("weight_buffer", "read", OperatingPoint{{{"sram_weights", 0.9}}}),
                   8 * 0.81);
}

TEST(EnergyErt, ImportSummary) {
  const std::string summary = R"(ERT_summary:
  version: 0.4
  table_summary:
  - name: design.mac
    actions:
    - {name: mac_random, energy: 0.3}
  - name: design.scratchpad[0..2]
    actions:
    - {name: read, average_energy: 6, max_energy: 8, min_energy: 4}
    primitive_estimation(s):
    - {name: 'design.scratchpad[0..2]', estimator: table}
)";
  ErtMapping m = parse_ert_mapping(kMapping, "map");
  m.entries.pop_back();
  m.entries[1].arguments.clear();
  auto msg = error_of([&] { import_ert_text(summary, "S.yaml", m, default_energy_table()); });
  EXPECT_MSG(msg,
             "S.yaml: weight_buffer.read (ERT 'design.scratchpad' action 'read'): the "
             "summary gives average/min/max energies; pick one with 'statistic'");
  m.entries[1].statistic = "max";
  EXPECT_EQ(import_ert_text(summary, "S.yaml", m, default_energy_table())
                .table.energy("weight_buffer", "read"),
            8);
}

TEST(EnergyErtErrors, MissingAmbiguousUnmappedAndMalformed) {
  const EnergyTable& base = default_energy_table();
  ErtMapping m = parse_ert_mapping(kMapping, "map");
  // Several argument combinations and none picked.
  ErtMapping ambiguous = m;
  ambiguous.entries[1].arguments.clear();
  auto msg = error_of([&] { import_ert_text(kAccelergyErt, "E.yaml", ambiguous, base); });
  EXPECT_MSG(msg,
             "E.yaml: weight_buffer.read (ERT 'design.scratchpad' action 'read'): 2 "
             "argument combinations match ({address_delta: 0, data_delta: 0}; "
             "{address_delta: 1, data_delta: 1}); pick one with 'arguments'");
  // A missing component and a missing action.
  ErtMapping missing = m;
  missing.entries[0].ert_component = "design.pe.mac";
  msg = error_of([&] { import_ert_text(kAccelergyErt, "E.yaml", missing, base); });
  EXPECT_MSG(msg,
             "E.yaml: mac.mac (ERT 'design.pe.mac' action 'mac_random'): the ERT has no "
             "component 'design.pe.mac'");
  missing = m;
  missing.entries[0].ert_action = "compute";
  msg = error_of([&] { import_ert_text(kAccelergyErt, "E.yaml", missing, base); });
  EXPECT_MSG(msg, "no such action (actions: mac_random, leak)");
  // require: all names every unmapped action of the base.
  ErtMapping all = m;
  all.require_all = true;
  msg = error_of([&] { import_ert_text(kAccelergyErt, "E.yaml", all, base); });
  EXPECT_MSG(msg,
             "E.yaml: the mapping requires every action of the base table, and these are "
             "not mapped: registers.cycle, weight_buffer.check_bit_read");
  EXPECT_MSG(msg, "masking.access");
  // Negative and non-numeric energies; not an ERT; malformed YAML.
  std::string bad = kAccelergyErt;
  bad.replace(bad.find("energy: 0.31"), 12, "energy: -0.31");
  EXPECT_MSG(error_of([&] { import_ert_text(bad, "E.yaml", m, base); }), "negative energy -0.31");
  bad = kAccelergyErt;
  bad.replace(bad.find("energy: 0.31"), 12, "energy: lots");
  EXPECT_MSG(error_of([&] { import_ert_text(bad, "E.yaml", m, base); }),
             "energy 'lots' is not a finite number");
  EXPECT_MSG(error_of([&] { import_ert_text("tables: []", "E.yaml", m, base); }),
             "E.yaml: not an Accelergy ERT");
  EXPECT_MSG(error_of([&] { import_ert_text("ERT: [", "E.yaml", m, base); }),
             "E.yaml: malformed YAML/JSON");
  // A base table that does not price a mapped action.
  EnergyTable small = base;
  small.mutable_components().erase(small.mutable_components().begin());  // no mac
  EXPECT_MSG(error_of([&] { import_ert_text(kAccelergyErt, "E.yaml", m, small); }),
             "does not price mac.mac");
}

TEST(EnergyErtErrors, MappingFile) {
  TempDir dir;
  auto bad = [&](const std::string& text) {
    const std::string path = dir.write("m.yaml", text);
    std::string msg = error_of([&] { load_ert_mapping(path); });
    EXPECT_MSG(msg, path);
    return msg;
  };
  EXPECT_MSG(bad("ert_mapping: 1\nentries:\n  - {component: macc, action: mac, ert_component: a, "
                 "ert_action: b}\n"),
             "entry 1 (macc.mac): unknown component 'macc'");
  EXPECT_MSG(bad("ert_mapping: 1\nentries:\n  - {component: mac, action: add, ert_component: a, "
                 "ert_action: b}\n"),
             "entry 1 (mac.add): unknown action 'add'");
  EXPECT_MSG(bad("ert_mapping: 1\nentries:\n  - {component: mac, action: mac, ert_component: a, "
                 "ert_action: b}\n  - {component: mac, action: mac, ert_component: a, "
                 "ert_action: c}\n"),
             "entry 2 (mac.mac): duplicate entry");
  EXPECT_MSG(bad("ert_mapping: 1\nentries:\n  - {component: mac, action: mac, ert_component: a, "
                 "ert_action: b, scale: 0}\n"),
             "scale 0 must be > 0");
  EXPECT_MSG(bad("ert_mapping: 1\nrequire: some\nentries: []\n"), "require 'some'");
  EXPECT_MSG(bad("ert_mapping: 1\nentries:\n  - {component: mac, action: mac, ert_componnt: a, "
                 "ert_action: b}\n"),
             "entry 1: missing key 'ert_component'");
}

}  // namespace
}  // namespace lowvolt::energy
