#pragma once
// How sweep_curve() runs one model under a chip's faults. Contract: a CurveBackend is made for
// one model and one test set; clean_error() is the test error without faults; error(masks,
// offset) is the test error with the model's flat code stream placed at bit `offset` of the
// chip whose faults at one supply are `masks` — or std::nullopt when no mapped cell is faulty
// (then the caller uses the clean error). "torch" is fake quantization in LibTorch; every other
// name is an accelerator backend from lowvolt::accelerator's registry ("golden" always; "rtl"
// once the program has called sim::register_rtl_backend()). An unknown name is a
// lowvolt::Error listing the known ones.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::host {

/// One model evaluated under chip faults.
class CurveBackend {
 public:
  virtual ~CurveBackend() = default;
  /// Test error without bit errors (fraction).
  virtual double clean_error() = 0;
  /// Test error with the weights held by chip `map` at mapping `offset` (bits), read through
  /// `masks` (the map's faults at one supply); nullopt when no mapped cell can be faulty.
  virtual std::optional<double> error(const profiles::CellMap& map,
                                      const profiles::FaultMasks& masks, std::uint64_t offset) = 0;
  /// 64-bit weight-SRAM reads per inference, when the backend counts them (else 0).
  virtual std::uint64_t weight_reads() const = 0;
};

/// Whether `name` is a curve backend ("torch" or a registered accelerator backend).
bool curve_backend_known(const std::string& name);
/// The known backend names, comma-separated.
std::string curve_backend_names();
/// The backend `name` for one model and test set, with `instances` accelerator instances
/// (CurveOptions::instances) and ECC `ecc` on the weight SRAM (every backend reads the codes
/// through data and check cells and decodes them); `history`: how the torch backend reads the
/// chip (CurveOptions::chip_read; golden and rtl model every access). Throws lowvolt::Error for
/// an unknown name.
std::unique_ptr<CurveBackend> make_curve_backend(
    const std::string& name, const Model& model, const Dataset& test, std::int64_t batch_size,
    int instances, accelerator::EccMode ecc = accelerator::EccMode::kNone,
    const profiles::ReadHistory& history = {});

}  // namespace lowvolt::host
