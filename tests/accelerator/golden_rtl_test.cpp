// The golden model against the Verilated RTL (lowvolt::rtl::AccelDriver): same words read,
// same int32 results, same counters (cycles included), same MBIST records, on random command
// streams and random persistent and intermittent fault maps.
#include <gtest/gtest.h>

#include <random>

#include "lowvolt/accelerator/golden.h"
#include "lowvolt/rtl/accel_driver.h"
#include "test_util.h"

namespace lowvolt::accelerator {
namespace {

void expect_same_counters(rtl::AccelDriver& rtl, Accelerator& golden, const std::string& where) {
  const auto r = rtl.counters();
  const auto g = golden.counters();
  EXPECT_EQ(g.status, r.status) << where;
  EXPECT_EQ(g.cycles, r.cycles) << where;
  EXPECT_EQ(g.macs, r.macs) << where;
  EXPECT_EQ(g.bank_reads, r.bank_reads) << where;
  EXPECT_EQ(g.bank_writes, r.bank_writes) << where;
}

TileConfig random_config(std::mt19937_64& rng) {
  TileConfig cfg;
  cfg.rows = 1 + rng() % hw::kPeRows;
  cfg.cols = 1 + rng() % hw::kPeCols;
  cfg.wbits = 1 + rng() % hw::kMaxWbits;
  cfg.act_zero = static_cast<std::uint8_t>(rng());
  cfg.w_zero = static_cast<std::uint8_t>(rng());
  cfg.act_signed = rng() % 2;
  cfg.w_signed = rng() % 2;
  return cfg;
}

// Random writes, reads, voltage changes, tile shapes and runs (wrapping addresses included)
// over persistent (σ = 0) and intermittent (σ > 0) fault maps give bit-identical read words,
// int32 results and counters on the RTL and the golden model.
TEST(GoldenVsRtl, RandomCommandStreams) {
  for (std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{60}}) {
    rtl::AccelDriver rtl;
    GoldenAccelerator golden;
    const auto map = testing::random_map(100 + sigma, 0.03, 3500, 4300, sigma);
    rtl.load_profile(map);
    golden.load_profile(map);
    expect_same_counters(rtl, golden, "after load");
    std::mt19937_64 rng(sigma + 1);
    std::vector<std::uint64_t> data(hw::kBufferWords);
    for (auto& d : data) d = rng();
    rtl.write(0, data);
    golden.write(0, data);
    TileConfig cfg;
    for (int op = 0; op < 60; ++op) {
      const std::string where = "sigma " + std::to_string(sigma) + " op " + std::to_string(op);
      switch (rng() % 5) {
        case 0: {  // voltage between 0.85 and 1.05 × Vmin
          const auto vdd = static_cast<std::uint16_t>(3480 + rng() % 820);
          rtl.set_vdd(vdd);
          golden.set_vdd_code(vdd);
          break;
        }
        case 1: {  // a write that may wrap around the end of the buffer
          const auto addr = static_cast<std::uint32_t>(rng() % 65536);
          std::vector<std::uint64_t> w(rng() % 300);
          for (auto& x : w) x = rng();
          rtl.write(addr, w);
          golden.write(addr, w);
          break;
        }
        case 2: {
          const auto addr = static_cast<std::uint32_t>(rng() % 65536);
          const auto n = static_cast<std::uint32_t>(rng() % 300);
          ASSERT_EQ(golden.read(addr, n), rtl.read(addr, n)) << where;
          break;
        }
        case 3:
          cfg = random_config(rng);
          rtl.tile_cfg(cfg);
          golden.tile_cfg(cfg);
          break;
        default: {
          const auto bit_addr = static_cast<std::uint32_t>(rng() % (1u << 24));
          std::vector<std::uint64_t> act(rng() % 200);
          for (auto& a : act) a = rng();
          ASSERT_EQ(golden.run(bit_addr, act, cfg), rtl.run(bit_addr, act)) << where;
        }
      }
      expect_same_counters(rtl, golden, where);
    }
    rtl.reset();
    golden.reset();
    expect_same_counters(rtl, golden, "after reset");
  }
}

// The same run repeated (the golden model's decoded-weight reuse, and under persistent faults
// its read-free repeat that only advances the counters), interleaved with a write elsewhere and
// a supply change, matches the RTL read for read.
TEST(GoldenVsRtl, RepeatedRunsReuseWeightsExactly) {
  for (std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{80}}) {
    rtl::AccelDriver rtl;
    GoldenAccelerator golden;
    const auto map = testing::random_map(7 + sigma, 0.2, 3900, 4200, sigma);
    rtl.load_profile(map);
    golden.load_profile(map);
    std::mt19937_64 rng(8);
    std::vector<std::uint64_t> data(1024);
    for (auto& d : data) d = rng();
    rtl.write(0, data);
    golden.write(0, data);
    rtl.set_vdd(4050);
    golden.set_vdd_code(4050);
    TileConfig cfg;
    cfg.w_signed = true;
    rtl.tile_cfg(cfg);
    golden.tile_cfg(cfg);
    std::vector<std::uint64_t> act(100);
    for (int i = 0; i < 30; ++i) {
      for (auto& a : act) a = rng();
      if (i == 10) {  // new contents under the tile
        rtl.write(3, data);
        golden.write(3, data);
      }
      if (i == 20) {
        rtl.set_vdd(3990);
        golden.set_vdd_code(3990);
      }
      ASSERT_EQ(golden.run(64 * 500 + 5, act, cfg), rtl.run(64 * 500 + 5, act))
          << "sigma " << sigma << " run " << i;
    }
    expect_same_counters(rtl, golden, "after repeated runs, sigma " + std::to_string(sigma));
  }
}

// MBIST over persistent and intermittent fault maps: identical records, counters and cycles.
TEST(GoldenVsRtl, Mbist) {
  for (std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{50}}) {
    rtl::AccelDriver rtl;
    GoldenAccelerator golden;
    const auto map = testing::random_map(55 + sigma, 0.001, 3900, 4300, sigma);
    rtl.load_profile(map);
    golden.load_profile(map);
    rtl.set_vdd(4096);
    golden.set_vdd_code(4096);
    const auto r = rtl.mbist();
    const auto g = golden.mbist();
    ASSERT_EQ(g.size(), r.size()) << "sigma " << sigma;
    ASSERT_FALSE(g.empty());
    for (std::size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(g[i].cell, r[i].cell) << i;
      EXPECT_EQ(g[i].saw_0to1, r[i].saw_0to1) << i;
      EXPECT_EQ(g[i].saw_1to0, r[i].saw_1to0) << i;
    }
    expect_same_counters(rtl, golden, "after mbist sigma " + std::to_string(sigma));
    ASSERT_EQ(golden.read(0, hw::kBufferWords), rtl.read(0, hw::kBufferWords));
  }
}

}  // namespace
}  // namespace lowvolt::accelerator
