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

#include "lowvolt/io/data.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"
#include "lowvolt/run/train_options.h"

namespace lowvolt::host {

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

/// A chip's fixed PattBET errors: a weight memory's codes in, the codes the chip reads out
/// (ChipPattern::apply, chip/chip_pattern.h, bound by the caller to the chip of
/// TrainOptions::pattern_profile).
using ChipErrors = std::function<torch::Tensor(const torch::Tensor& codes)>;

/// Trains `net` on `data` in place; calls `on_epoch` after each epoch (also for epochs replayed
/// from a checkpoint's history). Returns the stats of all epochs. PattBET on a chip
/// (options.pattern_profile set) needs `chip_errors`: training reads no chip itself.
std::vector<EpochStats> train(Net& net, const Dataset& data, const TrainOptions& options,
                              const std::function<void(const EpochStats&)>& on_epoch = {},
                              const ChipErrors& chip_errors = {});

}  // namespace lowvolt::host
