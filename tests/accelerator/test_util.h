#pragma once
// Shared helpers of the accelerator suites: random fault maps of the weight buffer's geometry.
#include <cstdint>
#include <random>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/profiles/cell_map.h"

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

}  // namespace lowvolt::accelerator::testing
