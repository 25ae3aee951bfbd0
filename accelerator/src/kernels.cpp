// The golden model's kernels (kernels.h, src/kernels.h): path selection, weight packing and the
// portable implementations; the x86 ones are in kernels_x86.cpp.
#include "kernels.h"

#include <cstdlib>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::accelerator {

const char* kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::kPortable:
      return "portable";
    case KernelPath::kAvx2:
      return "avx2";
    case KernelPath::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool kernel_path_supported(KernelPath path) {
  switch (path) {
    case KernelPath::kPortable:
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case KernelPath::kAvx2:
      return __builtin_cpu_supports("avx2");
    case KernelPath::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("bmi2");
#else
    default:
      return false;
#endif
  }
  return false;
}

std::vector<KernelPath> supported_kernel_paths() {
  std::vector<KernelPath> out;
  for (const auto p : {KernelPath::kPortable, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (kernel_path_supported(p)) out.push_back(p);
  }
  return out;
}

KernelPath parse_kernel_path(const std::string& name, const std::string& what) {
  if (name == "auto") return supported_kernel_paths().back();
  for (const auto p : {KernelPath::kPortable, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (name == kernel_path_name(p)) {
      if (!kernel_path_supported(p)) {
        fail(what, " = '", name, "': this CPU cannot run the ", name,
             " kernels (use portable, or auto for the fastest it can run)");
      }
      return p;
    }
  }
  fail(what, " = '", name, "' is not a kernel path (portable, avx2, avx512 or auto)");
}

KernelPath default_kernel_path() {
  const char* env = std::getenv("LOWVOLT_GOLDEN_KERNEL");
  if (env != nullptr && *env != '\0') return parse_kernel_path(env, "LOWVOLT_GOLDEN_KERNEL");
  return supported_kernel_paths().back();
}

namespace detail {

void pack_weights(KernelPath path, std::int32_t b, PackedWeights& p) {
  p.path = path;
  p.packed.clear();
  p.b = 0;
  p.colsum.fill(0);
  const std::size_t k = p.k;
  if (path == KernelPath::kAvx2) {
    const std::size_t pairs = (k + 1) / 2;
    p.packed.assign(pairs * kTile, 0);
    for (std::size_t s = 0; s < k; ++s) {
      for (std::uint32_t j = 0; j < kTile; ++j) {
        const auto half = static_cast<std::uint16_t>(p.v[s * kTile + j]);
        p.packed[(s / 2) * kTile + j] |= std::uint32_t{half} << (16 * (s % 2));
      }
    }
  } else if (path == KernelPath::kAvx512) {
    const std::size_t quads = (k + 3) / 4;
    p.packed.assign(quads * kTile, 0);
    p.b = b;
    for (std::size_t s = 0; s < k; ++s) {
      for (std::uint32_t j = 0; j < kTile; ++j) {
        const std::int32_t w8 = p.v[s * kTile + j] - b;
        LV_CHECK(w8 >= -128 && w8 <= 127,
                 "weight " << p.v[s * kTile + j] << " − " << b << " does not fit int8");
        p.packed[(s / 4) * kTile + j] |= std::uint32_t{static_cast<std::uint8_t>(w8)}
                                         << (8 * (s % 4));
        p.colsum[j] += static_cast<std::uint32_t>(w8);
      }
    }
  }
}

namespace {
void tile_products_portable(const PackedWeights& w, const ActTiles& x, std::uint32_t* out) {
  const std::size_t k = w.k;
  for (std::uint32_t t = 0; t < x.tiles; ++t) {
    std::uint32_t acc[kTile][kTile] = {};  // [j][i]
    const std::uint64_t* a = x.act + t * x.stride;
    for (std::size_t s = 0; s < k; ++s) {
      const std::uint64_t word = a[s];
      std::uint32_t xi[kTile];
      for (std::uint32_t i = 0; i < kTile; ++i) {
        xi[i] = static_cast<std::uint32_t>(((word >> (8 * i)) & 0xffu) ^ x.xor_mask) - x.a;
      }
      const std::int16_t* v = w.v.data() + s * kTile;
      for (std::uint32_t j = 0; j < kTile; ++j) {
        const auto vj = static_cast<std::uint32_t>(static_cast<std::int32_t>(v[j]));
        for (std::uint32_t i = 0; i < kTile; ++i) acc[j][i] += xi[i] * vj;
      }
    }
    std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (std::uint32_t j = 0; j < kTile; ++j) {
      for (std::uint32_t i = 0; i < kTile; ++i) o[j * kTile + i] = acc[j][i];
    }
  }
}

std::uint32_t byte_sum(std::uint64_t h) {
  return static_cast<std::uint32_t>((h & 0xff) + ((h >> 8) & 0xff) + ((h >> 16) & 0xff) +
                                    ((h >> 24) & 0xff));
}

}  // namespace

void CellGroups::clear() {
  cphi.clear();
  thr.clear();
  bit.clear();
  bits.clear();
  slot.clear();
}

void candidate_masks_portable(const CellGroups& c, std::size_t g0, std::size_t g1,
                              const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                              std::uint64_t seed, MaskSink& out) {
  for (std::size_t g = g0; g < g1; ++g) {
    const std::uint32_t r = r0[g - g0] + t * step[g - g0];
    std::uint64_t m = 0;
    for (std::size_t l = g * kGroup; l < (g + 1) * kGroup; ++l) {
      const std::uint64_t h = profiles::mix64(seed ^ profiles::mix64(c.cphi[l] + r));
      if (byte_sum(h) >= c.thr[l]) m |= std::uint64_t{1} << c.bit[l];
    }
    out.add(c.slot[g], m);
  }
}

void ActiveCells::clear() {
  cphi.clear();
  thr.clear();
  step.clear();
  s.clear();
  j.clear();
  delta.clear();
  cell.clear();
}

void intermittent_corrections_portable(const ActiveCells& c, const std::uint32_t* r0,
                                       std::uint64_t seed, const ActTiles& x,
                                       const std::uint64_t* caught, std::uint32_t* out) {
  const std::size_t n = c.size();
  for (std::uint32_t t = 0; t < x.tiles; ++t) {
    const std::uint64_t* act = x.act + std::size_t{t} * x.stride;
    std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (std::size_t e = 0; e < n; ++e) {
      const std::uint32_t r = r0[e] + t * c.step[e];
      const std::uint64_t h = profiles::mix64(seed ^ profiles::mix64(c.cphi[e] + r));
      if (byte_sum(h) < c.thr[e] && !caught_at_write(c, e, caught)) continue;
      const std::uint64_t word = act[c.s[e]];
      const auto d = static_cast<std::uint32_t>(c.delta[e]);
      std::uint32_t* oj = o + c.j[e] * kTile;
      for (std::uint32_t i = 0; i < kTile; ++i) {
        oj[i] += d * (static_cast<std::uint32_t>(((word >> (8 * i)) & 0xffu) ^ x.xor_mask) - x.a);
      }
    }
  }
}

void tile_products(KernelPath path, const PackedWeights& w, const ActTiles& x, std::uint32_t* out) {
  LV_CHECK(w.path == path, "weights packed for " << kernel_path_name(w.path) << ", run on "
                                                 << kernel_path_name(path));
  switch (path) {
#if defined(__x86_64__) && defined(__GNUC__)
    case KernelPath::kAvx2:
      tile_products_avx2(w, x, out);
      return;
    case KernelPath::kAvx512:
      tile_products_avx512(w, x, out);
      return;
#endif
    default:
      tile_products_portable(w, x, out);
  }
}

void candidate_masks(KernelPath path, const CellGroups& c, std::size_t g0, std::size_t g1,
                     const std::uint32_t* r0, const std::uint32_t* step, std::uint32_t t,
                     std::uint64_t seed, MaskSink& out) {
  switch (path) {
#if defined(__x86_64__) && defined(__GNUC__)
    case KernelPath::kAvx2:
      candidate_masks_avx2(c, g0, g1, r0, step, t, seed, out);
      return;
    case KernelPath::kAvx512:
      candidate_masks_avx512(c, g0, g1, r0, step, t, seed, out);
      return;
#endif
    default:
      candidate_masks_portable(c, g0, g1, r0, step, t, seed, out);
  }
}

void add_tiles_portable(const std::uint32_t* out, std::uint32_t t0, std::uint32_t t1,
                        std::uint32_t last_rows, std::uint32_t tiles, std::uint32_t cols,
                        std::uint32_t* acc, std::size_t stride) {
  for (std::uint32_t t = t0; t < t1; ++t) {
    const std::uint32_t rows = t + 1 < tiles ? kTile : last_rows;
    const std::uint32_t* o = out + std::size_t{t} * kTile * kTile;
    for (std::uint32_t i = 0; i < rows; ++i) {
      std::uint32_t* dst = acc + (std::size_t{t} * kTile + i) * stride;
      for (std::uint32_t j = 0; j < cols; ++j) dst[j] += o[j * kTile + i];
    }
  }
}

void add_tiles(KernelPath path, const std::uint32_t* out, std::uint32_t tiles,
               std::uint32_t last_rows, std::uint32_t cols, std::uint32_t* acc,
               std::size_t stride) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (path != KernelPath::kPortable) {
    add_tiles_avx2(out, tiles, last_rows, cols, acc, stride);
    return;
  }
#endif
  add_tiles_portable(out, 0, tiles, last_rows, tiles, cols, acc, stride);
}

void intermittent_corrections(KernelPath path, const ActiveCells& c, const std::uint32_t* r0,
                              std::uint64_t seed, const ActTiles& x, const std::uint64_t* caught,
                              std::uint32_t* out) {
  switch (path) {
#if defined(__x86_64__) && defined(__GNUC__)
    case KernelPath::kAvx2:
      intermittent_corrections_avx2(c, r0, seed, x, caught, out);
      return;
    case KernelPath::kAvx512:
      intermittent_corrections_avx512(c, r0, seed, x, caught, out);
      return;
#endif
    default:
      intermittent_corrections_portable(c, r0, seed, x, caught, out);
  }
}

void weight_out_of_range(std::int16_t v, std::int32_t b) {
  fail("golden: weight ", v, " − ", b, " does not fit int8 (internal error)");
}

}  // namespace detail
}  // namespace lowvolt::accelerator
