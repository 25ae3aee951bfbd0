// Every malformed table is refused with one line naming the file and the entry, never a crash,
// a huge allocation or a silent zero; an action the table does not price is an error.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lowvolt/energy/table.h"
#include "test_util.h"

namespace lowvolt::energy {
namespace {

using testing::error_of;
using testing::replace_once;
using testing::TempDir;

// A small valid table; each case below breaks one thing in it.
const std::string kGood = R"(format: lowvolt-energy-table
version: 1
name: small
rails:
  - {name: logic, nominal_volts: 0.8, vth: 0.4}
  - {name: sram, nominal_volts: 0.8}
clock: {model: fixed, nominal_mhz: 1000, source: test}
laws:
  - {name: leak_k2, kind: leakage_dibl, k: 2, source: test}
components:
  - name: mac
    rail: logic
    actions:
      - {name: mac, energy_pj: 0.5, law: dynamic_v2, source: test}
  - name: weight_buffer
    rail: sram
    actions:
      - {name: read, energy_pj: 5, law: chip_energy_model, source: test}
      - {name: leak, energy_pj: 0.02, law: leak_k2, source: test}
)";

// Loads `text` from a file and returns the error message (the test fails if none).
std::string load_error(const std::string& text) {
  TempDir dir;
  const std::string path = dir.write("bad_table.yaml", text);
  std::string msg = error_of([&] { load_energy_table(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << "message does not name the file: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
  return msg;
}

#define EXPECT_MSG(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(EnergyTableErrors, GoodTableLoads) {
  TempDir dir;
  const EnergyTable t = load_energy_table(dir.write("good.yaml", kGood));
  EXPECT_EQ(t.energy("weight_buffer", "read", OperatingPoint{{{"sram", 0.9}}}), 5 * 0.81);
}

TEST(EnergyTableErrors, UnknownComponent) {
  auto msg = load_error(replace_once(kGood, "name: mac\n", "name: macc\n"));
  EXPECT_MSG(msg, "unknown component 'macc'");
  EXPECT_MSG(msg, "known: mac, registers, weight_buffer");
}

TEST(EnergyTableErrors, UnknownAction) {
  auto msg = load_error(replace_once(kGood, "{name: mac,", "{name: multiply,"));
  EXPECT_MSG(msg, "component 'mac': unknown action 'multiply' (known: mac)");
}

TEST(EnergyTableErrors, NegativeEnergy) {
  auto msg = load_error(replace_once(kGood, "energy_pj: 5,", "energy_pj: -5,"));
  EXPECT_MSG(msg, "component 'weight_buffer' action 'read': negative energy_pj -5");
}

TEST(EnergyTableErrors, NanInfAndQuotedEnergy) {
  for (const std::string bad : {".nan", ".inf", "nan", "\"5\"", "5 pJ", "[5]", "1e999"}) {
    auto msg = load_error(replace_once(kGood, "energy_pj: 5,", "energy_pj: " + bad + ","));
    EXPECT_MSG(msg, "component 'weight_buffer' action 'read': 'energy_pj' must be a finite number");
  }
}

TEST(EnergyTableErrors, MissingLawAndUnknownLaw) {
  auto msg = load_error(replace_once(kGood, " law: dynamic_v2,", ""));
  EXPECT_MSG(msg, "component 'mac' action 'mac': missing law");
  msg = load_error(replace_once(kGood, "law: dynamic_v2", "law: dynamic_v3"));
  EXPECT_MSG(msg,
             "component 'mac' action 'mac': unknown law 'dynamic_v3' (known: dynamic_v2, "
             "chip_energy_model, constant, leakage_linear, leak_k2)");
  msg = load_error(replace_once(kGood, "kind: leakage_dibl", "kind: leakage_cubic"));
  EXPECT_MSG(msg, "law 'leak_k2': unknown law kind 'leakage_cubic'");
  msg = load_error(replace_once(kGood, "kind: leakage_dibl, k: 2,", "kind: leakage_dibl,"));
  EXPECT_MSG(msg, "law 'leak_k2': missing key 'k'");
}

TEST(EnergyTableErrors, LawMustFitTheAction) {
  auto msg = load_error(replace_once(kGood, "law: chip_energy_model", "law: leak_k2"));
  EXPECT_MSG(msg,
             "component 'weight_buffer' action 'read': law 'leak_k2' is a per-cycle leakage law");
  msg = load_error(replace_once(kGood, "law: leak_k2, source", "law: dynamic_v2, source"));
  EXPECT_MSG(msg, "component 'weight_buffer' action 'leak': law 'dynamic_v2' is not a leakage law");
}

TEST(EnergyTableErrors, MalformedFile) {
  auto msg = load_error(kGood + "components: [\n");
  EXPECT_MSG(msg, "malformed YAML/JSON at line");
  msg = load_error("{\"format\": \"lowvolt-energy-table\", ");
  EXPECT_MSG(msg, "malformed YAML/JSON");
  msg = load_error("");
  EXPECT_MSG(msg, "expected a map of keys, found empty (null)");
  msg = load_error("- just\n- a list\n");
  EXPECT_MSG(msg, "expected a map of keys, found a list");
  msg = load_error(replace_once(kGood, "format: lowvolt-energy-table", "format: accelergy"));
  EXPECT_MSG(msg, "format 'accelergy' is not 'lowvolt-energy-table'");
  msg = load_error(replace_once(kGood, "version: 1", "version: 2"));
  EXPECT_MSG(msg, "version 2");
}

TEST(EnergyTableErrors, WrongTypes) {
  auto msg = load_error(replace_once(kGood, "rail: logic", "rail: [logic]"));
  EXPECT_MSG(msg, "component 'mac': 'rail' must be text, found a list");
  msg = load_error(replace_once(kGood, "components:\n", "components: 3\nx:\n"));
  EXPECT_MSG(msg, "'components' must be a list, found '3'");
  msg = load_error(replace_once(kGood, "    actions:\n      - {name: mac,",
                                "    actions:\n      - [name, mac]\n      - {name: mac,"));
  EXPECT_MSG(msg, "component 'mac' action '#1': expected a map of keys, found a list");
}

TEST(EnergyTableErrors, DuplicatesAndUnknownKeys) {
  auto msg = load_error(kGood + "  - name: mac\n    rail: logic\n    actions: []\n");
  EXPECT_MSG(msg, "duplicate component 'mac'");
  msg = load_error(replace_once(
      kGood, "      - {name: leak,",
      "      - {name: read, energy_pj: 5, law: dynamic_v2, source: t}\n      - {name: leak,"));
  EXPECT_MSG(msg, "component 'weight_buffer': duplicate action 'read'");
  msg = load_error(replace_once(kGood, "  - {name: sram,", "  - {name: logic,"));
  EXPECT_MSG(msg, "duplicate rail 'logic'");
  msg = load_error(replace_once(kGood, "name: small\n", "name: small\nname: again\n"));
  EXPECT_MSG(msg, "duplicate key 'name'");
  msg = load_error(replace_once(kGood, "energy_pj: 0.5,", "enrgy_pj: 0.5,"));
  EXPECT_MSG(msg, "component 'mac' action 'mac': missing key 'energy_pj'");
  msg = load_error(replace_once(kGood, "energy_pj: 0.5,", "energy_pj: 0.5, unit: pJ,"));
  EXPECT_MSG(msg, "component 'mac' action 'mac': unknown key 'unit'");
}

TEST(EnergyTableErrors, RailsAndClock) {
  auto msg = load_error(replace_once(kGood, "rail: sram", "rail: sram2"));
  EXPECT_MSG(msg, "component 'weight_buffer': unknown rail 'sram2'");
  msg = load_error(
      replace_once(kGood, "{model: fixed,", "{model: alpha_power, alpha: 1.3, rails: [sram],"));
  EXPECT_MSG(msg, "clock: rail 'sram' has no vth");
  msg = load_error(replace_once(kGood, "{model: fixed,", "{model: turbo,"));
  EXPECT_MSG(msg, "clock: unknown clock model 'turbo'");
  msg = load_error(replace_once(kGood, "vth: 0.4", "vth: 1.4"));
  EXPECT_MSG(msg, "rail 'logic': vth 1.4 must be in [0, 1)");
  msg = load_error(replace_once(kGood, "nominal_mhz: 1000, source: test}", "nominal_mhz: 1000}"));
  EXPECT_MSG(msg, "clock: missing key 'source'");
}

TEST(EnergyTableErrors, MissingSource) {
  auto msg = load_error(replace_once(kGood, "law: dynamic_v2, source: test", "law: dynamic_v2"));
  EXPECT_MSG(msg, "component 'mac' action 'mac': missing source");
}

// Hostile input: deep nesting, a huge file, a folder or a missing file are refused quickly.
TEST(EnergyTableErrors, HostileInputIsBounded) {
  auto msg = load_error(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_FALSE(msg.empty());
  msg = load_error("a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n");
  EXPECT_MSG(msg, "missing key 'format'");
  std::string many = "[";
  while (many.size() < 1000000) many += "1,";
  msg = load_error(many + "1]");
  EXPECT_MSG(msg, "too large: 500001 separators");
  TempDir dir;
  const std::string big = dir.write("big.yaml", std::string(kMaxTableFileBytes + 1, '#'));
  msg = error_of([&] { load_energy_table(big); });
  EXPECT_MSG(msg, big);
  EXPECT_MSG(msg, "more than the");
  msg = error_of([&] { load_energy_table(dir.path()); });
  EXPECT_MSG(msg, dir.path());
  msg = error_of([&] { load_energy_table(dir.path() + "/absent.yaml"); });
  EXPECT_MSG(msg, "absent.yaml");
}

// Pricing: an action or component the table does not price is an error naming both, never 0;
// a bad operating point is an error naming the rail.
TEST(EnergyPricingErrors, UnpricedActionIsAnError) {
  TempDir dir;
  const std::string path = dir.write("small.yaml", kGood);
  const EnergyTable t = load_energy_table(path);
  auto msg = error_of([&] { t.energy("weight_buffer", "write"); });
  EXPECT_MSG(msg, "energy table " + path +
                      ": no price for action 'write' of component "
                      "'weight_buffer' (it prices: read, leak)");
  msg = error_of([&] { t.energy("dram", "read"); });
  EXPECT_MSG(msg, "no price for component 'dram'");
  msg = error_of([&] { t.energy("mac", "mac", OperatingPoint{{{"sram_weights", 0.9}}}); });
  EXPECT_MSG(msg, "operating point names rail 'sram_weights', which the table does not have");
  for (double v : {0.0, -0.5, 17.0, std::nan("")}) {
    msg = error_of([&] { t.energy("mac", "mac", OperatingPoint{{{"logic", v}}}); });
    EXPECT_MSG(msg, "rail 'logic' at");
  }
}

}  // namespace
}  // namespace lowvolt::energy
