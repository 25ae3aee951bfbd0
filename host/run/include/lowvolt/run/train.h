#pragma once
// Training: quantization-aware training with weight clipping, random bit error training (RandBET)
// and fixed-pattern bit error training (PattBET), as in Stutz et al. (MLSys 2021). Contract:
//  - Every step runs forward/backward on the dequantized weights of the current float weights
//    (straight-through): the gradient is applied to the float weights, which are then clipped to
//    [-wmax, wmax] when wmax > 0 (all parameters, normalization α' and β included).
//  - RandBET (Algorithm 1): clip, quantize, clean forward/backward, forward/backward on the codes
//    with fresh random bit errors at rate p, average the two gradients, update. Injection starts
//    at the step after the first whose clean loss is below `start_loss` and never stops
//    (start_rule "once", the default). Reference-code details, each off by default
//    (docs/quantization-variants.md): start_rule "every-step" decides before every step, from the
//    previous step's losses, as the paper's code's average_simple_curriculum (inject iff clean
//    loss < 1.15·start_loss and (clean + perturbed loss)/2 ≤ start_loss, the perturbed loss 0
//    when the step injected nothing; no injection in the first step); grad_clip > 0 clamps the
//    perturbed pass's gradient element-wise to ±grad_clip before averaging (the clean gradient is
//    not clamped); nesterov uses Nesterov momentum.
//  - Chip-specific PattBET (pattern_profile set): the fixed pattern is a chip profile's faults at
//    pattern_vdd through mapping pattern_mapping of pattern_mappings, laid out exactly as
//    `lowvolt curve` lays out the weights (chip_pattern.h); p is not used then.
//  - PattBET: the same with one fixed error pattern at rate p, drawn once from pattern_seed().
//  - Determinism: initial weights come from torch::manual_seed(seed); epoch e shuffles (and
//    augments) with its own generator seeded from (seed, e); the bit errors of step b of epoch e
//    come from (seed, e, b). With the same thread count, the same options give the same weights
//    bit for bit, and resuming from an epoch checkpoint gives the weights of an uninterrupted run.
//  - A checkpoint (model and optimizer together, plus the epoch, the injection flag and the
//    history) is written atomically after every epoch when a path is set.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/optim/sgd.h>

#include "lowvolt/host/bit_errors.h"
#include "lowvolt/host/data.h"
#include "lowvolt/host/models.h"
#include "lowvolt/host/quantize.h"

namespace lowvolt::host {

/// How to train; every field is a command-line option of `lowvolt train`.
struct TrainOptions {
  std::string method = "normal";  ///< "normal", "randbet" or "pattbet" (clipping: wmax > 0)
  QuantScheme quant = QuantScheme::preset("normal", 8);  ///< quantization of forward passes
  double wmax = 0.0;              ///< clip all parameters to [-wmax, wmax] (weight units); 0 = off
  double p = 0.01;                ///< RandBET/PattBET bit error rate (probability per bit)
  double start_loss = 1.75;       ///< RandBET/PattBET start injecting below this clean loss
  std::string start_rule = "once";  ///< "once" (switch on for good) or "every-step" (reference)
  double grad_clip = 0.0;         ///< clamp perturbed gradients to ±grad_clip (reference 0.05); 0 = off
  bool nesterov = false;          ///< Nesterov momentum (the reference's optimizer)
  std::string pattern_profile;    ///< PattBET: chip profile (.lvp) of the pattern; "" = random
  double pattern_vdd = 0.0;       ///< PattBET on a chip: supply, × Vmin
  int pattern_mapping = 0;        ///< PattBET on a chip: mapping index k (0 ≤ k < pattern_mappings)
  int pattern_mappings = 3;       ///< PattBET on a chip: K, offsets k·⌊cells/K⌋ as `lowvolt curve`
  int epochs = 3;                 ///< passes over the training set
  std::int64_t batch_size = 128;  ///< images per step
  double lr = 0.05;               ///< initial learning rate (×0.1 at 2/5, 3/5, 4/5 of the epochs)
  double momentum = 0.9;          ///< SGD momentum
  double weight_decay = 5e-4;     ///< L2 weight decay
  double label_smoothing = 0.0;   ///< label smoothing of the cross-entropy loss (0..1)
  bool augment = false;           ///< random crop (pad 4) + horizontal flip per image
  std::uint64_t seed = 1;         ///< the one seed of every random draw
  std::string checkpoint;         ///< checkpoint path, written after every epoch; "" = none
  bool resume = false;            ///< continue from `checkpoint` when it exists
  bool quiet = false;             ///< no progress output

  /// Throws lowvolt::Error naming the option and value when an option is out of range.
  void validate() const;
  /// The options as strings, for the model file ("epochs" → "3").
  std::map<std::string, std::string> describe() const;
};

/// What one epoch did.
struct EpochStats {
  int epoch = 0;              ///< 0-based epoch index
  double lr = 0.0;            ///< learning rate used
  double loss = 0.0;          ///< mean clean training loss
  double error = 0.0;         ///< clean training error (fraction)
  double perturbed_loss = 0.0;  ///< mean training loss under bit errors (0 when none injected)
  std::int64_t injected_steps = 0;  ///< steps that ran a bit error forward/backward
  double seconds = 0.0;       ///< wall time of the epoch, in seconds
  double images_per_s = 0.0;  ///< training images per second
};

/// The learning rate of epoch `epoch` of `epochs`: lr × 0.1^k, k = #{j ∈ {2,3,4}: 5·epoch ≥ j·epochs}.
double learning_rate(const TrainOptions& options, int epoch);

/// Seed of PattBET's fixed pattern (derived from options.seed).
std::uint64_t pattern_seed(const TrainOptions& options);

/// PattBET's one fixed error pattern over `net`'s weight memory (words of `bits` bits), drawn at
/// rate p from `seed` (pattern_seed() of the training options, recorded in the model file as
/// "pattern_seed"): training applies it at p, `lowvolt eval --own-pattern` at rates p' ≤ p (a
/// subset of it). The one place that builds the pattern.
RandomBitErrors pattbet_pattern(const Net& net, int bits, double p, std::uint64_t seed);

/// The paper's code's start condition (average_simple_curriculum with threshold `start_loss`):
/// whether the next step injects bit errors after a step with these losses (perturbed_loss = 0
/// when the step injected none).
bool reference_start_condition(double clean_loss, double perturbed_loss, double start_loss);

/// Sets every parameter's gradient to clamp(grad, ±bound) + saved[k] (saved: the clean pass's
/// gradients, undefined where a parameter had none); the reference's gradient clipping of the
/// perturbed pass, with `bound` already scaled like the gradients (½·grad_clip when averaging).
void add_clamped_gradients(const std::vector<torch::Tensor>& params,
                           const std::vector<torch::Tensor>& saved, double bound);

/// The SGD options of training: lr, momentum, weight decay, Nesterov.
torch::optim::SGDOptions sgd_options(const TrainOptions& options);

/// Seed derivation shared by training and evaluation: splitmix64 over the parts.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

/// Trains `net` on `data` in place; calls `on_epoch` after each epoch (also for epochs replayed
/// from a checkpoint's history). Returns the stats of all epochs.
std::vector<EpochStats> train(Net& net, const Dataset& data, const TrainOptions& options,
                              const std::function<void(const EpochStats&)>& on_epoch = {});

}  // namespace lowvolt::host
