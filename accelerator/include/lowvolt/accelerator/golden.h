#pragma once
// The golden model: a bit-exact C++ implementation of the Accelerator interface (accelerator.h)
// that gives the RTL's int32 results, bank read/write counters, MAC count and cycle count
// (rtl/controller.sv, rtl/sram_bank.sv, rtl/mbist.sv driven back-to-back as by
// lowvolt::rtl::AccelDriver). Registered as "golden" by register_golden_backend().
// How it stays fast without per-bit objects or per-read work on fault-free words
// (docs/accelerator.md, "The golden model"):
//  - per supply voltage, profiles::CellMap::faults_at() gives every word's masks once;
//  - a weight range (bit address, k, tile width, m, weight zero point) is read through the
//    persistent faults and decoded once into the layout of the kernel path (kernels.h), and
//    reused while the stored words, the profile and the supply stay the same: a run then costs
//    its arithmetic, its counter updates, and the per-read hash of the intermittent-candidate
//    cells whose fault would change a code of the range (8 runs per vector on AVX-512) — each
//    faulty read of such a cell adds its code's change times the activations to that run's
//    results (codes are linear in their bits);
//  - run_row_tiles() computes all row tiles of a range in one kernel call (the commands, reads,
//    counters and cycles are those of the tile_cfg/run sequence it stands for);
//  - cycle counts of a run follow the controller's gearbox and are memoised per tile shape.
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/kernels.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

namespace detail {
struct CellGroups;  // src/kernels.h
}

/// Clock cycles the RTL spends on one run command fed back-to-back, from the command's accept
/// edge to the edge that hands over the last result word (k steps, bit address `w_bit_addr`).
std::uint64_t run_command_cycles(std::uint32_t w_bit_addr, std::uint32_t k, const TileConfig& cfg);

/// The C++ golden model of the accelerator.
class GoldenAccelerator final : public Accelerator {
 public:
  /// A reset accelerator with an all-good profile and an all-zero buffer, computing with the
  /// kernels of `path` (lowvolt::Error if this CPU cannot run it).
  explicit GoldenAccelerator(KernelPath path = default_kernel_path());
  ~GoldenAccelerator() override;

  std::string name() const override { return "golden"; }
  void reset() override;
  void load_profile(const profiles::CellMap& map) override;
  void set_vdd_code(std::uint16_t vdd_code) override;
  void write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) override;
  void read(std::uint32_t addr, std::size_t count, std::uint64_t* out) override;
  void tile_cfg(const TileConfig& cfg) override;
  void run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
           std::int32_t* out) override;
  void run_row_tiles(const RowTileRuns& job, std::optional<TileConfig>& current) override;
  Counters counters() override;
  std::vector<MbistRecord> mbist() override;
  bool can_set_bank_counters() const override { return true; }
  void set_bank_counters(const std::vector<std::uint32_t>& reads,
                         const std::vector<std::uint32_t>& writes) override;
  using Accelerator::read;
  using Accelerator::run;
  using Accelerator::write;

  /// The stored (not read) contents of word `addr` (< kBufferWords): what a fault-free read
  /// would return. For tests and debugging.
  std::uint64_t stored_word(std::uint32_t addr) const { return mem_.at(addr); }
  /// The kernel path this object computes with.
  KernelPath kernel_path() const { return path_; }

 private:
  struct Block;    // a weight range read and decoded (golden.cpp)
  struct Scratch;  // per-call buffers (golden.cpp)

  std::uint64_t read_word(std::uint32_t addr);
  void write_word(std::uint32_t addr, std::uint64_t data);
  std::uint64_t stuck_now(std::uint32_t addr) const;
  std::uint64_t baseline(std::uint32_t addr) const;
  void refresh_masks();
  void check_run(std::uint32_t w_bit_addr, std::size_t k) const;
  Block& block(std::uint32_t bit_addr, std::size_t k, const TileConfig& c, bool fold);
  void build_block(Block& b, std::uint32_t bit_addr, std::size_t k, const TileConfig& c);
  void decode_block(Block& b, std::size_t k, const TileConfig& c);
  void select_active(Block& b, std::size_t k, const TileConfig& c) const;
  void set_forced(Block& b, std::size_t w, std::uint64_t forced) const;
  std::uint64_t forced_faults(const Block& b, std::size_t w) const;
  std::uint32_t threshold(std::uint64_t cell) const;
  static std::int16_t decode(const std::uint64_t* words, std::uint64_t skip, std::uint64_t code,
                             const TileConfig& c);
  void run_tiles(std::uint32_t bit_addr, const std::uint64_t* activations, std::size_t stride,
                 std::uint32_t tiles, std::size_t k, const TileConfig& c);
  void correct_intermittent(const Block& b, const TileConfig& c, const std::uint64_t* activations,
                            std::size_t stride, std::uint32_t tiles);
  std::uint64_t run_cycles(std::uint32_t bit_addr, std::size_t k, const TileConfig& c);

  KernelPath path_;
  std::unique_ptr<profiles::CellMap> map_;       // stable address: masks_ points into it
  std::unique_ptr<profiles::FaultMasks> masks_;  // at vdd_
  std::vector<std::uint64_t> sure_;              // per word: faulty on every read (flip|stuck)
  std::vector<std::uint64_t> stuck_sure_;        // per word: stuck on every access
  std::vector<std::uint64_t> stuck_candidate_;   // per word: stuck on some accesses only
  std::vector<std::uint8_t> has_candidate_;      // per word: some cell needs the hash
  std::int32_t thr_lo_ = 0;                      // vdd − vc of thr_table_[0]
  std::vector<std::uint32_t> thr_table_;         // candidate's byte-sum threshold by vdd − vc
  std::vector<std::uint64_t> mem_;               // stored words
  std::vector<std::uint64_t> data_;              // words as last written (before stuck cells)
  std::vector<std::uint64_t> caught_;  // mem_ ^ data_: the stuck values caught at the last write
  // the intermittent stuck cells in address order, in groups (those of word a: groups
  // [wc_first_[a], wc_first_[a + 1]) of wc_), for writes
  std::vector<std::uint32_t> wc_first_;
  std::unique_ptr<detail::CellGroups> wc_;
  std::uint16_t vdd_ = hw::kVddResetCode;
  TileConfig cfg_;
  std::uint64_t cycles_ = 0;
  std::uint64_t macs_ = 0;
  std::vector<std::uint32_t> bank_reads_;
  std::vector<std::uint32_t> bank_writes_;

  std::uint64_t mask_generation_ = 0;  // bumped by every change of masks (supply, profile, reset)
  std::uint64_t write_epoch_ = 0;      // bumped by every command that writes the buffer
  std::unordered_map<std::uint64_t, std::unique_ptr<Block>> blocks_;  // by range key
  std::size_t block_bytes_ = 0;  // memory the blocks hold, bounded
  std::unique_ptr<Scratch> scratch_;
  std::map<std::tuple<std::uint32_t, std::size_t, std::uint32_t, std::uint32_t, std::uint32_t>,
           std::uint64_t>
      run_cycles_;  // (bit_addr % 64, k, rows, cols, wbits) -> cycles
};

}  // namespace lowvolt::accelerator
