// `lowvolt curve`: energy/error curves over the supply voltage (host/curve.h), as a table,
// JSON, CSV and gnuplot plots (the paper's Figure 1 and RTE against voltage).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/run/curve.h"
#include "lowvolt/run/curve_ecc.h"
#include "lowvolt/sweep/sweep_units.h"
#include "plot.h"
#include "sweep_cli.h"

namespace lowvolt::cli {


namespace {

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

nlohmann::json points_json(const std::vector<host::CurvePoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : points) {
    out.push_back({{"vdd", p.vdd}, {"mean", p.mean}, {"std", p.std}, {"min", p.min},
                   {"max", p.max}, {"samples", p.samples}, {"errors", p.errors},
                   {"read_ber", p.read_ber}, {"write_ber", p.write_ber}});
  }
  return out;
}

nlohmann::json operating_json(const std::vector<host::OperatingPoint>& operating) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& op : operating) {
    nlohmann::json point = {{"budget", op.budget}, {"found", op.found}};
    if (op.found) {
      point["vdd"] = op.vdd;
      point["rte"] = op.rte;
      point["energy_saved"] = op.energy_saved;
    }
    out.push_back(std::move(point));
  }
  return out;
}

/// With --ecc: each chip's word error rates per mode (curve_ecc.h).
nlohmann::json word_errors_json(const host::ChipCurve& c) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : c.ecc) {
    std::vector<double> raw, detected, post;
    for (const auto& w : e.rates) {
      raw.push_back(w.raw);
      detected.push_back(w.detected);
      post.push_back(w.post);
    }
    out.push_back({{"ecc", e.ecc}, {"raw", raw}, {"detected", detected}, {"post", post}});
  }
  return out;
}

nlohmann::json to_json(const host::CurveResult& r, bool pool_chips, bool ecc) {
  nlohmann::json j;
  j["backend"] = r.backend;
  j["vdds"] = r.vdds;
  j["energy"] = r.energy;
  j["budgets"] = r.budgets;
  j["mappings"] = r.mappings;
  j["test_images"] = r.test_images;
  j["weight_reads_per_inference"] = r.weight_reads;
  j["seconds"] = r.seconds;
  j["chips"] = nlohmann::json::array();
  for (const auto& c : r.chips) {
    nlohmann::json chip = {{"name", c.name}, {"ber", c.ber}};
    if (ecc) chip["word_errors"] = word_errors_json(c);
    j["chips"].push_back(std::move(chip));
  }
  j["models"] = nlohmann::json::array();
  for (const auto& m : r.models) {
    nlohmann::json model = {{"name", m.name}, {"quant", m.quant}, {"clean_error", m.clean_error}};
    if (ecc) {
      model["ecc"] = m.ecc;
      model["energy"] = m.energy;
    }
    model["series"] = nlohmann::json::array();
    for (const auto& s : m.series) {
      model["series"].push_back({{"chip", s.chip},
                                 {"points", points_json(s.points)},
                                 {"operating_points", operating_json(s.operating)}});
    }
    if (pool_chips) {
      model["pooled"] = {{"over", "chips × mappings"},
                         {"points", points_json(m.points)},
                         {"operating_points", operating_json(m.operating)}};
    }
    j["models"].push_back(std::move(model));
  }
  return j;
}

std::string to_csv(const host::CurveResult& r, bool pool_chips, bool ecc) {
  std::ostringstream out;
  out << "model,chip,vdd,ber,energy,clean_error,rte_mean,rte_std,rte_min,rte_max,samples,read_ber,"
         "write_ber"
      << (ecc ? ",ecc,raw_word_error,detected_word_error,post_word_error\n" : "\n");
  const auto row = [&](const host::ModelCurve& m, const std::string& chip, double ber,
                       std::size_t v, const host::CurvePoint& p) {
    out << m.name << ',' << chip << ',' << fmt("%.4f", r.vdds[v]) << ',' << fmt("%.6g", ber) << ','
        << fmt("%.6f", ecc ? m.energy[v] : r.energy[v]) << ',' << fmt("%.6f", m.clean_error) << ','
        << fmt("%.6f", p.mean) << ',' << fmt("%.6f", p.std) << ',' << fmt("%.6f", p.min) << ','
        << fmt("%.6f", p.max) << ',' << p.samples << ',' << fmt("%.6g", p.read_ber) << ','
        << fmt("%.6g", p.write_ber);
    if (ecc) {
      // the chip's word error rates under this model's mode (pooled rows: mean over chips)
      host::EccWordRates w;
      double n = 0;
      for (const auto& c : r.chips) {
        if (chip != "pooled" && c.name != chip) continue;
        for (const auto& e : c.ecc) {
          if (e.ecc != m.ecc) continue;
          w.raw += e.rates[v].raw;
          w.detected += e.rates[v].detected;
          w.post += e.rates[v].post;
          n += 1;
        }
      }
      if (n > 0) {
        out << ',' << m.ecc << ',' << fmt("%.6g", w.raw / n) << ',' << fmt("%.6g", w.detected / n)
            << ',' << fmt("%.6g", w.post / n);
      } else {
        out << ',' << m.ecc << ",,,";
      }
    }
    out << '\n';
  };
  for (const auto& m : r.models) {
    for (std::size_t c = 0; c < m.series.size(); ++c) {
      for (std::size_t v = 0; v < r.vdds.size(); ++v) row(m, m.series[c].chip, r.chips[c].ber[v], v, m.series[c].points[v]);
    }
    if (!pool_chips) continue;
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      double ber = 0;
      for (const auto& c : r.chips) ber += c.ber[v];
      row(m, "pooled", ber / static_cast<double>(r.chips.size()), v, m.points[v]);
    }
  }
  return out.str();
}

void print_operating(const char* label, const std::vector<host::OperatingPoint>& operating) {
  for (const auto& op : operating) {
    if (op.found) {
      std::printf("  %s: within %.2f points: lowest voltage %.3f × Vmin (RTE %.2f %%), energy saved %.1f %%\n",
                  label, 100.0 * op.budget, op.vdd, 100.0 * op.rte, 100.0 * op.energy_saved);
    } else {
      std::printf("  %s: within %.2f points: no grid voltage qualifies\n", label, 100.0 * op.budget);
    }
  }
}

/// With --ecc: per chip, word error rates (raw, detected, post-correction) and energy per mode.
void print_ecc_table(const host::CurveResult& r) {
  if (r.models.empty()) return;
  for (const auto& c : r.chips) {
    std::printf("\nchip %s: word error rates (%%, every faulty cell wrong) and energy per mode\n",
                c.name.c_str());
    std::printf("%8s", "V/Vmin");
    for (const auto& e : c.ecc) std::printf(" %-32.32s", ("| " + e.ecc + ": raw det post energy").c_str());
    std::printf("\n");
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      std::printf("%8.3f", r.vdds[v]);
      for (const auto& e : c.ecc) {
        double energy = 0;
        for (const auto& m : r.models) {
          if (m.ecc == e.ecc) energy = m.energy[v];
        }
        std::printf(" | %7.3f %7.3f %7.3f %6.3f", 100.0 * e.rates[v].raw, 100.0 * e.rates[v].detected,
                    100.0 * e.rates[v].post, energy);
      }
      std::printf("\n");
    }
  }
}

void print_table(const host::CurveResult& r, bool pool_chips) {
  std::printf("backend %s, %d mapping(s) per chip, %zu chip(s), %lld test images\n", r.backend.c_str(),
              r.mappings, r.chips.size(), static_cast<long long>(r.test_images));
  // One block per chip (RTE: mean ± std over that chip's mappings), then the pooled one if asked.
  const std::size_t blocks = r.chips.size() + (pool_chips ? 1 : 0);
  for (std::size_t c = 0; c < blocks; ++c) {
    const bool pooled = c == r.chips.size();
    if (pooled) {
      std::printf("\npooled over %zu chips × %d mappings (mean ± std; the chips differ in kind)\n",
                  r.chips.size(), r.mappings);
    } else {
      std::printf("\nchip %s (RTE: mean ± std over %d mapping(s))\n", r.chips[c].name.c_str(), r.mappings);
    }
    std::printf("%8s %9s %11s", "V/Vmin", "energy", pooled ? "mean BER" : "BER");
    for (const auto& m : r.models) {
      std::printf(" %22.22s %9s", ("RTE % " + m.name).c_str(), "read BER");
    }
    std::printf("\n");
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      double ber = 0;
      if (pooled) {
        for (const auto& chip : r.chips) ber += chip.ber[v] / static_cast<double>(r.chips.size());
      } else {
        ber = r.chips[c].ber[v];
      }
      std::printf("%8.3f %9.3f %10.4f%%", r.vdds[v], r.energy[v], 100.0 * ber);
      for (const auto& m : r.models) {
        const auto& p = pooled ? m.points[v] : m.series[c].points[v];
        std::printf(" %14.2f ± %5.2f %8.4f%%", 100.0 * p.mean, 100.0 * p.std, 100.0 * p.read_ber);
      }
      std::printf("\n");
    }
  }
  std::printf("read BER: the fraction of the model's weight bits a read returns wrong (stuck values\n"
              "caught at writes and read noise included; BER: the chip's faulty cells)\n\n");
  for (const auto& m : r.models) {
    std::printf("%s (%s): clean TE %.2f %%\n", m.name.c_str(), m.quant.c_str(),
                100.0 * m.clean_error);
    for (const auto& s : m.series) print_operating(("on " + s.chip).c_str(), s.operating);
    if (pool_chips) print_operating("pooled over chips", m.operating);
  }
  std::printf("(%.1f s)\n", r.seconds);
}

/// Voltage tic step giving at most 6 tics over the swept range: 1, 2 or 5 × 10^k (gnuplot's own
/// choice crowded the half-width panels into "0.980.960.94").
double tic_step(const std::vector<double>& vdds) {
  const auto [lo, hi] = std::minmax_element(vdds.begin(), vdds.end());
  const double span = *hi - *lo;
  if (!(span > 0.0)) return 0.1;
  const double raw = span / 6.0;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw) return m * decade;
  }
  return 10.0 * decade;
}

/// Three panels: BER and energy against voltage (Figure 1); RTE against voltage, one line per
/// (model, chip) — colour per model, dash per chip — with a mean ± std band over mappings (and a
/// lighter min–max band with `minmax`) and each series' operating points marked; RTE against
/// energy per inference, the trade-off a designer pays for. The pooled series, when asked for,
/// is drawn thick and labelled as pooled.
void plot_curve(const host::CurveResult& r, const std::string& output, bool pool_chips, bool minmax) {
  std::map<std::string, std::string> data;
  std::ostringstream script;
  script << "set multiplot layout 1,3\nset grid\nset key top right\n"
         << "set xlabel 'supply voltage (× Vmin)'\nset xrange [*:*] reverse\n"
         << "set xtics " << fmt("%.6g", tic_step(r.vdds)) << "\n";
  // Left: BER (log) of every chip and energy per inference (right axis): Figure 1.
  std::ostringstream ber;
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    ber << fmt("%.6g", r.vdds[v]) << ' ' << fmt("%.6g", r.energy[v]);
    for (const auto& c : r.chips) {
      ber << ' ' << (c.ber[v] > 0 ? fmt("%.6g", 100.0 * c.ber[v]) : std::string("NaN"));
    }
    for (const auto& m : r.models) {  // read BER per (model, chip): what reads return wrong
      for (const auto& s : m.series) {
        const double x = s.points[v].read_ber;
        ber << ' ' << (x > 0 ? fmt("%.6g", 100.0 * x) : std::string("NaN"));
      }
    }
    ber << '\n';
  }
  data["ber.dat"] = ber.str();
  script << "set title 'bit error rate and energy per inference'\n"
         << "set ylabel 'bit error rate (%)'\nset logscale y\nset format y '10^{%L}'\n"
         << "set ytics nomirror\nset y2tics\nset y2label 'energy (× E at Vmin)'\nplot ";
  for (std::size_t c = 0; c < r.chips.size(); ++c) {
    script << "'ber.dat' using 1:" << 3 + c << " with linespoints lw 2 pt 7 dt " << c + 1
           << " lc rgb 'gray30' title 'BER " << r.chips[c].name << "' noenhanced, ";
  }
  std::size_t column = 3 + r.chips.size();
  for (std::size_t m = 0; m < r.models.size(); ++m) {
    for (std::size_t c = 0; c < r.models[m].series.size(); ++c, ++column) {
      script << "'ber.dat' using 1:" << column << " with lines lw 1 dt " << c + 1 << " lc " << m + 1
             << " title 'read BER " << r.models[m].name << " @ " << r.models[m].series[c].chip
             << "' noenhanced, ";
    }
  }
  script << "'ber.dat' using 1:2 axes x1y2 with lines lw 2 lc rgb 'black' title 'energy'\n";

  // Series files: vdd, mean, mean − std, mean + std, min, max, energy (all in %, energy × E);
  // operating-point files: vdd, rte, energy of each found operating point.
  struct Series {
    std::string file, ops, title;
    int color, dash, width;
  };
  std::vector<Series> series;
  const auto add = [&](std::size_t m, const std::string& chip, int dash, int width,
                       const std::vector<host::CurvePoint>& points,
                       const std::vector<host::OperatingPoint>& operating) {
    std::ostringstream rows, ops;
    for (std::size_t v = 0; v < points.size(); ++v) {
      const auto& p = points[v];
      rows << fmt("%.6g", p.vdd) << ' ' << fmt("%.6g", 100.0 * p.mean) << ' '
           << fmt("%.6g", 100.0 * (p.mean - p.std)) << ' ' << fmt("%.6g", 100.0 * (p.mean + p.std))
           << ' ' << fmt("%.6g", 100.0 * p.min) << ' ' << fmt("%.6g", 100.0 * p.max) << ' '
           << fmt("%.6g", r.energy[v]) << '\n';
    }
    for (const auto& op : operating) {
      if (op.found) {
        ops << fmt("%.6g", op.vdd) << ' ' << fmt("%.6g", 100.0 * op.rte) << ' '
            << fmt("%.6g", 1.0 - op.energy_saved) << '\n';
      }
    }
    const std::string stem = "s" + std::to_string(series.size());
    data[stem + ".dat"] = rows.str();
    data[stem + ".ops"] = ops.str().empty() ? "NaN NaN NaN\n" : ops.str();
    series.push_back({stem + ".dat", stem + ".ops", r.models[m].name + " @ " + chip,
                      static_cast<int>(m) + 1, dash, width});
  };
  for (std::size_t m = 0; m < r.models.size(); ++m) {
    for (std::size_t c = 0; c < r.models[m].series.size(); ++c) {
      add(m, r.models[m].series[c].chip, static_cast<int>(c) + 1, 2, r.models[m].series[c].points,
          r.models[m].series[c].operating);
    }
    if (pool_chips) add(m, "pooled chips", 1, 5, r.models[m].points, r.models[m].operating);
  }
  // Middle: RTE against voltage, bands, each model's TE + first budget, operating points.
  script << "unset logscale y\nunset y2tics\nunset y2label\nset format y '%g'\n"
         << "set title 'robust test error per chip (mean ± std over mappings; ● operating points)'\n"
         << "set ylabel 'test error (%)'\nset key top left\nplot ";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const std::string lc = " lc " + std::to_string(s.color);
    if (minmax) {
      script << "'" << s.file << "' using 1:5:6 with filledcurves fs transparent solid 0.08" << lc
             << " notitle, ";
    }
    script << "'" << s.file << "' using 1:3:4 with filledcurves fs transparent solid 0.18" << lc
           << " notitle, '" << s.file << "' using 1:2 with lines lw " << s.width << " dt " << s.dash
           << lc << " title '" << s.title << "' noenhanced, '" << s.ops
           << "' using 1:2 with points pt 7 ps 1.6" << lc << " notitle, ";
  }
  for (std::size_t m = 0; m < r.models.size(); ++m) {
    script << fmt("%.6g", 100.0 * (r.models[m].clean_error + r.budgets.front())) << " with lines dt 3 lc "
           << m + 1 << (m == 0 ? " title 'TE + budget'" : " notitle") << (m + 1 < r.models.size() ? ", " : "");
  }
  // Right: RTE against energy per inference (relative to 1.0 × Vmin).
  script << "\nset title 'trade-off: robust test error against energy per inference'\n"
         << "set xlabel 'weight-memory energy per inference (× E at Vmin)'\nset xrange [*:*] reverse\n"
         << "set xtics auto\nset key top left\nplot ";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const std::string lc = " lc " + std::to_string(s.color);
    script << (k ? ", " : "") << "'" << s.file << "' using 7:2 with linespoints lw " << s.width
           << " dt " << s.dash << " pt 6 ps 0.6" << lc << " title '" << s.title << "' noenhanced, '"
           << s.ops << "' using 3:2 with points pt 7 ps 1.6" << lc << " notitle";
  }
  script << "\nunset multiplot\n";
  run_gnuplot("--plot", output, 1800, 520, data, script.str());
}

/// The options of `lowvolt curve`.
po::options_description curve_options() {
  po::options_description o("curve options");
  o.add_options()
      ("model", po::value<std::vector<std::string>>()->composing(),
       "model (.lvm or TorchScript); repeat for several")
      ("quant", po::value<std::string>()->default_value(""),
       "TorchScript models: quantization scheme (default: their LowVolt record, else rquant)")
      ("bits", po::value<int>()->default_value(0),
       "TorchScript models: bits per weight, 2..8 (default: their LowVolt record, else 8)")
      ("memory", po::value<std::string>()->default_value("layers"),
       "TorchScript models: parameters in weight memory: layers (conv/linear) or all")
      ("dataset", po::value<std::string>()->default_value(""),
       "test data: a data set name or a tensor file *.pt (default: each model's own)")
      ("profile", po::value<std::vector<std::string>>()->composing(), "chip profile (.lvp); repeat for several")
      ("vdd", po::value<std::string>()->default_value("1.0:0.70:0.01"),
       "voltage grid × Vmin: start:stop:step or a list")
      ("backend", po::value<std::string>()->default_value("torch"),
       backend_help(true).c_str())
      ("mappings", po::value<int>()->default_value(3), "weight-to-memory mapping offsets per chip (K)")
      ("budget", po::value<std::string>()->default_value("1"),
       "allowed RTE above clean TE, in points (%); a list gives one operating point each")
      ("data", po::value<std::string>()->default_value(""), "MNIST-format test data folder (default: the model's data set)")
      ("test-subset", po::value<std::int64_t>()->default_value(0), "first N test images (0 = all)")
      ("batch-size", po::value<std::int64_t>()->default_value(0),
       "images per forward pass (0: 100 for torch, 1000 for the golden/rtl backends)")
      ("threads", po::value<int>()->default_value(2),
       "LibTorch threads (≤ 0: all; under MPI the default is the cores per rank)")
      ("instances", po::value<int>()->default_value(0),
       "golden/rtl: accelerator instances in parallel (0: 2 for golden, 1 for rtl); a speed "
       "knob, results do not depend on it")
      ("chip-read", po::value<std::string>()->default_value("history"),
       "torch backend: how the chip is read: history (written at read count 0, read at 1: the "
       "accelerator's per-read statistics) or snapshot (one read at 0, no write: the static "
       "fixed pattern, biased low with intermittent cells)")
      ("json", po::bool_switch(), "print one JSON object instead of the table")
      ("csv", po::value<std::string>(), "also write the curve as CSV to FILE")
      ("json-file", po::value<std::string>(), "also write the --json object to FILE")
      ("plot", po::value<std::string>(), "also plot to FILE.svg or FILE.png (gnuplot)")
      ("pool-chips", po::bool_switch(),
       "also report RTE pooled over chips × mappings (labelled; per-chip series always)")
      ("plot-minmax", po::bool_switch(), "--plot: also draw each series' min–max band")
      ("quiet", po::bool_switch(), "no progress bar")
      ("ecc", po::value<std::string>(),
       "ECC on the weight SRAM: none, parity or secded; a list (none,secded) compares them in one run")
      ("ecc-energy", po::value<std::string>(),
       "ECC logic energy per access × one 64-bit access at Vmin, e.g. secded=0.1,parity=0.01");
  add_sweep_options(o);
  return o;
}

int run_curve(const Args& args, const std::shared_ptr<host::SweepExecutor>& executor) {
  const po::options_description o = curve_options();
  const auto vm = parse("lowvolt curve",
                        "--model M [--model M2 ...] --profile P [--profile P2 ...] [--vdd 1.0:0.7:0.01] "
                        "[--backend torch|golden] [--mappings K] [--budget 1.0] [--json] [--csv F] [--plot F]",
                        o, args);
  if (!vm) return 0;
  host::CurveOptions options;
  if (vm->count("model")) options.models = (*vm)["model"].as<std::vector<std::string>>();
  if (vm->count("profile")) options.profiles = (*vm)["profile"].as<std::vector<std::string>>();
  options.vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  options.backend = (*vm)["backend"].as<std::string>();
  options.mappings = (*vm)["mappings"].as<int>();
  // Points are percentages of test error: "1,2.5" → 0.01, 0.025 (parse_rates checks [0, 1]).
  std::string budgets;
  for (const char c : (*vm)["budget"].as<std::string>()) budgets += c == ',' ? std::string("%,") : std::string(1, c);
  options.budgets = parse_rates("budget", budgets + "%");
  options.data_dir = (*vm)["data"].as<std::string>();
  options.dataset = (*vm)["dataset"].as<std::string>();
  options.source.quant = (*vm)["quant"].as<std::string>();
  options.source.bits = (*vm)["bits"].as<int>();
  options.source.memory = (*vm)["memory"].as<std::string>();
  options.test_subset = (*vm)["test-subset"].as<std::int64_t>();
  options.batch_size = (*vm)["batch-size"].as<std::int64_t>();
  options.instances = (*vm)["instances"].as<int>();
  options.chip_read = (*vm)["chip-read"].as<std::string>();
  if (vm->count("ecc-energy")) {
    as_usage_error("lowvolt curve", [&] {
      options.ecc_energy = host::EccEnergy::parse((*vm)["ecc-energy"].as<std::string>(), "--ecc-energy");
    });
  }
  const bool json = (*vm)["json"].as<bool>();
  options.quiet = (*vm)["quiet"].as<bool>() || json;
  if (options.models.empty()) throw UsageError("lowvolt curve: option '--model' is required");
  if (options.profiles.empty()) throw UsageError("lowvolt curve: option '--profile' is required");
  options.sweep = sweep_context(*vm, "lowvolt curve", executor);
  host::configure_threads(sweep_threads(*vm, options.sweep));
  register_backends();
  as_usage_error("lowvolt curve", [&] { options.validate(); });

  const bool pool_chips = (*vm)["pool-chips"].as<bool>();
  const bool minmax = (*vm)["plot-minmax"].as<bool>();
  if (minmax && !vm->count("plot")) throw UsageError("lowvolt curve: '--plot-minmax' needs '--plot'");
  for (const char* output : {"csv", "plot", "json-file"}) {
    if (vm->count(output)) check_output_path((*vm)[output].as<std::string>());
  }

  std::vector<accelerator::EccMode> ecc_modes;
  if (vm->count("ecc")) {
    as_usage_error("lowvolt curve", [&] {
      ecc_modes = accelerator::parse_ecc_modes((*vm)["ecc"].as<std::string>(), "--ecc");
    });
  }
  const bool ecc = !ecc_modes.empty();
  const host::CurveResult result =
      ecc ? host::sweep_curve_ecc(options, ecc_modes) : host::sweep_curve(options);
  // with --ecc the table and plot name each model's mode (JSON and CSV have an ecc field)
  host::CurveResult labelled = result;
  for (auto& m : labelled.models) {
    if (ecc) m.name = "[" + m.ecc + "] " + m.name;
  }
  if (!options.sweep.output()) return 0;  // MPI: rank 0 writes and prints
  if (vm->count("csv")) write_file_atomic((*vm)["csv"].as<std::string>(), to_csv(result, pool_chips, ecc));
  if (vm->count("json-file")) {
    write_file_atomic((*vm)["json-file"].as<std::string>(),
                      to_json(result, pool_chips, ecc).dump(2) + "\n");
  }
  if (vm->count("plot")) plot_curve(labelled, (*vm)["plot"].as<std::string>(), pool_chips, minmax);
  if (json) {
    print_json(to_json(result, pool_chips, ecc));
  } else {
    print_table(labelled, pool_chips);
    if (ecc) print_ecc_table(result);
  }
  return 0;
}

}  // namespace

void register_curve_command(Registry& registry,
                            const std::shared_ptr<host::SweepExecutor>& executor) {
  registry.add({"curve", "energy/error curves over the supply voltage; pick an operating voltage",
                [executor](const Args& args) { return run_curve(args, executor); }});
}

}  // namespace lowvolt::cli
