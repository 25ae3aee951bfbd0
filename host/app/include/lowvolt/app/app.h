#pragma once
// The application layer: what `lowvolt eval` and `lowvolt train` do, as library functions with an
// options struct in and a result struct out (`lowvolt curve` is host::sweep_curve, curve.h). The
// command line parses options, calls one of these and prints the result; the MPI sweeps and the
// Python module call the same functions. Contract:
//  - Models are read through model_source.h (a .lvm file or a TorchScript archive, one Model).
//  - Every option and every combination is checked (validate()) before any file is read, and
//    every input before the long work starts: the data set's image shape against the model (one
//    forward pass of one image) and its labels against the model's classes.
//  - Errors are lowvolt::Error naming the file and key, or lowvolt::UsageError naming the option
//    (`lowvolt` exits 1 or 2). Nothing is written on an error.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lowvolt/io/model_source.h"
#include "lowvolt/nn/model_config.h"
#include "lowvolt/nn/quant_scheme.h"
#include "lowvolt/run/curve.h"
#include "lowvolt/run/eval_types.h"
#include "lowvolt/run/train_options.h"

namespace lowvolt::host {

/// Options of run_evaluation().
struct EvalRequest {
  std::string model;             ///< model file (.lvm or TorchScript)
  ModelSource source;            ///< how to read it
  std::string dataset;           ///< data set name or .pt file; "" = the model's own
  std::string data_dir;          ///< folder of a named data set; "" = the default
  std::int64_t test_subset = 0;  ///< first N test images (0 = all)
  std::string errors = "random"; ///< "random", "own-pattern" (PattBET) or "pattern-file"
  std::string pattern_file;      ///< with errors = "pattern-file"
  EvalOptions eval;              ///< rates, samples, seed, batch size, delta, quiet

  /// Throws lowvolt::UsageError naming the option on a bad value or combination.
  void validate() const;
};

/// The result of run_evaluation().
struct EvalReport {
  std::string model;                 ///< model file
  std::string format;                ///< "lvm" or "torchscript"
  std::string arch;                  ///< Model::arch()
  std::string quant;                 ///< scheme name ("rquant")
  std::string memory;                ///< memory rule
  std::vector<MemoryEntry> memory_map;  ///< weight memory, tensor by tensor
  std::string dataset;               ///< data set used
  std::string errors;                ///< the error source (EvalRequest::errors)
  EvalResult result;                 ///< TE, RTE per rate, timing
};

/// TE and RTE of a model under random bit errors, its own PattBET pattern or a pattern file.
EvalReport run_evaluation(const EvalRequest& request);

/// Options of run_profile_evaluation(): `lowvolt eval --profile`, a model under a chip's faults
/// at each supply over K mapping offsets, on any curve backend (curve.h does the work).
struct ProfileEvalRequest {
  std::string model;               ///< model file (.lvm or TorchScript)
  ModelSource source;              ///< how to read it
  std::string profile;             ///< chip profile (.lvp)
  std::vector<double> vdds;        ///< supplies, × Vmin
  std::string backend = "torch";   ///< "torch", "golden" or "rtl" (curve.h)
  int mappings = 3;                ///< mapping offsets K (the samples)
  std::string dataset;             ///< data set name or .pt file; "" = the model's own
  std::string data_dir;            ///< folder of a named data set; "" = the default
  std::int64_t test_subset = 0;    ///< first N test images (0 = all)
  std::int64_t batch_size = 0;     ///< images per forward pass; 0 = the backend's default
  int instances = 0;               ///< golden/rtl: accelerator instances; 0 = the backend's default
  std::string chip_read = "history";  ///< torch: how the chip is read (CurveOptions::chip_read)
  bool quiet = false;              ///< no progress output
  SweepContext sweep;              ///< where the units run (CurveOptions::sweep)

  /// The sweep it runs: one model, one chip, these supplies.
  CurveOptions curve_options() const;
  /// Throws lowvolt::UsageError naming the option on a bad value or combination.
  void validate() const;
};

/// The model under the chip's faults (see ProfileEvalRequest): the one model's curve.
CurveResult run_profile_evaluation(const ProfileEvalRequest& request);

/// Options of run_training().
struct TrainRequest {
  std::string out;               ///< model file to write: .lvm, or TorchScript when `init` is one
  std::string init;              ///< start from this TorchScript model ("" = a new built-in Net)
  ModelSource source;            ///< how to read `init` (its scheme is TrainOptions::quant)
  ModelConfig config;            ///< built-in architecture (input shape filled from the data)
  std::string dataset = "fashion-mnist";  ///< name or .pt file of the training set
  std::string test_dataset;      ///< name or .pt file of the test set; "" = `dataset`'s test split
  std::string data_dir;          ///< folder of named data sets; "" = the default
  std::int64_t train_subset = 0; ///< first N training images (0 = all)
  std::int64_t test_subset = 0;  ///< first N test images (0 = all)
  std::string augment = "auto";  ///< "on", "off" or "auto" (on for cifar10)
  std::string save_pattern;      ///< PattBET: also write the pattern here ("" = no)
  TrainOptions train;            ///< method, quantization, schedule, seed, checkpoint

  /// Sets train.quant: the scheme `name` ("" = the default: rquant when training starts from a
  /// TorchScript model, `init`, else normal) with `bits` and the reference `variants` ("" =
  /// none), clipped like the training to train.wmax (set it first). lowvolt::UsageError naming
  /// the option on a bad value.
  void set_quantization(const std::string& name, int bits, const std::string& variants);
  /// The checkpoint file when none is named: <out>.ckpt.
  std::string default_checkpoint() const { return out + ".ckpt"; }
  /// Throws lowvolt::UsageError naming the option on a bad value or combination. (Output paths
  /// are checked by run_training() before any work: lowvolt::Error naming the path.)
  void validate() const;
};

/// The result of run_training().
struct TrainReport {
  std::string out;                   ///< file written
  std::string format;                ///< "lvm" or "torchscript"
  std::string arch;                  ///< architecture trained
  std::int64_t memory_words = 0;     ///< weights in memory
  std::int64_t train_size = 0;       ///< training images
  std::int64_t test_size = 0;        ///< test images
  std::vector<EpochStats> history;   ///< every epoch
  ErrorStats test;                   ///< quantized clean test error after training
  double seconds = 0.0;              ///< wall time, in seconds
};

/// Trains a model (see TrainRequest) and writes it. `on_start` is called once the model and data
/// are ready (the report's arch, memory_words and sizes filled), `on_epoch` after every epoch.
TrainReport run_training(const TrainRequest& request,
                         const std::function<void(const TrainReport&)>& on_start = {},
                         const std::function<void(const EpochStats&)>& on_epoch = {});

}  // namespace lowvolt::host
