#pragma once
// Shared helpers of the accelerator suites: random fault maps of the weight buffer's geometry and
// the per-cell read rule of docs/memory-model.md as an independent reference.
#include <cstdint>
#include <random>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::accelerator::testing {

/// A buffer-sized cell map whose cells have vc codes spread uniformly over [lo, hi] with
/// probability `fraction` (else 0, never faulty) and random kinds; sigma and seed as given.
inline profiles::CellMap random_map(std::uint64_t seed, double fraction, std::uint16_t lo,
                                    std::uint16_t hi, std::uint16_t sigma) {
  profiles::CellMap map(buffer_geometry(), sigma, seed * 0x9e3779b97f4a7c15ULL + 1);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<int> vc(lo, hi);
  std::uniform_int_distribution<int> kind(0, 2);
  for (std::size_t i = 0; i < map.vc().size(); ++i) {
    if (u(rng) < fraction) {
      map.vc()[i] = static_cast<std::uint16_t>(vc(rng));
      map.kind()[i] = static_cast<std::uint8_t>(kind(rng));
    }
  }
  return map;
}

/// The memory-model read of one word (buffer address `addr`, stored bits `stored`) on read r of
/// its bank, bit by bit from the per-cell rule.
inline std::uint64_t reference_read(const profiles::CellMap& map, std::uint16_t vdd,
                                    std::uint32_t addr, std::uint64_t stored, std::uint32_t r) {
  std::uint64_t out = 0;
  for (std::uint32_t b = 0; b < 64; ++b) {
    const std::uint64_t cell = std::uint64_t{addr} * 64 + b;
    std::uint64_t bit = (stored >> b) & 1u;
    if (profiles::cell_faulty(map.vc()[cell], vdd, map.sigma_code(), map.seed(), cell, r)) {
      const auto kind = map.kind()[cell];
      bit = kind == 0 ? bit ^ 1u : (kind == 2 ? 1u : 0u);
    }
    out |= bit << b;
  }
  return out;
}

}  // namespace lowvolt::accelerator::testing
