// The accelerator backends the `lowvolt` program offers: the C++ golden model and the Verilated
// RTL under SystemC. One explicit registration, done by the commands that drive an accelerator.
#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/sim/rtl_backend.h"

namespace lowvolt::cli {

void register_backends() {
  accelerator::register_golden_backend();
  sim::register_rtl_backend();
}

}  // namespace lowvolt::cli
