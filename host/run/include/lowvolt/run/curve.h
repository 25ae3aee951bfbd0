#pragma once
// Energy/error curves: sweep the supply voltage of a chip's weight SRAM and measure, per voltage,
// the chip's bit error rate, the weight memory's energy per inference and the robust test error
// of one or more quantized models whose weights sit in that memory. Contract:
//  - Voltages are × Vmin (1.0 = Vmin, the nominal lowest safe supply; energy is normalised to
//    one inference at 1.0). Error rates and test errors are fractions (0.01 = 1 %).
//  - Samples at a voltage are chips × mappings: mapping k of a chip lays the model's codes out as
//    the accelerator does (accelerator::WeightImage: tile order, linear from cell offset
//    k·⌊cells/K⌋, wrapping over the memory), for every backend, so a chip at a supply hits the
//    same weight bits in `torch` as on `golden`/`rtl` (persistent faults exactly; intermittent
//    cells: `torch` reads the image as written at read count 0 and read at 1, the accelerator's
//    per-read statistics, or as a static snapshot with chip_read = "snapshot"; the accelerators
//    at their real read counts, one chip's access history). The same (chip, mapping) is used at
//    every voltage, so the errors of a sample are nested across voltages (a superset at a lower
//    supply) for persistent cells.
//  - A sample whose mapped cells hold no fault at a voltage has exactly the clean test error and
//    is not re-run. The clean error TE is the quantized model's error without bit errors.
//  - Per (model, chip) series (the default view): at each voltage the statistics over that
//    chip's K mappings. Pooled (only on request, `--pool-chips`): over chips × mappings. Chips
//    differ in kind (random vs column-aligned failures), so a pooled band describes none of them.
//  - The operating point of a series for a budget b is the lowest voltage v of the grid such that
//    at v and at every higher grid voltage the mean RTE is within b of TE; energy saved there is
//    1 − E(v)/E(1.0). One operating point per budget, per series and for the pooled view.
//  - Same inputs → same numbers bit for bit (no random draws: errors come from the profiles).
//  - The sweep is a list of work units (sweep_units.h): per model its clean pass, then one unit
//    per (chip, voltage, mapping); each builds its own accelerator, so its result depends on the
//    unit alone and the outputs are the same whichever MPI rank runs it (docs/cluster.md). With
//    --journal the finished units are recorded and a rerun skips them. On an MPI rank other than
//    0 sweep_curve() returns without models (rank 0 reports).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lowvolt/io/model_source.h"
#include "lowvolt/run/ecc_model.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::host {

/// Statistics of the test error over the samples (chips × mappings) at one voltage.
struct CurvePoint {
  double vdd = 0.0;     ///< supply, × Vmin
  double mean = 0.0;    ///< mean test error over samples (the RTE)
  double std = 0.0;     ///< standard deviation over samples (n − 1 denominator; 0 for n = 1)
  double min = 0.0;     ///< lowest test error of a sample
  double max = 0.0;     ///< highest test error of a sample
  int samples = 0;      ///< chips × mappings
  std::vector<double> errors;  ///< test error per sample, chip-major
  /// Effective error rate: the fraction of the model's stored weight bits that a read returns
  /// wrong, mean over the samples, for the weight image written and read as the torch backend's
  /// ReadHistory says (CurveOptions::chip_read; for golden/rtl the default history: the
  /// accelerator's per-read rate in expectation). Above the chip's BER on chips with
  /// intermittent stuck cells (stuck values caught at writes), below it where stuck cells hold
  /// their stuck value anyway.
  double read_ber = 0.0;
  /// The part of read_ber that only the stuck values caught at the write explain (a read at the
  /// same read count without the write would return these bits right), fraction of weight bits.
  double write_ber = 0.0;
};

/// The lowest voltage that keeps a model's RTE within a budget.
struct OperatingPoint {
  double budget = 0.0;        ///< allowed RTE − TE, fraction
  bool found = false;         ///< whether some grid voltage meets the budget
  double vdd = 0.0;           ///< lowest voltage meeting it (see contract), × Vmin
  double rte = 0.0;           ///< mean RTE there, fraction
  double energy_saved = 0.0;  ///< 1 − E(v)/E(1.0) there, fraction
};

/// One model on one chip: statistics over the chip's mapping offsets.
struct ChipSeries {
  std::string chip;                       ///< profile file name (ChipCurve::name)
  std::vector<CurvePoint> points;         ///< one per voltage, grid order; samples = mappings
  std::vector<OperatingPoint> operating;  ///< one per budget, in the order given
};

/// One model's curve.
struct ModelCurve {
  std::string name;               ///< model file name
  std::string ecc = "none";       ///< ECC mode of the weight SRAM (accelerator::ecc_mode_name)
  std::vector<double> energy;     ///< per voltage: energy per inference with this ECC mode, × E at 1.0 without ECC
  std::string quant;              ///< quantization scheme name and bits ("rquant/8")
  double clean_error = 0.0;       ///< TE of the quantized model, no bit errors
  std::vector<ChipSeries> series; ///< one per chip, in profile order
  std::vector<CurvePoint> points; ///< pooled over chips × mappings, one per voltage, grid order
  std::vector<OperatingPoint> operating;  ///< pooled, one per budget, in the order given
};

/// One chip's word error rates along the grid under one ECC mode (ecc_model.h).
struct ChipEccCurve {
  std::string ecc;                  ///< ECC mode name
  std::vector<EccWordRates> rates;  ///< per voltage
};

/// One chip's bit error rate along the grid.
struct ChipCurve {
  std::string name;         ///< profile file name
  std::vector<double> ber;  ///< fraction of faulty cells (persistent view) per voltage
  std::vector<ChipEccCurve> ecc;  ///< word error rates, one per ECC mode swept (64-column chips)
};

/// The result of sweep_curve().
struct CurveResult {
  std::string backend;              ///< "torch" or "golden"
  std::vector<double> vdds;         ///< the grid, × Vmin
  std::vector<double> energy;       ///< weight-memory energy per inference, × E at 1.0 × Vmin
                                    ///< (of the first ECC mode; ModelCurve::energy per mode)
  std::vector<ChipCurve> chips;     ///< one per profile
  std::vector<ModelCurve> models;   ///< one per model
  std::vector<double> budgets;      ///< allowed RTE − TE, fractions
  int mappings = 0;                 ///< K
  std::int64_t test_images = 0;     ///< images per test pass
  std::uint64_t weight_reads = 0;   ///< 64-bit weight-SRAM reads per inference (0: not counted)
  double seconds = 0.0;             ///< wall time, in seconds
};

/// Options of sweep_curve().
struct CurveOptions {
  std::vector<std::string> models;    ///< model files (.lvm or TorchScript, model_source.h)
  ModelSource source;                 ///< how TorchScript models are read (quantization, memory)
  std::string dataset;                ///< data set name or .pt file; "" = each model's own
  std::vector<std::string> profiles;  ///< chip profiles (.lvp)
  std::vector<double> vdds;           ///< voltage grid, × Vmin, in (0, 2]
  std::string backend = "torch";      ///< "torch" (fake quantization), "golden" or "rtl" (accelerator)
  int mappings = 3;                   ///< K ≥ 1 mapping offsets per chip
  std::vector<double> budgets{0.01};  ///< allowed RTE − TE values (0.01 = 1 point)
  std::string data_dir;               ///< MNIST-format folder; "" = the model's default data set
  std::int64_t test_subset = 0;       ///< first N test images (0 = all)
  /// Images per forward pass; 0 = kEvalBatch (100, evaluate.h) for torch, 1 000 for golden/rtl
  /// (whose read counts, and so their intermittent-cell draws, follow the batches).
  std::int64_t batch_size = 0;
  /// Accelerator instances (golden/rtl) sharing the test set, each in its own thread; 0 = auto
  /// (2 for golden, 1 for rtl, which elaborates once per process). A speed knob only: the
  /// instances reproduce one chip's access history (accel_inference.h), so results do not
  /// depend on it.
  int instances = 0;
  /// How the torch backend reads the chip (profiles::ReadHistory): "history" (default: the
  /// codes written at read count 0 and read at 1, the accelerator's per-read statistics,
  /// stuck values caught at writes included) or "snapshot" (one read at read count 0 and no
  /// write: the paper's static fixed-pattern semantics, biased low on chips with intermittent
  /// cells, docs/memory-model.md). golden and rtl model every write and read themselves.
  std::string chip_read = "history";
  bool quiet = false;                 ///< no progress output
  SweepContext sweep;                 ///< where the units run (default: this process, no journal)
  /// ECC on the weight SRAM (ecc.h): codes are read through data and check cells and decoded by
  /// every backend; energies include the check bits and the logic (ecc_model.h).
  accelerator::EccMode ecc = accelerator::EccMode::kNone;
  EccEnergy ecc_energy;               ///< ECC logic energy per access (ecc_model.h)

  /// Throws lowvolt::Error naming the option when a value is out of range.
  void validate() const;
  /// The torch backend's ReadHistory of `chip_read` (validated first).
  profiles::ReadHistory read_history() const;
};

/// Operating points (see the contract) of a curve with `points` along `vdds` (any order),
/// `energy` per voltage (× E at 1.0) and clean error `clean`, one per budget in `budgets`.
std::vector<OperatingPoint> operating_points(const std::vector<CurvePoint>& points,
                                             const std::vector<double>& vdds,
                                             const std::vector<double>& energy, double clean,
                                             const std::vector<double>& budgets);

/// Runs the sweep (see the contract above). Throws lowvolt::Error on unreadable files, a model
/// with more than 8 bits per weight, or a model larger than a chip.
CurveResult sweep_curve(const CurveOptions& options);

}  // namespace lowvolt::host
