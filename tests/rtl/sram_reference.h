#pragma once
// A plain C++ reference of docs/memory-model.md for the RTL benches, written from the document
// (not from the RTL): the whole weight buffer (kBanks x kSramRows words of kSramCols bits), per
// cell vc_code and kind, chip-wide sigma_code and seed, the supply code, per-bank read and write
// counters, faulty reads and writes. Also the tile arithmetic of docs/rtl.md.
#include <cstdint>
#include <vector>

#include "lowvolt/accelerator/hw_spec.h"
#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::rtl_test {

namespace hw = accelerator::hw;

/// splitmix64's finaliser (mod 2^64).
inline std::uint64_t mix64(std::uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ull;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z;
}

/// floor(a / b) for b > 0.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

/// The noise of a cell on the r-th read of its array.
inline std::int64_t noise(std::uint64_t seed, std::uint16_t sigma, std::uint64_t cell,
                          std::uint32_t r) {
  const std::uint64_t h = mix64(seed ^ mix64(cell * 0x9e3779b97f4a7c15ull + r));
  const std::int64_t s = static_cast<std::int64_t>((h & 0xff) + ((h >> 8) & 0xff) +
                                                   ((h >> 16) & 0xff) + ((h >> 24) & 0xff));
  return floor_div(std::int64_t{sigma} * (s - 510) * 443, 65536);
}

class RefMemory {
 public:
  static constexpr std::uint32_t kCells = hw::kBufferWords * hw::kSramCols;

  RefMemory() : words_(hw::kBufferWords, 0), vc_(kCells, 0), kind_(kCells, 0) {}

  /// Loads the same profile as AccelDriver::load_profile (the data cells, with the map's
  /// sigma_code and seed); zeroes the counters.
  void load_profile(const profiles::CellMap& map) {
    vc_ = map.vc();
    kind_ = map.kind();
    sigma_ = map.sigma_code();
    seed_ = map.seed();
    reads_.assign(hw::kBanks, 0);
    writes_.assign(hw::kBanks, 0);
  }
  void set_vdd(std::uint16_t vdd) { vdd_ = vdd; }
  /// Reset: counters to zero, supply to the reset code; contents and profile stay.
  void reset() {
    reads_.assign(hw::kBanks, 0);
    writes_.assign(hw::kBanks, 0);
    vdd_ = hw::kVddResetCode;
  }

  /// Is `cell` faulty on an access that sees read count r?
  bool faulty(std::uint64_t cell, std::uint32_t r) const {
    const std::int64_t n = sigma_ == 0 ? 0 : noise(seed_, sigma_, cell, r);
    return std::int64_t{vc_[cell]} + n > std::int64_t{vdd_};
  }

  std::uint64_t read(std::uint32_t addr) {
    addr %= hw::kBufferWords;
    const std::uint32_t bank = addr / hw::kSramRows;
    const std::uint32_t r = reads_[bank]++;
    std::uint64_t out = words_[addr];
    for (std::uint32_t c = 0; c < hw::kSramCols; ++c) {
      const std::uint64_t cell = std::uint64_t{addr} * hw::kSramCols + c;
      if (!faulty(cell, r)) continue;
      const std::uint64_t bit = std::uint64_t{1} << c;
      if (kind_[cell] == hw::kKindFlip)
        out ^= bit;
      else if (kind_[cell] == hw::kKindStuck0)
        out &= ~bit;
      else
        out |= bit;
    }
    return out;
  }

  void write(std::uint32_t addr, std::uint64_t data) {
    addr %= hw::kBufferWords;
    const std::uint32_t bank = addr / hw::kSramRows;
    ++writes_[bank];
    const std::uint32_t r = reads_[bank];
    for (std::uint32_t c = 0; c < hw::kSramCols; ++c) {
      const std::uint64_t cell = std::uint64_t{addr} * hw::kSramCols + c;
      const std::uint64_t bit = std::uint64_t{1} << c;
      if (kind_[cell] == hw::kKindFlip || !faulty(cell, r)) continue;
      if (kind_[cell] == hw::kKindStuck0)
        data &= ~bit;
      else
        data |= bit;
    }
    words_[addr] = data;
  }

  std::uint64_t stored(std::uint32_t addr) const { return words_[addr % hw::kBufferWords]; }
  const std::vector<std::uint32_t>& reads() const { return reads_; }
  const std::vector<std::uint32_t>& writes() const { return writes_; }
  std::uint16_t vc(std::uint64_t cell) const { return vc_[cell]; }
  std::uint8_t kind(std::uint64_t cell) const { return kind_[cell]; }

 private:
  std::vector<std::uint64_t> words_;
  std::vector<std::uint16_t> vc_;
  std::vector<std::uint8_t> kind_;
  std::uint16_t sigma_ = 0;
  std::uint64_t seed_ = 0;
  std::uint16_t vdd_ = hw::kVddResetCode;
  std::vector<std::uint32_t> reads_ = std::vector<std::uint32_t>(hw::kBanks, 0);
  std::vector<std::uint32_t> writes_ = std::vector<std::uint32_t>(hw::kBanks, 0);
};

/// A profile of the weight buffer with no weak cell (every vc_code 0: never faulty), sigma_code
/// and seed 0.
inline profiles::CellMap clean_profile() { return profiles::CellMap(accelerator::buffer_geometry()); }

/// Sets cell `cell` (memory-model index) of a profile.
inline void set_cell(profiles::CellMap& map, std::uint64_t cell, std::uint16_t vc,
                     std::uint8_t kind) {
  map.vc()[cell] = vc;
  map.kind()[cell] = kind;
}

}  // namespace lowvolt::rtl_test
