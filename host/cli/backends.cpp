// The accelerator backends the `lowvolt` program offers: the C++ golden model and the Verilated
// RTL under SystemC. One explicit registration, done by the commands that drive an accelerator;
// the help texts list the registered backends with their summaries (accelerator::BackendTraits).
#include "cli.h"
#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/sim/rtl_backend.h"

#include <string>

namespace lowvolt::cli {

void register_backends() {
  accelerator::register_golden_backend();
  sim::register_rtl_backend();
}

std::string backend_help(bool with_torch) {
  register_backends();
  std::string text = with_torch ? "torch (LibTorch on the dequantized weights, fake quantization)" : "";
  for (const auto& name : accelerator::accelerator_names()) {
    text += (text.empty() ? "" : "; ") + name + " (" + accelerator::accelerator_traits(name).summary + ")";
  }
  return text;
}

}  // namespace lowvolt::cli
