#pragma once
// The golden model with ECC on the weight SRAM (ecc.h): the Accelerator contract (accelerator.h)
// with every weight word stored together with its check bits and decoded on every read.
// Registered under "golden" with backend option ecc = parity | secded (ecc = none, the default,
// gives the fast GoldenAccelerator of golden.h). Contract:
//  - Commands, results, bank read/write counters, MACs and cycles are those of GoldenAccelerator
//    (the decoder sits between the bank's read register and the datapath, in the same cycle: ECC
//    adds no cycle to any command), except that every read of a word (read, run) delivers
//    ecc_decode(mode, data as read, check bits as read) instead of the data as read.
//  - Check bits: load_profile(map) also loads ecc_check_cells(map); word w's check bits are
//    written through those cells' stuck faults with the data word and read through their
//    faults at the same read count r of the bank (the bank is 64 + check bits wide).
//  - ECC counters (ecc_counters()): per bank, reads delivered corrected and reads detected
//    uncorrectable; zeroed with the bank's read/write counters (reset, load_profile). The RTL
//    reads them with the ecc_counters command (ecc_counters_command(): its cycles too).
//  - mbist(): ECC bypassed, as a memory BIST does: March C- on the raw data and check cells; a
//    failing check cell c of word w is reported as cell kBufferWords × 64 + w × 8 + c (after
//    every data cell); the drain (rtl/mbist.sv) is a pass over the data cells, then (mode not
//    none) one over the check cells, each taking one cycle per word without a failing cell of
//    that pass and one per record.
//  - Simple and direct (a word read is FaultMasks::read of data and check cells, a run reads and
//    decodes its words then multiplies): for tests and co-simulation, slower than golden.h.
#include <cstdint>
#include <memory>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/ecc.h"

namespace lowvolt::accelerator {

/// The golden model with ECC `mode` (kNone: the same memory without check bits, for checks).
class EccGoldenAccelerator final : public Accelerator {
 public:
  /// A reset accelerator with an all-good profile, an all-zero buffer and ECC `mode`.
  explicit EccGoldenAccelerator(EccMode mode);
  ~EccGoldenAccelerator() override;

  std::string name() const override { return "golden"; }
  void reset() override;
  void load_profile(const profiles::CellMap& map) override;
  void set_vdd_code(std::uint16_t vdd_code) override;
  void write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) override;
  void read(std::uint32_t addr, std::size_t count, std::uint64_t* out) override;
  void tile_cfg(const TileConfig& cfg) override;
  void run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
           std::int32_t* out) override;
  Counters counters() override;
  std::vector<MbistRecord> mbist() override;
  bool can_set_bank_counters() const override { return true; }
  void set_bank_counters(const std::vector<std::uint32_t>& reads,
                         const std::vector<std::uint32_t>& writes) override;
  using Accelerator::read;
  using Accelerator::run;
  using Accelerator::write;

  /// The ECC mode.
  EccMode mode() const { return mode_; }
  /// Per-bank corrected and detected-uncorrectable reads since reset or the last profile load.
  const EccCounters& ecc_counters() const { return ecc_; }
  /// The RTL's ecc_counters command: ecc_counters(), and the command's cycles are counted.
  EccCounters ecc_counters_command();
  /// The stored (not read) data of word `addr` (< kBufferWords).
  std::uint64_t stored_word(std::uint32_t addr) const { return mem_.at(addr); }
  /// The stored check bits of word `addr` (< kBufferWords).
  std::uint8_t stored_check(std::uint32_t addr) const { return check_mem_.at(addr); }

 private:
  std::uint64_t read_word(std::uint32_t addr, bool bypass);
  void write_word(std::uint32_t addr, std::uint64_t data, bool bypass, std::uint8_t raw_check);
  void refresh_masks();
  void zero_counters();

  EccMode mode_;
  std::uint8_t check_mask_;  // check cells the mode stores
  std::unique_ptr<profiles::CellMap> map_, check_map_;
  std::unique_ptr<profiles::FaultMasks> masks_, check_masks_;
  std::vector<std::uint64_t> mem_;
  std::vector<std::uint8_t> check_mem_;
  std::vector<std::uint64_t> run_words_;  // scratch: a run's words as delivered (+ a 0)
  std::vector<std::int16_t> run_w_;       // scratch: a run's weights minus the zero point
  std::uint16_t vdd_ = hw::kVddResetCode;
  TileConfig cfg_;
  std::uint64_t cycles_ = 0;
  std::uint64_t macs_ = 0;
  std::vector<std::uint32_t> bank_reads_, bank_writes_;
  EccCounters ecc_;
};

}  // namespace lowvolt::accelerator
