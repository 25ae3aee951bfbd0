#include "lowvolt/app/profile_app.h"

#include <algorithm>
#include <functional>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/progress.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::host {

namespace lp = lowvolt::profiles;
namespace la = lowvolt::accelerator;

void MeasureRequest::validate() const {
  if (chip.empty()) throw UsageError("option '--chip' is required");
  if (vdds.empty()) throw UsageError("option '--vdd' is required");
  if (out.empty()) throw UsageError("option '--out' is required");
  for (const double v : vdds) {
    profiles::check_supply(v, "option '--vdd'");
  }
}

MeasureReport measure_profile(const MeasureRequest& request) {
  request.validate();
  check_output_path(request.out);
  MeasureReport report;
  report.vdds = request.vdds;
  std::sort(report.vdds.begin(), report.vdds.end(), std::greater<>());
  const lp::Profile chip = lp::read_profile(request.chip);
  const lp::Geometry g = chip.map.geometry();
  if (!(g == la::buffer_geometry())) {
    const auto b = la::buffer_geometry();
    fail(request.chip, ": geometry ", g.arrays, "×", g.rows, "×", g.cols,
         " does not match the accelerator's weight buffer ", b.arrays, "×", b.rows, "×", b.cols);
  }
  report.ecc = request.ecc;
  report.data_cells = g.cells();
  const std::uint32_t check_bits = la::ecc_check_bits(request.ecc);
  report.check_cells = g.arrays * static_cast<std::uint64_t>(g.rows) * check_bits;
  la::AcceleratorConfig config;  // ecc none: the backend exactly as before the option existed
  if (request.ecc != la::EccMode::kNone) config["ecc"] = la::ecc_mode_name(request.ecc);
  const auto accel = la::make_accelerator(request.backend, config);
  report.backend = accel->name();
  accel->load_profile(chip.map);

  std::vector<lp::FailingCell> seen;
  Progress progress("mbist", static_cast<std::int64_t>(report.vdds.size()), request.quiet);
  for (std::size_t i = 0; i < report.vdds.size(); ++i) {
    accel->set_vdd(report.vdds[i]);
    MeasureVoltage v;
    v.vdd = report.vdds[i];
    for (const la::MbistRecord& r : accel->mbist()) {
      if (r.cell >= report.data_cells) {  // check cell c of word w: data cells + w × 8 + c
        const std::uint64_t check_index = r.cell - report.data_cells;
        if (check_index >= g.arrays * static_cast<std::uint64_t>(g.rows) * la::kEccCheckColumns ||
            check_index % la::kEccCheckColumns >= check_bits) {
          fail(report.backend, " backend: MBIST reported cell ", r.cell,
               ", not a data cell or a check cell of ECC mode ", la::ecc_mode_name(request.ecc));
        }
        ++v.check_failing;
        continue;
      }
      ++v.data_failing;
      lp::FailingCell cell;
      cell.vdd = report.vdds[i];
      cell.array = r.cell / (g.rows * g.cols);
      cell.row = (r.cell / g.cols) % g.rows;
      cell.col = r.cell % g.cols;
      if (r.saw_0to1) {
        cell.zero_to_one = true;
        seen.push_back(cell);
      }
      if (r.saw_1to0) {
        cell.zero_to_one = false;
        seen.push_back(cell);
      }
    }
    report.voltages.push_back(v);
    progress.update(static_cast<std::int64_t>(i + 1),
                    "at " + std::to_string(report.vdds[i]).substr(0, 5) + " × Vmin");
  }
  progress.finish();
  lp::ImportOptions options;
  options.geometry = g;
  options.sigma_n = lp::code_volts(chip.map.sigma_code());
  options.seed = chip.map.seed();
  report.measured = lp::import_failing_cells(
      seen, options, "measured by MBIST (March C-) on the " + report.backend + " backend from " + request.chip);
  report.measured.energy = chip.energy;
  report.observations = seen.size();
  if (check_bits > 0) {
    // what the measured profile predicts for the check cells: the check cells every user of the
    // .lvp derives from it (golden, rtl, curve --ecc), faulty at the supply in the persistent
    // view (vc > vdd), the mode's columns only
    const lp::CellMap check = la::ecc_check_cells(report.measured.map);
    for (MeasureVoltage& v : report.voltages) {
      const std::uint16_t code = lp::vdd_code(v.vdd);
      for (std::uint64_t i = 0; i < check.geometry().cells(); ++i) {
        v.check_predicted += i % la::kEccCheckColumns < check_bits && check.vc()[i] > code;
      }
    }
  }
  lp::write_profile(request.out, report.measured);
  return report;
}

CompareReport compare_profiles(const CompareRequest& request) {
  const lp::Profile a = lp::read_profile(request.a);
  const lp::Profile b = lp::read_profile(request.b);
  if (!(a.map.geometry() == b.map.geometry())) fail(request.b, ": geometry differs from ", request.a);
  std::vector<std::uint16_t> codes;
  for (const double v : request.vdds) {
    profiles::check_supply(v, "option '--vdd'");
    codes.push_back(lp::vdd_code(v));
  }
  if (codes.empty()) {
    for (const auto* p : {&b, &a}) {
      if (!codes.empty()) break;
      for (const auto& obs : p->observations) codes.push_back(obs.vdd);
    }
    if (codes.empty()) throw UsageError("neither profile has observed voltages; give --vdd");
  }
  std::sort(codes.begin(), codes.end(), std::greater<>());

  CompareReport report;
  report.a = request.a;
  report.b = request.b;
  report.persistent_agree = true;
  const std::int32_t lo = lp::min_noise(a.map.sigma_code());
  const std::int32_t hi = lp::max_noise(a.map.sigma_code());
  const auto cells = a.map.geometry().cells();
  for (const std::uint16_t code : codes) {
    CompareVoltage v;
    v.vdd = lp::code_volts(code);
    std::uint64_t kind_match = 0;
    for (std::uint64_t i = 0; i < cells; ++i) {
      const std::int32_t vc = a.map.vc()[i];
      const bool fa = vc > code;
      const bool fb = b.map.vc()[i] > code;
      v.failing_a += fa;
      v.failing_b += fb;
      if (fa && fb) {
        ++v.both;
        kind_match += a.map.kind()[i] == b.map.kind()[i];
      }
      if (vc + lo > static_cast<std::int32_t>(code)) {
        ++v.always_failing_a;
        v.always_failing_found_in_b += fb;
      } else if (vc + hi <= static_cast<std::int32_t>(code)) {
        v.never_failing_a_reported_in_b += fb;
      } else {
        ++v.intermittent_a;
        v.intermittent_found_in_b += fb;
      }
    }
    v.ber_a = static_cast<double>(v.failing_a) / static_cast<double>(cells);
    v.ber_b = static_cast<double>(v.failing_b) / static_cast<double>(cells);
    v.kind_agreement = v.both ? static_cast<double>(kind_match) / static_cast<double>(v.both) : 1.0;
    v.persistent_agree = v.always_failing_found_in_b == v.always_failing_a && v.never_failing_a_reported_in_b == 0;
    report.persistent_agree = report.persistent_agree && v.persistent_agree;
    report.voltages.push_back(v);
  }
  return report;
}

}  // namespace lowvolt::host
