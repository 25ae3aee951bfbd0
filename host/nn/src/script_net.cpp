#include "lowvolt/nn/script_net.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/library.h>
#include <torch/torch.h>

#include "lowvolt/common/error.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/torch_error.h"

namespace lowvolt::host {

namespace {

namespace jit = torch::jit;

/// lowvolt::max_pool_2x2: max_pool_2x2 (models.h) where it applies, max_pool2d(x, 2) otherwise
/// (other ranks, inputs smaller than 2×2: its own error message).
torch::Tensor max_pool_2x2_op(const torch::Tensor& x) {
  if ((x.dim() == 3 || x.dim() == 4) && x.size(-1) >= 2 && x.size(-2) >= 2) return max_pool_2x2(x);
  return torch::max_pool2d(x, 2);
}

TORCH_LIBRARY_FRAGMENT(lowvolt, m) { m.def("max_pool_2x2(Tensor x) -> Tensor", &max_pool_2x2_op); }

/// Whether `v` is a constant int list equal to `want` (a one-element list stands for both sides).
bool int_list_is(jit::Value* v, std::int64_t want) {
  const auto value = jit::toIValue(v);
  if (!value || !value->isIntList()) return false;
  const auto list = value->toIntVector();
  if (list.empty() || list.size() > 2) return false;
  for (const auto x : list) {
    if (x != want) return false;
  }
  return true;
}

/// Whether `n` is max_pool2d(x, 2) in any spelling: kernel 2, stride 2 or default, padding 0,
/// dilation 1, floor mode.
bool is_max_pool_2x2(jit::Node* n) {
  if (n->kind() != c10::Symbol::fromQualString("aten::max_pool2d") || n->inputs().size() != 6)
    return false;
  const auto stride = jit::toIValue(n->input(2));
  const bool default_stride = stride && stride->isIntList() && stride->toIntVector().empty();
  const auto ceil = jit::toIValue(n->input(5));
  return int_list_is(n->input(1), 2) && (default_stride || int_list_is(n->input(2), 2)) &&
         int_list_is(n->input(3), 0) && int_list_is(n->input(4), 1) && ceil && ceil->isBool() &&
         !ceil->toBool();
}

void collect_nodes(jit::Block* block, std::vector<jit::Node*>& out) {
  for (jit::Node* n : block->nodes()) {
    out.push_back(n);
    for (jit::Block* b : n->blocks()) collect_nodes(b, out);
  }
}

/// A parameter name as a torch::nn::Module accepts it (no dots).
std::string registered_name(const std::string& dotted) {
  std::string out = dotted;
  for (char& c : out) {
    if (c == '.') c = '/';
  }
  return out;
}

}  // namespace

// LibTorch 1.13's max_pool2d on NCHW tensors is slow (models.h); the bundled cnn exported to
// TorchScript ran at 0.63 × the speed of its .lvm file before this (docs/benchmarks.md).
std::unique_ptr<jit::GraphFunction> inference_function(const jit::Module& module) {
  auto graph = module.get_method("forward").graph()->copy();
  jit::Inline(*graph);
  jit::ConstantPropagation(graph);
  std::vector<jit::Node*> nodes;
  collect_nodes(graph->block(), nodes);
  const c10::Symbol pool = c10::Symbol::fromQualString("lowvolt::max_pool_2x2");
  int rewritten = 0;
  for (jit::Node* n : nodes) {
    if (!is_max_pool_2x2(n)) continue;
    jit::Node* call = graph->create(pool, {n->input(0)}, 1);
    call->insertBefore(n);
    call->output()->setType(n->output()->type());
    n->output()->replaceAllUsesWith(call->output());
    n->destroy();
    ++rewritten;
  }
  if (rewritten == 0) return nullptr;
  jit::EliminateDeadCode(graph);
  return std::make_unique<jit::GraphFunction>("lowvolt_inference_forward", graph, nullptr);
}

NetImpl::NetImpl(std::shared_ptr<ScriptNet> script_) : script(std::move(script_)) {
  LV_CHECK(script != nullptr, "a TorchScript Net needs its module");
  config.arch = "torchscript";
  config.norm = "none";
  config.channels = 0;
  config.height = 0;
  config.width_px = 0;
  config.classes = 0;
  for (const auto& p : script->module.named_parameters(true)) {
    register_parameter(registered_name(p.name), p.value, p.value.requires_grad());
  }
  for (const auto& b : script->module.named_buffers(true)) {
    register_buffer(registered_name(b.name), b.value);
  }
}

std::vector<torch::Tensor> script_memory(const ScriptNet& script) { return script.memory; }

std::vector<std::string> script_memory_names(const ScriptNet& script) {
  return script.memory_names;
}

torch::Tensor script_forward(ScriptNet& script, const torch::Tensor& x) {
  torch::jit::IValue result;
  try {
    if (script.inference && !torch::GradMode::is_enabled()) {
      std::vector<c10::IValue> stack{script.module._ivalue(), x};
      script.inference->run(stack);
      result = stack.back();
    } else {
      result = script.module.forward({x});
    }
  } catch (const std::exception& e) {
    throw ScriptForwardError(script.path + ": forward() failed on input " + shape_text(x) + ": " +
                             torch_error_line(e));
  }
  if (!result.isTensor()) {
    fail(script.path, ": forward() returned a ", result.tagKind(),
         ", expected an N×classes tensor");
  }
  torch::Tensor y = result.toTensor();
  if (y.dim() != 2 || y.size(0) != x.size(0) || y.size(1) < 2) {
    fail(script.path, ": forward() returned shape ", shape_text(y), " for ", x.size(0),
         " images, expected (N, classes) = (", x.size(0), ", ≥ 2)");
  }
  if (y.scalar_type() != torch::kFloat32) y = y.to(torch::kFloat32);
  return y;
}

void script_train(ScriptNet& script, bool on) { script.module.train(on); }

}  // namespace lowvolt::host
