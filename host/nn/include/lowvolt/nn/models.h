#pragma once
// The networks LowVolt trains and evaluates. Contract:
//  - Net maps float32 N×C×H×W images to N×classes logits.
//  - Its "memory parameters" — the weights and biases of every convolution and linear layer, in
//    forward order — are what the accelerator stores in its weight SRAM and what quantization and
//    bit errors act on. Normalization parameters stay in floating point on the host side.
//  - Normalization scales are reparameterised as 1 + α' (α' initialised to 0), so clipping every
//    parameter to [-wmax, wmax] still allows the identity (the paper, section 4.2).
//  - Construction draws the initial weights from LibTorch's global generator: call
//    torch::manual_seed first for reproducible weights.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/nn/model_config.h"

namespace lowvolt::host {


/// Normalization (group or batch) followed by the reparameterised affine map (1 + α')·x + β.
struct ReparamNormImpl : torch::nn::Module {
  /// `kind` is "gn" or "bn"; `channels` is the number of feature maps.
  ReparamNormImpl(const std::string& kind, std::int64_t channels);
  torch::Tensor forward(torch::Tensor x);

  std::string kind;          ///< "gn" or "bn"
  std::int64_t groups = 1;   ///< GroupNorm groups (gn only)
  torch::Tensor alpha;       ///< α': scale offset, the scale is 1 + α'
  torch::Tensor beta;        ///< β: shift
  torch::Tensor running_mean;  ///< batch norm running statistics (bn only)
  torch::Tensor running_var;   ///< batch norm running statistics (bn only)
};
TORCH_MODULE(ReparamNorm);

/// 2×2 max pooling with stride 2 (floor mode, as torch::nn::MaxPool2d(2)), computed as two
/// element-wise maxima of strided views: LibTorch 1.13's max_pool2d on NCHW tensors took 35 % of
/// the cnn forward pass, this takes a tenth of that (docs/benchmarks.md). Pooling commutes with
/// ReLU, so the models pool first and rectify the 4× smaller result. With gradients it runs
/// max_pool2d, whose backward is cheaper.
struct MaxPool2Impl : torch::nn::Module {
  torch::Tensor forward(torch::Tensor x);
};
TORCH_MODULE(MaxPool2);

/// MaxPool2's strided form without the gradient switch: 2×2 max pooling, stride 2, floor mode,
/// of an N×C×H×W or C×H×W tensor; the same values as torch::max_pool2d(x, 2). TorchScript
/// models run it in place of their max_pool2d(x, 2) when evaluating (script_model.h).
torch::Tensor max_pool_2x2(torch::Tensor x);

/// relu(max_pool2d(x, 2)) as one autograd operation, for training: the same values and the same
/// input gradient, bit for bit (signed zeros, ties and NaN included), as LibTorch's max_pool2d
/// followed by relu. A float32 N×C×H×W input with H, W ≥ 2; anything else runs those two
/// operators. Forward reads the input once and keeps one byte per output for the backward (the
/// window's argmax and whether the ReLU passed), where max_pool2d keeps an int64 index; backward
/// writes the input gradient in one pass, where max_pool2d's backward zero-fills it and the ReLU's
/// backward is a separate pass (docs/benchmarks.md, "Training step, where the time goes").
torch::Tensor max_pool_2x2_relu(const torch::Tensor& x);

struct ScriptNet;  // a TorchScript module behind a Net (script_net.h)

/// A classifier: a feed-forward network built from a ModelConfig, or a user's TorchScript module
/// (script_model.h). Either way forward() maps images to logits, memory_parameters() are the
/// tensors held in weight memory and parameters() are what an optimizer trains, so evaluation,
/// curves and training see one interface.
struct NetImpl : torch::nn::Module {
  explicit NetImpl(ModelConfig config);
  /// A TorchScript module as a Net (script_model.h): config.arch = "torchscript", the input
  /// shape (config.channels/height/width_px) and classes are 0 (unknown until data is seen); its
  /// parameters and buffers are registered here under their dotted names with '.' → '/', sharing
  /// storage with the module.
  explicit NetImpl(std::shared_ptr<ScriptNet> script);
  /// Logits, N×classes. A TorchScript module's output is checked to be N×classes, else
  /// lowvolt::Error naming its file. With gradients on, a built-in architecture runs each
  /// MaxPool2 that a ReLU follows as one max_pool_2x2_relu (same values and gradients).
  torch::Tensor forward(torch::Tensor x);
  /// Training mode of this module and of the TorchScript module behind it.
  void train(bool on = true) override;

  /// Weights and biases of every conv/linear layer, in forward order (weight before bias).
  std::vector<torch::Tensor> memory_parameters() const;
  /// Names of memory_parameters(), same order ("body.0.weight").
  std::vector<std::string> memory_parameter_names() const;

  ModelConfig config;             ///< what was built
  torch::nn::Sequential body{nullptr};  ///< the layers, in order (built-in architectures)
  std::shared_ptr<ScriptNet> script;    ///< the TorchScript module (TorchScript models), else null
};
TORCH_MODULE(Net);

/// Total number of scalar parameters in memory_parameters() (= weight-memory size in words).
std::int64_t memory_numel(const Net& net);

/// Refuses `images` (N×C×H×W) of another shape than a built-in network's with a lowvolt::Error
/// naming `what` ("test images"). A TorchScript network declares no input shape (channels 0):
/// its forward() checks what it gets.
void check_image_shape(const Net& net, const torch::Tensor& images, const std::string& what);

}  // namespace lowvolt::host
