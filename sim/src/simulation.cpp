#include "lowvolt/sim/simulation.h"

#include <cmath>
#include <cstdlib>
#include <memory>

#include "lowvolt/common/error.h"

namespace lowvolt::sim {

SimSystem::SimSystem(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name),
      clk("clk", kClockPeriod),
      accel("accel"),
      regulator("regulator"),
      energy("energy"),
      host("host") {
  accel.clk(clk);
  host.bus.bind(accel.bus);
  regulator.out.bind(accel.supply);
  regulator.tap(accel);
  energy.tap(accel);
  SC_THREAD(driver_thread);
}

void SimSystem::driver_thread() {
  for (;;) {
    wait(job_event_);
    try {
      (*job_)(*this);
    } catch (...) {
      error_ = std::current_exception();
    }
    job_ = nullptr;
    sc_core::sc_pause();
  }
}

void SimSystem::call(const std::function<void(SimSystem&)>& job) {
  LV_CHECK(!in_call_, "SimSystem::call is not re-entrant");
  // Clears the call state however sc_start() returns (a SystemC error report is an exception).
  struct Done {
    SimSystem& s;
    ~Done() {
      s.in_call_ = false;
      s.job_ = nullptr;
    }
  };
  in_call_ = true;
  job_ = &job;
  error_ = nullptr;
  {
    Done done{*this};
    job_event_.notify(sc_core::SC_ZERO_TIME);
    sc_core::sc_start();
    LV_CHECK(job_ == nullptr, "the simulation stopped before the job returned");
  }
  if (error_) std::rethrow_exception(error_);
}

std::uint64_t SimSystem::clock_cycles() const {
  return static_cast<std::uint64_t>(std::llround(sc_core::sc_time_stamp() / kClockPeriod));
}

void SimSystem::lease(const char* who) {
  if (leased_) {
    fail(who,
         ": the SystemC co-simulation is in use by another rtl backend; SystemC elaborates "
         "once per process, so only one rtl backend may live at a time");
  }
  leased_ = true;
}

SimSystem& simulation() {
  // SystemC cannot elaborate twice in a process: one system, built on first use, kept to exit.
  static std::unique_ptr<SimSystem> system;
  if (!system) {
    // SystemC prints a banner on stdout at elaboration unless this is set; keep stdout clean.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "DISABLE", 0);
    system = std::make_unique<SimSystem>("lowvolt");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // completes elaboration (traces need it)
  }
  return *system;
}

}  // namespace lowvolt::sim
