// ECC in the RTL (rtl/accel_top.sv: check arrays, ecc_codec in the weight path, ecc_counters,
// MBIST of the check cells) against the golden model with ECC (EccGoldenAccelerator,
// golden_ecc.h): same words read, same int32 results, same counters (cycles included), same ECC
// counters, same MBIST records, on random command streams over random persistent and
// intermittent fault maps of the data cells and their check cells (ecc_check_cells()).
#include <gtest/gtest.h>

#include <random>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/accelerator/golden.h"
#include "lowvolt/accelerator/golden_ecc.h"
#include "lowvolt/common/error.h"
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

/// Compares the ECC counters (the ecc_counters command on both sides); returns golden's.
EccCounters expect_same_ecc_counters(rtl::AccelDriver& rtl, EccGoldenAccelerator& golden,
                                     const std::string& where) {
  const auto r = rtl.ecc_counters();
  const auto g = golden.ecc_counters_command();
  EXPECT_EQ(static_cast<std::uint32_t>(golden.mode()), r.mode) << where;
  EXPECT_EQ(g.corrected, r.corrected) << where;
  EXPECT_EQ(g.uncorrectable, r.uncorrectable) << where;
  return g;
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

std::uint64_t total(const std::vector<std::uint32_t>& v) {
  std::uint64_t s = 0;
  for (const auto x : v) s += x;
  return s;
}

// Random writes, reads, supply changes, tile shapes, runs (wrapping addresses included), ECC
// counter reads and a reset, over persistent (σ = 0) and intermittent (σ > 0) fault maps whose
// check cells fail too: the RTL with cfg_ecc = none, parity, secded equals EccGoldenAccelerator
// of that mode read for read, result for result, counter for counter (cycles included). The
// faults are dense enough that the decoders correct and detect many words (checked, so that the
// comparison is not vacuous).
TEST(GoldenEccVsRtl, RandomCommandStreams) {
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity, EccMode::kNone}) {
    for (const std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{60}}) {
      const std::string name = ecc_mode_name(mode) + " sigma " + std::to_string(sigma);
      rtl::AccelDriver rtl;
      rtl.set_ecc_mode(static_cast<std::uint32_t>(mode));
      EccGoldenAccelerator golden(mode);
      const auto map = testing::random_map(300 + sigma, 0.03, 3500, 4300, sigma);
      rtl.load_profile(map);
      golden.load_profile(map);
      expect_same_counters(rtl, golden, name + " after load");
      expect_same_ecc_counters(rtl, golden, name + " after load");
      std::mt19937_64 rng(sigma + 11 + static_cast<unsigned>(mode));
      std::vector<std::uint64_t> data(hw::kBufferWords);
      for (auto& d : data) d = rng();
      rtl.write(0, data);
      golden.write(0, data);
      TileConfig cfg;
      std::uint64_t corrected = 0, detected = 0;
      for (int op = 0; op < 60; ++op) {
        const std::string where = name + " op " + std::to_string(op);
        switch (rng() % 6) {
          case 0: {  // supply between 0.85 and 1.05 × Vmin
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
          case 4: {
            const auto e = expect_same_ecc_counters(rtl, golden, where);
            corrected = std::max(corrected, total(e.corrected));
            detected = std::max(detected, total(e.uncorrectable));
            break;
          }
          default: {
            const auto bit_addr = static_cast<std::uint32_t>(rng() % (1u << 24));
            std::vector<std::uint64_t> act(rng() % 200);
            for (auto& a : act) a = rng();
            ASSERT_EQ(golden.run(bit_addr, act, cfg), rtl.run(bit_addr, act)) << where;
          }
        }
        expect_same_counters(rtl, golden, where);
      }
      const auto e = expect_same_ecc_counters(rtl, golden, name + " at the end");
      corrected = std::max(corrected, total(e.corrected));
      detected = std::max(detected, total(e.uncorrectable));
      if (mode == EccMode::kSecded) {
        EXPECT_GT(corrected, 100u) << name;
      } else {
        EXPECT_EQ(corrected, 0u) << name;
      }
      if (mode == EccMode::kNone) {
        EXPECT_EQ(detected, 0u) << name;
      } else {
        EXPECT_GT(detected, 20u) << name;
      }
      rtl.reset();
      golden.reset();
      expect_same_counters(rtl, golden, name + " after reset");
      const auto after = expect_same_ecc_counters(rtl, golden, name + " after reset");
      EXPECT_EQ(total(after.corrected) + total(after.uncorrectable), 0u) << name;
      // reads after the reset (supply back at its highest: no persistent fault) still decode
      ASSERT_EQ(golden.read(0, hw::kBufferWords), rtl.read(0, hw::kBufferWords)) << name;
      expect_same_ecc_counters(rtl, golden, name + " after the last read");
    }
  }
}

// Repeated runs over one weight range under intermittent faults (the read count r advancing in
// data and check cells alike), with a rewrite of the range and a supply change in between.
TEST(GoldenEccVsRtl, RepeatedRunsUnderIntermittentFaults) {
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity}) {
    rtl::AccelDriver rtl;
    rtl.set_ecc_mode(static_cast<std::uint32_t>(mode));
    EccGoldenAccelerator golden(mode);
    const auto map = testing::random_map(21, 0.2, 3900, 4200, 80);
    rtl.load_profile(map);
    golden.load_profile(map);
    std::mt19937_64 rng(22);
    std::vector<std::uint64_t> data(1024);
    for (auto& d : data) d = rng();
    rtl.write(0, data);
    golden.write(0, data);
    rtl.set_vdd(4150);
    golden.set_vdd_code(4150);
    TileConfig cfg;
    cfg.w_signed = true;
    rtl.tile_cfg(cfg);
    golden.tile_cfg(cfg);
    std::vector<std::uint64_t> act(100);
    for (int i = 0; i < 20; ++i) {
      for (auto& a : act) a = rng();
      if (i == 7) {
        rtl.write(3, data);
        golden.write(3, data);
      }
      if (i == 14) {
        rtl.set_vdd(4100);
        golden.set_vdd_code(4100);
      }
      ASSERT_EQ(golden.run(64 * 500 + 5, act, cfg), rtl.run(64 * 500 + 5, act))
          << ecc_mode_name(mode) << " run " << i;
    }
    expect_same_counters(rtl, golden, ecc_mode_name(mode));
    const auto e = expect_same_ecc_counters(rtl, golden, ecc_mode_name(mode));
    EXPECT_GT(total(e.uncorrectable), 0u) << ecc_mode_name(mode);
  }
}

// Random back-pressure on both data streams (the driver withholds input words and output
// readiness) changes the cycle count only: reads, results, bank counters and ECC counters still
// equal the golden model's (a read is decoded and counted once, however long its word waits).
TEST(GoldenEccVsRtl, BackPressureChangesOnlyCycles) {
  rtl::AccelDriver rtl;
  rtl.set_ecc_mode(hw::kEccSecded);
  EccGoldenAccelerator golden(EccMode::kSecded);
  const auto map = testing::random_map(91, 0.03, 3500, 4300, 40);
  rtl.load_profile(map);
  golden.load_profile(map);
  rtl.set_stalls(0.3, 0.4, 92);
  std::mt19937_64 rng(93);
  std::vector<std::uint64_t> data(2048);
  for (auto& d : data) d = rng();
  rtl.write(1000, data);
  golden.write(1000, data);
  rtl.set_vdd(3700);
  golden.set_vdd_code(3700);
  for (int i = 0; i < 10; ++i) {
    const TileConfig cfg = random_config(rng);
    rtl.tile_cfg(cfg);
    golden.tile_cfg(cfg);
    std::vector<std::uint64_t> act(1 + rng() % 100);
    for (auto& a : act) a = rng();
    const auto bit_addr = static_cast<std::uint32_t>(64 * 1000 + rng() % (64 * 1500));
    ASSERT_EQ(golden.run(bit_addr, act, cfg), rtl.run(bit_addr, act)) << "run " << i;
    ASSERT_EQ(golden.read(1000 + i * 100, 150), rtl.read(1000 + i * 100, 150)) << "read " << i;
  }
  const auto r = rtl.counters();
  const auto g = golden.counters();
  EXPECT_EQ(g.macs, r.macs);
  EXPECT_EQ(g.bank_reads, r.bank_reads);
  EXPECT_EQ(g.bank_writes, r.bank_writes);
  EXPECT_GT(r.cycles, g.cycles);  // the stalls cost cycles
  const auto re = rtl.ecc_counters();
  EXPECT_EQ(golden.ecc_counters().corrected, re.corrected);
  EXPECT_EQ(golden.ecc_counters().uncorrectable, re.uncorrectable);
  EXPECT_GT(total(re.corrected), 0u);
}

// MBIST bypasses the decoder and tests the raw check cells of the mode (parity: column 0,
// secded: all eight; none: none) after the data cells, persistent and intermittent: identical
// records (check cells numbered after every data cell), counters, cycles and buffer contents.
TEST(GoldenEccVsRtl, MbistTestsTheCheckCells) {
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity, EccMode::kNone}) {
    for (const std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{50}}) {
      const std::string name = ecc_mode_name(mode) + " sigma " + std::to_string(sigma);
      rtl::AccelDriver rtl;
      rtl.set_ecc_mode(static_cast<std::uint32_t>(mode));
      EccGoldenAccelerator golden(mode);
      const auto map = testing::random_map(55 + sigma, 0.002, 3900, 4300, sigma);
      rtl.load_profile(map);
      golden.load_profile(map);
      rtl.set_vdd(4096);
      golden.set_vdd_code(4096);
      const auto r = rtl.mbist();
      const auto g = golden.mbist();
      ASSERT_EQ(g.size(), r.size()) << name;
      std::size_t check_records = 0;
      for (std::size_t i = 0; i < g.size(); ++i) {
        EXPECT_EQ(g[i].cell, r[i].cell) << name << " record " << i;
        EXPECT_EQ(g[i].saw_0to1, r[i].saw_0to1) << name << " record " << i;
        EXPECT_EQ(g[i].saw_1to0, r[i].saw_1to0) << name << " record " << i;
        if (r[i].cell >= hw::kBufferWords * hw::kWordBits) {
          ++check_records;
          EXPECT_LT((r[i].cell - hw::kBufferWords * hw::kWordBits) % hw::kEccCheckCols,
                    ecc_check_bits(mode))
              << name << ": a check cell outside the mode's columns";
        }
      }
      if (mode == EccMode::kNone) {
        EXPECT_EQ(check_records, 0u) << name;
      } else {
        EXPECT_GT(check_records, 0u) << name;
      }
      expect_same_counters(rtl, golden, "after mbist " + name);
      expect_same_ecc_counters(rtl, golden, "after mbist " + name);
      ASSERT_EQ(golden.read(0, hw::kBufferWords), rtl.read(0, hw::kBufferWords)) << name;
      expect_same_ecc_counters(rtl, golden, "after the read-back " + name);
    }
  }
}

// With cfg_ecc = none the check cells are never read: the RTL equals the fast golden model
// (GoldenAccelerator) whatever check cells are loaded, and ecc_counters shows mode 0 and zeros.
TEST(GoldenEccVsRtl, ModeNoneIgnoresCheckCells) {
  rtl::AccelDriver rtl;
  GoldenAccelerator golden;
  const auto map = testing::random_map(77, 0.05, 3800, 4300, 0);
  rtl.load_profile(map);
  golden.load_profile(map);
  std::mt19937_64 rng(78);
  std::vector<std::uint64_t> data(hw::kBufferWords);
  for (auto& d : data) d = rng();
  rtl.write(0, data);
  golden.write(0, data);
  rtl.set_vdd(3900);
  golden.set_vdd_code(3900);
  ASSERT_EQ(golden.read(0, hw::kBufferWords), rtl.read(0, hw::kBufferWords));
  expect_same_counters(rtl, golden, "mode none");
  const auto e = rtl.ecc_counters();
  EXPECT_EQ(e.mode, hw::kEccNone);
  EXPECT_EQ(total(e.corrected) + total(e.uncorrectable), 0u);
  EXPECT_EQ(rtl.last_command_cycles(), 1u + hw::kEccCounterWords);
}

// The driver refuses a reserved mode and a check profile of the wrong size.
TEST(GoldenEccVsRtl, DriverErrors) {
  rtl::AccelDriver rtl;
  EXPECT_THROW(rtl.set_ecc_mode(3), lowvolt::Error);
  const auto map = testing::random_map(1, 0.0, 0, 0, 0);
  const profiles::CellMap short_check(profiles::Geometry{hw::kBanks, hw::kSramRows, hw::kEccCheckCols - 1});
  EXPECT_THROW(rtl.load_profile(map, short_check), lowvolt::Error);
}

}  // namespace
}  // namespace lowvolt::accelerator
