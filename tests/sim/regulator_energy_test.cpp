// The voltage regulator (a per-layer supply schedule taking effect between layers) and the energy
// monitor (bank access counts × (V/Vmin)^2, plus leakage per cycle).
#include <gtest/gtest.h>

#include <random>

#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/read_model.h"
#include "lowvolt/sim/rtl_backend.h"

namespace lowvolt::sim {
namespace {

namespace hw = accelerator::hw;
using accelerator::TileConfig;

std::unique_ptr<RtlAccelerator> make_rtl(const accelerator::AcceleratorConfig& config = {}) {
  return std::make_unique<RtlAccelerator>(config);
}

// A schedule of one supply per layer: begin_layer(i) switches the RTL to entry i (the last entry
// for later layers) only when it changes, and the reads and counters between layers are those of
// the golden backend told to set_vdd at the same boundaries.
TEST(VoltageRegulator, ScheduleTakesEffectBetweenLayers) {
  const std::vector<double> schedule = {1.0, 0.85, 0.85, 0.8};
  auto rtl = make_rtl({{"vdd_schedule", "1.0, 0.85,0.85 ,0.8"}});
  accelerator::register_golden_backend();
  auto golden = accelerator::make_accelerator("golden");
  const auto chip =
      profiles::generate_chip(profiles::preset("chip1"), accelerator::buffer_geometry(), 21);
  std::mt19937_64 rng(99);
  std::vector<std::uint64_t> weights(hw::kBufferWords);
  for (auto& w : weights) w = rng();
  rtl->load_profile(chip);
  golden->load_profile(chip);
  rtl->write(0, weights);
  golden->write(0, weights);
  std::uint16_t previous = hw::kVddResetCode;
  for (std::size_t layer = 0; layer < 6; ++layer) {
    const std::uint16_t want = profiles::vdd_code(schedule[std::min(layer, schedule.size() - 1)]);
    EXPECT_EQ(rtl->begin_layer(layer), want != previous) << "layer " << layer;
    if (want != previous) golden->set_vdd_code(want);
    previous = want;
    EXPECT_EQ(rtl->supply_code(), want) << "layer " << layer;
    // one "layer": a tile over the first 256 words, then a read of them
    TileConfig c;
    rtl->tile_cfg(c);
    golden->tile_cfg(c);
    std::vector<std::uint64_t> act(256);
    for (auto& a : act) a = rng();
    EXPECT_EQ(rtl->run(0, act, c), golden->run(0, act, c)) << "layer " << layer;
    EXPECT_EQ(rtl->read(0, 256), golden->read(0, 256)) << "layer " << layer;
  }
  const auto r = rtl->counters();
  const auto g = golden->counters();
  EXPECT_EQ(r.cycles, g.cycles);
  EXPECT_EQ(r.bank_reads, g.bank_reads);
}

// Without a schedule begin_layer() does nothing; set_vdd_code() always runs one set_vdd (a mask
// sweep), even to the same supply, as the golden backend counts it.
TEST(VoltageRegulator, ManualSupplyAlwaysSweepsAndNoScheduleDoesNothing) {
  auto rtl = make_rtl();
  accelerator::register_golden_backend();
  auto golden = accelerator::make_accelerator("golden");
  const std::uint64_t c0 = rtl->simulated_cycles();
  EXPECT_FALSE(rtl->begin_layer(3));
  EXPECT_EQ(rtl->simulated_cycles(), c0);
  for (int i = 0; i < 2; ++i) {
    rtl->set_vdd(0.9);
    golden->set_vdd(0.9);
  }
  EXPECT_EQ(rtl->supply_code(), profiles::vdd_code(0.9));
  EXPECT_EQ(rtl->counters().cycles, golden->counters().cycles);
  rtl->set_vdd_schedule({profiles::vdd_code(0.9)});
  EXPECT_FALSE(rtl->begin_layer(0));  // already there
}

// Dynamic energy = Σ over supplies of (bank reads + writes at that supply) × (V/Vmin)^2, with the
// access counts taken from the RTL's counters command; per bank and per supply as well.
TEST(EnergyMonitor, EqualsAccessCountsTimesSquaredSupply) {
  auto rtl = make_rtl();
  rtl->load_profile(
      profiles::generate_chip(profiles::preset("chip2"), accelerator::buffer_geometry(), 4));
  std::mt19937_64 rng(5);
  double want = 0;
  std::array<double, hw::kBanks> want_bank{};
  std::map<std::uint16_t, std::uint64_t> want_at;
  for (const double v : {1.0, 0.9, 0.8}) {
    rtl->set_vdd(v);
    const std::uint16_t code = profiles::vdd_code(v);
    const double e = profiles::code_volts(code) * profiles::code_volts(code);
    const auto c0 = rtl->counters();
    std::vector<std::uint64_t> words(1000 + 700 * (v < 0.85));
    for (auto& w : words) w = rng();
    const auto at = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
    rtl->write(at, words);
    rtl->read(at / 2, 3000);
    TileConfig c;
    rtl->tile_cfg(c);
    std::vector<std::uint64_t> act(400);
    rtl->run(static_cast<std::uint32_t>(rng() % (1u << 19)), act, c);
    const auto c1 = rtl->counters();
    for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
      const std::uint64_t n = std::uint64_t{c1.bank_reads[b] - c0.bank_reads[b]} +
                              (c1.bank_writes[b] - c0.bank_writes[b]);
      want += static_cast<double>(n) * e;
      want_bank[b] += static_cast<double>(n) * e;
      if (n > 0) want_at[code] += n;
    }
  }
  const EnergyReport got = rtl->energy();
  EXPECT_NEAR(got.dynamic, want, 1e-9 * want);
  EXPECT_GT(got.dynamic, 0.0);
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    EXPECT_NEAR(got.bank_dynamic[b], want_bank[b], 1e-9 * want + 1e-12) << "bank " << b;
  }
  EXPECT_EQ(got.accesses_at, want_at);
  EXPECT_EQ(got.leakage, 0.0);  // no leakage option
  rtl->clear_energy();
  EXPECT_EQ(rtl->energy().dynamic, 0.0);
}

// With the leakage option, every simulated cycle at supply V adds banks × leakage × V.
TEST(EnergyMonitor, LeakageCountsEveryCycleAtItsSupply) {
  const double leak = 0.25;
  auto rtl = make_rtl({{"leakage", "0.25"}});
  double want = 0;
  for (const double v : {1.0, 0.8}) {
    rtl->set_vdd(v);  // the sweep's cycles count at the supply before it
    const std::uint64_t t0 = rtl->simulated_cycles();
    rtl->write(0, std::vector<std::uint64_t>(500, 1));
    rtl->read(0, 500);
    const std::uint64_t t1 = rtl->simulated_cycles();
    want += static_cast<double>(t1 - t0) * hw::kBanks * leak *
            profiles::code_volts(profiles::vdd_code(v));
  }
  const double before_sweeps = rtl->energy().leakage;
  EXPECT_GT(before_sweeps, want);  // the two set_vdd sweeps leak as well
  // the sweeps: 1 + rows cycles each, at the supply before (reset code, then 1.0)
  const double sweeps =
      (1 + hw::kSramRows) * hw::kBanks * leak * (profiles::code_volts(hw::kVddResetCode) + 1.0);
  EXPECT_NEAR(before_sweeps, want + sweeps, 1e-9 * before_sweeps);
}

}  // namespace
}  // namespace lowvolt::sim
