// The golden model with ECC on the weight SRAM (golden_ecc.h). Commands, checks, cycle counts
// and March C- are golden.cpp's (golden_commands.h; the decoder adds no cycle); reads and writes
// follow profiles::FaultMasks directly.
#include "lowvolt/accelerator/golden_ecc.h"

#include <algorithm>

#include "golden_commands.h"
#include "lowvolt/accelerator/datapath.h"
#include "lowvolt/accelerator/golden.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {
namespace {
constexpr std::uint32_t kBufferBits = hw::kBufferWords * hw::kWordBits;  // 2^19
}  // namespace

EccGoldenAccelerator::EccGoldenAccelerator(EccMode mode)
    : mode_(mode),
      check_mask_(static_cast<std::uint8_t>((1u << ecc_check_bits(mode)) - 1u)),
      map_(std::make_unique<profiles::CellMap>(buffer_geometry())),
      check_map_(std::make_unique<profiles::CellMap>(ecc_check_cells(*map_))),
      mem_(hw::kBufferWords, 0),
      check_mem_(hw::kBufferWords, 0),
      bank_reads_(hw::kBanks, 0),
      bank_writes_(hw::kBanks, 0) {
  reset();
}

EccGoldenAccelerator::~EccGoldenAccelerator() = default;

void EccGoldenAccelerator::refresh_masks() {
  masks_ = std::make_unique<profiles::FaultMasks>(map_->faults_at(vdd_));
  check_masks_ = std::make_unique<profiles::FaultMasks>(check_map_->faults_at(vdd_));
}

void EccGoldenAccelerator::zero_counters() {
  std::fill(bank_reads_.begin(), bank_reads_.end(), 0u);
  std::fill(bank_writes_.begin(), bank_writes_.end(), 0u);
  ecc_.mode = static_cast<std::uint32_t>(mode_);
  ecc_.corrected.assign(hw::kBanks, 0);
  ecc_.uncorrectable.assign(hw::kBanks, 0);
}

void EccGoldenAccelerator::reset() {
  vdd_ = hw::kVddResetCode;
  cfg_ = TileConfig{};
  cycles_ = detail::kResetCycles;
  macs_ = 0;
  zero_counters();
  refresh_masks();
}

void EccGoldenAccelerator::load_profile(const profiles::CellMap& map) {
  check_profile_geometry(map, "golden");
  *map_ = map;
  *check_map_ = ecc_check_cells(map);
  zero_counters();
  cycles_ += detail::kLoadProfileCycles;
  refresh_masks();
}

void EccGoldenAccelerator::set_bank_counters(const std::vector<std::uint32_t>& reads,
                                    const std::vector<std::uint32_t>& writes) {
  detail::check_bank_counters(reads, writes);
  bank_reads_ = reads;
  bank_writes_ = writes;
}

void EccGoldenAccelerator::set_vdd_code(std::uint16_t vdd_code) {
  vdd_ = vdd_code;
  cycles_ += detail::kSetVddCycles;
  refresh_masks();
}

std::uint64_t EccGoldenAccelerator::read_word(std::uint32_t addr, bool bypass) {
  const std::uint32_t bank = addr / hw::kSramRows;
  const std::uint32_t r = bank_reads_[bank]++;
  const std::uint64_t raw = masks_->read(addr, mem_[addr], r);
  if (bypass || mode_ == EccMode::kNone) return raw;
  const auto check = static_cast<std::uint8_t>(check_masks_->read(addr, check_mem_[addr], r));
  const EccDecoded d = ecc_decode(mode_, raw, check);
  ecc_.corrected[bank] += d.outcome == EccOutcome::kCorrected;
  ecc_.uncorrectable[bank] += d.outcome == EccOutcome::kUncorrectable;
  return d.data;
}

void EccGoldenAccelerator::write_word(std::uint32_t addr, std::uint64_t data, bool bypass,
                                      std::uint8_t raw_check) {
  const std::uint32_t bank = addr / hw::kSramRows;
  const std::uint32_t r = bank_reads_[bank];
  mem_[addr] = masks_->write(addr, data, r);
  if (mode_ != EccMode::kNone) {
    const std::uint8_t check = bypass ? raw_check : ecc_encode(mode_, data);
    check_mem_[addr] = static_cast<std::uint8_t>(check_masks_->write(addr, check & check_mask_, r));
  }
  ++bank_writes_[bank];
}

void EccGoldenAccelerator::write(std::uint32_t addr, const std::uint64_t* words,
                                 std::size_t count) {
  check_transfer_fields("golden", "write", addr, count);
  for (std::size_t i = 0; i < count; ++i) {
    write_word(static_cast<std::uint32_t>((addr + i) % hw::kBufferWords), words[i], false, 0);
  }
  cycles_ += detail::write_cycles(count);
}

void EccGoldenAccelerator::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  check_transfer_fields("golden", "read", addr, count);
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = read_word(static_cast<std::uint32_t>((addr + i) % hw::kBufferWords), false);
  }
  cycles_ += detail::read_cycles(count);
}

void EccGoldenAccelerator::tile_cfg(const TileConfig& cfg) {
  check_tile_config(cfg);
  cfg_ = cfg;
  cycles_ += 1;
}

void EccGoldenAccelerator::run(std::uint32_t w_bit_addr, const std::uint64_t* activations,
                               std::size_t k, std::int32_t* out) {
  check_run_fields("golden", w_bit_addr, k);
  const TileConfig& c = cfg_;
  const std::uint32_t a = w_bit_addr % kBufferBits;
  std::vector<std::uint32_t> acc(std::size_t{c.rows} * c.cols, 0);
  if (k != 0) {
    // every word of the range once, ascending (controller.sv), then the codes of the stream
    const std::uint64_t bits = std::uint64_t{k} * c.cols * c.wbits;
    const std::uint64_t n = ((a + bits - 1) >> 6) - (a >> 6) + 1;
    run_words_.assign(n + 1, 0);
    for (std::uint64_t p = 0; p < n; ++p) {
      run_words_[p] =
          read_word(static_cast<std::uint32_t>(((a >> 6) + p) % hw::kBufferWords), false);
    }
    const std::int32_t wz = byte_value(c.w_zero, c.w_signed);
    const std::int32_t xz = byte_value(c.act_zero, c.act_signed);
    run_w_.resize(std::size_t{k} * c.cols);
    for (std::size_t i = 0; i < run_w_.size(); ++i) {
      const auto code = static_cast<std::uint32_t>(
          stream_bits(run_words_.data(), (a & 63u) + std::uint64_t{i} * c.wbits, c.wbits));
      run_w_[i] = static_cast<std::int16_t>(code_value(code, c.wbits, c.w_signed) - wz);
    }
    for (std::size_t s = 0; s < k; ++s) {
      for (std::uint32_t i = 0; i < c.rows; ++i) {
        const auto byte = static_cast<std::uint8_t>(activations[s] >> (8 * i));
        const std::int32_t xd = byte_value(byte, c.act_signed) - xz;
        for (std::uint32_t j = 0; j < c.cols; ++j) {
          acc[std::size_t{i} * c.cols + j] +=
              static_cast<std::uint32_t>(xd * std::int32_t{run_w_[s * c.cols + j]});
        }
      }
    }
  }
  for (std::size_t i = 0; i < acc.size(); ++i) out[i] = as_int32(acc[i]);
  macs_ += std::uint64_t{k} * c.rows * c.cols;
  cycles_ += run_command_cycles(a, static_cast<std::uint32_t>(k), c);
}

EccCounters EccGoldenAccelerator::ecc_counters_command() {
  cycles_ += detail::kEccCountersCycles;
  return ecc_;
}

Counters EccGoldenAccelerator::counters() {
  Counters c = detail::counters_snapshot(cycles_, macs_, bank_reads_, bank_writes_);
  cycles_ += detail::kCountersCycles;
  return c;
}

std::vector<MbistRecord> EccGoldenAccelerator::mbist() {
  // golden.cpp's March C- on the raw cells, with the mode's check cells written and compared too
  constexpr std::uint32_t n = hw::kBufferWords;
  std::vector<std::uint64_t> f01(n, 0), f10(n, 0);
  std::vector<std::uint8_t> c01(n, 0), c10(n, 0);
  detail::march_c_minus(
      [&](std::uint32_t addr, bool one) {
        const std::uint32_t r = bank_reads_[addr / hw::kSramRows];
        const std::uint64_t d = read_word(addr, true);
        const auto ck =
            static_cast<std::uint8_t>(check_masks_->read(addr, check_mem_[addr], r) & check_mask_);
        if (one) {
          f10[addr] |= ~d;
          c10[addr] |= static_cast<std::uint8_t>(~ck & check_mask_);
        } else {
          f01[addr] |= d;
          c01[addr] |= ck;
        }
      },
      [&](std::uint32_t addr, bool one) {
        write_word(addr, one ? ~std::uint64_t{0} : 0, true, one ? check_mask_ : 0);
      });
  // the drain (rtl/mbist.sv): a pass over the data cells' fail map, then, with check cells under
  // test, one over theirs (numbered after every data cell)
  std::vector<MbistRecord> records;
  std::uint64_t drain = detail::drain_fail_map(f01, f10, 0, hw::kSramCols, records);
  if (check_mask_ != 0) drain += detail::drain_fail_map(c01, c10, kBufferBits, kEccCheckColumns, records);
  cycles_ += detail::mbist_cycles(drain);
  return records;
}

}  // namespace lowvolt::accelerator
