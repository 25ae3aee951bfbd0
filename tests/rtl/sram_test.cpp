// SRAM fault-overlay semantics of the Verilated accelerator (rtl/sram_bank.sv via accel_top's
// read/write commands) against docs/memory-model.md: every failure kind, supply voltages above,
// at and below a cell's critical voltage, every write/read order, intermittent cells, profile
// load and reset. Expected values come from the plain C++ reference in sram_reference.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/rtl/accel_driver.h"
#include "sram_reference.h"

namespace {

using lowvolt::rtl::AccelDriver;
using namespace lowvolt::rtl_test;

// One word with a weak cell of each kind: bank 3, row 7.
constexpr std::uint32_t kAddr = 3 * hw::kSramRows + 7;
constexpr std::uint16_t kVc = 3500;  // critical voltage code of the weak cells
constexpr std::uint64_t kFlipBit = 1ull << 0, kStuck0Bit = 1ull << 1, kStuck1Bit = 1ull << 2;

lowvolt::profiles::CellMap three_kinds_profile() {
  auto banks = clean_profile();
  set_cell(banks, std::uint64_t{kAddr} * 64 + 0, kVc, hw::kKindFlip);
  set_cell(banks, std::uint64_t{kAddr} * 64 + 1, kVc, hw::kKindStuck0);
  set_cell(banks, std::uint64_t{kAddr} * 64 + 2, kVc, hw::kKindStuck1);
  set_cell(banks, std::uint64_t{kAddr} * 64 + 3, 2000, hw::kKindFlip);  // weak only below 2000
  return banks;
}

class SramKinds : public ::testing::Test {
 protected:
  void SetUp() override { accel.load_profile(three_kinds_profile()); }
  std::uint64_t write_then_read(std::uint16_t vdd_write, std::uint64_t data,
                                std::uint16_t vdd_read) {
    accel.set_vdd(vdd_write);
    accel.write(kAddr, {data});
    accel.set_vdd(vdd_read);
    return accel.read(kAddr, 1).at(0);
  }
  AccelDriver accel;
};

// Above and at the critical voltage no cell fails: reads return what was written.
TEST_F(SramKinds, NoFaultAtOrAboveCriticalVoltage) {
  for (std::uint16_t vdd : {std::uint16_t{4096}, std::uint16_t{3600}, kVc}) {
    for (std::uint64_t data : {0ull, ~0ull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull}) {
      EXPECT_EQ(write_then_read(vdd, data, vdd), data) << "vdd " << vdd;
    }
  }
}

// Written above V_c, read below: flip inverts, stuck-at-0 reads 0, stuck-at-1 reads 1.
TEST_F(SramKinds, WriteHighReadLow) {
  for (std::uint64_t data : {0ull, ~0ull}) {
    const std::uint64_t got = write_then_read(4096, data, kVc - 1);
    const std::uint64_t expected = ((data ^ kFlipBit) & ~kStuck0Bit) | kStuck1Bit;
    EXPECT_EQ(got, expected) << std::hex << data;
  }
}

// Written and read below V_c: the stuck cells store their stuck value, the flip cell inverts.
TEST_F(SramKinds, WriteLowReadLow) {
  for (std::uint64_t data : {0ull, ~0ull}) {
    const std::uint64_t expected = ((data ^ kFlipBit) & ~kStuck0Bit) | kStuck1Bit;
    EXPECT_EQ(write_then_read(3000, data, 3000), expected) << std::hex << data;
  }
}

// Written below V_c, read above: stuck cells keep the stuck value they stored, a flip cell
// stored the written value and reads it back correctly.
TEST_F(SramKinds, WriteLowReadHigh) {
  for (std::uint64_t data : {0ull, ~0ull}) {
    const std::uint64_t expected = (data & ~kStuck0Bit) | kStuck1Bit;
    EXPECT_EQ(write_then_read(3000, data, 4096), expected) << std::hex << data;
  }
}

// A supply change takes effect on the next access: the same stored word reads differently.
TEST_F(SramKinds, VoltageChangeTakesEffectOnNextAccess) {
  EXPECT_EQ(write_then_read(4096, 0, 4096), 0u);
  accel.set_vdd(kVc - 1);
  EXPECT_EQ(accel.read(kAddr, 1).at(0), kFlipBit | kStuck1Bit);
  accel.set_vdd(1999);  // the fourth cell (V_c = 2000) fails too
  EXPECT_EQ(accel.read(kAddr, 1).at(0), kFlipBit | kStuck1Bit | (1ull << 3));
  accel.set_vdd(4096);
  EXPECT_EQ(accel.read(kAddr, 1).at(0), 0u);
}

// Reset keeps the SRAM contents and the profile and returns to the reset supply (no faults).
TEST_F(SramKinds, ResetKeepsContentsAndProfile) {
  EXPECT_EQ(write_then_read(4096, 0x1234567890abcdefull & ~7ull, 4096),
            0x1234567890abcdefull & ~7ull);
  accel.reset();
  EXPECT_EQ(accel.read(kAddr, 1).at(0), 0x1234567890abcdefull & ~7ull);
  accel.set_vdd(3000);
  EXPECT_EQ(accel.read(kAddr, 1).at(0), ((0x1234567890abcdefull & ~7ull) ^ kFlipBit) | kStuck1Bit);
}

/// A random profile where a fraction `weak` of the cells in the first `rows` rows of each bank
/// have V_c uniform in [lo, hi]; the rest never fail.
lowvolt::profiles::CellMap random_profile(std::mt19937_64& rng, double weak, std::uint32_t rows,
                                          std::uint16_t lo, std::uint16_t hi) {
  auto map = clean_profile();
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> vc(lo, hi);
  constexpr std::size_t kPerBank = std::size_t{hw::kSramRows} * hw::kSramCols;
  for (std::size_t b = 0; b < hw::kBanks; ++b) {
    for (std::uint32_t i = 0; i < rows * hw::kSramCols; ++i) {
      if (unit(rng) < weak) {
        map.vc()[b * kPerBank + i] = static_cast<std::uint16_t>(vc(rng));
        map.kind()[b * kPerBank + i] = static_cast<std::uint8_t>(rng() % 3);
      }
    }
  }
  return map;
}

/// Random writes, reads and supply changes in lockstep with the reference; every read compared.
void lockstep(std::uint16_t sigma, std::uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  const std::uint32_t rows = 4;
  auto banks = random_profile(rng, 0.2, rows, 2800, 4000);
  AccelDriver accel;
  RefMemory ref;
  banks.set_sigma_code(sigma);
  banks.set_seed(seed);
  accel.load_profile(banks);
  ref.load_profile(banks);
  const std::uint16_t vdds[] = {4096, 3900, 3500, 3100, 2700};
  for (int op = 0; op < ops; ++op) {
    const std::uint32_t addr =
        static_cast<std::uint32_t>((rng() % hw::kBanks) * hw::kSramRows + rng() % rows);
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 4) {
      const std::uint64_t data = rng();
      accel.write(addr, {data});
      ref.write(addr, data);
    } else if (kind < 9) {
      ASSERT_EQ(accel.read(addr, 1).at(0), ref.read(addr)) << "op " << op << " addr " << addr;
    } else {
      const std::uint16_t vdd = vdds[rng() % 5];
      accel.set_vdd(vdd);
      ref.set_vdd(vdd);
    }
  }
  const auto c = accel.counters();
  EXPECT_EQ(c.bank_reads, ref.reads());
  EXPECT_EQ(c.bank_writes, ref.writes());
}

// Persistent model: random kinds, voltages and write/read orders match the reference bit for bit.
TEST(SramLockstep, PersistentFaultsMatchReference) { lockstep(0, 11, 3000); }

// Intermittent model (sigma = 0.05 Vmin): the per-read hash of (seed, cell, r) matches the
// reference on every read, including writes to intermittently stuck cells.
TEST(SramLockstep, IntermittentFaultsMatchReference) { lockstep(205, 12, 3000); }

// The intermittent hash does make near-threshold cells fail on some reads and not on others.
TEST(SramLockstep, IntermittentCellsVaryAcrossReads) {
  auto banks = clean_profile();
  set_cell(banks, 5, 3000, hw::kKindFlip);
  AccelDriver accel;
  banks.set_sigma_code(400);
  banks.set_seed(99);
  accel.load_profile(banks);
  accel.write(0, {0});
  accel.set_vdd(3000);
  RefMemory ref;
  ref.load_profile(banks);
  ref.write(0, 0);
  ref.set_vdd(3000);
  int flipped = 0;
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t got = accel.read(0, 1).at(0);
    ASSERT_EQ(got, ref.read(0));
    flipped += got != 0;
  }
  EXPECT_GT(flipped, 40);  // about half of the reads (V_c = vdd: noise > 0 half the time)
  EXPECT_LT(flipped, 160);
}

// Loading a profile zeroes the bank counters (restarting r); reset zeroes them too.
TEST(SramCounters, ProfileLoadAndResetZeroCounters) {
  AccelDriver accel;
  accel.write(0, {1, 2, 3});
  accel.read(0, 3);
  EXPECT_EQ(accel.counters().bank_reads[0], 3u);
  accel.load_profile(clean_profile());
  EXPECT_EQ(accel.counters().bank_reads[0], 0u);
  EXPECT_EQ(accel.counters().bank_writes[0], 0u);
  accel.read(0, 2);
  accel.reset();
  EXPECT_EQ(accel.counters().bank_reads[0], 0u);
}

// A profile of the wrong size is the caller's error, named in the message.
TEST(SramErrors, WrongProfileSizeIsRefused) {
  AccelDriver accel;
  const lowvolt::profiles::CellMap short_map(
      lowvolt::profiles::Geometry{hw::kBanks - 1, hw::kSramRows, hw::kSramCols});
  EXPECT_THROW(accel.load_profile(short_map), lowvolt::Error);
  auto banks = clean_profile();
  banks.kind()[2 * hw::kSramRows * hw::kSramCols + 7] = 3;  // reserved kind
  EXPECT_THROW(accel.load_profile(banks), lowvolt::Error);
}

}  // namespace
