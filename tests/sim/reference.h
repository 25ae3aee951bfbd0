#pragma once
// Reference semantics for the sim suites, written from the contracts (accelerator.h,
// docs/memory-model.md, accelerator/spec/lowvolt_hw.json), independent of both backends: the
// weight buffer through profiles::FaultMasks, and the run formula.
#include <cstdint>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::sim::test {

namespace hw = accelerator::hw;

/// Stored words and per-bank counters of the weight buffer, read and written through a profile.
class RefBuffer {
 public:
  explicit RefBuffer(const profiles::CellMap& map)
      : map_(map),
        masks_(map.faults_at(hw::kVddResetCode)),
        stored_(hw::kBufferWords, 0),
        reads_(hw::kBanks, 0),
        writes_(hw::kBanks, 0) {}

  void set_vdd(std::uint16_t code) { masks_ = map_.faults_at(code); }
  void write(std::uint32_t addr, std::uint64_t data) {
    addr %= hw::kBufferWords;
    const std::uint32_t bank = addr / hw::kSramRows;
    stored_[addr] = masks_.write(addr, data, reads_[bank]);
    ++writes_[bank];
  }
  std::uint64_t read(std::uint32_t addr) {
    addr %= hw::kBufferWords;
    const std::uint32_t bank = addr / hw::kSramRows;
    return masks_.read(addr, stored_[addr], reads_[bank]++);
  }
  const std::vector<std::uint32_t>& reads() const { return reads_; }
  const std::vector<std::uint32_t>& writes() const { return writes_; }

 private:
  const profiles::CellMap& map_;
  profiles::FaultMasks masks_;
  std::vector<std::uint64_t> stored_;
  std::vector<std::uint32_t> reads_, writes_;
};

/// Value of an 8-bit field: int8 if `is_signed`, else uint8.
inline std::int32_t byte_value(std::uint8_t b, bool is_signed) {
  return is_signed ? static_cast<std::int32_t>(static_cast<std::int8_t>(b)) : b;
}

/// The run command by its formula: reads the tile's weight words from `buf` (ascending, once
/// each) and returns y[i][j] = Σ_k (x[k][i] − act_zero)(w[k][j] − w_zero) mod 2^32, row-major.
inline std::vector<std::int32_t> ref_run(RefBuffer& buf, const accelerator::TileConfig& c,
                                         std::uint32_t w_bit_addr,
                                         const std::vector<std::uint64_t>& act) {
  const std::uint64_t k = act.size();
  const std::uint32_t a = w_bit_addr % (hw::kBufferWords * hw::kWordBits);
  std::vector<std::uint64_t> words;
  if (k > 0) {
    const std::uint64_t last = (a + k * c.cols * c.wbits - 1) >> 6;
    for (std::uint64_t w = a >> 6; w <= last; ++w) {
      words.push_back(buf.read(static_cast<std::uint32_t>(w)));
    }
  }
  auto bit = [&](std::uint64_t pos) { return (words[pos / 64] >> (pos % 64)) & 1u; };
  std::vector<std::uint32_t> acc(std::size_t{c.rows} * c.cols, 0);
  for (std::uint64_t s = 0; s < k; ++s) {
    for (std::uint32_t j = 0; j < c.cols; ++j) {
      std::uint32_t code = 0;
      for (std::uint32_t b = 0; b < c.wbits; ++b) {
        code |= static_cast<std::uint32_t>(bit((a % 64) + (s * c.cols + j) * c.wbits + b)) << b;
      }
      std::int32_t w = static_cast<std::int32_t>(code);
      if (c.w_signed && ((code >> (c.wbits - 1)) & 1u)) w -= 1 << c.wbits;
      const std::int32_t wv = w - byte_value(c.w_zero, c.w_signed);
      for (std::uint32_t i = 0; i < c.rows; ++i) {
        const auto x = static_cast<std::uint8_t>(act[s] >> (8 * i));
        const std::int32_t xv = byte_value(x, c.act_signed) - byte_value(c.act_zero, c.act_signed);
        acc[i * c.cols + j] += static_cast<std::uint32_t>(xv) * static_cast<std::uint32_t>(wv);
      }
    }
  }
  return std::vector<std::int32_t>(acc.begin(), acc.end());
}

}  // namespace lowvolt::sim::test
