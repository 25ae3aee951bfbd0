#include "lowvolt/profiles/read_model.h"

#include <array>
#include <cmath>

#include "lowvolt/common/error.h"

namespace lowvolt::profiles {
namespace {

std::uint16_t to_code(double v, const char* what) {
  if (!(v >= 0.0 && v < 16.0)) fail(what, " ", v, " × Vmin is outside [0, 16)");
  const double code = std::round(v * kCodeScale);
  return static_cast<std::uint16_t>(code > 65535.0 ? 65535.0 : code);
}

// Number of the 2^32 byte quadruples whose sum is s (s = 0 … 1020).
const std::array<double, 1021>& byte_sum_counts() {
  static const std::array<double, 1021> counts = [] {
    std::array<double, 1021> c{};
    std::array<double, 1021> next{};
    c[0] = 1;
    for (int byte = 0; byte < 4; ++byte) {
      next.fill(0);
      for (int s = 0; s <= 1020; ++s) {
        if (c[s] == 0) continue;
        for (int v = 0; v < 256 && s + v <= 1020; ++v) next[s + v] += c[s];
      }
      c = next;
    }
    return c;
  }();
  return counts;
}

}  // namespace

double check_supply(double v, const std::string& what) {
  if (!(v > 0.0 && v <= kMaxSupply)) {
    usage_fail(what, ": voltage ", v, " × Vmin is outside (0, ", kMaxSupply, "]");
  }
  return v;
}

std::uint16_t vdd_code(double v_over_vmin) { return to_code(v_over_vmin, "supply voltage"); }

std::uint16_t vc_code(double v_over_vmin) {
  if (std::isnan(v_over_vmin)) fail("critical voltage is NaN");
  const double code = std::round(v_over_vmin * kCodeScale);
  if (code <= 0.0) return 0;
  if (code >= 65535.0) return 65535;
  return static_cast<std::uint16_t>(code);
}

std::uint16_t sigma_code(double sigma_over_vmin) {
  return to_code(sigma_over_vmin, "per-read noise sigma_n");
}

double fail_probability(std::uint16_t vc, std::uint16_t vdd, std::uint16_t sigma_code) {
  if (sigma_code == 0) return vc > vdd ? 1.0 : 0.0;
  const auto& counts = byte_sum_counts();
  double hits = 0;
  for (std::uint32_t s = 0; s <= 1020; ++s) {
    if (static_cast<std::int32_t>(vc) + noise_from_sum(sigma_code, s) >
        static_cast<std::int32_t>(vdd)) {
      hits += counts[s];
    }
  }
  return hits / 4294967296.0;
}

std::uint64_t faulty_mask(const WordFaults& w, const std::uint16_t* vc, std::uint16_t vdd,
                          std::uint16_t sigma_code, std::uint64_t seed, std::uint64_t first_cell,
                          std::uint32_t r) {
  std::uint64_t f = (w.flip | w.stuck) & ~w.candidate;
  for (std::uint64_t c = w.candidate; c != 0; c &= c - 1) {
    const int bit = __builtin_ctzll(c);
    if (cell_faulty(vc[bit], vdd, sigma_code, seed, first_cell + static_cast<unsigned>(bit), r)) {
      f |= std::uint64_t{1} << bit;
    }
  }
  return f;
}

}  // namespace lowvolt::profiles
