#pragma once
// The linear weight-to-memory mapping shared by the host's bit error injection and the
// accelerator's weight-memory image. Contract:
//  - The memory is one stream of bits in cell_index order: cell (array, row, col) is stream bit
//    (array × rows + row) × cols + col. For cols a multiple of 64 this reads: 64-bit words fill
//    a row (word w = columns [64w, 64w+64), column 64w in bit 0), rows fill an array, arrays
//    follow one another.
//  - Code i of an m-bit code sequence occupies stream bits [offset + i·m, offset + i·m + m),
//    its bit j (LSB = 0) at stream bit offset + i·m + j, all modulo the number of cells: codes
//    past the end of the memory wrap around to array 0, row 0, column 0.
//  - code_faults() gives, per code, the masks of the memory-model read (read.h semantics):
//    read(code) = ((code ^ flip) & ~stuck) | (stuck & stuck1), masked to m bits, for codes
//    written and then read with every array at the read counts of a ReadHistory (cell_map.h;
//    intermittent cells use the hash with those counts).
#include <cstdint>
#include <vector>

#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::profiles {

/// Where m-bit codes sit in memory.
struct LinearMapping {
  std::uint32_t bits = 8;    ///< bits per code, m (1…8)
  std::uint64_t offset = 0;  ///< stream bit of code 0's bit 0 (taken modulo the cell count)

  /// Stream bit (= cell_index) of bit `bit` of code `code` in a memory of `cells` cells.
  std::uint64_t cell(std::uint64_t code, std::uint32_t bit, std::uint64_t cells) const {
    return (offset % cells + (code % cells) * bits % cells + bit) % cells;
  }
};

/// Per-code fault masks (low m bits used), structure of arrays.
struct CodeFaults {
  std::vector<std::uint8_t> flip;    ///< bits read inverted
  std::vector<std::uint8_t> stuck;   ///< bits read as their stuck value
  std::vector<std::uint8_t> stuck1;  ///< stuck value 1 (subset of stuck)

  /// Number of codes.
  std::size_t size() const { return flip.size(); }
  /// The read of code i storing `code`.
  std::uint8_t apply(std::size_t i, std::uint8_t code) const {
    return static_cast<std::uint8_t>(((code ^ flip[i]) & ~stuck[i]) | (stuck[i] & stuck1[i]));
  }
};

/// Masks of `n_codes` codes placed by `mapping` in the memory of `masks`, written and read as
/// `history` says. Throws lowvolt::Error for m outside 1…8.
CodeFaults code_faults(const FaultMasks& masks, const LinearMapping& mapping,
                       std::uint64_t n_codes, const ReadHistory& history = {});

/// Applies `faults` to `codes` in place (codes.size() must equal faults.size()); returns the
/// number of codes whose value changed.
std::uint64_t apply_code_faults(const CodeFaults& faults, std::vector<std::uint8_t>& codes);

}  // namespace lowvolt::profiles
