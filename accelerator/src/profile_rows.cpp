#include "lowvolt/accelerator/profile_rows.h"

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

namespace {

std::uint64_t checked_kind(const profiles::CellMap& map, std::size_t cell, const char* what) {
  const std::uint8_t kind = map.kind()[cell];
  if (kind > hw::kKindStuck1) {
    fail("rtl: profile ", what, " cell ", cell, " has failure kind ", int{kind},
         " (0 flip, 1 stuck-at-0, 2 stuck-at-1)");
  }
  return kind;
}

}  // namespace

std::vector<std::uint64_t> profile_rows(const profiles::CellMap& map,
                                        const profiles::CellMap& check) {
  check_profile_geometry(map, "rtl");
  const profiles::Geometry& g = check.geometry();
  if (!(g == profiles::Geometry{hw::kBanks, hw::kSramRows, hw::kEccCheckCols})) {
    fail("rtl: check cells' geometry ", g.arrays, "×", g.rows, "×", g.cols,
         " does not match the check arrays' ", hw::kBanks, "×", hw::kSramRows, "×",
         hw::kEccCheckCols);
  }
  std::vector<std::uint64_t> rows(std::size_t{hw::kBanks} * hw::kSramRows * kProfileRowWords, 0);
  std::uint64_t* rec = rows.data();
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    for (std::uint32_t row = 0; row < hw::kSramRows; ++row, rec += kProfileRowWords) {
      rec[0] = (std::uint64_t{b} << 16) | row;
      const std::size_t base = (std::size_t{b} * hw::kSramRows + row) * hw::kSramCols;
      for (std::uint32_t c = 0; c < hw::kSramCols; ++c) {
        rec[1 + c / 4] |= std::uint64_t{map.vc()[base + c]} << (16 * (c % 4));
        rec[1 + kProfileVcWords + c / 32] |= checked_kind(map, base + c, "data") << (2 * (c % 32));
      }
      const std::size_t cbase = (std::size_t{b} * hw::kSramRows + row) * hw::kEccCheckCols;
      for (std::uint32_t c = 0; c < hw::kEccCheckCols; ++c) {
        rec[kProfileCheckVcWord + c / 4] |= std::uint64_t{check.vc()[cbase + c]} << (16 * (c % 4));
        rec[kProfileCheckKindWord] |= checked_kind(check, cbase + c, "check") << (2 * c);
      }
    }
  }
  return rows;
}

std::vector<std::uint64_t> profile_rows(const profiles::CellMap& map) {
  check_profile_geometry(map, "rtl");
  return profile_rows(map, ecc_check_cells(map));
}

}  // namespace lowvolt::accelerator
