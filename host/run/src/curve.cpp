#include "lowvolt/run/curve.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/chip/chip_read.h"
#include "lowvolt/chip/memory_layout.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/progress.h"
#include "lowvolt/common/stats.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/profiles/mapping.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"
#include "lowvolt/run/curve_backend.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/sweep/sweep_units.h"

namespace lowvolt::host {
namespace {

namespace lp = lowvolt::profiles;

std::string base_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

CurvePoint summarize(double vdd, std::vector<double> errors) {
  CurvePoint point;
  point.vdd = vdd;
  point.samples = static_cast<int>(errors.size());
  const SampleStats stats = sample_stats(errors);
  point.mean = stats.mean;
  point.std = stats.std;
  point.min = stats.min;
  point.max = stats.max;
  point.errors = std::move(errors);
  return point;
}

/// Weight bits of `codes` (flat, m bits each) that the read of `image` through `masks` after
/// `history` returns wrong (first), and those among them that a read at the same read count
/// without the write would return right (second: stuck values caught at the write).
std::pair<std::uint64_t, std::uint64_t> image_wrong_bits(const accelerator::WeightImage& image,
                                                         const std::vector<std::uint8_t>& codes,
                                                         const lp::FaultMasks& masks,
                                                         const lp::ReadHistory& history) {
  const auto mask = static_cast<unsigned>((1u << image.bits()) - 1u);
  const auto wrong_bits = [&](const lp::ReadHistory& h) {
    const lp::CodeFaults faults = image.flat_code_faults(masks, h);
    LV_CHECK(faults.size() == codes.size(), "image " << faults.size() << " vs " << codes.size() << " codes");
    std::uint64_t wrong = 0;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      wrong += static_cast<std::uint64_t>(__builtin_popcount((faults.apply(i, codes[i]) ^ codes[i]) & mask));
    }
    return wrong;
  };
  const std::uint64_t wrong = wrong_bits(history);
  if (history.is_snapshot()) return {wrong, 0};
  return {wrong, wrong - wrong_bits(lp::ReadHistory::snapshot(history.read_r))};
}

/// Fake-quantized LibTorch inference with the codes read through the chip's fault masks. The
/// weights sit in the chip exactly as on the accelerator (accelerator::WeightImage: tile order,
/// linear from the mapping offset, wrapping over the memory), so a profile at a supply hits the
/// same weight bits as on the golden and rtl backends (persistent faults exactly; intermittent
/// cells written and read as history_ says: by default the accelerator's per-read statistics).
class TorchCurveBackend : public CurveBackend {
 public:
  TorchCurveBackend(const Model& model, const Dataset& test, std::int64_t batch_size,
                    accelerator::EccMode ecc, const lp::ReadHistory& history)
      : history_(history),
        model_(model),
        net_(model.net),
        memory_(model.quant, net_->memory_parameters()),
        test_(test),
        batch_size_(batch_size),
        ecc_(ecc) {
    net_->eval();
    const auto codes = memory_.codes().contiguous();
    clean_codes_.assign(codes.data_ptr<std::uint8_t>(), codes.data_ptr<std::uint8_t>() + codes.numel());
  }

  double clean_error() override { return run(clean_codes_); }

  std::optional<double> error(const lp::CellMap& map, const lp::FaultMasks& masks,
                              std::uint64_t offset) override {
    if (ecc_ != accelerator::EccMode::kNone) return ecc_error(map, masks, offset);
    const lp::CodeFaults faults = layout(offset).flat_code_faults(masks, history_);
    LV_CHECK(faults.size() == clean_codes_.size(),
             "weight image holds " << faults.size() << " codes, memory " << clean_codes_.size());
    std::vector<std::uint8_t> codes = clean_codes_;
    if (lp::apply_code_faults(faults, codes) == 0) return std::nullopt;
    return run(codes);
  }

  std::uint64_t weight_reads() const override { return 0; }

 private:
  /// error() with ECC: the image's words written and read through data and check cells, decoded
  /// (accelerator::ecc_read_image: persistent faults exactly, intermittent cells as history_).
  std::optional<double> ecc_error(const lp::CellMap& map, const lp::FaultMasks& masks,
                                  std::uint64_t offset) {
    if (check_of_ != &map || !check_masks_ || check_masks_->vdd() != masks.vdd()) {
      check_cells_ = std::make_unique<lp::CellMap>(accelerator::ecc_check_cells(map));
      check_masks_ = std::make_unique<lp::FaultMasks>(check_cells_->faults_at(masks.vdd()));
      check_of_ = &map;
    }
    std::vector<std::uint8_t> codes =
        accelerator::ecc_read_image(layout(offset), masks, *check_masks_, ecc_, nullptr, history_);
    if (codes == clean_codes_) return std::nullopt;
    return run(codes);
  }

  /// The accelerator's layout of the weights at `offset` (memory_layout.h), built once per
  /// offset.
  const accelerator::WeightImage& layout(std::uint64_t offset) {
    auto it = layouts_.find(offset);
    if (it == layouts_.end()) {
      it = layouts_
               .emplace(offset, std::make_unique<accelerator::WeightImage>(memory_image(
                                    net_->memory_parameters(), net_->memory_parameter_names(),
                                    clean_codes_, model_.quant.bits, offset)))
               .first;
    }
    return *it->second;
  }

  double run(const std::vector<std::uint8_t>& codes) {
    torch::NoGradGuard no_grad;
    const auto tensor = torch::from_blob(const_cast<std::uint8_t*>(codes.data()),
                                         {static_cast<std::int64_t>(codes.size())}, torch::kUInt8);
    memory_.load(tensor, net_->memory_parameters());
    return test_error(net_, test_, batch_size_).error;
  }

  lp::ReadHistory history_;  // how the chip is read (CurveOptions::chip_read)
  const Model& model_;
  Net net_;
  WeightMemory memory_;
  const Dataset& test_;
  std::int64_t batch_size_;
  std::vector<std::uint8_t> clean_codes_;
  std::map<std::uint64_t, std::unique_ptr<accelerator::WeightImage>> layouts_;
  accelerator::EccMode ecc_;
  const lp::CellMap* check_of_ = nullptr;          // chip the check cells were drawn for
  std::unique_ptr<lp::CellMap> check_cells_;       // its check cells (ecc_check_cells)
  std::unique_ptr<lp::FaultMasks> check_masks_;    // at the last supply
};

/// Whether any cell of the chip can be faulty at the masks' supply.
bool any_fault(const lp::FaultMasks& masks) {
  for (const auto& w : masks.words()) {
    if ((w.flip | w.stuck | w.candidate) != 0) return true;
  }
  return false;
}

/// The accelerator's integer datapath — a registered accelerator::Accelerator backend ("golden",
/// "rtl"; instances and batch from its BackendTraits) — with the chip's fault overlay at the
/// supply; host::AccelInference
/// runs conv/linear layers on it and the rest in LibTorch.
class AccelCurveBackend : public CurveBackend {
 public:
  AccelCurveBackend(std::string backend, int instances, const Model& model,
                    const Dataset& test, std::int64_t batch_size, accelerator::EccMode ecc)
      : backend_(std::move(backend)),
        instances_(instances > 0 ? instances : accelerator::accelerator_traits(backend_).default_instances),
        net_(model.net),
        quant_(model.quant),
        test_(test),
        batch_size_(batch_size),
        ecc_(ecc) {
    net_->eval();
  }

  double clean_error() override {
    AccelInference inference(net_, quant_, options(0, 0.0), nullptr);
    const double e = run(inference);
    std::uint64_t reads = 0;
    for (const auto r : inference.counters().bank_reads) reads += r;
    weight_reads_ = reads / static_cast<std::uint64_t>(std::max<std::int64_t>(1, test_.size()));
    return e;
  }

  std::optional<double> error(const lp::CellMap& map, const lp::FaultMasks& masks,
                              std::uint64_t offset) override {
    if (!any_fault(masks)) return std::nullopt;
    AccelInference inference(net_, quant_, options(offset, lp::code_volts(masks.vdd())), &map);
    return run(inference);
  }

  std::uint64_t weight_reads() const override { return weight_reads_; }

 private:
  AccelInferenceOptions options(std::uint64_t offset, double vdd) const {
    AccelInferenceOptions o;
    o.backend = backend_;
    o.offset = offset;
    o.vdd = vdd;
    o.instances = instances_;
    if (ecc_ != accelerator::EccMode::kNone) o.backend_config["ecc"] = accelerator::ecc_mode_name(ecc_);
    return o;
  }

  double run(AccelInference& inference) {
    return test_error([&](const torch::Tensor& x) { return inference.forward(x); }, test_, batch_size_).error;
  }

  std::string backend_;
  int instances_;
  Net net_;
  QuantScheme quant_;
  const Dataset& test_;
  std::int64_t batch_size_;
  std::uint64_t weight_reads_ = 0;
  accelerator::EccMode ecc_;
};

/// The sweep's units and fingerprint (sweep_units.h): every option and input the results depend
/// on — file digests of models and profiles, a digest of each test set's images and labels.
SweepPlan curve_plan(const CurveOptions& o, const std::vector<Model>& files,
                     const std::vector<lp::Profile>& chips, const std::vector<const Dataset*>& tests) {
  SweepPlan plan;
  plan.kind = "curve";
  std::ostringstream f;
  f << "backend " << o.backend << "\nmappings " << o.mappings << "\nchip_read " << o.chip_read
    << "\nbatch_size " << o.batch_size << "\ntest_subset " << o.test_subset << "\ndataset "
    << o.dataset << "\ndata_dir " << o.data_dir << "\nsource " << o.source.quant << ' '
    << o.source.bits << ' ' << o.source.memory << "\necc " << accelerator::ecc_mode_name(o.ecc) << ' '
    << encode_double(o.ecc_energy.logic(o.ecc)) << "\nvdds";
  for (const double v : o.vdds) f << ' ' << encode_double(v);
  f << '\n';
  for (std::size_t m = 0; m < files.size(); ++m) {
    const Dataset& t = *tests[m];
    const auto images = t.images.contiguous();
    const auto labels = t.labels.contiguous();
    f << "model " << m << ' ' << base_name(o.models[m]) << ' ' << digest_file(o.models[m]) << " quant "
      << files[m].quant.name() << '/' << files[m].quant.bits << " test " << t.size() << ' '
      << digest_bytes(images.data_ptr(), static_cast<std::size_t>(images.nbytes())) << ' '
      << digest_bytes(labels.data_ptr(), static_cast<std::size_t>(labels.nbytes())) << '\n';
  }
  for (std::size_t c = 0; c < chips.size(); ++c) {
    f << "profile " << c << ' ' << base_name(o.profiles[c]) << ' ' << digest_file(o.profiles[c]) << '\n';
  }
  plan.fingerprint = f.str();
  char vdd[32];
  for (std::size_t m = 0; m < files.size(); ++m) {
    const std::string model = "model " + std::to_string(m);
    plan.units.push_back(model + " clean");
    for (std::size_t c = 0; c < chips.size(); ++c) {
      for (const double v : o.vdds) {
        std::snprintf(vdd, sizeof vdd, "%.10g", v);
        for (int k = 0; k < o.mappings; ++k) {
          plan.units.push_back(model + " chip " + std::to_string(c) + " vdd " + vdd + " mapping " +
                               std::to_string(k));
        }
      }
    }
  }
  return plan;
}

}  // namespace

lp::ReadHistory CurveOptions::read_history() const {
  if (chip_read == "history") return lp::ReadHistory{};
  if (chip_read == "snapshot") return lp::ReadHistory::snapshot(0);
  fail("--chip-read: unknown value '", chip_read, "' (known: history, snapshot)");
}

void CurveOptions::validate() const {
  source.validate();
  if (models.empty()) fail("--model: at least one model file is required");
  if (profiles.empty()) fail("--profile: at least one chip profile is required");
  if (vdds.empty()) fail("--vdd: the voltage grid is empty");
  for (const double v : vdds) {
    lp::check_supply(v, "option '--vdd'");
  }
  if (mappings < 1 || mappings > 4096) fail("--mappings: ", mappings, " is outside 1…4096");
  if (budgets.empty()) fail("--budget: no budget given");
  for (const double b : budgets) {
    if (!(b >= 0.0 && b <= 1.0)) fail("--budget: ", 100.0 * b, " points is outside [0, 100]");
  }
  if (test_subset < 0) fail("--test-subset: ", test_subset, " is negative");
  if (batch_size < 0) fail("--batch-size: ", batch_size, " is negative");
  if (instances < 0 || instances > 64) fail("--instances: ", instances, " is outside 0…64");
  if (!curve_backend_known(backend)) {
    fail("--backend: unknown backend '", backend, "' (known: ", curve_backend_names(), ")");
  }
  if (backend != "torch") {  // an accelerator backend: its registered traits
    const int most = accelerator::accelerator_traits(backend).max_instances;
    if (instances > most) {
      fail("--instances: the ", backend, " backend runs ", most == 1 ? std::string("one instance") :
           std::to_string(most) + " instances", " per process at most");
    }
  }
  if (read_history().is_snapshot() && backend != "torch") {
    fail("--chip-read: snapshot is a torch-backend read; ", backend, " models every write and read");
  }
  ecc_energy.validate("--ecc-energy");
}

std::vector<OperatingPoint> operating_points(const std::vector<CurvePoint>& points,
                                             const std::vector<double>& vdds,
                                             const std::vector<double>& energy, double clean,
                                             const std::vector<double>& budgets) {
  LV_CHECK(points.size() == vdds.size() && energy.size() == vdds.size(),
           points.size() << " points, " << vdds.size() << " voltages, " << energy.size() << " energies");
  // Walk down from the highest voltage; stop at the first that breaks the budget.
  std::vector<std::size_t> order(vdds.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return vdds[a] > vdds[b]; });
  std::vector<OperatingPoint> out;
  for (const double budget : budgets) {
    OperatingPoint op;
    op.budget = budget;
    for (const std::size_t i : order) {
      if (points[i].mean > clean + budget + 1e-12) break;
      op.found = true;
      op.vdd = vdds[i];
      op.rte = points[i].mean;
      op.energy_saved = 1.0 - energy[i];
    }
    out.push_back(op);
  }
  return out;
}

namespace {

/// The curve's models, read as `options.source` says; at most 8 bits per weight.
std::vector<Model> load_curve_models(const CurveOptions& options) {
  std::vector<Model> files;
  for (const auto& path : options.models) {
    files.push_back(load_model(path, options.source));
    if (files.back().quant.bits > 8) {
      fail(path, ": curves need weights of at most 8 bits, the model has ", files.back().quant.bits);
    }
  }
  return files;
}

/// The energy per inference along the grid and each chip's BER (and word error rates under the
/// ECC mode) into `result`.
void add_energy_and_chips(CurveResult& result, const CurveOptions& options,
                          const std::vector<lp::Profile>& chips) {
  // Energy per inference ∝ accesses × energy per access; the access count does not depend on the
  // supply, so it cancels in the normalisation to 1.0 × Vmin (leakage, when modelled, does not).
  const lp::EnergyModel& energy = chips.front().energy;
  // With ECC (ecc_model.h): check bits and logic per access, still × no ECC at 1.0 × Vmin.
  for (const double v : options.vdds) {
    result.energy.push_back(ecc_access_energy(energy, v, options.ecc, options.ecc_energy) /
                            energy.access(1.0));
  }

  for (std::size_t c = 0; c < chips.size(); ++c) {
    ChipCurve chip;
    chip.name = base_name(options.profiles[c]);
    const double cells = static_cast<double>(chips[c].map.geometry().cells());
    for (const double v : options.vdds) {
      chip.ber.push_back(static_cast<double>(chips[c].map.count_faulty(lp::vdd_code(v))) / cells);
    }
    if (chips[c].map.geometry().cols == 64) {  // word error rates under the ECC mode
      const lp::CellMap check = accelerator::ecc_check_cells(chips[c].map);
      ChipEccCurve rates;
      rates.ecc = accelerator::ecc_mode_name(options.ecc);
      for (const double v : options.vdds) {
        rates.rates.push_back(chip_word_rates(chips[c].map, check, lp::vdd_code(v), options.ecc));
      }
      chip.ecc.push_back(std::move(rates));
    }
    result.chips.push_back(std::move(chip));
  }
}

/// Every model's test set, read and checked before the sweep starts; models that name the same
/// test set share one (held in `test_sets`).
std::vector<const Dataset*> curve_test_sets(const CurveOptions& options, std::vector<Model>& files,
                                            std::map<std::string, Dataset>& test_sets,
                                            CurveResult& result) {
  // Test sets are shared by models trained on the same data set; every model's is read and
  // checked before the sweep starts.
  std::vector<const Dataset*> tests;
  for (std::size_t m = 0; m < files.size(); ++m) {
    const std::string name = model_dataset_name(files[m], options.dataset, false);
    const std::string key = name + "|" + options.data_dir;
    if (!test_sets.count(key)) {
      test_sets.emplace(key, model_dataset(files[m], name, options.data_dir, false, options.test_subset));
    }
    check_data_fits(files[m], test_sets.at(key), name);
    tests.push_back(&test_sets.at(key));
    result.test_images = tests.back()->size();
  }
  return tests;
}

/// A progress label per unit and each model's clean unit; the MPI dispatch's cost hints.
struct UnitLabels {
  std::vector<std::string> labels;     ///< per unit
  std::vector<std::size_t> clean_unit; ///< per model: the index of its clean unit
};

UnitLabels label_units(SweepPlan& plan, const CurveOptions& options, const CurveResult& result,
                       std::size_t models, std::size_t chips) {
  UnitLabels out;
  out.clean_unit.resize(models);
  for (std::size_t m = 0; m < models; ++m) {
    const std::string name = base_name(options.models[m]);
    out.clean_unit[m] = out.labels.size();
    out.labels.push_back(name + " clean");
    for (std::size_t c = 0; c < chips; ++c) {
      for (std::size_t v = 0; v < options.vdds.size(); ++v) {
        for (int k = 0; k < options.mappings; ++k) {
          out.labels.push_back(name + " on " + result.chips[c].name + " at " +
                               std::to_string(options.vdds[v]).substr(0, 5));
        }
      }
    }
  }
  // Dispatch order under MPI: the lower the supply, the more faulty words a golden run handles.
  for (std::size_t m = 0; m < models; ++m) {
    plan.cost_hint.push_back(1.0);
    for (std::size_t c = 0; c < chips; ++c) {
      for (std::size_t v = 0; v < options.vdds.size(); ++v) {
        for (int k = 0; k < options.mappings; ++k) plan.cost_hint.push_back(1.0 + result.chips[c].ber[v]);
      }
    }
  }
  return out;
}

/// A model's read and write error rates on one chip at one voltage (CurvePoint::read_ber,
/// write_ber), mean over the mappings.
struct ReadRates {
  double read = 0.0, write = 0.0;
};
/// ReadRates by model, chip and voltage.
using ReadRateTable = std::vector<std::vector<std::vector<ReadRates>>>;

/// Effective error rates per (model, chip, voltage): every model's image read after the history
/// at every mapping, mean over the mappings; the masks of a (chip, voltage) are built once for
/// all models. No random draws, a few ms each.
ReadRateTable read_rates(const CurveOptions& options, const std::vector<Model>& files,
                         const std::vector<lp::Profile>& chips,
                         const std::vector<std::vector<std::uint8_t>>& clean_codes) {
  ReadRateTable rates(
      files.size(), std::vector<std::vector<ReadRates>>(
                        chips.size(), std::vector<ReadRates>(options.vdds.size())));
  std::vector<std::map<std::uint64_t, accelerator::WeightImage>> images(files.size());  // by offset
  for (std::size_t c = 0; c < chips.size(); ++c) {
    if (!(chips[c].map.geometry() == accelerator::buffer_geometry())) continue;  // torch only
    for (std::size_t v = 0; v < options.vdds.size(); ++v) {
      const lp::FaultMasks at = chips[c].map.faults_at(lp::vdd_code(options.vdds[v]));
      for (std::size_t m = 0; m < files.size(); ++m) {
        const double bits = static_cast<double>(clean_codes[m].size()) * files[m].quant.bits *
                            static_cast<double>(options.mappings);
        for (int k = 0; k < options.mappings; ++k) {
          const std::uint64_t offset = mapping_offset(chips[c].map.geometry().cells(), k, options.mappings);
          auto it = images[m].find(offset);
          if (it == images[m].end()) {
            it = images[m].emplace(offset, memory_image(files[m].net->memory_parameters(),
                                                        files[m].net->memory_parameter_names(),
                                                        clean_codes[m], files[m].quant.bits, offset))
                     .first;
          }
          const auto [wrong, by_write] = image_wrong_bits(it->second, clean_codes[m], at, options.read_history());
          rates[m][c][v].read += static_cast<double>(wrong) / bits;
          rates[m][c][v].write += static_cast<double>(by_write) / bits;
        }
      }
    }
  }
  return rates;
}

/// Model m's curve from the sweep's unit results (its clean unit, then chip × voltage × mapping).
ModelCurve model_curve(std::size_t m, const CurveOptions& options, const std::vector<Model>& files,
                       std::size_t chips, const SweepPlan& plan, const SweepOutcome& outcome,
                       std::size_t clean_unit, const ReadRateTable& rates, CurveResult& result) {
  ModelCurve curve;
  curve.name = base_name(options.models[m]);
  curve.quant = files[m].quant.name() + "/" + std::to_string(files[m].quant.bits);
  curve.ecc = accelerator::ecc_mode_name(options.ecc);
  curve.energy = result.energy;
  const std::string& clean_text = outcome.results[clean_unit];
  const auto clean_fields = split_fields(clean_text);
  if (clean_fields.size() != 2) fail(plan.units[clean_unit], ": malformed result '", clean_text, "'");
  curve.clean_error = decode_double(clean_fields[0], plan.units[clean_unit]);
  result.weight_reads = std::max<std::uint64_t>(
      result.weight_reads, std::stoull(clean_fields[1]));
  // errors[v] collects one test error per (chip, mapping), chip-major.
  std::vector<std::vector<double>> errors(options.vdds.size());
  std::size_t index = clean_unit + 1;
  for (std::size_t c = 0; c < chips; ++c) {
    for (std::size_t v = 0; v < options.vdds.size(); ++v) {
      for (int k = 0; k < options.mappings; ++k, ++index) {
        const std::string& text = outcome.results[index];
        errors[v].push_back(text == "clean" ? curve.clean_error
                                            : decode_double(text, plan.units[index]));
      }
    }
  }
  const auto per_chip = static_cast<std::size_t>(options.mappings);
  std::vector<double> pooled_read(options.vdds.size(), 0.0), pooled_write(options.vdds.size(), 0.0);
  for (std::size_t c = 0; c < chips; ++c) {
    ChipSeries series;
    series.chip = result.chips[c].name;
    for (std::size_t v = 0; v < options.vdds.size(); ++v) {
      const auto first = errors[v].begin() + static_cast<std::ptrdiff_t>(c * per_chip);
      series.points.push_back(summarize(
          options.vdds[v], std::vector<double>(first, first + static_cast<std::ptrdiff_t>(per_chip))));
      series.points.back().read_ber = rates[m][c][v].read;
      series.points.back().write_ber = rates[m][c][v].write;
      pooled_read[v] += rates[m][c][v].read / static_cast<double>(chips);
      pooled_write[v] += rates[m][c][v].write / static_cast<double>(chips);
    }
    series.operating = operating_points(series.points, options.vdds, result.energy,
                                        curve.clean_error, options.budgets);
    curve.series.push_back(std::move(series));
  }
  for (std::size_t v = 0; v < options.vdds.size(); ++v) {
    curve.points.push_back(summarize(options.vdds[v], std::move(errors[v])));
    curve.points.back().read_ber = pooled_read[v];
    curve.points.back().write_ber = pooled_write[v];
  }
  curve.operating = operating_points(curve.points, options.vdds, result.energy,
                                     curve.clean_error, options.budgets);
  return curve;
}

}  // namespace

CurveResult sweep_curve(const CurveOptions& options) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  CurveResult result;
  result.backend = options.backend;
  result.vdds = options.vdds;
  result.budgets = options.budgets;
  result.mappings = options.mappings;

  std::vector<lp::Profile> chips;
  for (const auto& path : options.profiles) chips.push_back(lp::read_profile(path));
  std::vector<Model> files = load_curve_models(options);
  add_energy_and_chips(result, options, chips);
  std::map<std::string, Dataset> test_sets;
  const std::vector<const Dataset*> tests = curve_test_sets(options, files, test_sets, result);

  // The work units (sweep_units.h): per model its clean pass, then one unit per (chip, voltage,
  // mapping), chip-major — the order one process runs them in. No unit draws random numbers:
  // errors come from the profiles, intermittent cells from the unit's own read counts.
  SweepPlan plan = curve_plan(options, files, chips, tests);
  const UnitLabels units = label_units(plan, options, result, files.size(), chips.size());
  const std::size_t per_model = 1 + chips.size() * options.vdds.size() *
                                        static_cast<std::size_t>(options.mappings);

  // Every model's clean codes, taken before the units run (the torch backend loads read codes
  // into the net's parameters), for the effective error rates.
  std::vector<std::vector<std::uint8_t>> clean_codes;
  for (const auto& file : files) {
    const auto t = WeightMemory(file.quant, file.net->memory_parameters()).codes().contiguous();
    clean_codes.emplace_back(t.data_ptr<std::uint8_t>(), t.data_ptr<std::uint8_t>() + t.numel());
  }

  // Each process builds a model's backend the first time it runs one of its units, and keeps the
  // fault masks of the last (chip, voltage) it saw.
  std::map<std::size_t, std::unique_ptr<CurveBackend>> backends;
  std::optional<std::pair<std::size_t, std::size_t>> masks_of;
  std::optional<lp::FaultMasks> masks;
  const auto backend_for = [&](std::size_t m) -> CurveBackend& {
    auto& b = backends[m];
    if (!b) b = make_curve_backend(options.backend, files[m], *tests[m], options.batch_size, options.instances,
                                   options.ecc, options.read_history());
    return *b;
  };
  const UnitRunner runner = [&](std::size_t index) -> std::string {
    const std::size_t m = index / per_model;
    std::size_t rest = index % per_model;
    CurveBackend& backend = backend_for(m);
    if (rest == 0) {
      const double clean = backend.clean_error();
      return encode_double(clean) + " " + std::to_string(backend.weight_reads());
    }
    rest -= 1;
    const auto k = static_cast<int>(rest % static_cast<std::size_t>(options.mappings));
    rest /= static_cast<std::size_t>(options.mappings);
    const std::size_t v = rest % options.vdds.size();
    const std::size_t c = rest / options.vdds.size();
    if (!masks_of || *masks_of != std::make_pair(c, v)) {
      masks.emplace(chips[c].map.faults_at(lp::vdd_code(options.vdds[v])));
      masks_of = std::make_pair(c, v);
    }
    const std::uint64_t offset = mapping_offset(chips[c].map.geometry().cells(), k, options.mappings);
    const auto e = backend.error(chips[c].map, *masks, offset);
    return e ? encode_double(*e) : std::string("clean");
  };
  Progress progress("curve", static_cast<std::int64_t>(plan.units.size()), options.quiet);
  const SweepOutcome outcome =
      run_sweep(options.sweep, plan, runner, [&](std::size_t done, std::size_t index) {
    progress.update(static_cast<std::int64_t>(done), units.labels[index]);
  });
  if (!outcome.output) return result;  // an MPI rank other than 0: rank 0 reports

  const ReadRateTable rates = read_rates(options, files, chips, clean_codes);  // on rank 0
  for (std::size_t m = 0; m < files.size(); ++m) {
    result.models.push_back(model_curve(m, options, files, chips.size(), plan, outcome,
                                        units.clean_unit[m], rates, result));
  }
  progress.finish();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lowvolt::host

namespace lowvolt::host {

bool curve_backend_known(const std::string& name) {
  return name == "torch" || accelerator::accelerator_known(name);
}

std::string curve_backend_names() {
  std::string names = "torch";
  for (const auto& n : accelerator::accelerator_names()) names += ", " + n;
  return names;
}

std::unique_ptr<CurveBackend> make_curve_backend(const std::string& name, const Model& model,
                                                 const Dataset& test, std::int64_t batch_size,
                                                 int instances, accelerator::EccMode ecc,
                                                 const lp::ReadHistory& history) {
  if (name == "torch") {
    return std::make_unique<TorchCurveBackend>(model, test, batch_size == 0 ? kEvalBatch : batch_size,
                                               ecc, history);
  }
  if (!curve_backend_known(name)) {
    fail("--backend: unknown backend '", name, "' (known: ", curve_backend_names(), ")");
  }
  if (batch_size == 0) batch_size = accelerator::accelerator_traits(name).default_batch;
  return std::make_unique<AccelCurveBackend>(name, instances, model, test, batch_size, ecc);
}

}  // namespace lowvolt::host
