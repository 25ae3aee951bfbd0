#pragma once
// Internal statistics helpers of lowvolt::profiles (Boost.Math distributions underneath).
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace lowvolt::profiles::stats {

/// Upper tail P(χ²_dof ≥ x).
double chi2_upper(double x, double dof);
/// Upper tail P(X ≥ k) of Poisson(mean).
double poisson_upper(double k, double mean);
/// Upper tail P(X ≥ k) of Binomial(n, p).
double binomial_upper(double k, double n, double p);
/// Lower tail P(X ≤ k) of Binomial(n, p).
double binomial_lower(double k, double n, double p);
/// Upper tail of a count with the given mean and variance: Poisson when the mean is small
/// (< 20), else normal with continuity correction.
double count_upper(double observed, double mean, double variance);
/// Clopper–Pearson interval of k successes in n at level 1 − a.
std::array<double, 2> clopper_pearson(double k, double n, double a);
/// Standard normal cdf and quantile.
double phi(double x);
double phi_inv(double p);
/// Holm step-down adjustment of p-values (same order as given).
std::vector<double> holm(const std::vector<double>& p);
/// Nelder–Mead minimisation of f from x0 with initial steps; returns the minimiser.
std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, const std::vector<double>& step,
                                int iterations = 400);

}  // namespace lowvolt::profiles::stats
