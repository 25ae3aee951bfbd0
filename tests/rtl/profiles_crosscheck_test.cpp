// docs/memory-model.md says profiles/ (C++) and rtl/sram_bank.sv implement one faulty-SRAM read
// and that tests check the two bit for bit: chips drawn by profiles::generate_chip (chip1, chip2
// presets; persistent and intermittent) are loaded into the Verilated accelerator, and every
// word written and read back at several supplies equals profiles::FaultMasks::write/read with r =
// the bank's read count; MBIST finds exactly CellMap::count_faulty cells.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/rtl/accel_driver.h"

namespace {

namespace hw = lowvolt::accelerator::hw;
namespace profiles = lowvolt::profiles;
using lowvolt::rtl::AccelDriver;

const profiles::Geometry kGeometry{hw::kBanks, hw::kSramRows, hw::kSramCols};

/// Writes a random image at one supply and reads it back at others, in lockstep with profiles/.
void crosscheck(const profiles::CellMap& map, std::uint64_t seed) {
  AccelDriver accel;
  accel.load_profile(map);
  std::vector<std::uint32_t> reads(hw::kBanks, 0);  // the memory model's r per bank
  std::vector<std::uint64_t> stored(hw::kBufferWords, 0);
  std::mt19937_64 rng(seed);
  std::uint64_t corrupted = 0;  // reads that differ from the stored word
  const double write_vdds[] = {1.0, 0.85};
  const double read_vdds[] = {1.0, 0.9, 0.85, 0.8};
  for (double wv : write_vdds) {
    const std::uint16_t wcode = profiles::vdd_code(wv);
    accel.set_vdd(wcode);
    const auto wmasks = map.faults_at(wcode);
    std::vector<std::uint64_t> image(hw::kBufferWords);
    for (std::uint32_t w = 0; w < hw::kBufferWords; ++w) {
      image[w] = rng();
      stored[w] = wmasks.write(w, image[w], reads[w / hw::kSramRows]);
    }
    accel.write(0, image);
    for (double rv : read_vdds) {
      const std::uint16_t rcode = profiles::vdd_code(rv);
      accel.set_vdd(rcode);
      const auto masks = map.faults_at(rcode);
      const auto got = accel.read(0, hw::kBufferWords);
      for (std::uint32_t w = 0; w < hw::kBufferWords; ++w) {
        const std::uint64_t expected = masks.read(w, stored[w], reads[w / hw::kSramRows]++);
        ASSERT_EQ(got[w], expected) << "word " << w << " written at " << wv << " read at " << rv;
        corrupted += expected != stored[w];
      }
    }
  }
  const auto c = accel.counters();
  EXPECT_EQ(c.bank_reads, reads);
  EXPECT_GT(corrupted, 1000u);  // the supplies do expose faults (the check is not vacuous)
}

// chip1 (random faults) as drawn, and with intermittent cells (sigma 0.02 x Vmin).
TEST(ProfilesCrosscheck, Chip1ReadsMatchProfiles) {
  auto map = profiles::generate_chip(profiles::preset("chip1"), kGeometry, 101);
  crosscheck(map, 1);
  map.set_sigma_code(profiles::sigma_code(0.02));
  crosscheck(map, 2);
}

// chip2 (column-aligned, 0->1 biased) as drawn, and with intermittent cells.
TEST(ProfilesCrosscheck, Chip2ReadsMatchProfiles) {
  auto map = profiles::generate_chip(profiles::preset("chip2"), kGeometry, 202);
  crosscheck(map, 3);
  map.set_sigma_code(profiles::sigma_code(0.02));
  crosscheck(map, 4);
}

// With persistent faults MBIST finds exactly the cells profiles/ counts as faulty.
TEST(ProfilesCrosscheck, MbistCountsMatchProfiles) {
  auto map = profiles::generate_chip(profiles::preset("chip2"), kGeometry, 303);
  map.set_sigma_code(0);
  AccelDriver accel;
  accel.load_profile(map);
  for (double v : {0.9, 0.8}) {
    const std::uint16_t code = profiles::vdd_code(v);
    accel.set_vdd(code);
    const auto records = accel.mbist();
    EXPECT_EQ(records.size(), map.count_faulty(code)) << "vdd " << v;
    for (const auto& r : records) ASSERT_GT(map.vc()[r.cell], code);
  }
}

}  // namespace
