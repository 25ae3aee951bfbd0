// A breakdown is Σ count × energy per action, summed per component and per rail, at the
// operating point; a counted action the table does not price is an error (even a count of 0).
#include <gtest/gtest.h>

#include <cmath>

#include "lowvolt/energy/breakdown.h"
#include "test_util.h"

namespace lowvolt::energy {
namespace {

using testing::error_of;

// A workload shaped like one tile batch: MACs, cycles, weight reads and writes, DRAM words.
ActionCounts workload() {
  ActionCounts c;
  c.add("mac", "mac", 64.0 * 1000);
  c.add("registers", "cycle", 1200);
  c.add("weight_buffer", "read", 1000);
  c.add("weight_buffer", "write", 300);
  c.add("weight_buffer", "leak", 1200);
  c.add("act_scratchpad", "leak", 1200);
  c.add("dram", "read", 500);
  c.add("dram", "write", 100);
  return c;
}

TEST(EnergyBreakdown, SumOfCountTimesEnergyPerComponentAndRail) {
  const EnergyTable& t = default_energy_table();
  for (double v : {1.0, 0.84}) {
    const OperatingPoint op{{{"sram_weights", v}}};
    const ActionCounts counts = workload();
    const Breakdown b = breakdown(t, counts, op);
    double total = 0;
    std::map<std::string, double> per_component, per_rail;
    for (const auto& [key, n] : counts.entries()) {
      const double e = n * t.energy(key.first, key.second, op);
      total += e;
      per_component[key.first] += e;
      per_rail[t.find(key.first)->rail] += e;
    }
    EXPECT_DOUBLE_EQ(b.total_pj, total);
    ASSERT_EQ(b.component_pj.size(), per_component.size());
    for (const auto& [c, e] : per_component) EXPECT_DOUBLE_EQ(b.component_pj.at(c), e) << c;
    for (const auto& [r, e] : per_rail) EXPECT_DOUBLE_EQ(b.rail_pj.at(r), e) << r;
    EXPECT_EQ(b.lines.size(), counts.entries().size());
    EXPECT_EQ(b.lines.front().component, "mac");  // catalogue order
    double shares = 0;
    for (const auto& [c, e] : b.component_pj) shares += b.component_share(c);
    EXPECT_NEAR(shares, 1.0, 1e-12);
    // The weight-SRAM rail's dynamic part scales as v², the rest of the chip does not move.
    const Breakdown nominal = breakdown(t, counts);
    EXPECT_DOUBLE_EQ(b.component_pj.at("mac"), nominal.component_pj.at("mac"));
    const double reads = 1000 * t.energy("weight_buffer", "read");
    EXPECT_DOUBLE_EQ(b.lines[2].energy_pj, reads * v * v);
  }
}

TEST(EnergyBreakdown, CountsAreCheckedAndAccumulate) {
  ActionCounts c;
  c.add("mac", "mac", 2);
  c.add("mac", "mac", 3);
  EXPECT_EQ(c.get("mac", "mac"), 5);
  EXPECT_EQ(c.get("dram", "read"), 0);
  EXPECT_NE(error_of([&] { c.add("mac", "mac", -1); }).find("'mac.mac' is -1"), std::string::npos);
  EXPECT_FALSE(error_of([&] { c.add("mac", "mac", std::nan("")); }).empty());
}

TEST(EnergyBreakdownErrors, UnpricedCountIsAnErrorNeverZero) {
  EnergyTable t = default_energy_table();
  auto& comps = t.mutable_components();
  for (auto& c : comps) {
    if (c.name == "ecc_secded") c.actions.pop_back();  // drop decode
  }
  t.validate();
  ActionCounts counts = workload();
  counts.add("ecc_secded", "decode", 0);
  auto msg = error_of([&] { breakdown(t, counts); });
  EXPECT_NE(msg.find("no price for action 'decode' of component 'ecc_secded'"), std::string::npos)
      << msg;
  ActionCounts typo;
  typo.add("wieght_buffer", "read", 1);
  msg = error_of([&] { breakdown(default_energy_table(), typo); });
  EXPECT_NE(msg.find("no price for component 'wieght_buffer'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace lowvolt::energy
