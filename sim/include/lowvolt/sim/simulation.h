#pragma once
// lowvolt::sim::SimSystem — the elaborated SystemC system of the co-simulation: a clock, the
// Verilated accelerator behind its TLM sockets (AccelModule), the voltage regulator, the energy
// monitor and the host driver, bound together; and simulation(), the process's one instance.
// Contract:
//  - SystemC elaborates once per process, so there is exactly one SimSystem, built by the first
//    call of simulation() and kept until the process exits (it is owned by a std::unique_ptr in
//    that function). Callers take turns: lease() hands it to one user (the rtl backend) at a time.
//  - The kernel runs only inside call(): a job is handed to the host driver's SC_THREAD, the
//    kernel runs (sc_start) until the job has returned, then pauses (sc_pause) with the clock
//    where it was. No simulated time passes between calls, so commands issued by consecutive
//    calls run back to back on the RTL. Exceptions thrown by the job are rethrown by call().
//  - Not thread-safe, not re-entrant (a job must not call call()).
#include <cstdint>
#include <exception>
#include <functional>

#include <systemc>

#include "lowvolt/sim/accel_module.h"
#include "lowvolt/sim/energy_monitor.h"
#include "lowvolt/sim/host_driver.h"
#include "lowvolt/sim/voltage_regulator.h"

namespace lowvolt::sim {

/// Clock period of the simulated accelerator (1 GHz); only simulated time depends on it.
inline const sc_core::sc_time kClockPeriod{1.0, sc_core::SC_NS};

/// The whole co-simulation.
class SimSystem : public sc_core::sc_module {
 public:
  sc_core::sc_clock clk;       ///< the accelerator's clock, kClockPeriod
  AccelModule accel;           ///< accel_top behind TLM sockets
  VoltageRegulator regulator;  ///< drives the accelerator's supply
  EnergyMonitor energy;        ///< weight-memory energy
  HostDriver host;             ///< TLM initiator of the host

  SC_HAS_PROCESS(SimSystem);
  explicit SimSystem(const sc_core::sc_module_name& name);

  /// Runs `job` in the host driver's SystemC thread and returns when it has (see above).
  void call(const std::function<void(SimSystem&)>& job);
  /// Clock cycles simulated since time 0 (simulated time / kClockPeriod).
  std::uint64_t clock_cycles() const;

  /// Takes the system for one user; lowvolt::Error naming `who` if another holds it.
  void lease(const char* who);
  /// Gives it back.
  void release() { leased_ = false; }

 private:
  void driver_thread();

  sc_core::sc_event job_event_{"job"};
  const std::function<void(SimSystem&)>* job_ = nullptr;
  std::exception_ptr error_;
  bool in_call_ = false;
  bool leased_ = false;
};

/// The process's SimSystem, elaborated (sc_start(SC_ZERO_TIME)) on first use.
SimSystem& simulation();

}  // namespace lowvolt::sim
