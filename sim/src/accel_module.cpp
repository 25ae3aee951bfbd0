#include "lowvolt/sim/accel_module.h"

#include <cstring>
#include <fstream>

#include "lowvolt/common/error.h"
#include "lowvolt/sim/bus_map.h"

// Verilator's SystemC headers after ours: "systemc.h" opens the SystemC namespaces globally.
#include <verilated.h>
#include <verilated_fst_sc.h>

#include "Vaccel_top_sc.h"
#include "Vaccel_top_sc___024root.h"

namespace lowvolt::sim {

namespace hw = accelerator::hw;

namespace {

// Releases an sc_mutex when it goes out of scope.
class MutexGuard {
 public:
  explicit MutexGuard(sc_core::sc_mutex& m) : m_(m) { m_.lock(); }
  ~MutexGuard() { m_.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  sc_core::sc_mutex& m_;
};

std::vector<std::uint64_t> words_of(const tlm::tlm_generic_payload& gp) {
  std::vector<std::uint64_t> words(gp.get_data_length() / 8);
  std::memcpy(words.data(), gp.get_data_ptr(), words.size() * 8);
  return words;
}

}  // namespace

AccelModule::AccelModule(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name),
      clk("clk"),
      bus("bus"),
      supply("supply"),
      context_(std::make_unique<VerilatedContext>()) {
  // The model is compiled with FST support; tracing stays off until open_trace().
  context_->traceEverOn(true);
  // A SystemC model binds to the calling thread's Verilated context when it is constructed.
  Verilated::threadContextp(context_.get());
  model_ = std::make_unique<Vaccel_top_sc>("accel_top");
  model_->clk(clk);
  model_->rst(rst_);
  model_->cmd_valid(cmd_valid_);
  model_->cmd_ready(cmd_ready_);
  model_->cmd_data(cmd_data_);
  model_->in_valid(in_valid_);
  model_->in_ready(in_ready_);
  model_->in_data(in_data_);
  model_->out_valid(out_valid_);
  model_->out_ready(out_ready_);
  model_->out_data(out_data_);
  model_->bd_we(bd_we_);
  model_->bd_bank(bd_bank_);
  model_->bd_row(bd_row_);
  model_->bd_vc(bd_vc_);
  model_->bd_kind(bd_kind_);
  model_->cfg_sigma(cfg_sigma_);
  model_->cfg_seed(cfg_seed_);
  model_->bd_check_vc(bd_check_vc_);
  model_->bd_check_kind(bd_check_kind_);
  model_->cfg_ecc(cfg_ecc_);

  bus.register_b_transport(this, &AccelModule::bus_transport);
  supply.register_b_transport(this, &AccelModule::supply_transport);

  SC_METHOD(on_clock);
  sensitive << kick_;
  dont_initialize();
}

AccelModule::~AccelModule() {
  close_trace();
  model_->final();
}

std::uint16_t AccelModule::vdd_code() const { return model_->rootp->accel_top__DOT__vdd_code; }

std::uint32_t AccelModule::bank_reads(std::uint32_t bank) const {
  LV_CHECK(bank < hw::kBanks, "bank " << bank);
  return model_->rootp->accel_top__DOT__bank_reads[bank];
}

std::uint32_t AccelModule::bank_writes(std::uint32_t bank) const {
  LV_CHECK(bank < hw::kBanks, "bank " << bank);
  return model_->rootp->accel_top__DOT__bank_writes[bank];
}

Activity AccelModule::snapshot() const {
  Activity a;
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    a.reads[b] = bank_reads(b);
    a.writes[b] = bank_writes(b);
  }
  a.vdd_code = vdd_code();
  return a;
}

void AccelModule::open_trace(const std::string& path) {
  if (trace_ != nullptr) fail("sim: trace '", path, "': a trace is already open");
  if (!std::ofstream(path).good()) fail("sim: cannot open trace file '", path, "'");
  auto* trace = new VerilatedFstSc;  // registers itself with the simulation context
  model_->trace(trace, 99);
  trace->open(path.c_str());
  trace_ = trace;
  if (!trace_->isOpen()) {
    close_trace();
    fail("sim: cannot open trace file '", path, "'");
  }
}

void AccelModule::close_trace() {
  if (trace_ == nullptr) return;
  trace_->close();
  // VerilatedFstSc derives privately from sc_trace_file; the C-style cast reaches that base.
  sc_core::sc_get_curr_simcontext()->remove_trace_file((sc_core::sc_trace_file*)trace_);
  delete trace_;
  trace_ = nullptr;
}

void AccelModule::bus_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (delay != sc_core::SC_ZERO_TIME) {
    wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  MutexGuard guard(lock_);
  gp.set_response_status(handle_bus(gp));
}

void AccelModule::supply_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (delay != sc_core::SC_ZERO_TIME) {
    wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  MutexGuard guard(lock_);
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  } else if (gp.get_address() != bus::kSupplyVdd) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  } else if (!gp.is_write()) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  } else if (gp.get_data_length() != 8 || gp.get_streaming_width() != 8) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
  } else {
    const std::uint64_t code = words_of(gp)[0];
    if (code > 0xffff) {
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    } else {
      gp.set_response_status(run_command(hw::encode(hw::SetVddCmd{code}), nullptr, 0));
    }
  }
}

tlm::tlm_response_status AccelModule::handle_bus(tlm::tlm_generic_payload& gp) {
  if (gp.get_byte_enable_ptr() != nullptr) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  const std::size_t length = gp.get_data_length();
  if (length == 0 || length % 8 != 0 || gp.get_streaming_width() != length) {
    return tlm::TLM_BURST_ERROR_RESPONSE;
  }
  const std::size_t n = length / 8;
  switch (gp.get_address()) {
    case bus::kCommand: {
      if (!gp.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      const auto words = words_of(gp);
      for (std::size_t i = 0; i < n;) {  // every command must carry all its input words
        const std::size_t need = 1 + bus::input_words(words[i]);
        if (need > n - i) return tlm::TLM_BURST_ERROR_RESPONSE;
        i += need;
      }
      for (std::size_t i = 0; i < n;) {
        const std::size_t n_in = bus::input_words(words[i]);
        const auto status = run_command(words[i], words.data() + i + 1, n_in);
        if (status != tlm::TLM_OK_RESPONSE) return status;
        i += 1 + n_in;
      }
      return tlm::TLM_OK_RESPONSE;
    }
    case bus::kResponse: {
      if (!gp.is_read()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n > response_.size()) return tlm::TLM_BURST_ERROR_RESPONSE;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t word = response_.front();
        response_.pop_front();
        std::memcpy(gp.get_data_ptr() + 8 * i, &word, 8);
      }
      return tlm::TLM_OK_RESPONSE;
    }
    case bus::kResponseCount: {
      if (!gp.is_read()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n != 1) return tlm::TLM_BURST_ERROR_RESPONSE;
      const std::uint64_t count = response_.size();
      std::memcpy(gp.get_data_ptr(), &count, 8);
      return tlm::TLM_OK_RESPONSE;
    }
    case bus::kControl: {
      if (!gp.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n != 1) return tlm::TLM_BURST_ERROR_RESPONSE;
      const std::uint64_t word = words_of(gp)[0];
      if ((word & ~std::uint64_t{1}) != 0) return tlm::TLM_GENERIC_ERROR_RESPONSE;
      if (word == 0) return tlm::TLM_OK_RESPONSE;
      kind_ = JobKind::kReset;
      return run_job();
    }
    case bus::kProfileConfig: {
      if (!gp.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n != 2) return tlm::TLM_BURST_ERROR_RESPONSE;
      const auto words = words_of(gp);
      if (words[0] > 0xffff) return tlm::TLM_GENERIC_ERROR_RESPONSE;
      cfg_sigma_.write(static_cast<std::uint32_t>(words[0]));
      cfg_seed_.write(words[1]);
      return tlm::TLM_OK_RESPONSE;
    }
    case bus::kProfileRows: {
      if (!gp.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n % bus::kProfileRowWords != 0) return tlm::TLM_BURST_ERROR_RESPONSE;
      const auto words = words_of(gp);
      for (std::size_t r = 0; r < n / bus::kProfileRowWords; ++r) {
        const std::uint64_t* rec = words.data() + r * bus::kProfileRowWords;
        if ((rec[0] >> 32) != 0 || ((rec[0] >> 16) & 0xffff) >= hw::kBanks ||
            (rec[0] & 0xffff) >= hw::kSramRows) {
          return tlm::TLM_GENERIC_ERROR_RESPONSE;
        }
        for (std::size_t w = 0; w < bus::kProfileKindWords; ++w) {
          const std::uint64_t kinds = rec[1 + bus::kProfileVcWords + w];
          for (unsigned c = 0; c < 32; ++c) {
            if (((kinds >> (2 * c)) & 3u) > hw::kKindStuck1) {
              return tlm::TLM_GENERIC_ERROR_RESPONSE;
            }
          }
        }
        const std::uint64_t check_kinds = rec[bus::kProfileCheckKindWord];
        if ((check_kinds >> (2 * hw::kEccCheckCols)) != 0) return tlm::TLM_GENERIC_ERROR_RESPONSE;
        for (unsigned c = 0; c < hw::kEccCheckCols; ++c) {
          if (((check_kinds >> (2 * c)) & 3u) > hw::kKindStuck1) {
            return tlm::TLM_GENERIC_ERROR_RESPONSE;
          }
        }
      }
      rows_ = words.data();
      n_rows_ = n / bus::kProfileRowWords;
      kind_ = JobKind::kRows;
      return run_job();
    }
    case bus::kEccConfig: {
      if (!gp.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      if (n != 1) return tlm::TLM_BURST_ERROR_RESPONSE;
      const std::uint64_t mode = words_of(gp)[0];
      if (mode != hw::kEccNone && mode != hw::kEccParity && mode != hw::kEccSecded) {
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
      }
      cfg_ecc_.write(static_cast<std::uint32_t>(mode));
      return tlm::TLM_OK_RESPONSE;
    }
    default:
      return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  }
}

tlm::tlm_response_status AccelModule::run_command(std::uint64_t cmd, const std::uint64_t* in,
                                                  std::size_t n_in) {
  kind_ = JobKind::kCommand;
  cmd_ = cmd;
  in_ = in;
  n_in_ = n_in;
  return run_job();
}

tlm::tlm_response_status AccelModule::run_job() {
  phase_ = Phase::kStart;
  kick_.notify(sc_core::SC_ZERO_TIME);
  wait(done_);
  return job_error_ ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE;
}

std::uint64_t AccelModule::rising_edges() {
  if (period_ps_ == 0) {  // the clock's period, once the port is bound
    const auto* clock = dynamic_cast<const sc_core::sc_clock*>(clk.get_interface());
    LV_CHECK(clock != nullptr, "AccelModule's clk must be bound to an sc_clock");
    period_ps_ = clock->period().value();
    LV_CHECK(period_ps_ > 0, "clock period 0");
  }
  // an sc_clock rises at 0, p, 2p, ...: this counts the edges up to now, offset by one
  return sc_core::sc_time_stamp().value() / period_ps_;
}

void AccelModule::start_job() {
  job_cycles_ = 0;
  start_edges_ = rising_edges();
  job_error_ = false;
  before_ = snapshot();
  switch (kind_) {
    case JobKind::kCommand:
      handshake_.emplace(cmd_, in_, n_in_);
      drive(handshake_->drive());
      phase_ = Phase::kStream;
      break;
    case JobKind::kReset:
      rst_.write(true);
      cmd_valid_.write(false);
      in_valid_.write(false);
      out_ready_.write(false);
      bd_we_.write(false);
      phase_ = Phase::kReset;
      break;
    case JobKind::kRows:
      row_i_ = 0;
      cmd_valid_.write(false);
      in_valid_.write(false);
      drive_row(0);
      bd_we_.write(true);
      phase_ = Phase::kRows;
      break;
  }
  next_trigger(clk->posedge_event());
}

void AccelModule::drive_row(std::size_t i) {
  const std::uint64_t* rec = rows_ + i * bus::kProfileRowWords;
  bd_bank_.write(static_cast<std::uint32_t>((rec[0] >> 16) & 0xffff));
  bd_row_.write(static_cast<std::uint32_t>(rec[0] & 0xffff));
  sc_dt::sc_bv<hw::kSramCols * 16> vc;
  for (std::size_t w = 0; w < bus::kProfileVcWords; ++w) {
    const std::uint64_t word = rec[1 + w];
    vc.set_word(static_cast<int>(2 * w), static_cast<sc_dt::sc_digit>(word));
    vc.set_word(static_cast<int>(2 * w + 1), static_cast<sc_dt::sc_digit>(word >> 32));
  }
  sc_dt::sc_bv<hw::kSramCols * 2> kind;
  for (std::size_t w = 0; w < bus::kProfileKindWords; ++w) {
    const std::uint64_t word = rec[1 + bus::kProfileVcWords + w];
    kind.set_word(static_cast<int>(2 * w), static_cast<sc_dt::sc_digit>(word));
    kind.set_word(static_cast<int>(2 * w + 1), static_cast<sc_dt::sc_digit>(word >> 32));
  }
  bd_vc_.write(vc);
  bd_kind_.write(kind);
  sc_dt::sc_bv<hw::kEccCheckCols * 16> check_vc;
  for (std::size_t w = 0; w < bus::kProfileCheckVcWords; ++w) {
    const std::uint64_t word = rec[bus::kProfileCheckVcWord + w];
    check_vc.set_word(static_cast<int>(2 * w), static_cast<sc_dt::sc_digit>(word));
    check_vc.set_word(static_cast<int>(2 * w + 1), static_cast<sc_dt::sc_digit>(word >> 32));
  }
  bd_check_vc_.write(check_vc);
  bd_check_kind_.write(static_cast<std::uint32_t>(rec[bus::kProfileCheckKindWord]));
}

void AccelModule::on_clock() {
  switch (phase_) {
    case Phase::kIdle:
      return;
    case Phase::kStart:
      start_job();
      return;
    case Phase::kStream:  // rising edge: the handshakes of the cycle that just ended
      ++job_cycles_;
      handshake_->edge(outputs());
      drive(handshake_->drive());
      if (handshake_->fed()) {
        phase_ = Phase::kDrain;
        next_trigger(clk->negedge_event());
      } else if (job_cycles_ > bus::kMaxJobCycles) {
        finish_job(true);
      } else {
        next_trigger(clk->posedge_event());
      }
      return;
    case Phase::kReset:  // rising edge: rst was sampled
      ++job_cycles_;
      rst_.write(false);
      phase_ = Phase::kDrain;
      next_trigger(clk->negedge_event());
      return;
    case Phase::kRows:  // rising edge: row row_i_ was loaded
      ++job_cycles_;
      if (++row_i_ < n_rows_) {
        drive_row(row_i_);
        next_trigger(clk->posedge_event());
      } else {
        bd_we_.write(false);
        finish_job(false);
      }
      return;
    case Phase::kDrain: {  // falling edge: the outputs of the last rising edge have settled
      ++job_cycles_;
      // The pins stay as they are while draining, so these settled outputs are also the ones
      // the next rising edge sees. A reset has no command: it is over once the RTL is idle.
      const auto o = outputs();
      if (handshake_ ? handshake_->over(o) : o.cmd_ready && !o.out_valid) {
        finish_job(false);
      } else if (job_cycles_ > bus::kMaxJobCycles) {
        finish_job(true);
      } else {
        if (handshake_) handshake_->edge(o);
        next_trigger(clk->negedge_event());
      }
      return;
    }
  }
}

accelerator::StreamHandshake::Outputs AccelModule::outputs() const {
  return {cmd_ready_.read(), in_ready_.read(), out_valid_.read(), out_data_.read()};
}

void AccelModule::drive(const accelerator::StreamHandshake::Pins& pins) {
  // Only the pins that change: a signal write costs even when it changes nothing.
  if (pins.cmd_valid != cmd_valid_.read()) cmd_valid_.write(pins.cmd_valid);
  if (pins.cmd_data != cmd_data_.read()) cmd_data_.write(pins.cmd_data);
  if (pins.in_valid != in_valid_.read()) in_valid_.write(pins.in_valid);
  if (pins.in_data != in_data_.read()) in_data_.write(pins.in_data);
  if (pins.out_ready != out_ready_.read()) out_ready_.write(pins.out_ready);
}

void AccelModule::finish_job(bool error) {
  if (error) {
    cmd_valid_.write(false);
    in_valid_.write(false);
    bd_we_.write(false);
    rst_.write(false);
  }
  if (handshake_) {  // the output words of a command, complete or not
    for (const std::uint64_t word : handshake_->output()) response_.push_back(word);
    handshake_.reset();
  }
  Activity a;
  if (kind_ == JobKind::kCommand) {  // reset and profile loads zero the counters: no accesses
    const Activity after = snapshot();
    for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
      a.reads[b] = after.reads[b] - before_.reads[b];  // mod 2^32, as the counters wrap
      a.writes[b] = after.writes[b] - before_.writes[b];
    }
  }
  a.vdd_code = before_.vdd_code;
  a.cycles = rising_edges() - start_edges_;
  activity_ = a;
  job_error_ = error;
  phase_ = Phase::kIdle;
  activity_event_.notify();
  done_.notify();
}

}  // namespace lowvolt::sim
