#include "lowvolt/profiles/validate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "lowvolt/common/error.h"
#include "stats.h"

namespace lowvolt::profiles {
namespace {

// Failure counts of one array at one supply, gathered in one pass over its cells.
struct ArrayCounts {
  std::uint64_t failing = 0;
  std::vector<std::uint64_t> col, row;
  std::uint64_t adjacent = 0;     // failing horizontal + vertical neighbour pairs
  std::uint64_t multi_words = 0;  // words with ≥ 2 failing bits
  std::uint64_t flips = 0, stuck0 = 0, stuck1 = 0, always = 0, ever = 0;
};

ArrayCounts count_array(const CellMap& m, std::uint32_t a, std::uint16_t code) {
  const Geometry& g = m.geometry();
  ArrayCounts out;
  out.col.assign(g.cols, 0);
  out.row.assign(g.rows, 0);
  const std::int32_t always_thr = static_cast<std::int32_t>(code) - min_noise(m.sigma_code());
  const std::int32_t ever_thr = static_cast<std::int32_t>(code) - max_noise(m.sigma_code());
  std::vector<std::uint8_t> prev(g.cols, 0), cur(g.cols, 0);
  const std::uint64_t base = std::uint64_t{a} * g.rows * g.cols;
  const std::uint16_t* vc = m.vc().data() + base;
  const std::uint8_t* kind = m.kind().data() + base;
  for (std::uint32_t r = 0; r < g.rows; ++r) {
    std::uint32_t in_word = 0;
    for (std::uint32_t c = 0; c < g.cols; ++c) {
      const std::size_t i = std::size_t{r} * g.cols + c;
      const std::int32_t v = vc[i];
      const std::uint8_t f = v > code;
      cur[c] = f;
      out.always += v > always_thr;
      out.ever += v > ever_thr;
      if (f) {
        ++out.failing;
        ++out.col[c];
        ++out.row[r];
        ++in_word;
        out.adjacent += (c > 0 && cur[c - 1]) + (r > 0 && prev[c]);
        const auto k = static_cast<FailureKind>(kind[i]);
        out.flips += k == FailureKind::kFlip;
        out.stuck0 += k == FailureKind::kStuck0;
        out.stuck1 += k == FailureKind::kStuck1;
      }
      if (c % 64 == 63 || c + 1 == g.cols) {
        out.multi_words += in_word >= 2;
        in_word = 0;
      }
    }
    std::swap(prev, cur);
  }
  return out;
}

// Binomial index of dispersion of `counts` (each bin `cells` cells), bins pooled in runs.
TestResult dispersion(const char* name, std::int64_t array, const std::vector<std::uint64_t>& counts,
                      double cells, double min_expected, const char* unit) {
  TestResult t;
  t.name = name;
  t.array = array;
  const std::size_t bins = counts.size();
  double k = 0;
  for (const auto c : counts) k += static_cast<double>(c);
  const double n = cells * static_cast<double>(bins);
  const double p = k / n;
  if (k == 0 || p >= 1) {
    t.note = k == 0 ? "no failing cells" : "every cell fails";
    return t;
  }
  const std::size_t group = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(min_expected * static_cast<double>(bins) / k)));
  const std::size_t pooled = bins / group;
  if (pooled < 2) {
    t.note = "too few failing cells (" + std::to_string(static_cast<std::uint64_t>(k)) + ")";
    return t;
  }
  double d = 0;
  for (std::size_t b = 0; b < pooled; ++b) {
    const std::size_t begin = b * group;
    const std::size_t end = b + 1 == pooled ? bins : begin + group;
    double observed = 0;
    for (std::size_t j = begin; j < end; ++j) observed += static_cast<double>(counts[j]);
    const double e = cells * static_cast<double>(end - begin) * p;
    d += (observed - e) * (observed - e) / (e * (1 - p));
  }
  t.applicable = true;
  t.statistic = d;
  t.dof = static_cast<double>(pooled - 1);
  t.expected = t.dof;
  t.p_value = stats::chi2_upper(d, t.dof);
  if (group > 1) t.note = "pooled " + std::to_string(group) + " " + unit + " per bin";
  return t;
}

// Exact mean and variance of the number of failing neighbour pairs of an R × C grid with k of
// its n cells failing, placed uniformly at random.
std::array<double, 2> adjacency_moments(std::uint32_t rows, std::uint32_t cols, double k) {
  const double n = static_cast<double>(rows) * cols;
  const double pairs = static_cast<double>(rows) * (cols - 1) + static_cast<double>(rows - 1) * cols;
  // Σ deg² with deg = h(col) + v(row).
  double sh = 0, sh2 = 0, sv = 0, sv2 = 0;
  for (std::uint32_t c = 0; c < cols; ++c) {
    const double h = (c > 0) + (c + 1 < cols);
    sh += h;
    sh2 += h * h;
  }
  for (std::uint32_t r = 0; r < rows; ++r) {
    const double v = (r > 0) + (r + 1 < rows);
    sv += v;
    sv2 += v * v;
  }
  const double sum_deg2 = rows * sh2 + cols * sv2 + 2 * sh * sv;
  const double shared = sum_deg2 - 2 * pairs;  // ordered pairs of edges sharing a cell
  const auto q = [&](int m) {
    double r = 1;
    for (int i = 0; i < m; ++i) r *= std::max(0.0, (k - i) / (n - i));
    return r;
  };
  const double q2 = q(2), q3 = q(3), q4 = q(4);
  const double mean = pairs * q2;
  const double var = pairs * q2 + shared * q3 + (pairs * pairs - pairs - shared) * q4 -
                     pairs * pairs * q2 * q2;
  return {mean, std::max(var, 0.0)};
}

// P(a word of w cells holds ≥ 2 of the k failing cells among n), hypergeometric.
double multi_word_probability(double w, double k, double n) {
  if (k < 2 || w < 2) return 0.0;
  double h0 = 1, prod = 1;  // prod = Π_{i<w-1} (n-k-i)/(n-i)
  for (int i = 0; i < static_cast<int>(w); ++i) {
    h0 *= std::max(0.0, (n - k - i) / (n - i));
    if (i < static_cast<int>(w) - 1) prod *= std::max(0.0, (n - k - i) / (n - i));
  }
  const double h1 = prod * w * k / (n - w + 1);
  return std::clamp(1.0 - h0 - h1, 0.0, 1.0);
}

std::string label(const TestResult& t, double share01) {
  if (t.name == "direction") return share01 > 0.5 ? "0→1 bias" : "1→0 bias";
  if (t.name == "column_dispersion") return "column clustering";
  if (t.name == "row_dispersion") return "row clustering";
  if (t.name == "adjacency") return "adjacent failures";
  return "multi-bit words";
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::uint16_t code_for_ber(const CellMap& map, double ber) {
  std::vector<std::uint64_t> hist(65536, 0);
  for (const auto v : map.vc()) ++hist[v];
  const double target = ber * static_cast<double>(map.geometry().cells());
  std::uint32_t c = 65535;
  double above = 0;  // cells with vc > c
  while (c > 0 && above + static_cast<double>(hist[c]) <= target) {
    above += static_cast<double>(hist[c]);
    --c;
  }
  return static_cast<std::uint16_t>(c);
}

std::vector<double> default_voltages(const Profile& p) {
  std::set<std::uint16_t, std::greater<>> codes;
  if (!p.observations.empty()) {
    for (const auto& o : p.observations) codes.insert(o.vdd);
  } else {
    for (const double ber : {0.05, 0.02, 0.01, 0.005, 0.002, 0.001}) {
      codes.insert(code_for_ber(p.map, ber));
    }
  }
  std::vector<double> v;
  for (const auto c : codes) v.push_back(code_volts(c));
  return v;
}

ProbitFit fit_probit(const std::vector<double>& v, const std::vector<std::uint64_t>& k,
                     std::uint64_t n) {
  ProbitFit fit;
  LV_CHECK(v.size() == k.size(), "sizes differ");
  const double nn = static_cast<double>(n);
  std::vector<double> xs, ys;
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    nonzero += k[i] > 0;
    if (k[i] > 0 && k[i] < n) {
      xs.push_back(v[i]);
      ys.push_back(stats::phi_inv(static_cast<double>(k[i]) / nn));
    }
  }
  if (v.size() < 2 || nonzero < 2 || xs.empty()) {
    fit.note = "needs two voltages with failing cells";
    return fit;
  }
  // Start from least squares on probits: Φ⁻¹(p) = (μ − V)/σ.
  double mu0 = xs[0], sigma0 = 0.05;
  if (xs.size() >= 2) {
    const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / xs.size();
    const double my = std::accumulate(ys.begin(), ys.end(), 0.0) / ys.size();
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) * (xs[i] - mx);
    }
    const double slope = sxx > 0 ? sxy / sxx : 0;
    if (slope < 0) {
      sigma0 = -1 / slope;
      mu0 = mx + my * sigma0;
    }
  }
  const auto nll = [&](const std::vector<double>& x) {
    const double mu = x[0], sigma = std::exp(x[1]);
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double z = (mu - v[i]) / sigma;
      const double lp = std::log(std::max(stats::phi(z), 1e-300));
      const double lq = std::log(std::max(stats::phi(-z), 1e-300));
      s -= static_cast<double>(k[i]) * lp + static_cast<double>(n - k[i]) * lq;
    }
    return s;
  };
  auto x = stats::nelder_mead(nll, {mu0, std::log(sigma0)}, {0.01, 0.1});
  x = stats::nelder_mead(nll, x, {0.001, 0.01});
  fit.ok = true;
  fit.mu = x[0];
  fit.sigma = std::exp(x[1]);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double s = stats::phi((fit.mu - v[i]) / fit.sigma);
    const double e = nn * s;
    if (e > 0 && s < 1) fit.chi2 += (k[i] - e) * (k[i] - e) / (e * (1 - s));
  }
  fit.dof = static_cast<double>(v.size()) - 2;
  fit.p_value = fit.dof > 0 ? stats::chi2_upper(fit.chi2, fit.dof) : 1.0;
  return fit;
}

ValidationReport validate(const Profile& p, const ValidationOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) fail("validate: alpha ", options.alpha, " is outside (0, 1)");
  if (!(options.direction_margin >= 0 && options.direction_margin < 0.5)) {
    fail("validate: direction margin ", options.direction_margin, " is outside [0, 0.5)");
  }
  if (!(options.min_expected > 0)) fail("validate: min_expected must be positive");
  std::vector<double> vdds = options.vdds.empty() ? default_voltages(p) : options.vdds;
  if (vdds.empty()) fail("validate: no voltages");
  std::set<std::uint16_t, std::greater<>> codes;
  for (const double v : vdds) codes.insert(vdd_code(v));
  const CellMap& m = p.map;
  const Geometry& g = m.geometry();
  ValidationReport report;
  report.alpha = options.alpha;
  for (const auto code : codes) {
    VoltageReport vr;
    vr.code = code;
    vr.vdd = code_volts(code);
    vr.cells = g.cells();
    double adj_obs = 0, adj_mean = 0, adj_var = 0;
    double multi_obs = 0, multi_mean = 0, multi_var = 0;
    std::vector<TestResult> col_tests, row_tests;
    const double array_cells = static_cast<double>(g.rows) * g.cols;
    for (std::uint32_t a = 0; a < g.arrays; ++a) {
      const ArrayCounts c = count_array(m, a, code);
      vr.failing += c.failing;
      vr.flips += c.flips;
      vr.stuck0 += c.stuck0;
      vr.stuck1 += c.stuck1;
      vr.always_failing += c.always;
      vr.ever_failing += c.ever;
      if (options.per_array) {
        const auto ci_a = stats::clopper_pearson(static_cast<double>(c.failing), array_cells, 0.05);
        vr.arrays.push_back(
            {a, c.failing, static_cast<double>(c.failing) / array_cells, ci_a[0], ci_a[1]});
      }
      col_tests.push_back(dispersion("column_dispersion", a, c.col, g.rows, options.min_expected,
                                     "columns"));
      row_tests.push_back(dispersion("row_dispersion", a, c.row, g.cols, options.min_expected,
                                     "rows"));
      const double k = static_cast<double>(c.failing);
      const auto [mean, var] = adjacency_moments(g.rows, g.cols, k);
      adj_obs += static_cast<double>(c.adjacent);
      adj_mean += mean;
      adj_var += var;
      const double full = g.cols / 64, part = g.cols % 64;
      const double q_full = multi_word_probability(64, k, array_cells);
      const double q_part = multi_word_probability(part, k, array_cells);
      multi_obs += static_cast<double>(c.multi_words);
      multi_mean += g.rows * (full * q_full + (part > 0 ? q_part : 0));
      multi_var += g.rows * (full * q_full * (1 - q_full) + (part > 0 ? q_part * (1 - q_part) : 0));
    }
    vr.ber = static_cast<double>(vr.failing) / static_cast<double>(vr.cells);
    const auto ci = stats::clopper_pearson(static_cast<double>(vr.failing),
                                           static_cast<double>(vr.cells), 0.05);
    vr.ber_lo = ci[0];
    vr.ber_hi = ci[1];
    vr.p01 = (static_cast<double>(vr.stuck1) + 0.5 * vr.flips) / static_cast<double>(vr.cells);
    vr.p10 = (static_cast<double>(vr.stuck0) + 0.5 * vr.flips) / static_cast<double>(vr.cells);
    for (const auto& o : p.observations) {
      if (o.vdd == code) {
        vr.nesting_observed = true;
        vr.violations = o.violations;
        vr.nested_fraction =
            o.failing ? 1.0 - static_cast<double>(o.violations) / static_cast<double>(o.failing) : 1.0;
      }
    }
    // Direction: stuck cells only (flips fail both ways by definition).
    {
      TestResult t;
      t.name = "direction";
      const double n = static_cast<double>(vr.stuck0 + vr.stuck1);
      const double k = static_cast<double>(vr.stuck1);
      if (n == 0) {
        t.note = vr.failing ? "all failing cells are flips" : "no failing cells";
      } else {
        t.applicable = true;
        t.statistic = k / n;
        t.expected = 0.5;
        const double up = stats::binomial_upper(k, n, 0.5 + options.direction_margin);
        const double lo = stats::binomial_lower(k, n, 0.5 - options.direction_margin);
        t.p_value = std::min(1.0, 2 * std::min(up, lo));
        t.note = "0→1 share " + fmt(k / n) + " of " + std::to_string(vr.stuck0 + vr.stuck1) +
                 " stuck cells";
      }
      vr.tests.push_back(t);
    }
    for (auto& t : col_tests) vr.tests.push_back(std::move(t));
    for (auto& t : row_tests) vr.tests.push_back(std::move(t));
    {
      TestResult t;
      t.name = "adjacency";
      if (adj_mean <= 0) {
        t.note = "too few failing cells";
      } else {
        t.applicable = true;
        t.statistic = adj_obs;
        t.expected = adj_mean;
        t.p_value = stats::count_upper(adj_obs, adj_mean, adj_var);
        t.note = "neighbour pairs " + fmt(adj_obs) + ", expected " + fmt(adj_mean);
      }
      vr.tests.push_back(t);
    }
    {
      TestResult t;
      t.name = "word_errors";
      if (multi_mean <= 0) {
        t.note = "too few failing cells";
      } else {
        t.applicable = true;
        t.statistic = multi_obs;
        t.expected = multi_mean;
        t.p_value = stats::count_upper(multi_obs, multi_mean, multi_var);
        t.note = "words with ≥ 2 errors " + fmt(multi_obs) + ", expected " + fmt(multi_mean);
      }
      vr.tests.push_back(t);
    }
    report.voltages.push_back(std::move(vr));
  }
  // Holm over every applicable test of the report.
  std::vector<double> ps;
  for (const auto& vr : report.voltages)
    for (const auto& t : vr.tests)
      if (t.applicable) ps.push_back(t.p_value);
  const auto adj = stats::holm(ps);
  std::size_t i = 0;
  for (auto& vr : report.voltages) {
    std::vector<std::string> reasons;
    std::vector<std::string> arrays_col, arrays_row;
    const double share = vr.stuck0 + vr.stuck1
                             ? static_cast<double>(vr.stuck1) / (vr.stuck0 + vr.stuck1)
                             : 0.5;
    for (auto& t : vr.tests) {
      if (!t.applicable) continue;
      t.p_adjusted = adj[i++];
      t.rejected = t.p_adjusted <= options.alpha;
      if (!t.rejected) continue;
      const std::string l = label(t, share);
      if (std::find(reasons.begin(), reasons.end(), l) == reasons.end()) reasons.push_back(l);
    }
    vr.consistent = reasons.empty();
    if (vr.consistent) {
      vr.verdict = "consistent with independent random bit errors";
    } else {
      vr.verdict = "rejected: ";
      for (std::size_t r = 0; r < reasons.size(); ++r) vr.verdict += (r ? ", " : "") + reasons[r];
      report.consistent = false;
    }
  }
  std::vector<double> v;
  std::vector<std::uint64_t> k;
  for (const auto& vr : report.voltages) {
    v.push_back(vr.vdd);
    k.push_back(vr.failing);
  }
  report.fit = fit_probit(v, k, g.cells());
  return report;
}

}  // namespace lowvolt::profiles
