#pragma once
// The faulty-SRAM read of docs/memory-model.md, in C++: fixed-point voltage codes, cell
// indexing, the intermittent-noise hash and the read of one 64-bit word. This header is the
// single C++ definition every backend (torch injection, golden model, RTL bench) reads through.
// Contract:
//  - Voltages are × Vmin; codes are Q4.12 (4096 = 1.0 × Vmin), unsigned 16 bits.
//  - A cell is faulty on a read iff vc_code + noise > vdd_code, with noise = 0 when
//    sigma_code = 0 (persistent model) and otherwise the hash of (seed, cell_index, r).
//  - Everything here is pure integer arithmetic mod 2^64 (no undefined behaviour, no floating
//    point) except the conversions from volts, which round to nearest.
#include <cstdint>
#include <string>

#include "lowvolt/common/seed.h"

namespace lowvolt::profiles {

/// Code units per 1.0 × Vmin (Q4.12).
inline constexpr double kCodeScale = 4096.0;

/// Failure kind of a cell (2 bits in the contract; 3 is reserved and rejected on load).
enum class FailureKind : std::uint8_t {
  kFlip = 0,    ///< the read returns the inverted stored bit
  kStuck0 = 1,  ///< the read returns 0
  kStuck1 = 2,  ///< the read returns 1
};

/// Supply voltage code round(v × 4096) for v in × Vmin; throws lowvolt::Error outside [0, 16).
std::uint16_t vdd_code(double v_over_vmin);
/// Critical voltage code clamp(round(v × 4096), 0, 65535) for v in × Vmin (NaN → Error).
std::uint16_t vc_code(double v_over_vmin);
/// Noise code round(σ_n × 4096) for σ_n in × Vmin; throws lowvolt::Error outside [0, 16).
std::uint16_t sigma_code(double sigma_over_vmin);
/// The supply range every command and options struct takes, (0, kMaxSupply] × Vmin.
inline constexpr double kMaxSupply = 2.0;
/// Returns `v` when it lies in (0, kMaxSupply] × Vmin; else throws lowvolt::UsageError
/// "<what>: voltage <v> × Vmin is outside (0, 2]" (`what`: "option '--vdd'", "chip pattern").
/// The one supply check.
double check_supply(double v, const std::string& what);
/// The voltage (× Vmin) that a code stands for: code / 4096.
inline double code_volts(std::uint16_t code) { return static_cast<double>(code) / kCodeScale; }

/// splitmix64's finaliser (common/seed.h, the one seed mixer).
using lowvolt::mix64;

/// (array × rows + row) × cols + col: the cell's position in the chip, in bits.
constexpr std::uint64_t cell_index(std::uint64_t array, std::uint64_t row, std::uint64_t col,
                                   std::uint64_t rows, std::uint64_t cols) {
  return (array * rows + row) * cols + col;
}

/// Sum of the four low bytes of the read hash h = mix64(seed ^ mix64(index × φ + r)), 0…1020.
constexpr std::uint32_t noise_byte_sum(std::uint64_t seed, std::uint64_t index, std::uint32_t r) {
  const std::uint64_t h = mix64(seed ^ mix64(index * 0x9e3779b97f4a7c15ULL + r));
  return static_cast<std::uint32_t>((h & 0xff) + ((h >> 8) & 0xff) + ((h >> 16) & 0xff) +
                                    ((h >> 24) & 0xff));
}

/// floor(sigma_code × (s − 510) × 443 / 65536): the noise in code units for a byte sum s.
constexpr std::int32_t noise_from_sum(std::uint16_t sigma_code, std::uint32_t s) {
  const std::int64_t x = static_cast<std::int64_t>(sigma_code) *
                         (static_cast<std::int64_t>(s) - 510) * 443;
  std::int64_t q = x / 65536;
  if (x % 65536 != 0 && x < 0) --q;  // floor, not truncation
  return static_cast<std::int32_t>(q);
}

/// The per-read noise (code units) of cell `index` on the r-th read of its array.
constexpr std::int32_t read_noise(std::uint16_t sigma_code, std::uint64_t seed,
                                  std::uint64_t index, std::uint32_t r) {
  return sigma_code == 0 ? 0 : noise_from_sum(sigma_code, noise_byte_sum(seed, index, r));
}

/// Largest noise any read can draw (code units), s = 1020.
constexpr std::int32_t max_noise(std::uint16_t sigma_code) {
  return noise_from_sum(sigma_code, 1020);
}
/// Smallest noise any read can draw (code units, ≤ 0), s = 0.
constexpr std::int32_t min_noise(std::uint16_t sigma_code) { return noise_from_sum(sigma_code, 0); }

/// Whether a cell with critical voltage code `vc` is faulty on the r-th read of its array.
constexpr bool cell_faulty(std::uint16_t vc, std::uint16_t vdd, std::uint16_t sigma_code,
                           std::uint64_t seed, std::uint64_t index, std::uint32_t r) {
  return static_cast<std::int32_t>(vc) + read_noise(sigma_code, seed, index, r) >
         static_cast<std::int32_t>(vdd);
}

/// Exact probability (over the hash) that a cell with code `vc` is faulty on one read at `vdd`.
double fail_probability(std::uint16_t vc, std::uint16_t vdd, std::uint16_t sigma_code);

/// The faults of one 64-bit word at one supply voltage (bit i = column 64·w + i of its row).
/// flip, stuck and stuck1 cover every cell that can be faulty at this supply; `candidate` marks
/// those among them that are faulty on some reads only and need the hash.
struct WordFaults {
  std::uint64_t flip = 0;       ///< flip-kind cells that can be faulty (bit mask)
  std::uint64_t stuck = 0;      ///< stuck-kind cells that can be faulty (bit mask)
  std::uint64_t stuck1 = 0;     ///< stuck-at-1 cells among `stuck` (bit mask)
  std::uint64_t candidate = 0;  ///< subset of flip|stuck faulty on some reads only (bit mask)
};

/// The memory-model read of a stored word given its per-bit faulty mask f:
/// (d ^ (f & flip)) & ~(f & stuck) | (f & stuck & stuck1).
constexpr std::uint64_t apply_faults(std::uint64_t stored, std::uint64_t faulty,
                                     const WordFaults& w) {
  return ((stored ^ (faulty & w.flip)) & ~(faulty & w.stuck)) | (faulty & w.stuck & w.stuck1);
}

/// The per-bit faulty mask of a word on the r-th read of its array. `first_cell` is the
/// cell_index of the word's bit 0; candidate bits are hashed with their own cell_index.
std::uint64_t faulty_mask(const WordFaults& w, const std::uint16_t* vc, std::uint16_t vdd,
                          std::uint16_t sigma_code, std::uint64_t seed, std::uint64_t first_cell,
                          std::uint32_t r);

}  // namespace lowvolt::profiles
