#pragma once
// Private to the golden model: the tile datapath and the intermittent-read hash in the three
// implementations of kernels.h (portable, AVX2, AVX-512 VNNI), and the weight layouts they read.
// Contract: every function computes the same bits on every path; all arithmetic is modulo 2^32
// (results) or 2^64 (hash), on unsigned or fixed-width types only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lowvolt/accelerator/kernels.h"

namespace lowvolt::accelerator::detail {

/// Tile width the kernels work with: kPeRows rows × kPeCols columns (8 × 8).
inline constexpr std::uint32_t kTile = 8;

/// A run's weights, decoded once: the value v = w − zw of every code (k steps × 8 columns,
/// columns past the tile's width 0) and the layout of the kernel path that reads them.
struct PackedWeights {
  KernelPath path = KernelPath::kPortable;  ///< the layout in `packed`
  std::size_t k = 0;                        ///< steps
  std::vector<std::int16_t> v;              ///< k × 8, step-major: w − zw, in [−383, 383]
  /// avx2: ⌈k/2⌉ × 8 dwords, (v[2q][j], v[2q+1][j]) as int16 pairs; avx512: ⌈k/4⌉ × 8 dwords,
  /// bytes (w8[4g..4g+3][j]) with w8 = v − b as int8; portable: empty. Padding steps are 0.
  std::vector<std::uint32_t> packed;
  std::int32_t b = 0;                     ///< avx512: v = w8 + b (b = 128·unsigned − zw)
  std::array<std::uint32_t, 8> colsum{};  ///< avx512: Σ_s w8[s][j] mod 2^32
};

/// Fills p.packed, p.b, p.colsum for `path` from p.v and p.k; `b` = the offset that brings
/// every v into int8 (128 for unsigned codes, 0 for signed, minus the weight zero point).
void pack_weights(KernelPath path, std::int32_t b, PackedWeights& p);

/// The activations of `tiles` row tiles: tile t's k words start at act + t·stride; byte i of a
/// word is row i. x' = byte ^ xor_mask is the unsigned value, x − zx = x' − a (mod 2^32).
struct ActTiles {
  const std::uint64_t* act = nullptr;  ///< tile 0, step 0
  std::size_t stride = 0;              ///< words between consecutive tiles
  std::uint32_t tiles = 0;             ///< row tiles
  std::uint8_t xor_mask = 0;           ///< 0x80 for int8 activations, else 0
  std::uint32_t a = 0;                 ///< x' − (x − zx): 128·signed + zx, mod 2^32
};

/// out[(t·8 + j)·8 + i] = Σ_s (x'[t][s][i] − a)·v[s][j] mod 2^32 for every tile t, column j < 8,
/// row i < 8 (tiles are column-major: 64 words per tile). `w.path` must equal `path`.
void tile_products(KernelPath path, const PackedWeights& w, const ActTiles& x, std::uint32_t* out);

/// Throws lowvolt::Error: v − b does not fit int8 (update_weight's check).
[[noreturn]] void weight_out_of_range(std::int16_t v, std::int32_t b);

/// Changes the weight of step s, column j to v in every layout of `p` (v, packed, colsum).
/// Inline: the golden model calls it for every code a write's stuck cells change.
inline void update_weight(PackedWeights& p, std::size_t s, std::uint32_t j, std::int16_t v) {
  std::int16_t& old = p.v[s * kTile + j];
  if (p.path == KernelPath::kAvx2) {
    std::uint32_t& d = p.packed[(s / 2) * kTile + j];
    const unsigned sh = 16 * (s % 2);
    d = (d & ~(0xffffu << sh)) | (std::uint32_t{static_cast<std::uint16_t>(v)} << sh);
  } else if (p.path == KernelPath::kAvx512) {
    const std::int32_t w8 = v - p.b;
    if (w8 < -128 || w8 > 127) weight_out_of_range(v, p.b);
    std::uint32_t& d = p.packed[(s / 4) * kTile + j];
    const unsigned sh = 8 * (s % 4);
    d = (d & ~(0xffu << sh)) | (std::uint32_t{static_cast<std::uint8_t>(w8)} << sh);
    p.colsum[j] += static_cast<std::uint32_t>(w8) - static_cast<std::uint32_t>(old - p.b);
  }
  old = v;
}

/// Lanes of a cell group: cells of one word hashed together.
inline constexpr std::size_t kGroup = 4;
/// A threshold no byte sum reaches (padding lanes).
inline constexpr std::uint32_t kNever = 1021;

/// Intermittent-candidate cells in groups of up to kGroup cells of one word, in ascending bit
/// order (padding lanes never faulty). Cell c is faulty on a read with count r iff the read
/// hash's byte sum noise_byte_sum(seed, c, r) ≥ its threshold (the smallest sum whose noise makes
/// vc + noise > vdd; the noise grows with the sum).
struct CellGroups {
  std::vector<std::uint64_t> cphi;  ///< per lane: cell index × φ (mod 2^64), the hash's product
  std::vector<std::uint32_t> thr;   ///< per lane: byte-sum threshold (kNever: padding)
  std::vector<std::uint8_t> bit;    ///< per lane: the cell's bit in its word
  std::vector<std::uint64_t> bits;  ///< per group: its cells' bits
  std::vector<std::uint32_t> slot;  ///< per group: index of its word in the caller's masks

  /// Number of groups.
  std::size_t size() const { return slot.size(); }
  /// Removes every group.
  void clear();
  /// Adds the cells `cells` (bit mask) of a word: cell index first_cell + bit, threshold
  /// thr_of(cell), masks index `slot`.
  template <typename Threshold>
  void add_word(std::uint32_t word_slot, std::uint64_t cells, std::uint64_t first_cell,
                const Threshold& thr_of) {
    while (cells != 0) {
      std::uint64_t group = 0;
      for (std::size_t l = 0; l < kGroup; ++l) {
        if (cells == 0) {
          cphi.push_back(0);
          thr.push_back(kNever);
          bit.push_back(0);
          continue;
        }
        const auto b = static_cast<std::uint32_t>(__builtin_ctzll(cells));
        cells &= cells - 1;
        group |= std::uint64_t{1} << b;
        cphi.push_back((first_cell + b) * 0x9e3779b97f4a7c15ULL);  // noise_byte_sum's product
        thr.push_back(thr_of(first_cell + b));
        bit.push_back(static_cast<std::uint8_t>(b));
      }
      bits.push_back(group);
      slot.push_back(word_slot);
    }
  }
};

/// Where candidate_masks() puts faulty cells: masks[slot] |= bits; with `touched`, each slot
/// whose mask turns non-zero is appended to touched[0 … n) (ascending, as the groups are).
struct MaskSink {
  std::uint64_t* masks = nullptr;    ///< per slot
  std::uint32_t* touched = nullptr;  ///< optional: slots that became non-zero (room for one
                                     ///< more entry than there are slots)
  std::size_t n = 0;                 ///< entries in touched
  /// masks[slot] |= bits, noting the slot when it becomes non-zero.
  void add(std::uint32_t slot, std::uint64_t bits) {
    const std::uint64_t before = masks[slot];
    masks[slot] = before | bits;
    if (touched != nullptr) {  // branch-free: the entry counts only if the mask turned non-zero
      touched[n] = slot;
      n += static_cast<std::size_t>((before == 0) & (bits != 0));
    }
  }
};

/// Adds to `out` the cells of group g (g in [g0, g1)) faulty on their read in run t, read count
/// r0[g] + t·step[g] (mod 2^32; r0, step indexed by g − g0).
void candidate_masks(KernelPath path, const CellGroups& c, std::size_t g0, std::size_t g1,
                     const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                     std::uint64_t seed, MaskSink& out);

/// The intermittent-candidate cells of a weight range whose fault changes what their word reads
/// (one entry per cell, ordered by step s: the vector paths reuse a step's activations for
/// consecutive cells). Cell c is faulty on its read in run t iff the byte sum of its read hash
/// with count r0[c] + t·step[c] (mod 2^32) reaches thr[c]; a faulty read changes the weight of
/// step s[c], column j[c] by delta[c] (the codes are linear in their bits, so the changes of
/// several faulty cells add up; delta 0: the cell changes nothing now).
struct ActiveCells {
  std::vector<std::uint64_t> cphi;  ///< cell index × φ (mod 2^64), the hash's product
  std::vector<std::uint32_t> thr;   ///< byte-sum threshold, < kNever
  std::vector<std::uint32_t> step;  ///< reads of its bank per run
  std::vector<std::uint32_t> s;     ///< step of the code its bit belongs to (non-decreasing)
  std::vector<std::uint32_t> j;     ///< column of that code, < 8
  std::vector<std::int32_t> delta;  ///< weight change when faulty
  std::vector<std::uint32_t> cell;  ///< the cell's index: buffer word · 64 + bit (cphi = cell·φ)

  /// Number of cells.
  std::size_t size() const { return cphi.size(); }
  /// Removes every cell.
  void clear();
};

/// For every tile t < x.tiles and every cell c faulty on its read in run t (read count
/// r0[c] + t·step[c]): out[(t·8 + j[c])·8 + i] += delta[c]·(x'[t][s[c]][i] − a) for i < 8
/// (mod 2^32; tile t's activations at x.act + t·x.stride, `out` as tile_products() writes it).
/// `caught` (per buffer word: the intermittent stuck cells that caught their stuck value at the
/// last write; nullptr: none): a cell whose bit is set there is faulty on every read.
void intermittent_corrections(KernelPath path, const ActiveCells& c, const std::uint32_t* r0,
                              std::uint64_t seed, const ActTiles& x, const std::uint64_t* caught,
                              std::uint32_t* out);

/// Whether cell e of `c` caught its stuck value at the last write (`caught` as above).
inline bool caught_at_write(const ActiveCells& c, std::size_t e, const std::uint64_t* caught) {
  return caught != nullptr && ((caught[c.cell[e] >> 6] >> (c.cell[e] & 63u)) & 1u) != 0;
}

/// Adds `tiles` kernel output tiles (column-major, 64 words each, as tile_products() writes
/// them) to row-major sums: acc[(t·8 + i)·stride + j] += out[(t·8 + j)·8 + i] for rows i < 8
/// (i < last_rows in the last tile) and columns j < cols (mod 2^32).
void add_tiles(KernelPath path, const std::uint32_t* out, std::uint32_t tiles,
               std::uint32_t last_rows, std::uint32_t cols, std::uint32_t* acc,
               std::size_t stride);

// The x86 implementations (kernels_x86.cpp); only called when kernel_path_supported().
void tile_products_avx2(const PackedWeights& w, const ActTiles& x, std::uint32_t* out);
void tile_products_avx512(const PackedWeights& w, const ActTiles& x, std::uint32_t* out);
void candidate_masks_avx2(const CellGroups& c, std::size_t g0, std::size_t g1,
                          const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                          std::uint64_t seed, MaskSink& out);
void candidate_masks_avx512(const CellGroups& c, std::size_t g0, std::size_t g1,
                            const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                            std::uint64_t seed, MaskSink& out);
/// The portable rule for groups [g0, g1) (also the vector paths' tails).
void candidate_masks_portable(const CellGroups& c, std::size_t g0, std::size_t g1,
                              const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                              std::uint64_t seed, MaskSink& out);
void add_tiles_avx2(const std::uint32_t* out, std::uint32_t tiles, std::uint32_t last_rows,
                    std::uint32_t cols, std::uint32_t* acc, std::size_t stride);
/// The portable rule for tiles [t0, t1) (also the AVX2 path's partial tiles).
void add_tiles_portable(const std::uint32_t* out, std::uint32_t t0, std::uint32_t t1,
                        std::uint32_t last_rows, std::uint32_t tiles, std::uint32_t cols,
                        std::uint32_t* acc, std::size_t stride);
void intermittent_corrections_portable(const ActiveCells& c, const std::uint32_t* r0,
                                       std::uint64_t seed, const ActTiles& x,
                                       const std::uint64_t* caught, std::uint32_t* out);
void intermittent_corrections_avx2(const ActiveCells& c, const std::uint32_t* r0,
                                   std::uint64_t seed, const ActTiles& x,
                                   const std::uint64_t* caught, std::uint32_t* out);
void intermittent_corrections_avx512(const ActiveCells& c, const std::uint32_t* r0,
                                     std::uint64_t seed, const ActTiles& x,
                                     const std::uint64_t* caught, std::uint32_t* out);

}  // namespace lowvolt::accelerator::detail
