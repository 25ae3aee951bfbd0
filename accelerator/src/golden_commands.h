#pragma once
// What the two golden models (golden.h, fast; golden_ecc.h, with ECC) share: the argument checks
// and cycle counts of the commands (rtl/controller.sv, rtl/mbist.sv, driven back to back as by
// accelerator::CommandDriver over either port; docs/accelerator.md lists them; run's cycles are
// run_command_cycles() of golden.h), the counters snapshot, and the March C- sequence of the
// MBIST engine. Internal to accelerator/src.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator::detail {

/// The counter after reset (and construction): the mask sweep.
inline constexpr std::uint64_t kResetCycles = hw::kSramRows;
/// A profile load: one backdoor row per cycle.
inline constexpr std::uint64_t kLoadProfileCycles = std::uint64_t{hw::kBanks} * hw::kSramRows;
/// set_vdd: accept + mask sweep.
inline constexpr std::uint64_t kSetVddCycles = 1 + hw::kSramRows;
/// counters: accept, one edge per word, the last word taken (added after the snapshot).
inline constexpr std::uint64_t kCountersCycles = 1 + hw::kCounterWords + 1;
/// ecc_counters: the same with its words.
inline constexpr std::uint64_t kEccCountersCycles = 1 + hw::kEccCounterWords + 1;

/// write of `count` words.
inline std::uint64_t write_cycles(std::size_t count) { return count == 0 ? 2 : count + 1; }
/// read of `count` words.
inline std::uint64_t read_cycles(std::size_t count) { return count == 0 ? 2 : count + 3; }
/// mbist whose fail-map drain took `drain` cycles: accept, 10 operations per word, flush, the
/// drain, end word, forward, the end word taken.
inline std::uint64_t mbist_cycles(std::uint64_t drain) {
  return 1 + std::uint64_t{hw::kMbistOpsPerWord} * hw::kBufferWords + 1 + drain + 3;
}

/// lowvolt::Error unless `reads` and `writes` hold one counter per bank (set_bank_counters).
inline void check_bank_counters(const std::vector<std::uint32_t>& reads,
                                const std::vector<std::uint32_t>& writes) {
  if (reads.size() != hw::kBanks || writes.size() != hw::kBanks) {
    fail("golden: set_bank_counters with ", reads.size(), " read and ", writes.size(),
         " write counters; the weight buffer has ", hw::kBanks, " banks");
  }
}

/// The counters command's answer.
inline Counters counters_snapshot(std::uint64_t cycles, std::uint64_t macs,
                                  const std::vector<std::uint32_t>& reads,
                                  const std::vector<std::uint32_t>& writes) {
  Counters c;
  c.status = hw::encode(hw::StatusWord{0, 0, hw::kSpecVersion});
  c.cycles = cycles;
  c.macs = macs;
  c.bank_reads = reads;
  c.bank_writes = writes;
  return c;
}

/// March C-, word-oriented, as rtl/mbist.sv runs it: M0 up w0 | M1 up r0,w1 | M2 up r1,w0 |
/// M3 down r0,w1 | M4 down r1,w0 | M5 up r0. Calls read(addr, expected bit) for every read and
/// write(addr, bit) for every write, in the engine's order.
template <class Read, class Write>
void march_c_minus(Read&& read, Write&& write) {
  constexpr std::uint32_t n = hw::kBufferWords;
  auto element = [&](bool down, int expect, int write_value) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t addr = down ? n - 1 - i : i;
      if (expect >= 0) read(addr, expect == 1);
      if (write_value >= 0) write(addr, write_value == 1);
    }
  };
  element(false, -1, 0);
  element(false, 0, 1);
  element(false, 1, 0);
  element(true, 0, 1);
  element(true, 1, 0);
  element(false, 0, -1);
}

/// The records of one fail-map drain pass, in ascending cell order (cell `first_cell` +
/// word × `cols` + column), appended to `records`; returns the pass's cycles (one per word
/// without a failing cell, one per record). f01/f10: per word, the columns that read 1 where 0
/// was written / 0 where 1 was.
template <class Word>
std::uint64_t drain_fail_map(const std::vector<Word>& f01, const std::vector<Word>& f10,
                             std::uint32_t first_cell, std::uint32_t cols,
                             std::vector<MbistRecord>& records) {
  std::uint64_t cycles = 0;
  for (std::uint32_t addr = 0; addr < f01.size(); ++addr) {
    const auto any = static_cast<std::uint64_t>(f01[addr] | f10[addr]);
    const auto count = static_cast<std::uint64_t>(__builtin_popcountll(any));
    cycles += count == 0 ? 1 : count;
    for (std::uint64_t m = any; m != 0; m &= m - 1) {
      const int bit = __builtin_ctzll(m);
      records.push_back(MbistRecord{first_cell + addr * cols + static_cast<std::uint32_t>(bit),
                                    ((f01[addr] >> bit) & 1u) != 0,
                                    ((f10[addr] >> bit) & 1u) != 0});
    }
  }
  return cycles;
}

}  // namespace lowvolt::accelerator::detail
