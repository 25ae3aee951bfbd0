// The golden model's x86 kernels (src/kernels.h): AVX2 and AVX-512 VNNI, compiled with target
// attributes so that one binary carries them; kernels.cpp calls them only when the CPU supports
// them. Each computes exactly what the portable path in kernels.cpp computes.
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() values, which -Wuninitialized
// reports at every inlined call (a known false positive of that header).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no such group (the fuzz preset builds with clang)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "lowvolt/profiles/read_model.h"

#define LV_AVX2 __attribute__((target("avx2")))
#define LV_AVX512 __attribute__((target("avx2,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace lowvolt::accelerator::detail {

namespace {
constexpr std::uint64_t kMix1 = 0xbf58476d1ce4e5b9ULL;  // profiles::mix64's multipliers
constexpr std::uint64_t kMix2 = 0x94d049bb133111ebULL;

/// A word whose bytes read as x' = 0 after the xor (padding steps).
std::uint64_t zero_word(std::uint8_t xor_mask) { return 0x0101010101010101ULL * xor_mask; }

// ---- AVX2: int16 pairs, vpmaddwd; lanes = the 8 rows of one tile, one accumulator per column

/// The 8 rows × 2 steps of words (s, s+1) as int16 (x' − a) pairs, row-major.
LV_AVX2 inline __m256i pair_rows(const std::uint64_t* words, __m128i xm, __m128i interleave,
                                 __m256i a16) {
  __m128i b = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(words)), xm);
  b = _mm_shuffle_epi8(b, interleave);  // (s row i, s+1 row i) byte pairs
  return _mm256_sub_epi16(_mm256_cvtepu8_epi16(b), a16);
}

LV_AVX2 inline void madd_columns(__m256i xv, const std::uint32_t* wp, __m256i* acc) {
  for (int j = 0; j < 8; ++j) {
    const __m256i wj = _mm256_set1_epi32(static_cast<int>(wp[j]));
    acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(xv, wj));
  }
}

// ---- AVX-512 VNNI: u8 × s8 quads, vpdpbusd; lanes = 2 tiles × 8 rows, one accumulator per column

/// Steps s..s+3 of two tiles (4 words each) as dwords (x'[s..s+3] of one row): lane 8h + i is
/// row i of tile h.
LV_AVX512 inline __m512i quad_rows(const std::uint64_t* p0, const std::uint64_t* p1, __m512i xm,
                                   __m512i sh1, __m512i sh2) {
  __m512i v = _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p0))),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p1)), 1);
  v = _mm512_xor_si512(v, xm);
  v = _mm512_shuffle_epi8(v, sh1);     // per 128 bits: (s row i, s+1 row i) pairs
  v = _mm512_permutex_epi64(v, 0xD8);  // per 256 bits: qwords 0, 2, 1, 3
  return _mm512_shuffle_epi8(v, sh2);  // per 128 bits: pairs of s, s+1 next to s+2, s+3
}

LV_AVX512 inline void dot_columns(__m512i xv, const std::uint32_t* wq, __m512i* acc) {
  for (int j = 0; j < 8; ++j) {
    acc[j] = _mm512_dpbusd_epi32(acc[j], xv, _mm512_set1_epi32(static_cast<int>(wq[j])));
  }
}

LV_AVX2 inline __m256i mullo64_avx2(__m256i a, __m256i b) {
  const __m256i lo = _mm256_mul_epu32(a, b);
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b),
                                         _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32)));
  return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

LV_AVX2 inline __m256i mix64_avx2(__m256i z) {
  z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 30));
  z = mullo64_avx2(z, _mm256_set1_epi64x(static_cast<long long>(kMix1)));
  z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 27));
  z = mullo64_avx2(z, _mm256_set1_epi64x(static_cast<long long>(kMix2)));
  return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

LV_AVX512 inline __m512i mix64_avx512(__m512i z) {
  z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 30));
  z = _mm512_mullo_epi64(z, _mm512_set1_epi64(static_cast<long long>(kMix1)));
  z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 27));
  z = _mm512_mullo_epi64(z, _mm512_set1_epi64(static_cast<long long>(kMix2)));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

}  // namespace

LV_AVX2 void tile_products_avx2(const PackedWeights& w, const ActTiles& x, std::uint32_t* out) {
  const std::size_t k = w.k, pairs = k / 2;
  const __m128i xm = _mm_set1_epi8(static_cast<char>(x.xor_mask));
  const __m128i interleave = _mm_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
  const __m256i a16 = _mm256_set1_epi16(static_cast<short>(static_cast<std::uint16_t>(x.a)));
  const std::uint32_t* packed = w.packed.data();
  for (std::uint32_t t = 0; t < x.tiles; ++t) {
    const std::uint64_t* a = x.act + t * x.stride;
    __m256i acc[8];
    for (auto& v : acc) v = _mm256_setzero_si256();
    for (std::size_t q = 0; q < pairs; ++q) {
      madd_columns(pair_rows(a + 2 * q, xm, interleave, a16), packed + q * kTile, acc);
    }
    if (k % 2 != 0) {
      const std::uint64_t tail[2] = {a[k - 1], zero_word(x.xor_mask)};
      madd_columns(pair_rows(tail, xm, interleave, a16), packed + pairs * kTile, acc);
    }
    std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (int j = 0; j < 8; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j * kTile), acc[j]);
    }
  }
}

LV_AVX512 void tile_products_avx512(const PackedWeights& w, const ActTiles& x, std::uint32_t* out) {
  const std::size_t k = w.k, quads = k / 4, rem = k % 4;
  const __m512i xm = _mm512_set1_epi8(static_cast<char>(x.xor_mask));
  const __m512i sh1 =
      _mm512_broadcast_i32x4(_mm_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
  const __m512i sh2 =
      _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15));
  const __m512i ones = _mm512_set1_epi8(1);
  // Σ (x' − a)(w8 + b) = Σ x'·w8 + b·Σx' − a·Σw8 − k·a·b (mod 2^32)
  const auto b = static_cast<std::uint32_t>(w.b);
  const std::uint32_t kab = static_cast<std::uint32_t>(k) * x.a * b;
  std::uint32_t fix[8];
  for (int j = 0; j < 8; ++j) fix[j] = x.a * w.colsum[static_cast<std::size_t>(j)] + kab;
  const __m512i bv = _mm512_set1_epi32(static_cast<int>(b));
  const std::uint32_t* packed = w.packed.data();
  const std::uint64_t pad = zero_word(x.xor_mask);
  for (std::uint32_t t = 0; t < x.tiles; t += 2) {
    const bool two = t + 1 < x.tiles;
    const std::uint64_t* p0 = x.act + t * x.stride;
    const std::uint64_t* p1 = two ? p0 + x.stride : p0;
    __m512i acc[8];
    for (auto& v : acc) v = _mm512_setzero_si512();
    __m512i sx = _mm512_setzero_si512();
    for (std::size_t g = 0; g < quads; ++g) {
      const __m512i xv = quad_rows(p0 + 4 * g, p1 + 4 * g, xm, sh1, sh2);
      sx = _mm512_dpbusd_epi32(sx, xv, ones);
      dot_columns(xv, packed + g * kTile, acc);
    }
    if (rem != 0) {
      std::uint64_t t0[4] = {pad, pad, pad, pad}, t1[4] = {pad, pad, pad, pad};
      std::memcpy(t0, p0 + 4 * quads, rem * sizeof(std::uint64_t));
      std::memcpy(t1, p1 + 4 * quads, rem * sizeof(std::uint64_t));
      const __m512i xv = quad_rows(t0, t1, xm, sh1, sh2);
      sx = _mm512_dpbusd_epi32(sx, xv, ones);
      dot_columns(xv, packed + quads * kTile, acc);
    }
    const __m512i bsx = _mm512_mullo_epi32(sx, bv);
    std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (int j = 0; j < 8; ++j) {
      const __m512i r = _mm512_sub_epi32(_mm512_add_epi32(acc[j], bsx),
                                         _mm512_set1_epi32(static_cast<int>(fix[j])));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j * kTile), _mm512_castsi512_si256(r));
      if (two) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + kTile * kTile + j * kTile),
                            _mm512_extracti64x4_epi64(r, 1));
      }
    }
  }
}

LV_AVX2 void candidate_masks_avx2(const CellGroups& c, std::size_t g0, std::size_t g1,
                                  const std::uint32_t* r0, const std::uint32_t* step,
                                  std::uint32_t t, std::uint64_t seed, MaskSink& out) {
  const __m256i seedv = _mm256_set1_epi64x(static_cast<long long>(seed));
  const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
  const __m256i one = _mm256_set1_epi64x(1);
  for (std::size_t g = g0; g < g1; ++g) {  // one group of 4 lanes at a time
    const std::uint32_t r = r0[g - g0] + t * step[g - g0];
    const std::size_t l = g * kGroup;
    const __m256i z =
        _mm256_add_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c.cphi.data() + l)),
                         _mm256_set1_epi64x(static_cast<long long>(r)));
    const __m256i h = mix64_avx2(_mm256_xor_si256(seedv, mix64_avx2(z)));
    const __m256i sum = _mm256_sad_epu8(_mm256_and_si256(h, low32), _mm256_setzero_si256());
    const __m256i thr =
        _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c.thr.data() + l)));
    std::int32_t bits4;
    std::memcpy(&bits4, c.bit.data() + l, sizeof bits4);
    const __m256i bitv = _mm256_sllv_epi64(one, _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(bits4)));
    // lanes not below their threshold are faulty: OR their bits
    __m256i v = _mm256_andnot_si256(_mm256_cmpgt_epi64(thr, sum), bitv);
    v = _mm256_or_si256(v, _mm256_permute4x64_epi64(v, 0x4E));
    v = _mm256_or_si256(v, _mm256_shuffle_epi32(v, 0x4E));
    out.add(c.slot[g], static_cast<std::uint64_t>(_mm256_extract_epi64(v, 0)));
  }
}

LV_AVX512 void candidate_masks_avx512(const CellGroups& c, std::size_t g0, std::size_t g1,
                                      const std::uint32_t* r0, const std::uint32_t* step,
                                      std::uint32_t t, std::uint64_t seed, MaskSink& out) {
  const __m512i seedv = _mm512_set1_epi64(static_cast<long long>(seed));
  const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
  std::size_t g = g0;
  for (; g + 2 <= g1; g += 2) {  // two groups of 4 lanes at a time
    const std::uint32_t ra = r0[g - g0] + t * step[g - g0];
    const std::uint32_t rb = r0[g + 1 - g0] + t * step[g + 1 - g0];
    const std::size_t l = g * kGroup;
    const __m512i r = _mm512_inserti64x4(_mm512_set1_epi64(static_cast<long long>(ra)),
                                         _mm256_set1_epi64x(static_cast<long long>(rb)), 1);
    const __m512i z = _mm512_add_epi64(_mm512_loadu_si512(c.cphi.data() + l), r);
    const __m512i h = mix64_avx512(_mm512_xor_si512(seedv, mix64_avx512(z)));
    const __m512i sum = _mm512_sad_epu8(_mm512_and_si512(h, low32), _mm512_setzero_si512());
    const __m512i thr = _mm512_cvtepu32_epi64(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c.thr.data() + l)));
    const unsigned m = _mm512_cmpge_epu64_mask(sum, thr);
    // lane i of a group is its i-th cell in ascending bit order: deposit the faulty flags there
    out.add(c.slot[g], _pdep_u64(m & 0xfu, c.bits[g]));
    out.add(c.slot[g + 1], _pdep_u64(m >> 4, c.bits[g + 1]));
  }
  candidate_masks_portable(c, g, g1, r0 + (g - g0), step + (g - g0), t, seed, out);
}

LV_AVX2 void add_tiles_avx2(const std::uint32_t* out, std::uint32_t tiles,
                            std::uint32_t last_rows, std::uint32_t cols, std::uint32_t* acc,
                            std::size_t stride) {
  if (cols != kTile) {
    add_tiles_portable(out, 0, tiles, last_rows, tiles, cols, acc, stride);
    return;
  }
  const std::uint32_t full = last_rows == kTile ? tiles : tiles - 1;  // tiles of 8 rows
  for (std::uint32_t t = 0; t < full; ++t) {  // 8 × 8 transpose in registers, row by row
    const std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    __m256i c[8];
    for (int j = 0; j < 8; ++j) c[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(o + 8 * j));
    const __m256i a0 = _mm256_unpacklo_epi32(c[0], c[1]), a1 = _mm256_unpackhi_epi32(c[0], c[1]);
    const __m256i a2 = _mm256_unpacklo_epi32(c[2], c[3]), a3 = _mm256_unpackhi_epi32(c[2], c[3]);
    const __m256i a4 = _mm256_unpacklo_epi32(c[4], c[5]), a5 = _mm256_unpackhi_epi32(c[4], c[5]);
    const __m256i a6 = _mm256_unpacklo_epi32(c[6], c[7]), a7 = _mm256_unpackhi_epi32(c[6], c[7]);
    const __m256i b0 = _mm256_unpacklo_epi64(a0, a2), b1 = _mm256_unpackhi_epi64(a0, a2);
    const __m256i b2 = _mm256_unpacklo_epi64(a1, a3), b3 = _mm256_unpackhi_epi64(a1, a3);
    const __m256i b4 = _mm256_unpacklo_epi64(a4, a6), b5 = _mm256_unpackhi_epi64(a4, a6);
    const __m256i b6 = _mm256_unpacklo_epi64(a5, a7), b7 = _mm256_unpackhi_epi64(a5, a7);
    // row i: b(i % 4) halves; rows 0-3 from the low 128 bits, rows 4-7 from the high
    const __m256i r[8] = {_mm256_permute2x128_si256(b0, b4, 0x20), _mm256_permute2x128_si256(b1, b5, 0x20),
                          _mm256_permute2x128_si256(b2, b6, 0x20), _mm256_permute2x128_si256(b3, b7, 0x20),
                          _mm256_permute2x128_si256(b0, b4, 0x31), _mm256_permute2x128_si256(b1, b5, 0x31),
                          _mm256_permute2x128_si256(b2, b6, 0x31), _mm256_permute2x128_si256(b3, b7, 0x31)};
    for (int i = 0; i < 8; ++i) {
      auto* dst = reinterpret_cast<__m256i*>(acc + (std::size_t{t} * kTile + static_cast<unsigned>(i)) * stride);
      _mm256_storeu_si256(dst, _mm256_add_epi32(_mm256_loadu_si256(dst), r[i]));
    }
  }
  add_tiles_portable(out, full, tiles, last_rows, tiles, cols, acc, stride);
}

LV_AVX2 void intermittent_corrections_avx2(const ActiveCells& c, const std::uint32_t* r0,
                                           std::uint64_t seed, const ActTiles& x,
                                           const std::uint64_t* caught, std::uint32_t* out) {
  const std::size_t n = c.size();
  const __m256i seedv = _mm256_set1_epi64x(static_cast<long long>(seed));
  const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
  const __m256i xm = _mm256_set1_epi32(x.xor_mask);
  const __m256i av = _mm256_set1_epi32(static_cast<int>(x.a));
  const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
  for (std::uint32_t t0 = 0; t0 < x.tiles; t0 += 4) {  // 4 tiles (runs) at a time
    const std::uint32_t nt = std::min<std::uint32_t>(4, x.tiles - t0);
    const unsigned valid = (1u << nt) - 1u;
    const __m128i tv = _mm_add_epi32(lane, _mm_set1_epi32(static_cast<int>(t0)));
    for (std::size_t e = 0; e < n; ++e) {
      const __m128i r = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(r0[e])),
                                      _mm_mullo_epi32(_mm_set1_epi32(static_cast<int>(c.step[e])), tv));
      const __m256i z = _mm256_add_epi64(_mm256_cvtepu32_epi64(r),
                                         _mm256_set1_epi64x(static_cast<long long>(c.cphi[e])));
      const __m256i h = mix64_avx2(_mm256_xor_si256(seedv, mix64_avx2(z)));
      const __m256i sum = _mm256_sad_epu8(_mm256_and_si256(h, low32), _mm256_setzero_si256());
      const __m256i below =
          _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(c.thr[e])), sum);
      unsigned m = ~static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(below))) & valid;
      if (caught_at_write(c, e, caught)) m = valid;
      if (m == 0) continue;
      const __m256i d = _mm256_set1_epi32(c.delta[e]);
      const std::uint64_t* act = x.act + c.s[e];
      std::uint32_t* o = out + c.j[e] * kTile;
      for (; m != 0; m &= m - 1) {
        const std::uint32_t t = t0 + static_cast<std::uint32_t>(__builtin_ctz(m));
        const __m128i bytes =
            _mm_cvtsi64_si128(static_cast<long long>(act[std::size_t{t} * x.stride]));
        const __m256i xi =
            _mm256_sub_epi32(_mm256_xor_si256(_mm256_cvtepu8_epi32(bytes), xm), av);
        std::uint32_t* ot = o + std::size_t{t} * kTile * kTile;
        const __m256i prev = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ot));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(ot),
                            _mm256_add_epi32(prev, _mm256_mullo_epi32(xi, d)));
      }
    }
  }
}

namespace {
/// Few tiles (the linear layers' single row tile): 8 cells per vector, one tile at a time;
/// first every group's faulty flags, branch-free, then each faulty read's correction added to
/// its tile's column. The cells' arrays are read once per tile (hundreds of kilobytes for a
/// linear layer's range, from beyond the L2 cache), so a lane loads what it must only: its
/// cell's index (cell·φ is one multiply), r0, the threshold, the step from the second tile on.
LV_AVX512 void intermittent_corrections_few_tiles(const ActiveCells& c, const std::uint32_t* r0,
                                                  std::uint64_t seed, const ActTiles& x,
                                                  const std::uint64_t* caught,
                                                  std::uint32_t* out) {
  const std::size_t n = c.size();
  const std::size_t groups = (n + 7) / 8;
  thread_local std::vector<std::uint32_t> hit_buf;
  thread_local std::vector<std::uint8_t> mask_buf;
  if (hit_buf.size() < groups + 1) {
    hit_buf.resize(groups + 1);
    mask_buf.resize(groups + 1);
  }
  std::uint32_t* const hit = hit_buf.data();
  std::uint8_t* const hit_mask = mask_buf.data();
  const __m512i seedv = _mm512_set1_epi64(static_cast<long long>(seed));
  const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
  const __m256i xm = _mm256_set1_epi32(x.xor_mask);
  const __m256i av = _mm256_set1_epi32(static_cast<int>(x.a));
  const __m512i phi = _mm512_set1_epi64(static_cast<long long>(0x9e3779b97f4a7c15ULL));
  for (std::uint32_t t = 0; t < x.tiles; ++t) {
    const __m256i tv = _mm256_set1_epi32(static_cast<int>(t));
    std::size_t hits = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t e0 = 8 * g;
      const auto lanes = static_cast<__mmask8>(n - e0 >= 8 ? 0xffu : (1u << (n - e0)) - 1u);
      __m256i r = _mm256_maskz_loadu_epi32(lanes, r0 + e0);
      if (t != 0) {
        r = _mm256_add_epi32(
            r, _mm256_mullo_epi32(_mm256_maskz_loadu_epi32(lanes, c.step.data() + e0), tv));
      }
      const __m256i cell = _mm256_maskz_loadu_epi32(lanes, c.cell.data() + e0);
      const __m512i z = _mm512_add_epi64(
          _mm512_cvtepu32_epi64(r), _mm512_mullo_epi64(_mm512_cvtepu32_epi64(cell), phi));
      const __m512i h = mix64_avx512(_mm512_xor_si512(seedv, mix64_avx512(z)));
      const __m512i sum = _mm512_sad_epu8(_mm512_and_si512(h, low32), _mm512_setzero_si512());
      const __m512i thr = _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(lanes, c.thr.data() + e0));
      unsigned m = _mm512_mask_cmpge_epu64_mask(lanes, sum, thr);
      if (caught != nullptr) {  // the lanes whose cell caught its stuck value at the write
        const __m512i words = _mm512_mask_i32gather_epi64(
            _mm512_setzero_si512(), lanes, _mm256_srli_epi32(cell, 6), caught, 8);
        const __m512i bit = _mm512_cvtepu32_epi64(_mm256_and_si256(cell, _mm256_set1_epi32(63)));
        m |= _mm512_mask_test_epi64_mask(lanes, _mm512_srlv_epi64(words, bit),
                                         _mm512_set1_epi64(1));
      }
      hit[hits] = static_cast<std::uint32_t>(g);
      hit_mask[hits] = static_cast<std::uint8_t>(m);
      hits += m != 0;
    }
    const std::uint64_t* act = x.act + std::size_t{t} * x.stride;
    std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (std::size_t u = 0; u < hits; ++u) {
      for (unsigned m = hit_mask[u]; m != 0; m &= m - 1) {
        const std::size_t e = 8 * std::size_t{hit[u]} + static_cast<unsigned>(__builtin_ctz(m));
        const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(act[c.s[e]]));
        const __m256i xi =
            _mm256_sub_epi32(_mm256_xor_si256(_mm256_cvtepu8_epi32(bytes), xm), av);
        std::uint32_t* oj = o + c.j[e] * kTile;
        const __m256i prev = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(oj));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(oj),
                            _mm256_add_epi32(prev, _mm256_mullo_epi32(xi, _mm256_set1_epi32(c.delta[e]))));
      }
    }
  }
}
}  // namespace

namespace {
/// dst[8s + q] = src_q[s] ^ xm for s < k, q < 8 (src_q = src + off[q]): 8 tiles' words of
/// each step side by side, 8 × 8 words at a time transposed in registers.
LV_AVX512 void gather_steps(const std::uint64_t* src, const std::size_t* off, std::uint32_t k,
                            std::uint64_t xm, std::uint64_t* dst) {
  const __m512i xv = _mm512_set1_epi64(static_cast<long long>(xm));
  const __m512i i2a = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i i2b = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512i i3a = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i i3b = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  std::uint32_t s = 0;
  for (; s + 8 <= k; s += 8) {
    __m512i r[8];
    for (int q = 0; q < 8; ++q) r[q] = _mm512_loadu_si512(src + off[q] + s);
    // t: pairs of tiles per step pair; u: 4 tiles per step; out: 8 tiles per step
    const __m512i t0 = _mm512_unpacklo_epi64(r[0], r[1]), t1 = _mm512_unpackhi_epi64(r[0], r[1]);
    const __m512i t2 = _mm512_unpacklo_epi64(r[2], r[3]), t3 = _mm512_unpackhi_epi64(r[2], r[3]);
    const __m512i t4 = _mm512_unpacklo_epi64(r[4], r[5]), t5 = _mm512_unpackhi_epi64(r[4], r[5]);
    const __m512i t6 = _mm512_unpacklo_epi64(r[6], r[7]), t7 = _mm512_unpackhi_epi64(r[6], r[7]);
    const __m512i u0 = _mm512_permutex2var_epi64(t0, i2a, t2);  // steps 0, 4 of tiles 0-3
    const __m512i u1 = _mm512_permutex2var_epi64(t0, i2b, t2);  // steps 2, 6
    const __m512i u2 = _mm512_permutex2var_epi64(t1, i2a, t3);  // steps 1, 5
    const __m512i u3 = _mm512_permutex2var_epi64(t1, i2b, t3);  // steps 3, 7
    const __m512i u4 = _mm512_permutex2var_epi64(t4, i2a, t6);  // … of tiles 4-7
    const __m512i u5 = _mm512_permutex2var_epi64(t4, i2b, t6);
    const __m512i u6 = _mm512_permutex2var_epi64(t5, i2a, t7);
    const __m512i u7 = _mm512_permutex2var_epi64(t5, i2b, t7);
    std::uint64_t* d = dst + 8 * std::size_t{s};
    _mm512_storeu_si512(d + 0, _mm512_xor_si512(_mm512_permutex2var_epi64(u0, i3a, u4), xv));
    _mm512_storeu_si512(d + 32, _mm512_xor_si512(_mm512_permutex2var_epi64(u0, i3b, u4), xv));
    _mm512_storeu_si512(d + 16, _mm512_xor_si512(_mm512_permutex2var_epi64(u1, i3a, u5), xv));
    _mm512_storeu_si512(d + 48, _mm512_xor_si512(_mm512_permutex2var_epi64(u1, i3b, u5), xv));
    _mm512_storeu_si512(d + 8, _mm512_xor_si512(_mm512_permutex2var_epi64(u2, i3a, u6), xv));
    _mm512_storeu_si512(d + 40, _mm512_xor_si512(_mm512_permutex2var_epi64(u2, i3b, u6), xv));
    _mm512_storeu_si512(d + 24, _mm512_xor_si512(_mm512_permutex2var_epi64(u3, i3a, u7), xv));
    _mm512_storeu_si512(d + 56, _mm512_xor_si512(_mm512_permutex2var_epi64(u3, i3b, u7), xv));
  }
  for (; s < k; ++s) {
    for (std::uint32_t q = 0; q < 8; ++q) dst[8 * std::size_t{s} + q] = src[off[q] + s] ^ xm;
  }
}
}  // namespace

LV_AVX512 void intermittent_corrections_avx512(const ActiveCells& c, const std::uint32_t* r0,
                                               std::uint64_t seed, const ActTiles& x,
                                               const std::uint64_t* caught, std::uint32_t* out) {
  // 8 tiles (runs) at a time, one hash lane per tile. First every cell's faulty flags for the 8
  // runs, branch-free (the hashes of consecutive cells overlap in the pipeline), listing the
  // cells faulty in some run; then their corrections δ·x' accumulated in acc[j][tile][row] (the
  // 64 values of one column in 4 registers' worth) from the chunk's activation words laid out
  // step by step (one 64-byte load per cell), and Σδ per column and tile for the − a·Σδ term.
  const std::size_t n = c.size();
  if (n == 0 || x.tiles == 0) return;
  if (x.tiles < 6) {  // 8 lanes across tiles would be mostly idle
    intermittent_corrections_few_tiles(c, r0, seed, x, caught, out);
    return;
  }
  std::uint32_t k = 0;  // steps the cells use
  for (std::size_t e = 0; e < n; ++e) k = std::max(k, c.s[e] + 1);
  thread_local std::vector<std::uint32_t> hit_buf;
  thread_local std::vector<std::uint8_t> mask_buf;
  thread_local std::vector<std::uint64_t> words_buf;
  if (hit_buf.size() < n + 1) {
    hit_buf.resize(n + 1);
    mask_buf.resize(n + 1);
  }
  if (words_buf.size() < std::size_t{k} * 8 + 8) words_buf.resize(std::size_t{k} * 8 + 8);
  std::uint32_t* const hit = hit_buf.data();
  std::uint8_t* const hit_mask = mask_buf.data();
  // the chunk's activation words x' step by step: tile t0 + q's word of step s at [8s + q]
  std::uint64_t* const xt = words_buf.data();
  const std::uint64_t* const cphi = c.cphi.data();
  const std::uint32_t* const thr = c.thr.data();
  const std::uint32_t* const step = c.step.data();
  const std::uint32_t* const cs = c.s.data();
  const std::uint32_t* const cj = c.j.data();
  const std::int32_t* const cd = c.delta.data();
  const __m512i seedv = _mm512_set1_epi64(static_cast<long long>(seed));
  const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const std::uint64_t xm64 = 0x0101010101010101ULL * x.xor_mask;
  // tile q's 8-row block of a column: lanes 8q … 8q + 7 of acc[j]
  alignas(64) std::uint32_t acc[kTile * kTile * kTile];
  alignas(32) std::int32_t dsum[kTile * kTile];  // [j][tile]: Σδ of the faulty reads
  for (std::uint32_t t0 = 0; t0 < x.tiles; t0 += 8) {
    const std::uint32_t nt = std::min<std::uint32_t>(8, x.tiles - t0);
    const auto valid = static_cast<__mmask8>((1u << nt) - 1u);
    const __m256i tv = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(t0)));
    std::size_t hits = 0;
    for (std::size_t e = 0; e < n; ++e) {
      const __m256i r = _mm256_add_epi32(
          _mm256_set1_epi32(static_cast<int>(r0[e])),
          _mm256_mullo_epi32(_mm256_set1_epi32(static_cast<int>(step[e])), tv));
      const __m512i z = _mm512_add_epi64(_mm512_cvtepu32_epi64(r),
                                         _mm512_set1_epi64(static_cast<long long>(cphi[e])));
      const __m512i h = mix64_avx512(_mm512_xor_si512(seedv, mix64_avx512(z)));
      const __m512i sum = _mm512_sad_epu8(_mm512_and_si512(h, low32), _mm512_setzero_si512());
      unsigned m = _mm512_mask_cmpge_epu64_mask(valid, sum, _mm512_set1_epi64(thr[e]));
      if (caught_at_write(c, e, caught)) m = valid;
      hit[hits] = static_cast<std::uint32_t>(e);
      hit_mask[hits] = static_cast<std::uint8_t>(m);
      hits += m != 0;
    }
    if (hits == 0) continue;
    std::size_t off[8];  // tiles past the last repeat it (never used)
    for (std::uint32_t q = 0; q < 8; ++q) off[q] = std::size_t{t0 + std::min(q, nt - 1)} * x.stride;
    gather_steps(x.act, off, k, xm64, xt);
    std::memset(acc, 0, sizeof acc);
    std::memset(dsum, 0, sizeof dsum);
    for (std::size_t u = 0; u < hits; ++u) {
      const std::uint32_t e = hit[u];
      const unsigned m = hit_mask[u];
      const auto* xb = reinterpret_cast<const std::uint8_t*>(xt + 8 * std::size_t{cs[e]});
      const __m512i d = _mm512_set1_epi32(cd[e]);
      std::uint32_t* aj = acc + cj[e] * kTile * kTile;
      // lane 8t + i of the 64 is tile t's row i: tile t's flag spread over its 8 lanes
      const std::uint64_t lanes = _pdep_u64(m, 0x0101010101010101ULL) * 0xffu;
      for (int q = 0; q < 4; ++q) {  // register q: tiles 2q, 2q + 1
        const __m512i xv =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xb + 16 * q)));
        __m512i v = _mm512_load_si512(aj + 16 * q);
        v = _mm512_mask_add_epi32(v, static_cast<__mmask16>(lanes >> (16 * q)), v,
                                  _mm512_mullo_epi32(xv, d));
        _mm512_store_si512(aj + 16 * q, v);
      }
      std::int32_t* dj = dsum + cj[e] * kTile;
      _mm256_store_si256(reinterpret_cast<__m256i*>(dj),
                         _mm256_mask_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(dj)),
                                               static_cast<__mmask8>(m),
                                               _mm256_load_si256(reinterpret_cast<const __m256i*>(dj)),
                                               _mm256_set1_epi32(cd[e])));
    }
    for (std::uint32_t q = 0; q < nt; ++q) {  // acc[j][q][i] − a·dsum[j][q] → out[(t0 + q)·8 + j][i]
      std::uint32_t* o = out + std::size_t{t0 + q} * kTile * kTile;
      for (std::uint32_t j = 0; j < kTile; ++j) {
        const __m256i a = _mm256_sub_epi32(
            _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + (j * kTile + q) * kTile)),
            _mm256_set1_epi32(static_cast<int>(x.a * static_cast<std::uint32_t>(dsum[j * kTile + q]))));
        const __m256i prev = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(o + j * kTile));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j * kTile), _mm256_add_epi32(prev, a));
      }
    }
  }
}

}  // namespace lowvolt::accelerator::detail

#endif  // x86-64
