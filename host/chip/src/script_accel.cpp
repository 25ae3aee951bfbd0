#include "lowvolt/chip/script_accel.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/library.h>
#include <torch/script.h>

#include <exception>
#include <map>
#include <optional>

#include "lowvolt/common/error.h"
#include "lowvolt/nn/script_net.h"
#include "lowvolt/nn/torch_error.h"

namespace lowvolt::host {
namespace {

namespace jit = torch::jit;

/// The layer function of the forward() running in this thread (forward() is not re-entrant).
thread_local const ScriptAccelGraph::LayerFn* current_layer_fn = nullptr;
/// An exception a layer threw: the interpreter rewraps exceptions into its own message, so the
/// original (a lowvolt::Error naming the layer) is kept here and rethrown by forward().
thread_local std::exception_ptr layer_error;

torch::Tensor accel_layer(const torch::Tensor& x, std::int64_t layer) {
  LV_CHECK(current_layer_fn != nullptr, "lowvolt::accel_layer called outside ScriptAccelGraph::forward");
  try {
    return (*current_layer_fn)(static_cast<std::size_t>(layer), x);
  } catch (...) {
    layer_error = std::current_exception();
    throw;
  }
}

TORCH_LIBRARY(lowvolt, m) { m.def("accel_layer(Tensor x, int layer) -> Tensor", &accel_layer); }

/// The dotted attribute path of a value produced by prim::GetAttr chains from the graph's
/// `self` input ("layer1.0.conv1.weight"), or nullopt.
std::optional<std::string> attribute_path(jit::Value* v, jit::Value* self) {
  std::string path;
  while (v != self) {
    jit::Node* n = v->node();
    if (n->kind() != c10::prim::GetAttr) return std::nullopt;
    const std::string name = n->s(c10::attr::name);
    path = path.empty() ? name : name + "." + path;
    v = n->input(0);
  }
  return path;
}

/// The value of attribute `path` ("layer1.0.conv1.bias") of `module`.
c10::IValue attribute_value(const jit::Module& module, const std::string& path) {
  jit::Module m = module;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const c10::IValue v = m.attr(name);
    if (dot == std::string::npos) return v;
    if (!v.isModule()) return c10::IValue();
    m = v.toModule();
    start = dot + 1;
  }
}

/// Constant list of two ints (stride, padding, dilation), or nullopt.
std::optional<std::vector<std::int64_t>> int_pair(jit::Value* v) {
  const auto value = jit::toIValue(v);
  if (!value || !value->isIntList()) return std::nullopt;
  auto list = value->toIntVector();
  if (list.size() == 1) list.push_back(list[0]);
  if (list.size() != 2) return std::nullopt;
  for (const auto x : list) {
    if (x < 0 || x > 0xffff) return std::nullopt;
  }
  return list;
}

bool is_kind(jit::Node* n, const char* qualified) {
  return n->kind() == c10::Symbol::fromQualString(qualified);
}

/// Whether `v` is ≥ 0 by construction (see the contract's input encoding rule).
bool nonnegative(jit::Value* v, jit::Value* images, bool nonnegative_input) {
  for (;;) {
    if (v == images) return nonnegative_input;
    jit::Node* n = v->node();
    if (is_kind(n, "aten::relu") || is_kind(n, "aten::relu_")) return true;
    const bool passes = is_kind(n, "aten::max_pool2d") || is_kind(n, "aten::avg_pool2d") ||
                        is_kind(n, "aten::adaptive_avg_pool2d") || is_kind(n, "aten::flatten") ||
                        is_kind(n, "aten::view") || is_kind(n, "aten::reshape") ||
                        is_kind(n, "aten::contiguous") || is_kind(n, "aten::dropout");
    if (!passes || n->inputs().empty()) return false;
    v = n->input(0);
  }
}

void collect(jit::Block* block, std::vector<jit::Node*>& out) {
  for (jit::Node* n : block->nodes()) {
    out.push_back(n);
    for (jit::Block* b : n->blocks()) collect(b, out);
  }
}

/// The kernel, stride, padding and dilation of a conv2d node with weight `w` (constants only;
/// groups = 1); lowvolt::Error naming the file and the weight otherwise.
accelerator::Conv2dShape conv2d_shape(jit::Node* n, const torch::Tensor& w, const std::string& path,
                                      const std::string& what) {
  accelerator::Conv2dShape shape;
  const auto stride = int_pair(n->input(3));
  const auto padding = int_pair(n->input(4));
  const auto dilation = int_pair(n->input(5));
  const auto groups = jit::toIValue(n->input(6));
  if (!stride || !padding || !dilation) {
    fail(path, ": conv2d ", what, " needs constant integer stride, padding and dilation "
         "(string padding such as 'same' is not supported)");
  }
  if (!groups || !groups->isInt() || groups->toInt() != 1) {
    fail(path, ": conv2d ", what, " has groups ≠ 1; the accelerator runs dense convolutions only");
  }
  shape.kernel_h = static_cast<std::uint32_t>(w.size(2));
  shape.kernel_w = static_cast<std::uint32_t>(w.size(3));
  shape.stride_h = static_cast<std::uint32_t>((*stride)[0]);
  shape.stride_w = static_cast<std::uint32_t>((*stride)[1]);
  shape.pad_h = static_cast<std::uint32_t>((*padding)[0]);
  shape.pad_w = static_cast<std::uint32_t>((*padding)[1]);
  shape.dilation_h = static_cast<std::uint32_t>((*dilation)[0]);
  shape.dilation_w = static_cast<std::uint32_t>((*dilation)[1]);
  return shape;
}

/// Whether two nodes that use one weight run it the same way.
bool same_use(const ScriptMatrixLayer& a, const ScriptMatrixLayer& b) {
  return a.conv == b.conv && a.has_bias == b.has_bias && a.unsigned_input == b.unsigned_input &&
         a.shape.stride_h == b.shape.stride_h && a.shape.stride_w == b.shape.stride_w &&
         a.shape.pad_h == b.shape.pad_h && a.shape.pad_w == b.shape.pad_w &&
         a.shape.dilation_h == b.shape.dilation_h && a.shape.dilation_w == b.shape.dilation_w;
}

}  // namespace

struct ScriptAccelGraph::Impl {
  ScriptNet* script = nullptr;
  std::vector<ScriptMatrixLayer> layers;
  std::unique_ptr<jit::GraphFunction> function;
};

ScriptAccelGraph::ScriptAccelGraph(const Net& net, bool nonnegative_input) : impl_(std::make_unique<Impl>()) {
  LV_CHECK(net->script != nullptr, "ScriptAccelGraph on a built-in Net");
  ScriptNet& script = *net->script;
  impl_->script = &script;
  const std::string& path = script.path;
  auto graph = script.module.get_method("forward").graph()->copy();
  jit::Inline(*graph);
  jit::ConstantPropagation(graph);
  jit::EliminateDeadCode(graph);
  if (graph->inputs().size() != 2) {
    fail(path, ": forward() takes ", graph->inputs().size() - 1, " inputs, LowVolt passes one image batch");
  }
  jit::Value* self = graph->inputs()[0];
  jit::Value* images = graph->inputs()[1];

  std::map<std::string, std::size_t> memory_index;
  for (std::size_t i = 0; i < script.memory_names.size(); ++i) memory_index[script.memory_names[i]] = i;
  // layer per memory weight; nodes rewritten once all are known to be acceptable
  std::map<std::size_t, ScriptMatrixLayer> by_weight;
  std::vector<std::pair<jit::Node*, std::size_t>> rewrites;
  std::vector<bool> used(script.memory.size(), false);

  std::vector<jit::Node*> nodes;
  collect(graph->block(), nodes);
  for (jit::Node* n : nodes) {
    const bool conv2d = is_kind(n, "aten::conv2d");
    const bool linear = is_kind(n, "aten::linear");
    const bool other_conv = is_kind(n, "aten::conv1d") || is_kind(n, "aten::conv3d") ||
                            is_kind(n, "aten::conv_transpose1d") || is_kind(n, "aten::conv_transpose2d") ||
                            is_kind(n, "aten::conv_transpose3d") || is_kind(n, "aten::_convolution") ||
                            is_kind(n, "aten::convolution");
    if (!conv2d && !linear && !other_conv) continue;
    const auto weight_name = attribute_path(n->input(1), self);
    const std::string what = weight_name ? *weight_name : std::string("a computed weight");
    if (other_conv) {
      fail(path, ": node ", n->kind().toQualString(), " (weight ", what,
           ") cannot run on the accelerator (dense 2-d convolutions and linear layers only)");
    }
    if (!weight_name || !memory_index.count(*weight_name)) {
      fail(path, ": node ", n->kind().toQualString(), " uses ", what,
           ", which is not in weight memory (the accelerator reads its weights from the SRAM)");
    }
    ScriptMatrixLayer layer;
    layer.node = *weight_name;
    layer.conv = conv2d;
    layer.weight = memory_index.at(*weight_name);
    const torch::Tensor& w = script.memory[layer.weight];
    if (conv2d && w.dim() != 4) fail(path, ": conv2d weight ", what, " has ", w.dim(), " dimensions");
    if (linear && w.dim() != 2) fail(path, ": linear weight ", what, " has ", w.dim(), " dimensions");
    // bias: None, or the memory tensor right after the weight
    jit::Value* bias = n->input(2);
    const auto bias_name = attribute_path(bias, self);
    const bool no_bias = bias->type()->cast<c10::NoneType>() ||
                         (jit::toIValue(bias) && jit::toIValue(bias)->isNone()) ||
                         (bias_name && attribute_value(script.module, *bias_name).isNone());
    if (!no_bias) {
      const std::size_t next = layer.weight + 1;
      if (!bias_name || next >= script.memory_names.size() || script.memory_names[next] != *bias_name) {
        fail(path, ": the bias of ", what, " (", bias_name ? *bias_name : "computed",
             ") is not the memory tensor after its weight");
      }
      layer.has_bias = true;
      used[next] = true;
    }
    if (conv2d) layer.shape = conv2d_shape(n, w, path, what);
    layer.unsigned_input = nonnegative(n->input(0), images, nonnegative_input);
    const auto known = by_weight.find(layer.weight);
    if (known != by_weight.end()) {
      if (!same_use(known->second, layer)) {
        fail(path, ": weight ", what, " is used by two nodes of different shapes or input encodings");
      }
    } else {
      by_weight.emplace(layer.weight, layer);
    }
    used[layer.weight] = true;
    rewrites.emplace_back(n, layer.weight);
  }
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) {
      fail(path, ": memory tensor ", script.memory_names[i],
           " is not the weight or bias of a conv2d/linear node, so the accelerator cannot hold it "
           "(use the default memory rule, --memory layers, on the golden and rtl backends)");
    }
  }
  // layer index = rank of the weight in memory order
  std::map<std::size_t, std::int64_t> layer_of_weight;
  for (const auto& [weight, layer] : by_weight) {
    layer_of_weight[weight] = static_cast<std::int64_t>(impl_->layers.size());
    impl_->layers.push_back(layer);
  }
  const c10::Symbol accel = c10::Symbol::fromQualString("lowvolt::accel_layer");
  for (auto& [n, weight] : rewrites) {
    jit::WithInsertPoint guard(n);
    jit::Value* index = graph->insertConstant(layer_of_weight.at(weight));
    jit::Node* call = graph->create(accel, {n->input(0), index}, 1);
    call->insertBefore(n);
    call->output()->setType(c10::TensorType::get());
    n->output()->replaceAllUsesWith(call->output());
    n->destroy();
  }
  jit::EliminateDeadCode(graph);
  impl_->function = std::make_unique<jit::GraphFunction>("lowvolt_accel_forward", graph, nullptr);
}

ScriptAccelGraph::~ScriptAccelGraph() = default;

const std::vector<ScriptMatrixLayer>& ScriptAccelGraph::layers() const { return impl_->layers; }

torch::Tensor ScriptAccelGraph::forward(const torch::Tensor& images, const LayerFn& run_layer) {
  LV_CHECK(current_layer_fn == nullptr, "ScriptAccelGraph::forward is not re-entrant");
  current_layer_fn = &run_layer;
  struct Reset {
    ~Reset() { current_layer_fn = nullptr; }
  } reset;
  std::vector<c10::IValue> stack{impl_->script->module._ivalue(), images};
  layer_error = nullptr;
  try {
    impl_->function->run(stack);
  } catch (const std::exception& e) {
    if (layer_error) {
      const std::exception_ptr original = layer_error;
      layer_error = nullptr;
      std::rethrow_exception(original);
    }
    fail(impl_->script->path, ": forward() failed on the accelerator path: ", torch_error_line(e));
  }
  const c10::IValue& out = stack.back();
  if (!out.isTensor()) fail(impl_->script->path, ": forward() returned a ", out.tagKind(), ", expected a tensor");
  return out.toTensor();
}

}  // namespace lowvolt::host
