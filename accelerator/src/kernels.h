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

/// Changes the weight of step s, column j to v in every layout of `p` (v, packed, colsum).
void update_weight(PackedWeights& p, std::size_t s, std::uint32_t j, std::int16_t v);

/// The intermittent-candidate cells of a weight range, structure of arrays (one entry per cell):
/// cell q is faulty on a read with count r iff the read hash's byte sum
/// noise_byte_sum(seed, cell, r) ≥ thr[q] (the smallest sum whose noise makes vc + noise > vdd;
/// the noise grows with the sum).
struct CandidateCells {
  const std::uint64_t* cphi = nullptr;  ///< cell index × φ (mod 2^64), the hash's first product
  const std::uint32_t* thr = nullptr;   ///< byte-sum threshold, 1..1020
  const std::uint32_t* r0 = nullptr;    ///< the cell's read count in the first run
  const std::uint32_t* step = nullptr;  ///< its bank's reads per run
  const std::uint32_t* slot = nullptr;  ///< the candidate word it belongs to
  const std::uint8_t* bit = nullptr;    ///< its bit in that word
  std::size_t n = 0;                    ///< cells
  std::uint64_t seed = 0;               ///< the chip's hash seed
};

/// masks[slot[q]] |= 1 << bit[q] for every cell q faulty on its read in run t (read count
/// r0[q] + t·step[q], mod 2^32); masks of the slots are not cleared first.
void candidate_masks(KernelPath path, const CandidateCells& c, std::uint32_t t,
                     std::uint64_t* masks);

/// A change of one weight in one run: v[s][j] reads as v + delta.
struct Correction {
  std::uint32_t s = 0;     ///< step
  std::uint32_t j = 0;     ///< column
  std::int32_t delta = 0;  ///< new v − decoded v
};

/// out[j·8 + i] += delta·(x'[s][i] − a) for every correction, the activations of one tile
/// (x.act, words by step; x.tiles and x.stride unused).
void apply_corrections(KernelPath path, const Correction* c, std::size_t n, const ActTiles& x,
                       std::uint32_t* out);

// The x86 implementations (kernels_x86.cpp); only called when kernel_path_supported().
void tile_products_avx2(const PackedWeights& w, const ActTiles& x, std::uint32_t* out);
void tile_products_avx512(const PackedWeights& w, const ActTiles& x, std::uint32_t* out);
void candidate_masks_avx2(const CandidateCells& c, std::uint32_t t, std::uint64_t* masks);
void candidate_masks_avx512(const CandidateCells& c, std::uint32_t t, std::uint64_t* masks);
void apply_corrections_avx2(const Correction* c, std::size_t n, const ActTiles& x,
                            std::uint32_t* out);

}  // namespace lowvolt::accelerator::detail
