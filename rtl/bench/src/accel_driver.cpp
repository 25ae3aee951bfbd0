#include "lowvolt/rtl/accel_driver.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <random>

#include "Vaccel_top.h"
#include "lowvolt/accelerator/profile_rows.h"
#include "lowvolt/accelerator/stream_handshake.h"
#include "lowvolt/common/error.h"

namespace lowvolt::rtl {

namespace hw = accelerator::hw;

namespace {
// A transaction that has not finished after this many cycles means the RTL is stuck.
constexpr std::uint64_t kMaxCyclesPerTransaction = 50'000'000;
}  // namespace

/// The Verilated C++ model as a CommandPort, clocked by the caller's thread.
class AccelDriver::Port final : public accelerator::CommandPort {
 public:
  explicit Port(const std::string& fst_path) {
    context_->traceEverOn(!fst_path.empty());
    top_ = std::make_unique<Vaccel_top>(context_.get(), "accel_top");
    if (!fst_path.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      top_->trace(trace_.get(), 99);
      trace_->open(fst_path.c_str());
      if (!trace_->isOpen()) fail("rtl: cannot open trace file '", fst_path, "'");
    }
  }
  ~Port() override {
    top_->final();
    if (trace_) trace_->close();
  }

  std::vector<std::uint64_t> exchange(std::uint64_t cmd, const std::uint64_t* in,
                                      std::size_t n_in) override {
    accelerator::StreamHandshake hs(cmd, in, n_in);
    const std::uint64_t start = ticks_;
    for (;;) {
      LV_CHECK(ticks_ - start < kMaxCyclesPerTransaction,
               "accel_top stuck: command 0x" << std::hex << cmd << std::dec << " in "
                                             << hs.inputs_taken() << "/" << n_in << " out "
                                             << hs.output().size());
      const bool hold_in = in_idle_ > 0 && hs.input_pending() && unit_(stall_rng_) < in_idle_;
      const bool hold_out = out_idle_ > 0 && unit_(stall_rng_) < out_idle_;
      const auto& pins = hs.drive(hold_in, hold_out);
      top_->cmd_valid = pins.cmd_valid;
      top_->cmd_data = pins.cmd_data;
      top_->in_valid = pins.in_valid;
      top_->in_data = pins.in_data;
      top_->out_ready = pins.out_ready;
      settle();
      const accelerator::StreamHandshake::Outputs o{top_->cmd_ready != 0, top_->in_ready != 0,
                                                    top_->out_valid != 0, top_->out_data};
      if (hs.over(o)) break;
      hs.edge(o);
      rise();
    }
    last_busy_ = hs.busy_cycles();
    return std::move(hs.output());
  }

  void reset() override {
    top_->cmd_valid = 0;
    top_->in_valid = 0;
    top_->out_ready = 0;
    top_->bd_we = 0;
    top_->rst = 1;
    tick();
    top_->rst = 0;
    const std::uint64_t start = ticks_;
    settle();
    while (!top_->cmd_ready) {
      LV_CHECK(ticks_ - start < kMaxCyclesPerTransaction, "accel_top never returned to idle");
      tick();
    }
  }

  void load_rows(std::uint16_t sigma_code, std::uint64_t seed,
                 const std::vector<std::uint64_t>& rows) override {
    namespace a = accelerator;
    LV_CHECK(rows.size() % a::kProfileRowWords == 0, "profile rows of " << rows.size() << " words");
    top_->cfg_sigma = sigma_code;
    top_->cfg_seed = seed;
    top_->cmd_valid = 0;
    top_->in_valid = 0;
    // bd_vc, bd_kind and bd_check_vc are the record's words as 32-bit halves, low half first
    auto halves = [](const std::uint64_t* words, std::size_t n32, auto& port) {
      for (std::size_t w = 0; w < n32; ++w) {
        port[w] = static_cast<std::uint32_t>(words[w / 2] >> (32 * (w % 2)));
      }
    };
    for (std::size_t at = 0; at < rows.size(); at += a::kProfileRowWords) {
      const std::uint64_t* rec = rows.data() + at;
      halves(rec + 1, 2 * a::kProfileVcWords, top_->bd_vc);
      halves(rec + 1 + a::kProfileVcWords, 2 * a::kProfileKindWords, top_->bd_kind);
      halves(rec + a::kProfileCheckVcWord, 2 * a::kProfileCheckVcWords, top_->bd_check_vc);
      top_->bd_check_kind = static_cast<std::uint16_t>(rec[a::kProfileCheckKindWord]);
      top_->bd_bank = static_cast<std::uint32_t>((rec[0] >> 16) & 0xffff);
      top_->bd_row = static_cast<std::uint32_t>(rec[0] & 0xffff);
      top_->bd_we = 1;
      tick();
    }
    top_->bd_we = 0;
  }

  void set_ecc_mode(std::uint32_t mode) override {
    top_->cfg_ecc = static_cast<std::uint8_t>(mode);
  }

  void set_stalls(double in_idle, double out_idle, std::uint64_t seed) {
    in_idle_ = in_idle;
    out_idle_ = out_idle;
    stall_rng_.seed(seed);
  }
  std::uint64_t ticks() const { return ticks_; }
  std::uint64_t last_busy() const { return last_busy_; }

 private:
  /// Settles combinational outputs for the current inputs with clk low.
  void settle() {
    top_->clk = 0;
    top_->eval();
    if (trace_) trace_->dump(2 * ticks_);
  }
  /// The rising edge that ends the current cycle.
  void rise() {
    top_->clk = 1;
    top_->eval();
    if (trace_) trace_->dump(2 * ticks_ + 1);
    ++ticks_;
  }
  void tick() {
    settle();
    rise();
  }

  std::unique_ptr<VerilatedContext> context_ = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vaccel_top> top_;
  std::unique_ptr<VerilatedFstC> trace_;
  std::uint64_t ticks_ = 0;
  std::uint64_t last_busy_ = 0;  // busy cycles of the last command
  double in_idle_ = 0;           // probability of withholding input data in a cycle
  double out_idle_ = 0;          // probability of withholding output readiness in a cycle
  std::mt19937_64 stall_rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
};

AccelDriver::AccelDriver(const std::string& fst_path)
    : CommandDriver(std::make_unique<Port>(fst_path)),
      verilated_(static_cast<Port*>(&port())) {
  reset();
}

AccelDriver::~AccelDriver() = default;

void AccelDriver::set_stalls(double in_idle, double out_idle, std::uint64_t seed) {
  if (!(in_idle >= 0 && in_idle < 1) || !(out_idle >= 0 && out_idle < 1)) {
    fail("rtl: set_stalls: in_idle=", in_idle, " out_idle=", out_idle, " outside [0, 1)");
  }
  verilated_->set_stalls(in_idle, out_idle, seed);
}

std::uint64_t AccelDriver::ticks() const { return verilated_->ticks(); }

std::uint64_t AccelDriver::last_command_cycles() const { return verilated_->last_busy(); }

}  // namespace lowvolt::rtl
