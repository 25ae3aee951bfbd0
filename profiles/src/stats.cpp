#include "stats.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <numeric>

namespace lowvolt::profiles::stats {

namespace bm = boost::math;

double chi2_upper(double x, double dof) {
  if (x <= 0) return 1.0;
  return bm::cdf(bm::complement(bm::chi_squared_distribution<double>(dof), x));
}

double poisson_upper(double k, double mean) {
  if (k <= 0) return 1.0;
  if (mean <= 0) return 0.0;
  return bm::cdf(bm::complement(bm::poisson_distribution<double>(mean), k - 1));
}

double binomial_upper(double k, double n, double p) {
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  return bm::cdf(bm::complement(bm::binomial_distribution<double>(n, p), k - 1));
}

double binomial_lower(double k, double n, double p) {
  if (k >= n) return 1.0;
  if (k < 0) return 0.0;
  return bm::cdf(bm::binomial_distribution<double>(n, p), k);
}

double count_upper(double observed, double mean, double variance) {
  if (mean < 20) return poisson_upper(observed, mean);
  if (variance <= 0) return observed > mean ? 0.0 : 1.0;
  const double z = (observed - 0.5 - mean) / std::sqrt(variance);
  return 1.0 - phi(z);
}

std::array<double, 2> clopper_pearson(double k, double n, double a) {
  const double lo = k <= 0 ? 0.0 : bm::ibeta_inv(k, n - k + 1, a / 2);
  const double hi = k >= n ? 1.0 : bm::ibeta_inv(k + 1, n - k, 1 - a / 2);
  return {lo, hi};
}

double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double phi_inv(double p) {
  return bm::quantile(bm::normal_distribution<double>(0, 1), std::clamp(p, 1e-300, 1 - 1e-16));
}

std::vector<double> holm(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adj[order[i]] = running;
  }
  return adj;
}

std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, const std::vector<double>& step,
                                int iterations) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> s(n + 1, x0);
  for (std::size_t i = 0; i < n; ++i) s[i + 1][i] += step[i];
  std::vector<double> fs(n + 1);
  for (std::size_t i = 0; i <= n; ++i) fs[i] = f(s[i]);
  const auto point = [&](const std::vector<double>& c, const std::vector<double>& x, double t) {
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = c[i] + t * (x[i] - c[i]);
    return y;
  };
  for (int it = 0; it < iterations; ++it) {
    std::vector<std::size_t> idx(n + 1);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return fs[a] < fs[b]; });
    std::vector<std::vector<double>> s2;
    std::vector<double> f2;
    for (auto i : idx) {
      s2.push_back(s[i]);
      f2.push_back(fs[i]);
    }
    s = s2;
    fs = f2;
    if (std::abs(fs[n] - fs[0]) <= 1e-12 * (1 + std::abs(fs[0]))) break;
    std::vector<double> c(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) c[j] += s[i][j] / static_cast<double>(n);
    const auto r = point(c, s[n], -1.0);
    const double fr = f(r);
    if (fr < fs[0]) {
      const auto e = point(c, s[n], -2.0);
      const double fe = f(e);
      if (fe < fr) {
        s[n] = e;
        fs[n] = fe;
      } else {
        s[n] = r;
        fs[n] = fr;
      }
    } else if (fr < fs[n - 1]) {
      s[n] = r;
      fs[n] = fr;
    } else {
      const auto k = point(c, s[n], 0.5);
      const double fk = f(k);
      if (fk < fs[n]) {
        s[n] = k;
        fs[n] = fk;
      } else {
        for (std::size_t i = 1; i <= n; ++i) {
          s[i] = point(s[0], s[i], 0.5);
          fs[i] = f(s[i]);
        }
      }
    }
  }
  const auto best = std::min_element(fs.begin(), fs.end()) - fs.begin();
  return s[static_cast<std::size_t>(best)];
}

}  // namespace lowvolt::profiles::stats
