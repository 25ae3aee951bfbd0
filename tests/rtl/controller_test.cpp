// Command handling of rtl/controller.sv: write/read through the stream with address wrap-around,
// counters equal to the accesses made (reads, writes per bank; MACs; cycles), status flags for
// an unknown opcode and an invalid tile_cfg, the spec version, and nop.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/rtl/accel_driver.h"
#include "sram_reference.h"

namespace {

using lowvolt::rtl::AccelDriver;
using namespace lowvolt::rtl_test;

// Words written in one command come back from one read command, across the end of the buffer.
TEST(Controller, WriteReadRoundTripWrapsAddresses) {
  std::mt19937_64 rng(3);
  AccelDriver accel;
  std::vector<std::uint64_t> words(300);
  for (auto& w : words) w = rng();
  const std::uint32_t addr = hw::kBufferWords - 100;
  accel.write(addr, words);
  EXPECT_EQ(accel.read(addr, 300), words);
  EXPECT_EQ(accel.read(0, 1).at(0), words[100]);                          // wrapped to address 0
  EXPECT_EQ(accel.read(addr + 6 * hw::kBufferWords, 1).at(0), words[0]);  // taken mod the size
}

// After random reads and writes, each bank's counters equal the accesses made to it.
TEST(Controller, CountersEqualAccessCounts) {
  std::mt19937_64 rng(4);
  AccelDriver accel;
  RefMemory ref;
  for (int op = 0; op < 200; ++op) {
    const std::uint32_t addr = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
    const std::uint32_t n = static_cast<std::uint32_t>(1 + rng() % 40);
    if (rng() % 2) {
      std::vector<std::uint64_t> words(n);
      for (std::uint32_t i = 0; i < n; ++i) ref.write(addr + i, words[i] = rng());
      accel.write(addr, words);
    } else {
      const auto got = accel.read(addr, n);
      for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], ref.read(addr + i));
    }
  }
  const auto c = accel.counters();
  EXPECT_EQ(c.bank_reads, ref.reads());
  EXPECT_EQ(c.bank_writes, ref.writes());
  EXPECT_EQ(c.macs, 0u);
}

// The cycle counter counts clock cycles since reset: it equals the driver's ticks since then.
TEST(Controller, CycleCounterCountsClockCycles) {
  AccelDriver accel;
  accel.reset();
  const std::uint64_t t0 = accel.ticks();
  accel.write(0, std::vector<std::uint64_t>(50, 1));
  accel.set_vdd(3000);
  const std::uint64_t t1 = accel.ticks();
  const auto c = accel.counters();
  // the value at the cycle the counters command is taken (right after t1); the reset sweep
  // (kSramRows cycles after the reset cycle) is counted too
  EXPECT_EQ(c.cycles, t1 - t0 + hw::kSramRows);
}

// The status word carries the spec version and no error flag after valid commands.
TEST(Controller, StatusReportsSpecVersion) {
  AccelDriver accel;
  accel.raw_command(hw::encode(hw::NopCmd{}));
  const auto s = hw::decode_status_word(accel.counters().status);
  EXPECT_EQ(s.spec_version, hw::kSpecVersion);
  EXPECT_EQ(s.err_opcode, 0u);
  EXPECT_EQ(s.err_tile_cfg, 0u);
}

// An unknown opcode and an invalid tile_cfg are ignored and set their sticky status flags;
// the previous tile configuration stays in force.
TEST(ControllerErrors, BadCommandsSetStickyFlags) {
  AccelDriver accel;
  accel.tile_cfg(lowvolt::accelerator::TileConfig{2, 3, 4, 0, 0, true, false});
  accel.raw_command(std::uint64_t{0xf} << 60);
  EXPECT_EQ(hw::decode_status_word(accel.counters().status).err_opcode, 1u);
  EXPECT_EQ(hw::decode_status_word(accel.counters().status).err_tile_cfg, 0u);
  accel.raw_command(hw::encode(hw::TileCfgCmd{9, 3, 4, 0, 0, 1, 0}));  // 9 rows > 8
  accel.raw_command(hw::encode(hw::TileCfgCmd{2, 3, 0, 0, 0, 1, 0}));  // m = 0
  const auto s = hw::decode_status_word(accel.counters().status);
  EXPECT_EQ(s.err_opcode, 1u);
  EXPECT_EQ(s.err_tile_cfg, 1u);
  // still 2 x 3 with m = 4: 2 x ceil(3/2) result words come back, 6 results
  EXPECT_EQ(accel.run(0, {0x0101}).size(), 6u);
  accel.reset();
  EXPECT_EQ(hw::decode_status_word(accel.counters().status).err_opcode, 0u);
}

// Busy cycles of the simple commands equal the formulas of docs/rtl.md (no stream stalls).
TEST(Controller, BusyCyclesMatchDocumentedFormulas) {
  AccelDriver accel;
  for (std::uint32_t n : {0u, 1u, 37u}) {
    accel.write(5, std::vector<std::uint64_t>(n, 7));
    EXPECT_EQ(accel.last_command_cycles(), n == 0 ? 2u : 1u + n) << "write " << n;
    accel.read(5, n);
    EXPECT_EQ(accel.last_command_cycles(), n == 0 ? 2u : 2u + n) << "read " << n;
  }
  accel.set_vdd(3000);
  EXPECT_EQ(accel.last_command_cycles(), 1u + hw::kSramRows);
  accel.tile_cfg(lowvolt::accelerator::TileConfig{1, 1, 1, 0, 0, false, false});
  EXPECT_EQ(accel.last_command_cycles(), 1u);
  accel.raw_command(hw::encode(hw::NopCmd{}));
  EXPECT_EQ(accel.last_command_cycles(), 1u);
  accel.counters();
  EXPECT_EQ(accel.last_command_cycles(), 1u + hw::kCounterWords);
}

// A driver given a file name writes an FST waveform of the cycles it simulates.
TEST(ControllerTrace, WritesFstWaveform) {
  const std::string path = ::testing::TempDir() + "rtl_trace_test.fst";
  std::remove(path.c_str());
  {
    AccelDriver accel(path);
    accel.write(0, {1, 2, 3});
    EXPECT_EQ(accel.read(0, 3), (std::vector<std::uint64_t>{1, 2, 3}));
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  ASSERT_TRUE(in.good()) << path;
  EXPECT_GT(in.tellg(), 100);
  std::remove(path.c_str());
}

}  // namespace
