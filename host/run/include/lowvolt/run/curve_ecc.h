#pragma once
// Energy/error curves with ECC on the weight SRAM: one sweep_curve() per ECC mode, merged. Every
// mode sees the same chips, mappings and test images, so the modes compare sample by sample.
// The energy and word error rates of each mode: ecc_model.h.
#include <vector>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/run/curve.h"

namespace lowvolt::host {

/// Runs `options` once per ECC mode of `modes` (non-empty, distinct; options.ecc is ignored) and
/// merges the results: models model-major, mode-minor (ModelCurve::ecc, ModelCurve::energy),
/// every chip's ChipCurve::ecc one entry per mode, CurveResult::energy that of modes.front().
CurveResult sweep_curve_ecc(const CurveOptions& options,
                            const std::vector<accelerator::EccMode>& modes);

}  // namespace lowvolt::host
