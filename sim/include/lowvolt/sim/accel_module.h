#pragma once
// lowvolt::sim::AccelModule — the accelerator (rtl/accel_top.sv) Verilated with --sc, wrapped as
// a SystemC module behind two TLM-2.0 target sockets (address map and error responses:
// lowvolt/sim/bus_map.h; command semantics: docs/rtl.md).
// Contract:
//  - b_transport is blocking and loosely timed: it waits in simulated time (whole clock cycles of
//    `clk`) until the RTL has finished, so it must be called from an SC_THREAD. Accesses from
//    several initiators are serialised by an sc_mutex.
//  - The streams are driven by accelerator::StreamHandshake, the rule the plain C++ bench
//    (rtl/bench) uses too, cycle for cycle: the command word and the first input word are
//    presented at once, out_ready is held high, and a command ends in the first cycle in which
//    the RTL is idle (cmd_ready) with no output word pending. The next access presents its
//    command in that same cycle, so commands run back to back and the RTL's cycle counter
//    equals the bench's.
//  - The AccessTap interface reads the RTL's per-bank access counters and supply code through a
//    debug tap (public signals, src/accel_tap.vlt): no clock cycle is spent. After every access
//    that ran clock cycles it publishes an Activity record and notifies activity_event().
//  - Owns its VerilatedContext and the Verilated model (std::unique_ptr); final() is called on
//    destruction. An FST trace of every signal can be opened and closed at run time.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "lowvolt/accelerator/hw_spec.h"
#include "lowvolt/accelerator/stream_handshake.h"

class Vaccel_top_sc;
class VerilatedContext;
class VerilatedFstSc;

namespace lowvolt::sim {

/// What one access to the accelerator did, as its counters saw it.
struct Activity {
  std::array<std::uint32_t, accelerator::hw::kBanks> reads{};   ///< reads per bank
  std::array<std::uint32_t, accelerator::hw::kBanks> writes{};  ///< writes per bank
  std::uint16_t vdd_code = 0;  ///< supply code when the access began (V/Vmin × 4096)
  std::uint64_t cycles = 0;    ///< rising clock edges while the access ran, in cycles
};

/// Debug tap of the accelerator's counters (no clock cycles spent).
class AccessTap : public virtual sc_core::sc_interface {
 public:
  /// The controller's supply code now (V/Vmin × 4096).
  virtual std::uint16_t vdd_code() const = 0;
  /// Reads of `bank` since reset or its last profile load (32 bits, wrapping).
  virtual std::uint32_t bank_reads(std::uint32_t bank) const = 0;
  /// Writes to `bank` since reset or its last profile load (32 bits, wrapping).
  virtual std::uint32_t bank_writes(std::uint32_t bank) const = 0;
  /// The record of the last access that ran clock cycles.
  virtual const Activity& last_activity() const = 0;
  /// Notified when last_activity() has a new record.
  virtual const sc_core::sc_event& activity_event() const = 0;
  /// The same event, so that a process can be made sensitive to a port of this interface.
  const sc_core::sc_event& default_event() const override { return activity_event(); }
};

/// accel_top under SystemC with TLM-2.0 target sockets.
class AccelModule : public sc_core::sc_module, public AccessTap {
 public:
  /// The clock (rising edges count as the RTL's cycles).
  sc_core::sc_in<bool> clk;
  /// The host's socket: commands, responses, reset, fault-profile backdoor (bus_map.h).
  tlm_utils::simple_target_socket<AccelModule, 64> bus;
  /// The voltage regulator's socket: supply changes (bus::kSupplyVdd).
  tlm_utils::simple_target_socket<AccelModule, 64> supply;

  SC_HAS_PROCESS(AccelModule);
  explicit AccelModule(const sc_core::sc_module_name& name);
  ~AccelModule() override;
  AccelModule(const AccelModule&) = delete;
  AccelModule& operator=(const AccelModule&) = delete;

  std::uint16_t vdd_code() const override;
  std::uint32_t bank_reads(std::uint32_t bank) const override;
  std::uint32_t bank_writes(std::uint32_t bank) const override;
  const Activity& last_activity() const override { return activity_; }
  const sc_core::sc_event& activity_event() const override { return activity_event_; }

  /// Starts an FST trace of every RTL signal into `path` (after elaboration only); throws
  /// lowvolt::Error if the file cannot be opened or a trace is already open.
  void open_trace(const std::string& path);
  /// Flushes and closes the trace, if one is open.
  void close_trace();
  /// Whether a trace is open.
  bool tracing() const { return trace_ != nullptr; }

 private:
  enum class Phase { kIdle, kStart, kStream, kRows, kReset, kDrain };
  enum class JobKind { kCommand, kReset, kRows };

  void bus_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void supply_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  tlm::tlm_response_status handle_bus(tlm::tlm_generic_payload& gp);
  tlm::tlm_response_status run_command(std::uint64_t cmd, const std::uint64_t* in,
                                       std::size_t n_in);
  tlm::tlm_response_status run_job();
  void on_clock();
  void start_job();
  void drive_row(std::size_t i);
  void finish_job(bool error);
  accelerator::StreamHandshake::Outputs outputs() const;
  void drive(const accelerator::StreamHandshake::Pins& pins);
  std::uint64_t rising_edges();
  Activity snapshot() const;

  // Signals first: members are destroyed in reverse order, the model before what it binds.
  sc_core::sc_signal<bool> rst_{"rst"}, cmd_valid_{"cmd_valid"}, cmd_ready_{"cmd_ready"},
      in_valid_{"in_valid"}, in_ready_{"in_ready"}, out_valid_{"out_valid"},
      out_ready_{"out_ready"}, bd_we_{"bd_we"};
  sc_core::sc_signal<std::uint32_t> bd_bank_{"bd_bank"}, bd_row_{"bd_row"}, cfg_sigma_{"cfg_sigma"},
      bd_check_kind_{"bd_check_kind"}, cfg_ecc_{"cfg_ecc"};
  sc_core::sc_signal<std::uint64_t> cmd_data_{"cmd_data"}, in_data_{"in_data"},
      out_data_{"out_data"}, cfg_seed_{"cfg_seed"};
  sc_core::sc_signal<sc_dt::sc_bv<accelerator::hw::kSramCols * 16>> bd_vc_{"bd_vc"};
  sc_core::sc_signal<sc_dt::sc_bv<accelerator::hw::kSramCols * 2>> bd_kind_{"bd_kind"};
  sc_core::sc_signal<sc_dt::sc_bv<accelerator::hw::kEccCheckCols * 16>> bd_check_vc_{"bd_check_vc"};

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vaccel_top_sc> model_;
  VerilatedFstSc* trace_ = nullptr;  // owned; registered with the simulation context while open

  sc_core::sc_mutex lock_{"lock"};
  sc_core::sc_event kick_{"kick"}, done_{"done"}, activity_event_{"activity"};

  // the job in flight
  Phase phase_ = Phase::kIdle;
  JobKind kind_ = JobKind::kCommand;
  std::uint64_t cmd_ = 0;
  const std::uint64_t* in_ = nullptr;
  std::size_t n_in_ = 0;
  std::optional<accelerator::StreamHandshake> handshake_;  // the command's streams
  const std::uint64_t* rows_ = nullptr;
  std::size_t n_rows_ = 0, row_i_ = 0;
  bool job_error_ = false;
  std::uint64_t job_cycles_ = 0;   // clock edges the job has waited for (stuck detection)
  std::uint64_t start_edges_ = 0;  // rising_edges() when the job started
  std::uint64_t period_ps_ = 0;    // the clock period, in the kernel's time resolution
  Activity before_;

  std::deque<std::uint64_t> response_;
  Activity activity_;
};

}  // namespace lowvolt::sim
