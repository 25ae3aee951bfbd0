#pragma once
// A model as evaluation, curves and training see it. Contract:
//  - A model is a file: a LowVolt model file (.lvm, model_file.h) or a TorchScript archive
//    (script_model.h), told apart by content, not by name. Both become a Model: a Net, the
//    quantization scheme of its weight memory and its recorded training options and metrics.
//  - A TorchScript file has no header: its scheme comes from ModelSource (default rquant, 8 bits),
//    or from the "lowvolt.json" record LowVolt writes into the files it trains, unless the
//    caller sets one. A .lvm file carries its own scheme; overriding it is a UsageError.
//  - Data: a named data set (data.h) or a tensor file (tensor_data.h); check_data_fits() runs one
//    image through the model before any long work, so a shape or label mismatch is an error
//    naming the data set and the model file, not a LibTorch message an hour later.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lowvolt/io/data.h"
#include "lowvolt/io/model_source.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"

namespace lowvolt::host {

/// A model as evaluation, curves and training see it.
struct Model {
  std::string path;                             ///< the file it came from
  std::string format;                           ///< "lvm" or "torchscript"
  Net net{nullptr};                             ///< the network (eval mode after loading)
  QuantScheme quant;                            ///< scheme of its weight memory
  std::string memory = "layers";                ///< memory rule ("layers" for every .lvm)
  std::map<std::string, std::string> training;  ///< recorded training options (may be empty)
  std::map<std::string, double> metrics;        ///< recorded metrics (may be empty)

  /// Architecture: the .lvm's ("cnn") or "torchscript".
  std::string arch() const;
  /// The data set it was trained on ("" when not recorded).
  std::string dataset() const;
  /// Its weight memory, tensor by tensor, in memory order.
  std::vector<MemoryEntry> memory_map() const;
};

/// Loads a model file (see the contract).
Model load_model(const std::string& path, const ModelSource& source = {});

/// Writes `model` to `path` atomically in its format: a .lvm file (its net, scheme, training
/// options and metrics) or a TorchScript archive with LowVolt's "lowvolt.json" record.
void save_model(const Model& model, const std::string& path);

/// The name of the data set a command uses: `dataset` when given (a name or a .pt file,
/// tensor_data.h); else, for a test set, the test file the model was trained with
/// ("test_dataset"); else the data set it was trained on; else fashion-mnist.
std::string model_dataset_name(const Model& model, const std::string& dataset, bool train);

/// The data set model_dataset_name() names: its training or test split, the first `subset`
/// examples (0 = all).
Dataset model_dataset(const Model& model, const std::string& dataset, const std::string& data_dir,
                      bool train, std::int64_t subset);

/// Checks that `data` fits `model` before long work: one image through forward() (a shape the
/// model cannot take is a lowvolt::Error naming `data_name`), labels below the output width.
void check_data_fits(Model& model, const Dataset& data, const std::string& data_name);

}  // namespace lowvolt::host
