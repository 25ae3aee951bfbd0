#pragma once
// lowvolt::rtl::AccelDriver — the one RTL driver (accelerator::CommandDriver,
// lowvolt/accelerator/command_driver.h) over the Verilated C++ model of rtl/accel_top.sv,
// clocked cycle by cycle: the benches' and lowvolt-rtl-speed's driver. Its port runs the
// streams by accelerator::StreamHandshake and loads profiles through the backdoor port one bank
// row per cycle (accelerator::profile_rows). Semantics of every command: docs/rtl.md.
// Ownership: each driver owns its VerilatedContext and model (no file-scope statics); several
// drivers may live in one process; a driver is not thread-safe. The Verilated model is hidden
// behind the port, so users need neither Verilator headers nor flags.
// Failures: as CommandDriver's; LV_CHECK (lowvolt::InternalError) when the RTL never finishes a
// command.
#include <cstdint>
#include <string>

#include "lowvolt/accelerator/command_driver.h"

namespace lowvolt::rtl {

/// Cycle-level driver of one Verilated accel_top.
class AccelDriver : public accelerator::CommandDriver {
 public:
  /// Builds the model and resets it. A non-empty `fst_path` traces every cycle into that file.
  explicit AccelDriver(const std::string& fst_path = "");
  ~AccelDriver() override;

  /// Back-pressure for later commands: each cycle the driver withholds input data with
  /// probability in_idle and output readiness with probability out_idle (0 = never, the
  /// default; busy-cycle formulas hold only then), drawn from `seed`. Throws for p outside [0, 1).
  void set_stalls(double in_idle, double out_idle, std::uint64_t seed);
  /// Clock cycles this driver has simulated since construction.
  std::uint64_t ticks() const;
  /// Busy cycles of the last command (StreamHandshake::busy_cycles: from the cycle that accepted
  /// it to the one after which cmd_ready was high again, both included).
  std::uint64_t last_command_cycles() const;

 private:
  class Port;
  Port* verilated_;  // the port, owned by CommandDriver
};

}  // namespace lowvolt::rtl
