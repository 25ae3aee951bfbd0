#pragma once
// How to train (TrainOptions) and what each epoch did (EpochStats), as plain data: the command
// line fills and prints them without LibTorch. Training itself: train.h.
#include <cstdint>
#include <map>
#include <string>

#include "lowvolt/nn/quant_scheme.h"

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

}  // namespace lowvolt::host
