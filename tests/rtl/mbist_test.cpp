// The March C- MBIST engine (rtl/mbist.sv) reports exactly the persistently faulty cells of a
// loaded random profile at each of several supplies (no misses, no false alarms), with the
// directions the March patterns expose: flip cells both, stuck-at-1 0->1, stuck-at-0 1->0; and
// its accesses show up in the bank counters (10 per word: 5 reads, 5 writes).
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <set>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/rtl/accel_driver.h"
#include "sram_reference.h"

namespace {

using lowvolt::rtl::AccelDriver;
using lowvolt::accelerator::MbistRecord;
using namespace lowvolt::rtl_test;

/// What a March test must find at supply `vdd`, in ascending cell order.
std::vector<MbistRecord> expected_records(const RefMemory& ref, std::uint16_t vdd) {
  std::vector<MbistRecord> out;
  for (std::uint32_t cell = 0; cell < RefMemory::kCells; ++cell) {
    if (ref.vc(cell) <= vdd) continue;
    const auto kind = ref.kind(cell);
    out.push_back(MbistRecord{cell, kind != hw::kKindStuck0, kind != hw::kKindStuck1});
  }
  return out;
}

}  // namespace

// Test-only comparison and printing, in the record's namespace for argument-dependent lookup.
namespace lowvolt::rtl {
bool operator==(const MbistRecord& a, const MbistRecord& b) {
  return a.cell == b.cell && a.saw_0to1 == b.saw_0to1 && a.saw_1to0 == b.saw_1to0;
}
std::ostream& operator<<(std::ostream& os, const MbistRecord& r) {
  return os << "{cell " << r.cell << ", 0->1 " << r.saw_0to1 << ", 1->0 " << r.saw_1to0 << "}";
}
}  // namespace lowvolt::rtl

namespace {

using lowvolt::rtl::AccelDriver;
using lowvolt::accelerator::MbistRecord;
using namespace lowvolt::rtl_test;

// A random profile (0.5 % weak cells, V_c in [0.7, 1.0] Vmin, random kinds): at each of four
// supplies the records equal the cells with V_c > vdd, with the directions of their kinds.
TEST(Mbist, ReportsExactlyThePersistentFaultsAtEachVoltage) {
  std::mt19937_64 rng(31);
  auto banks = clean_profile();
  std::uniform_int_distribution<int> vc(2867, 4096);
  for (std::size_t i = 0; i < banks.vc().size(); ++i) {
    banks.vc()[i] = static_cast<std::uint16_t>(rng() % 2000);  // strong cells
    if (rng() % 200 == 0) {
      banks.vc()[i] = static_cast<std::uint16_t>(vc(rng));
      banks.kind()[i] = static_cast<std::uint8_t>(rng() % 3);
    }
  }
  RefMemory ref;
  ref.load_profile(banks);
  AccelDriver accel;
  accel.load_profile(banks);
  std::size_t previous = 0;
  for (std::uint16_t vdd : {4096, 3700, 3300, 2900}) {
    accel.set_vdd(vdd);
    const auto before = accel.counters();
    const auto got = accel.mbist();
    const auto expected = expected_records(ref, vdd);
    // docs/rtl.md: busy cycles = 11 x words + 4 + records - words holding a record
    std::set<std::uint32_t> words;
    for (const auto& r : expected) words.insert(r.cell / hw::kSramCols);
    EXPECT_EQ(accel.last_command_cycles(),
              11 * hw::kBufferWords + 4 + expected.size() - words.size());
    ASSERT_EQ(got.size(), expected.size()) << "vdd " << vdd;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "vdd " << vdd;
    EXPECT_GE(got.size(), previous);  // lower supply: a superset fails
    previous = got.size();
    const auto after = accel.counters();
    for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
      EXPECT_EQ(after.bank_reads[b] - before.bank_reads[b], 5 * hw::kSramRows);
      EXPECT_EQ(after.bank_writes[b] - before.bank_writes[b], 5 * hw::kSramRows);
    }
  }
  EXPECT_GT(previous, 100u);  // the lowest supply exposes many cells
}

// A chip without weak cells passes: no record, and the buffer is left all zeros.
TEST(Mbist, CleanChipPasses) {
  AccelDriver accel;
  accel.write(100, {0xdeadbeefull});
  EXPECT_TRUE(accel.mbist().empty());
  EXPECT_EQ(accel.read(100, 1).at(0), 0u);
}

// Each kind alone, in the first and last cell of the buffer (address-order edges).
TEST(Mbist, DirectionsPerKindAtBufferEdges) {
  const std::uint32_t last = RefMemory::kCells - 1;
  for (std::uint8_t kind : {hw::kKindFlip, hw::kKindStuck0, hw::kKindStuck1}) {
    auto banks = clean_profile();
    set_cell(banks, 0, 4000, kind);
    set_cell(banks, last, 4000, kind);
    AccelDriver accel;
    accel.load_profile(banks);
    accel.set_vdd(3900);
    const auto got = accel.mbist();
    const bool up = kind != hw::kKindStuck0, down = kind != hw::kKindStuck1;
    ASSERT_EQ(got.size(), 2u) << "kind " << int{kind};
    EXPECT_EQ(got[0], (MbistRecord{0, up, down}));
    EXPECT_EQ(got[1], (MbistRecord{last, up, down}));
  }
}

}  // namespace
