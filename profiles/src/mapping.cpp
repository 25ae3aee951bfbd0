#include "lowvolt/profiles/mapping.h"

#include "lowvolt/common/error.h"

namespace lowvolt::profiles {

CodeFaults code_faults(const FaultMasks& masks, const LinearMapping& mapping,
                       std::uint64_t n_codes, const ReadHistory& history) {
  if (mapping.bits < 1 || mapping.bits > 8) {
    fail("mapping: ", mapping.bits, " bits per code is outside 1…8");
  }
  const Geometry& g = masks.geometry();
  const std::uint64_t cells = g.cells();
  const std::uint32_t wpr = g.words_per_row();
  // Faulty masks of every word after the history (cheap: only candidate cells are hashed).
  std::vector<std::uint64_t> faulty(masks.words().size());
  for (std::uint64_t w = 0; w < faulty.size(); ++w) faulty[w] = masks.faulty(w, history);
  CodeFaults out;
  out.flip.assign(n_codes, 0);
  out.stuck.assign(n_codes, 0);
  out.stuck1.assign(n_codes, 0);
  // Walk the stream with (row, col) counters instead of dividing per bit.
  const std::uint64_t start = mapping.offset % cells;
  std::uint64_t row = start / g.cols;
  std::uint32_t col = static_cast<std::uint32_t>(start % g.cols);
  const std::uint64_t rows_total = std::uint64_t{g.arrays} * g.rows;
  for (std::uint64_t i = 0; i < n_codes; ++i) {
    std::uint8_t flip = 0, stuck = 0, stuck1 = 0;
    for (std::uint32_t j = 0; j < mapping.bits; ++j) {
      const std::uint64_t word = row * wpr + col / 64;
      const std::uint64_t bit = std::uint64_t{1} << (col % 64);
      const std::uint64_t f = faulty[word] & bit;
      if (f != 0) {
        const WordFaults& wf = masks.words()[word];
        flip |= static_cast<std::uint8_t>(((wf.flip & f) != 0) << j);
        stuck |= static_cast<std::uint8_t>(((wf.stuck & f) != 0) << j);
        stuck1 |= static_cast<std::uint8_t>(((wf.stuck1 & f) != 0) << j);
      }
      if (++col == g.cols) {
        col = 0;
        if (++row == rows_total) row = 0;
      }
    }
    out.flip[i] = flip;
    out.stuck[i] = stuck;
    out.stuck1[i] = stuck1;
  }
  return out;
}

std::uint64_t apply_code_faults(const CodeFaults& faults, std::vector<std::uint8_t>& codes) {
  LV_CHECK(codes.size() == faults.size(),
           "codes " << codes.size() << " vs faults " << faults.size());
  std::uint64_t changed = 0;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::uint8_t v = faults.apply(i, codes[i]);
    changed += v != codes[i];
    codes[i] = v;
  }
  return changed;
}

}  // namespace lowvolt::profiles
