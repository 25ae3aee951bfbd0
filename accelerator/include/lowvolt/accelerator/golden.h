#pragma once
// The golden model: a bit-exact C++ implementation of the Accelerator interface (accelerator.h)
// that gives the RTL's int32 results, bank read/write counters, MAC count and cycle count
// (rtl/controller.sv, rtl/sram_bank.sv, rtl/mbist.sv driven back-to-back as by
// lowvolt::rtl::AccelDriver). Registered as "golden" by register_golden_backend().
// How it stays fast without per-bit objects (docs/accelerator.md):
//  - per supply voltage, profiles::CellMap::faults_at() gives every word's masks once; a read
//    applies them with a few word operations and hashes only the intermittent-candidate bits;
//  - a run decodes its weight codes once into int16 and reuses them while the next run reads
//    the same weight words with the same values (row tiles of one column tile);
//  - the 8×8 results are int16 dot products summed modulo 2^32 (datapath.h), vectorised;
//  - cycle counts of a run follow the controller's gearbox and are memoised per tile shape.
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

/// Clock cycles the RTL spends on one run command fed back-to-back, from the command's accept
/// edge to the edge that hands over the last result word (k steps, bit address `w_bit_addr`).
std::uint64_t run_command_cycles(std::uint32_t w_bit_addr, std::uint32_t k, const TileConfig& cfg);

/// The C++ golden model of the accelerator.
class GoldenAccelerator final : public Accelerator {
 public:
  /// A reset accelerator with an all-good profile and an all-zero buffer.
  GoldenAccelerator();

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
  using Accelerator::read;
  using Accelerator::run;
  using Accelerator::write;

  /// The stored (not read) contents of word `addr` (< kBufferWords): what a fault-free read
  /// would return. For tests and debugging.
  std::uint64_t stored_word(std::uint32_t addr) const { return mem_.at(addr); }

 private:
  std::uint64_t read_word(std::uint32_t addr);
  void write_word(std::uint32_t addr, std::uint64_t data);
  void refresh_masks();

  std::unique_ptr<profiles::CellMap> map_;       // stable address: masks_ points into it
  std::unique_ptr<profiles::FaultMasks> masks_;  // at vdd_
  std::vector<std::uint64_t> sure_;              // per word: faulty on every read (flip|stuck)
  std::vector<std::uint64_t> mem_;               // stored words
  std::uint16_t vdd_ = hw::kVddResetCode;
  TileConfig cfg_;
  std::uint64_t cycles_ = 0;
  std::uint64_t macs_ = 0;
  std::vector<std::uint32_t> bank_reads_;
  std::vector<std::uint32_t> bank_writes_;

  // decoded weights of the last run, reused while a run reads the same words with the same values
  struct WeightCache {
    bool valid = false;
    std::uint32_t bit_addr = 0;
    std::size_t k = 0;
    TileConfig cfg;
    std::vector<std::uint64_t> raw;  // the words as read
    std::vector<std::int16_t> w;     // cols × k, column-major: (w - w_zero) of step k, column j
    std::uint64_t generation = 0;    // generation_ when filled
    bool deterministic = false;      // no intermittent-candidate cell in the words read
    std::vector<std::pair<std::uint32_t, std::uint32_t>> bank_reads;  // (bank, reads) of a run
  } cache_;
  std::uint64_t generation_ = 0;  // bumped by every change of contents, supply or profile
  std::vector<std::uint8_t> has_candidate_;  // per word: some cell needs the hash
  std::vector<std::uint64_t> raw_;   // scratch: words read by a run
  std::vector<std::int16_t> x_;      // scratch: rows × k activations minus zero, row-major
  std::map<std::tuple<std::uint32_t, std::size_t, std::uint32_t, std::uint32_t, std::uint32_t>,
           std::uint64_t>
      run_cycles_;  // (bit_addr % 64, k, rows, cols, wbits) -> cycles
};

}  // namespace lowvolt::accelerator
