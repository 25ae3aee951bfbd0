#pragma once
// The one seed mixer: splitmix64 (Steele, Lea, Flood, OOPSLA 2014). Every derived seed and every
// hash of LowVolt's random draws goes through these three functions: the chip models' streams
// and read hashes (profiles/), the bit error streams and the training and evaluation seeds
// (host/). Their values are part of the file formats' and the digests' reproducibility: changing
// one changes every chip and every sample.
#include <cstdint>

namespace lowvolt {

/// splitmix64's increment, ⌊2^64/φ⌋.
inline constexpr std::uint64_t kSplitMixGamma = 0x9e3779b97f4a7c15ULL;

/// splitmix64's finaliser, mod 2^64 (a bijection of 64-bit words; mix64(0) = 0).
constexpr std::uint64_t mix64(std::uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

/// One splitmix64 output for the state `z`: mix64(z + γ).
constexpr std::uint64_t splitmix64(std::uint64_t z) { return mix64(z + kSplitMixGamma); }

/// A seed derived from `seed` and the parts `a`, `b` (training's per-epoch and per-step streams,
/// evaluation's per-sample streams): splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b).
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

}  // namespace lowvolt
