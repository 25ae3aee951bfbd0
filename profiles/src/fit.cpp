#include "lowvolt/profiles/fit.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/validate.h"
#include "stats.h"

namespace lowvolt::profiles {
namespace {

// Lines (columns or rows) of an array whose failing count is improbable under the rate of the
// remaining lines; iterated until the set is stable.
std::vector<bool> weak_lines(const std::vector<std::uint64_t>& counts, double cells_per_line,
                             double threshold) {
  std::vector<bool> weak(counts.size(), false);
  for (int iteration = 0; iteration < 8; ++iteration) {
    double k = 0, lines = 0;
    for (std::size_t j = 0; j < counts.size(); ++j) {
      if (!weak[j]) {
        k += static_cast<double>(counts[j]);
        lines += 1;
      }
    }
    if (lines == 0) break;
    double p = k / (lines * cells_per_line);
    if (p <= 0) p = 0.5 / (static_cast<double>(counts.size()) * cells_per_line);
    std::vector<bool> next(counts.size(), false);
    for (std::size_t j = 0; j < counts.size(); ++j) {
      const double c = static_cast<double>(counts[j]);
      next[j] = c > cells_per_line * p &&
                stats::binomial_upper(c, cells_per_line, std::min(p, 1.0)) < threshold;
    }
    if (next == weak) break;
    weak = next;
  }
  return weak;
}

// Negative log-likelihood of grouped critical voltages: f[i] of n cells have vc above grid
// voltage t[i] (t descending, f ascending).
double grouped_nll(double mu, double sigma, const std::vector<double>& t,
                   const std::vector<double>& f, double n) {
  double nll = 0, prev_s = 0, prev_f = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double s = stats::phi((mu - t[i]) / sigma);
    nll -= (f[i] - prev_f) * std::log(std::max(s - prev_s, 1e-300));
    prev_s = s;
    prev_f = f[i];
  }
  nll -= (n - prev_f) * std::log(std::max(1 - prev_s, 1e-300));
  return nll;
}

struct Grouped {
  std::vector<double> f;  // cells with vc > grid code i
  double n = 0;           // cells
};

}  // namespace

FitResult fit_profile(const Profile& p, const std::vector<double>& vdds_in) {
  const CellMap& m = p.map;
  const Geometry& g = m.geometry();
  std::set<std::uint16_t, std::greater<>> codes;
  if (!vdds_in.empty()) {
    for (const double v : vdds_in) codes.insert(vdd_code(v));
  } else if (!p.observations.empty()) {
    for (const auto& o : p.observations) codes.insert(o.vdd);
  } else {
    for (const double ber : {0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 5e-4,
                             2e-4, 1e-4}) {
      codes.insert(code_for_ber(m, ber));
    }
  }
  if (codes.empty()) fail("fit: no voltages");
  const std::vector<std::uint16_t> grid(codes.begin(), codes.end());
  std::vector<double> t;
  FitResult result;
  for (const auto c : grid) {
    t.push_back((c + 0.5) / kCodeScale);
    result.vdds.push_back(code_volts(c));
  }
  // Reference voltage for weak lines: the grid voltage whose chip BER is nearest 0.5 %.
  std::uint16_t ref = grid.front();
  double best = 1e300;
  for (const auto c : grid) {
    const double ber = static_cast<double>(m.count_faulty(c)) / static_cast<double>(g.cells());
    const double d = std::abs(std::log((ber + 1e-12) / 0.005));
    if (d < best) {
      best = d;
      ref = c;
    }
  }
  result.reference_vdd = code_volts(ref);
  result.columns = std::uint64_t{g.arrays} * g.cols;
  result.rows = std::uint64_t{g.arrays} * g.rows;
  const double col_threshold = 1e-3 / static_cast<double>(result.columns);
  const double row_threshold = 1e-3 / static_cast<double>(result.rows);
  double shift_col_sum = 0, shift_col_w = 0, shift_row_sum = 0, shift_row_w = 0;
  std::uint64_t flips = 0, stuck0 = 0, stuck1 = 0;
  const std::uint16_t lowest = grid.back();
  for (std::uint32_t a = 0; a < g.arrays; ++a) {
    const std::uint64_t base = std::uint64_t{a} * g.rows * g.cols;
    std::vector<std::uint64_t> col(g.cols, 0), row(g.rows, 0);
    for (std::uint32_t r = 0; r < g.rows; ++r) {
      for (std::uint32_t c = 0; c < g.cols; ++c) {
        const std::uint64_t i = base + std::uint64_t{r} * g.cols + c;
        if (m.vc()[i] > ref) {
          ++col[c];
          ++row[r];
        }
        if (m.vc()[i] > lowest) {
          const auto k = static_cast<FailureKind>(m.kind()[i]);
          flips += k == FailureKind::kFlip;
          stuck0 += k == FailureKind::kStuck0;
          stuck1 += k == FailureKind::kStuck1;
        }
      }
    }
    const auto weak_col = weak_lines(col, g.rows, col_threshold);
    const auto weak_row = weak_lines(row, g.cols, row_threshold);
    result.weak_columns += static_cast<std::uint64_t>(std::count(weak_col.begin(), weak_col.end(), true));
    result.weak_rows += static_cast<std::uint64_t>(std::count(weak_row.begin(), weak_row.end(), true));
    // Grouped counts of bulk cells, weak-column cells and weak-row cells.
    Grouped bulk, wcol, wrow;
    bulk.f.assign(grid.size(), 0);
    wcol.f.assign(grid.size(), 0);
    wrow.f.assign(grid.size(), 0);
    for (std::uint32_t r = 0; r < g.rows; ++r) {
      for (std::uint32_t c = 0; c < g.cols; ++c) {
        if (weak_col[c] && weak_row[r]) continue;
        Grouped& into = weak_col[c] ? wcol : weak_row[r] ? wrow : bulk;
        const std::uint16_t v = m.vc()[base + std::uint64_t{r} * g.cols + c];
        into.n += 1;
        // f[i] counts cells above grid[i]; grid descends, so a cell above grid[i] is above
        // every later (lower) grid code too.
        for (std::size_t i = 0; i < grid.size(); ++i) {
          if (v > grid[i]) {
            for (std::size_t j = i; j < grid.size(); ++j) into.f[j] += 1;
            break;
          }
        }
      }
    }
    if (bulk.n == 0) fail("fit: array ", a, " has no bulk cells");
    // Start from the grid point nearest 50 % failing.
    double mu0 = t.back(), sigma0 = 0.05;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (bulk.f[i] >= 0.5 * bulk.n) {
        mu0 = t[i];
        break;
      }
    }
    const auto nll = [&](const std::vector<double>& x) {
      return grouped_nll(x[0], std::exp(x[1]), t, bulk.f, bulk.n);
    };
    auto x = stats::nelder_mead(nll, {mu0, std::log(sigma0)}, {0.02, 0.2});
    x = stats::nelder_mead(nll, x, {0.002, 0.02});
    const double mu_a = x[0], sigma_a = std::exp(x[1]);
    result.array_mu.push_back(mu_a);
    result.array_sigma.push_back(sigma_a);
    const auto fit_shift = [&](const Grouped& weak, double& sum, double& weight) {
      if (weak.n == 0) return;
      const auto nll_w = [&](const std::vector<double>& y) {
        return grouped_nll(y[0], sigma_a, t, weak.f, weak.n);
      };
      auto y = stats::nelder_mead(nll_w, {mu_a + 0.05}, {0.02});
      y = stats::nelder_mead(nll_w, y, {0.002});
      sum += (y[0] - mu_a) * weak.n;
      weight += weak.n;
    };
    fit_shift(wcol, shift_col_sum, shift_col_w);
    fit_shift(wrow, shift_row_sum, shift_row_w);
  }
  ChipParams& out = result.params;
  const double arrays = static_cast<double>(g.arrays);
  out.mu = std::accumulate(result.array_mu.begin(), result.array_mu.end(), 0.0) / arrays;
  out.sigma = std::accumulate(result.array_sigma.begin(), result.array_sigma.end(), 0.0) / arrays;
  double var = 0;
  for (const double mu_a : result.array_mu) var += (mu_a - out.mu) * (mu_a - out.mu);
  out.sigma_array = g.arrays > 1 ? std::sqrt(var / (arrays - 1)) : 0.0;
  out.f_col = static_cast<double>(result.weak_columns) / static_cast<double>(result.columns);
  out.f_row = static_cast<double>(result.weak_rows) / static_cast<double>(result.rows);
  out.col_shift = shift_col_w > 0 ? shift_col_sum / shift_col_w : ChipParams{}.col_shift;
  out.row_shift = shift_row_w > 0 ? shift_row_sum / shift_row_w : ChipParams{}.row_shift;
  const double failing = static_cast<double>(flips + stuck0 + stuck1);
  out.flip_fraction = failing > 0 ? static_cast<double>(flips) / failing : 1.0;
  out.b = stuck0 + stuck1 > 0 ? static_cast<double>(stuck1) / static_cast<double>(stuck0 + stuck1)
                              : 0.5;
  out.sigma_n = code_volts(m.sigma_code());
  // Keep the result inside the model's ranges so that generate accepts it.
  out.mu = std::clamp(out.mu, 0.0, 4.0);
  out.sigma = std::clamp(out.sigma, 1e-4, 1.0);
  out.sigma_array = std::min(out.sigma_array, 1.0);
  out.col_shift = std::clamp(out.col_shift, -1.0, 1.0);
  out.row_shift = std::clamp(out.row_shift, -1.0, 1.0);
  return result;
}

}  // namespace lowvolt::profiles
