// One energy/error sweep per ECC mode, merged (curve_ecc.h).
#include "lowvolt/run/curve_ecc.h"

#include <algorithm>

#include "lowvolt/common/error.h"

namespace lowvolt::host {

namespace acc = lowvolt::accelerator;

CurveResult sweep_curve_ecc(const CurveOptions& options, const std::vector<acc::EccMode>& modes) {
  if (modes.empty()) fail("--ecc: no ECC mode given");
  for (std::size_t i = 0; i < modes.size(); ++i) {
    if (std::find(modes.begin(), modes.begin() + static_cast<std::ptrdiff_t>(i), modes[i]) !=
        modes.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail("--ecc: ECC mode '", acc::ecc_mode_name(modes[i]), "' is listed twice");
    }
  }
  CurveResult merged;
  std::vector<CurveResult> runs;
  for (const acc::EccMode mode : modes) {
    CurveOptions o = options;
    o.ecc = mode;
    runs.push_back(sweep_curve(o));
  }
  merged = runs.front();
  merged.models.clear();
  for (auto& chip : merged.chips) chip.ecc.clear();
  merged.seconds = 0.0;
  for (const auto& run : runs) merged.seconds += run.seconds;
  for (std::size_t m = 0; m < runs.front().models.size(); ++m) {
    for (const auto& run : runs) merged.models.push_back(run.models.at(m));
  }
  for (std::size_t c = 0; c < merged.chips.size(); ++c) {
    for (const auto& run : runs) {
      const auto& e = run.chips.at(c).ecc;
      merged.chips[c].ecc.insert(merged.chips[c].ecc.end(), e.begin(), e.end());
    }
  }
  return merged;
}

}  // namespace lowvolt::host
