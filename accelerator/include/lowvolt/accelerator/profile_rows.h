#pragma once
// lowvolt::accelerator::profile_rows — a chip's fault profile as accel_top's backdoor receives it:
// one record per bank row, loaded one row per clock cycle through the bd_* port (docs/rtl.md,
// "C++ driver"). The one packing of a profile for the RTL: the Verilated C++ port (rtl/bench)
// drives bd_vc / bd_kind / bd_check_* from these words, the TLM bus (sim/bus_map.h,
// kProfileRows) carries them unchanged and AccelModule drives the same port from them.
// Plain C++: no Verilator, no SystemC.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

/// Words of one profile row record: word 0 = bank << 16 | row; words 1..16 = the row's 64
/// critical voltage codes, cell c in bits 16·(c % 4) of word 1 + c / 4; words 17..18 = the 64
/// failure kinds (0 flip, 1 stuck-at-0, 2 stuck-at-1), cell c in bits 2·(c % 32) of word
/// 17 + c / 32; words 19..20 = the row's 8 ECC check cells' vc codes, check cell c in bits
/// 16·(c % 4) of word 19 + c / 4; word 21 = their kinds, check cell c in bits 2c.
/// Loading any row of a bank zeroes that bank's access and ECC counters.
inline constexpr std::size_t kProfileRowWords = 22;
/// Words of vc codes in a profile row record.
inline constexpr std::size_t kProfileVcWords = 16;
/// Words of failure kinds in a profile row record.
inline constexpr std::size_t kProfileKindWords = 2;
/// First word of the check cells' vc codes in a profile row record.
inline constexpr std::size_t kProfileCheckVcWord = 1 + kProfileVcWords + kProfileKindWords;
/// Words of check-cell vc codes (hw::kEccCheckCols of them, four per word).
inline constexpr std::size_t kProfileCheckVcWords = 2;
/// The word of the check cells' failure kinds.
inline constexpr std::size_t kProfileCheckKindWord = kProfileCheckVcWord + kProfileCheckVcWords;

/// The records of every bank row of `map` (geometry buffer_geometry()), bank by bank and row by
/// row, with the check cells `check` (geometry kBanks × kSramRows × hw::kEccCheckCols).
/// lowvolt::Error for another geometry or a failure kind above 2, naming the cell.
std::vector<std::uint64_t> profile_rows(const profiles::CellMap& map,
                                        const profiles::CellMap& check);
/// The same with the check cells every backend derives from the data cells,
/// ecc_check_cells(map) (lowvolt/accelerator/ecc.h).
std::vector<std::uint64_t> profile_rows(const profiles::CellMap& map);

}  // namespace lowvolt::accelerator
