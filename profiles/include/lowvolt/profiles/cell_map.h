#pragma once
// The cell map of a chip: per bit cell a critical voltage code and a failure kind (see
// docs/memory-model.md), plus the chip-wide intermittency sigma_code and hash seed.
// Contract:
//  - Geometry is arrays × rows × cols; cell (a, r, c) lives at cell_index(a, r, c, rows, cols).
//  - Columns are the bits of a row; a row is ceil(cols / 64) 64-bit words, word w holding
//    columns [64·w, 64·w + 64) with column 64·w in bit 0 (a 64-column array is one word per
//    row; the paper's 128-column chips have two words per row). Bits past `cols` in a last,
//    partial word do not exist and are never faulty.
//  - A cell is faulty at supply code V (persistent view) iff vc > V, so a lower supply fails a
//    superset by construction. faults_at() computes every word's masks once per supply.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/read_model.h"

namespace lowvolt::profiles {

/// Size of a chip in bit cells.
struct Geometry {
  std::uint32_t arrays = 1;  ///< SRAM arrays (= weight-buffer banks)
  std::uint32_t rows = 512;  ///< words (rows) per array
  std::uint32_t cols = 64;   ///< bits per row (columns)

  /// Total number of bit cells.
  std::uint64_t cells() const { return std::uint64_t{arrays} * rows * cols; }
  /// 64-bit words per row: ceil(cols / 64).
  std::uint32_t words_per_row() const { return (cols + 63) / 64; }
  /// Total number of 64-bit words.
  std::uint64_t words() const { return std::uint64_t{arrays} * rows * words_per_row(); }
  /// Same arrays, rows and cols.
  bool operator==(const Geometry& o) const {
    return arrays == o.arrays && rows == o.rows && cols == o.cols;
  }
};

/// Largest chip accepted, in cells (2^32: 512 MiB of codes); guards allocations on bad input.
inline constexpr std::uint64_t kMaxCells = std::uint64_t{1} << 32;

/// Largest geometry an import infers from the cells it lists (2^26 cells, 192 MiB of cell map;
/// the paper's 32 × 512 × 64 chips have 2^20): a list whose farthest cell implies more — one bad
/// line such as 4294967294,0,0 — is refused instead of building a cell map of gigabytes; a
/// larger chip is imported by giving its geometry (--arrays/--rows/--cols, up to kMaxCells).
inline constexpr std::uint64_t kMaxInferredCells = std::uint64_t{1} << 26;

/// Checks a geometry (every dimension ≥ 1, cells ≤ kMaxCells); throws lowvolt::Error naming
/// `what` (a file or option) otherwise.
void check_geometry(const Geometry& g, const std::string& what);

class FaultMasks;

/// The access history that a read of a whole stored image stands for (docs/memory-model.md,
/// "Whole-image reads"): the words were written through the cells when every array's read count
/// was `write_r` and are read at `read_r`. A stuck cell faulty at the write stores its stuck value
/// until the next write; any cell faulty at the read returns a wrong bit. The default, written at
/// 0 and read at 1, has the accelerator's per-read statistics (its reads draw noise independent
/// of the write's); write_r = read_r is a static snapshot of the cells at that read count.
struct ReadHistory {
  std::uint32_t write_r = 0;  ///< every array's read count at the write (reads before it)
  std::uint32_t read_r = 1;   ///< every array's read count at the read

  /// The static snapshot at read count r: the cells as one read sees them, no write of its own
  /// (the paper's fixed-pattern semantics; biased low on chips with intermittent stuck cells).
  static ReadHistory snapshot(std::uint32_t r = 0) { return ReadHistory{r, r}; }
  /// Whether this is a static snapshot (write_r = read_r).
  bool is_snapshot() const { return write_r == read_r; }
};

/// Per-cell critical voltage codes and failure kinds of one chip.
class CellMap {
 public:
  /// A map of `g` with every cell at vc = 0 (never faulty) and kind flip.
  explicit CellMap(Geometry g = {}, std::uint16_t sigma_code = 0, std::uint64_t seed = 0);

  /// The chip's size.
  const Geometry& geometry() const { return geometry_; }
  /// Chip-wide per-read noise σ_n, in code units (1/4096 × Vmin); 0 = persistent faults.
  std::uint16_t sigma_code() const { return sigma_code_; }
  /// Chip-wide seed of the intermittent hash.
  std::uint64_t seed() const { return seed_; }
  /// Sets the per-read noise code (1/4096 × Vmin).
  void set_sigma_code(std::uint16_t s) { sigma_code_ = s; }
  /// Sets the intermittent hash seed.
  void set_seed(std::uint64_t s) { seed_ = s; }

  /// Critical voltage codes in cell_index order (1/4096 × Vmin).
  const std::vector<std::uint16_t>& vc() const { return vc_; }
  /// Mutable codes (1/4096 × Vmin), e.g. for importers.
  std::vector<std::uint16_t>& vc() { return vc_; }
  /// Failure kinds (FailureKind values) in cell_index order.
  const std::vector<std::uint8_t>& kind() const { return kind_; }
  /// Mutable kinds.
  std::vector<std::uint8_t>& kind() { return kind_; }

  /// Number of cells with vc > vdd (faulty in the persistent view) at supply code `vdd`.
  std::uint64_t count_faulty(std::uint16_t vdd) const;
  /// Every word's masks at supply code `vdd` (done once per supply).
  FaultMasks faults_at(std::uint16_t vdd) const;

  /// Same geometry, sigma_code, seed, codes and kinds.
  bool operator==(const CellMap& o) const {
    return geometry_ == o.geometry_ && sigma_code_ == o.sigma_code_ && seed_ == o.seed_ &&
           vc_ == o.vc_ && kind_ == o.kind_;
  }

 private:
  Geometry geometry_;
  std::uint16_t sigma_code_ = 0;
  std::uint64_t seed_ = 0;
  std::vector<std::uint16_t> vc_;
  std::vector<std::uint8_t> kind_;
};

/// The masks of every word of a chip at one supply voltage, and the read through them.
/// Holds a reference to the CellMap's vc codes (for candidate cells): keep the map alive.
class FaultMasks {
 public:
  /// Masks `words` of `map` at supply code `vdd` (use CellMap::faults_at to build them).
  FaultMasks(const CellMap& map, std::uint16_t vdd, std::vector<WordFaults> words);

  /// Supply code these masks are for (1/4096 × Vmin).
  std::uint16_t vdd() const { return vdd_; }
  /// Chip geometry.
  const Geometry& geometry() const { return map_->geometry(); }
  /// Masks of word `w` of row `row` of array `array`.
  const WordFaults& word(std::uint32_t array, std::uint32_t row, std::uint32_t w) const {
    return words_[word_index(array, row, w)];
  }
  /// All words in (array, row, w) order.
  const std::vector<WordFaults>& words() const { return words_; }
  /// Linear word index (array × rows + row) × words_per_row + w.
  std::uint64_t word_index(std::uint32_t array, std::uint32_t row, std::uint32_t w) const {
    return (std::uint64_t{array} * map_->geometry().rows + row) * words_per_row_ + w;
  }
  /// Per-bit faulty mask of word `word` (linear index) on read r of its array.
  std::uint64_t faulty(std::uint64_t word, std::uint32_t r) const;
  /// Per-bit mask of the cells of word `word` whose bit a read after `h` returns wrong (or stuck):
  /// faulty at h.read_r, or stuck-kind and faulty at h.write_r. Applied with apply_faults() it
  /// gives read(word, write(word, data, h.write_r), h.read_r).
  std::uint64_t faulty(std::uint64_t word, const ReadHistory& h) const {
    const std::uint64_t f = faulty(word, h.read_r);
    if (h.is_snapshot() || words_[word].candidate == 0) return f;
    return f | (faulty(word, h.write_r) & words_[word].stuck);
  }
  /// What the r-th read of its array returns for word `word` (linear index) storing `stored`.
  std::uint64_t read(std::uint64_t word, std::uint64_t stored, std::uint32_t r) const {
    return apply_faults(stored, faulty(word, r), words_[word]);
  }
  /// What a write of `data` leaves stored: cells stuck at that moment keep their stuck value
  /// (flips affect reads only). r = the array's current read count (reads before the write;
  /// writes do not advance it), which decides intermittent stuck cells.
  std::uint64_t write(std::uint64_t word, std::uint64_t data, std::uint32_t r) const;

 private:
  const CellMap* map_;
  std::uint16_t vdd_;
  std::uint32_t words_per_row_;
  std::vector<WordFaults> words_;
};

}  // namespace lowvolt::profiles
