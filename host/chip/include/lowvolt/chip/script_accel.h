#pragma once
// A TorchScript model's forward pass with its convolution and linear layers on the accelerator
// (host::AccelInference) and every other operation in LibTorch. Contract:
//  - The module's forward graph is copied, inlined and constant-folded (the module itself is not
//    changed, nor frozen: bit errors still act on its parameters). Every aten::conv2d and
//    aten::linear node whose weight is a memory tensor (script_model.h) is replaced by a call of
//    the custom operator lowvolt::accel_layer(x, layer), which hands x to the accelerator layer
//    `layer`; LibTorch's graph executor runs everything else (norms, residual adds, pooling,
//    concatenation, activations, reshapes) as in the unmodified module.
//  - Accelerator layers are in memory order: layer l is the l-th weight among the memory
//    tensors, with its bias when the node's bias is the memory tensor right after that weight.
//  - Refused, with a lowvolt::Error naming the node: a memory tensor that no conv2d/linear node
//    uses as its weight (or bias), such as a norm parameter under `--memory all`; a weight used by
//    nodes of different shapes; conv1d/conv3d/transposed convolutions; conv2d with groups ≠ 1,
//    string ("same") padding or non-constant stride/padding/dilation. The accelerator computes
//    dense 2-d convolutions and matrix products only; running such a node on the host would
//    silently leave its weights outside the fault model, so it is an error, not a fallback.
//  - Input encoding: a layer's input is unsigned (uint8) when it is produced by aten::relu
//    through shape and pooling ops only (max/avg/adaptive-avg pooling, flatten, view, reshape,
//    contiguous, dropout), or is the graph input and `nonnegative_input` holds; else int8 —
//    the rule AccelInference applies to built-in networks.
#include <torch/types.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/accelerator/tiler.h"
#include "lowvolt/nn/models.h"

namespace lowvolt::host {

/// One accelerator layer of a TorchScript model.
struct ScriptMatrixLayer {
  std::string node;                ///< for messages: the weight's name ("layer1.0.conv1.weight")
  bool conv = false;               ///< conv2d (else linear)
  accelerator::Conv2dShape shape;  ///< kernel, stride, padding, dilation (conv2d only)
  bool unsigned_input = false;     ///< input comes from a ReLU (uint8 activations)
  std::size_t weight = 0;          ///< index of its weight among the memory tensors
  bool has_bias = false;           ///< its bias is memory tensor weight + 1
};

/// The rewritten forward graph of a TorchScript Net (see the contract).
class ScriptAccelGraph {
 public:
  /// Analyses and rewrites `net`'s forward graph; lowvolt::Error naming the file and node when a
  /// node cannot run on the accelerator. `net` must hold a TorchScript module and outlive this.
  ScriptAccelGraph(const Net& net, bool nonnegative_input);
  ~ScriptAccelGraph();
  ScriptAccelGraph(const ScriptAccelGraph&) = delete;
  ScriptAccelGraph& operator=(const ScriptAccelGraph&) = delete;

  /// The accelerator layers, in memory order.
  const std::vector<ScriptMatrixLayer>& layers() const;

  /// Runs accelerator layer `layer` on its input (N×C×H×W for conv2d, N×K for linear).
  using LayerFn = std::function<torch::Tensor(std::size_t layer, const torch::Tensor& x)>;
  /// Runs the rewritten graph on `images` in the calling thread, calling `run_layer` for every
  /// accelerator layer in execution order.
  torch::Tensor forward(const torch::Tensor& images, const LayerFn& run_layer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lowvolt::host
