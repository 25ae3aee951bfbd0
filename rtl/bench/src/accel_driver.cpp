#include "lowvolt/rtl/accel_driver.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <random>

#include "Vaccel_top.h"
#include "lowvolt/common/error.h"

namespace lowvolt::rtl {

namespace hw = accelerator::hw;

namespace {
// A transaction that has not finished after this many cycles means the RTL is stuck.
constexpr std::uint64_t kMaxCyclesPerTransaction = 50'000'000;
}  // namespace

struct AccelDriver::Impl {
  std::unique_ptr<VerilatedContext> context = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vaccel_top> top;
  std::unique_ptr<VerilatedFstC> trace;
  std::uint64_t ticks = 0;
  std::uint64_t last_busy = 0;  // busy cycles of the last command
  hw::TileCfgCmd cfg;           // mirror of the RTL's tile configuration
  double in_idle = 0;           // probability of withholding input data in a cycle
  double out_idle = 0;          // probability of withholding output readiness in a cycle
  std::mt19937_64 stall_rng;
  std::uniform_real_distribution<double> unit{0.0, 1.0};

  /// Settles combinational outputs for the current inputs with clk low.
  void settle() {
    top->clk = 0;
    top->eval();
    if (trace) trace->dump(2 * ticks);
  }
  /// The rising edge that ends the current cycle.
  void rise() {
    top->clk = 1;
    top->eval();
    if (trace) trace->dump(2 * ticks + 1);
    ++ticks;
  }
  /// One clock cycle.
  void tick() {
    settle();
    rise();
  }

  /// Sends `cmd`, feeds `in` on the input stream and collects output words until `n_out` have
  /// arrived (or, when until_last, until a word with bit 63 set), then waits for cmd_ready.
  std::vector<std::uint64_t> transact(std::uint64_t cmd, const std::uint64_t* in, std::size_t n_in,
                                      std::size_t n_out, bool until_last) {
    std::vector<std::uint64_t> out;
    out.reserve(n_out);
    bool cmd_done = false;
    bool idle_again = false;
    std::uint64_t accepted = 0;
    bool last_seen = false;
    std::size_t in_i = 0;
    const std::uint64_t start = ticks;
    top->cmd_data = cmd;
    top->out_ready = 1;
    auto out_pending = [&] { return until_last ? !last_seen : out.size() < n_out; };
    while (!cmd_done || in_i < n_in || out_pending()) {
      LV_CHECK(ticks - start < kMaxCyclesPerTransaction,
               "accel_top stuck: command 0x" << std::hex << cmd << std::dec << " in " << in_i << "/"
                                             << n_in << " out " << out.size());
      top->cmd_valid = !cmd_done;
      top->in_valid = in_i < n_in && (in_idle == 0 || unit(stall_rng) >= in_idle);
      top->out_ready = out_idle == 0 || unit(stall_rng) >= out_idle;
      top->in_data = in_i < n_in ? in[in_i] : 0;
      settle();
      const bool cmd_x = top->cmd_valid && top->cmd_ready;
      const bool in_x = top->in_valid && top->in_ready;
      const bool out_x = top->out_valid && top->out_ready;
      const std::uint64_t out_word = top->out_data;
      rise();
      if (cmd_x) {
        cmd_done = true;
        accepted = ticks;
      } else if (cmd_done && !idle_again && top->cmd_ready) {
        idle_again = true;
        last_busy = ticks - accepted + 1;
      }
      if (in_x) ++in_i;
      if (out_x) {
        out.push_back(out_word);
        if (until_last && ((out_word >> hw::kMbistEndLastLsb) & 1u)) last_seen = true;
      }
    }
    top->cmd_valid = 0;
    top->in_valid = 0;
    wait_ready(start);
    if (!idle_again) last_busy = ticks - accepted + 1;
    return out;
  }

  void wait_ready(std::uint64_t start) {
    settle();
    while (!top->cmd_ready) {
      LV_CHECK(ticks - start < kMaxCyclesPerTransaction, "accel_top never returned to idle");
      tick();
    }
  }
};

AccelDriver::AccelDriver(const std::string& fst_path) : impl_(std::make_unique<Impl>()) {
  impl_->context->traceEverOn(!fst_path.empty());
  impl_->top = std::make_unique<Vaccel_top>(impl_->context.get(), "accel_top");
  if (!fst_path.empty()) {
    impl_->trace = std::make_unique<VerilatedFstC>();
    impl_->top->trace(impl_->trace.get(), 99);
    impl_->trace->open(fst_path.c_str());
    if (!impl_->trace->isOpen()) fail("rtl: cannot open trace file '", fst_path, "'");
  }
  reset();
}

AccelDriver::~AccelDriver() {
  impl_->top->final();
  if (impl_->trace) impl_->trace->close();
}

void AccelDriver::reset() {
  auto& top = *impl_->top;
  top.cmd_valid = 0;
  top.in_valid = 0;
  top.out_ready = 0;
  top.bd_we = 0;
  top.rst = 1;
  impl_->tick();
  top.rst = 0;
  impl_->wait_ready(impl_->ticks);
  // the RTL's tile configuration after reset
  impl_->cfg = hw::TileCfgCmd{hw::kPeRows, hw::kPeCols, hw::kMaxWbits, 0, 0, 1, 0};
}

void AccelDriver::load_profile(const std::vector<BankProfile>& banks, std::uint16_t sigma_code,
                               std::uint64_t seed) {
  constexpr std::size_t kCells = std::size_t{hw::kSramRows} * hw::kSramCols;
  if (banks.size() != hw::kBanks) {
    fail("rtl: load_profile: ", banks.size(), " banks given, the weight buffer has ", hw::kBanks);
  }
  constexpr std::size_t kCheckCells = std::size_t{hw::kSramRows} * hw::kEccCheckCols;
  for (std::size_t b = 0; b < banks.size(); ++b) {
    if (banks[b].vc_code.size() != kCells || banks[b].kind.size() != kCells) {
      fail("rtl: load_profile: bank ", b, " has ", banks[b].vc_code.size(), " vc codes and ",
           banks[b].kind.size(), " kinds, expected ", kCells, " each");
    }
    const std::size_t nc = banks[b].check_vc.size();
    if ((nc != 0 && nc != kCheckCells) || banks[b].check_kind.size() != nc) {
      fail("rtl: load_profile: bank ", b, " has ", nc, " check vc codes and ",
           banks[b].check_kind.size(), " check kinds, expected ", kCheckCells, " each (or none)");
    }
  }
  auto& top = *impl_->top;
  top.cfg_sigma = sigma_code;
  top.cfg_seed = seed;
  top.cmd_valid = 0;
  top.in_valid = 0;
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    for (std::uint32_t row = 0; row < hw::kSramRows; ++row) {
      const std::size_t base = std::size_t{row} * hw::kSramCols;
      for (std::uint32_t w = 0; w < hw::kSramCols / 2; ++w) {  // two 16-bit codes per 32-bit word
        top.bd_vc[w] = std::uint32_t{banks[b].vc_code[base + 2 * w]} |
                       (std::uint32_t{banks[b].vc_code[base + 2 * w + 1]} << 16);
      }
      for (std::uint32_t w = 0; w < hw::kSramCols / 16; ++w) {  // sixteen 2-bit kinds per word
        std::uint32_t packed = 0;
        for (std::uint32_t c = 0; c < 16; ++c) {
          const std::uint8_t kind = banks[b].kind[base + 16 * w + c];
          if (kind > hw::kKindStuck1) {
            fail("rtl: load_profile: bank ", b, " cell ", base + 16 * w + c, " has kind ",
                 int{kind}, " (0 flip, 1 stuck-at-0, 2 stuck-at-1)");
          }
          packed |= std::uint32_t{kind} << (2 * c);
        }
        top.bd_kind[w] = packed;
      }
      // the row's check cells: 8 vc codes (four 32-bit words), 8 kinds (16 bits)
      const bool has_check = !banks[b].check_vc.empty();
      const std::size_t cbase = std::size_t{row} * hw::kEccCheckCols;
      std::uint32_t ckinds = 0;
      for (std::uint32_t c = 0; c < hw::kEccCheckCols; ++c) {
        const std::uint16_t vc = has_check ? banks[b].check_vc[cbase + c] : 0;
        const std::uint8_t kind = has_check ? banks[b].check_kind[cbase + c] : 0;
        if (kind > hw::kKindStuck1) {
          fail("rtl: load_profile: bank ", b, " check cell ", cbase + c, " has kind ", int{kind},
               " (0 flip, 1 stuck-at-0, 2 stuck-at-1)");
        }
        if (c % 2 == 0) top.bd_check_vc[c / 2] = 0;
        top.bd_check_vc[c / 2] |= std::uint32_t{vc} << (16 * (c % 2));
        ckinds |= std::uint32_t{kind} << (2 * c);
      }
      top.bd_check_kind = static_cast<std::uint16_t>(ckinds);
      top.bd_bank = b;
      top.bd_row = row;
      top.bd_we = 1;
      impl_->tick();
    }
  }
  top.bd_we = 0;
}

void AccelDriver::write(std::uint32_t addr, const std::vector<std::uint64_t>& words) {
  const auto cmd = hw::encode(hw::WriteCmd{addr, words.size()});
  impl_->transact(cmd, words.data(), words.size(), 0, false);
}

std::vector<std::uint64_t> AccelDriver::read(std::uint32_t addr, std::uint32_t count) {
  const auto cmd = hw::encode(hw::ReadCmd{addr, count});
  return impl_->transact(cmd, nullptr, 0, count, false);
}

void AccelDriver::set_vdd(std::uint16_t vdd_code) {
  impl_->transact(hw::encode(hw::SetVddCmd{vdd_code}), nullptr, 0, 0, false);
}

void AccelDriver::tile_cfg(const hw::TileCfgCmd& cfg) {
  if (cfg.rows < 1 || cfg.rows > hw::kPeRows || cfg.cols < 1 || cfg.cols > hw::kPeCols ||
      cfg.wbits < 1 || cfg.wbits > hw::kMaxWbits) {
    fail("rtl: tile_cfg: rows=", cfg.rows, " cols=", cfg.cols, " wbits=", cfg.wbits, " outside 1..",
         hw::kPeRows, ", 1..", hw::kPeCols, ", 1..", hw::kMaxWbits);
  }
  impl_->transact(hw::encode(cfg), nullptr, 0, 0, false);
  impl_->cfg = cfg;
}

std::vector<std::int32_t> AccelDriver::run(std::uint32_t w_bit_addr,
                                           const std::vector<std::uint64_t>& activations) {
  const auto cmd = hw::encode(hw::RunCmd{w_bit_addr, activations.size()});
  const std::size_t rows = impl_->cfg.rows;
  const std::size_t cols = impl_->cfg.cols;
  const std::size_t words_per_row = (cols + 1) / 2;
  const auto out =
      impl_->transact(cmd, activations.data(), activations.size(), rows * words_per_row, false);
  std::vector<std::int32_t> y(rows * cols);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const auto word = hw::decode_result_word(out[i * words_per_row + j / 2]);
      y[i * cols + j] =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(j % 2 ? word.hi : word.lo));
    }
  }
  return y;
}

Counters AccelDriver::counters() {
  const auto out =
      impl_->transact(hw::encode(hw::CountersCmd{}), nullptr, 0, hw::kCounterWords, false);
  Counters c;
  c.status = out[0];
  c.cycles = out[1];
  c.macs = out[2];
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    const auto word = hw::decode_bank_counter_word(out[3 + b]);
    c.bank_reads[b] = static_cast<std::uint32_t>(word.reads);
    c.bank_writes[b] = static_cast<std::uint32_t>(word.writes);
  }
  return c;
}

void AccelDriver::set_ecc_mode(std::uint32_t mode) {
  if (mode != hw::kEccNone && mode != hw::kEccParity && mode != hw::kEccSecded) {
    fail("rtl: set_ecc_mode: mode ", mode, " (0 none, 1 parity, 2 secded)");
  }
  impl_->top->cfg_ecc = static_cast<std::uint8_t>(mode);
}

EccCounters AccelDriver::ecc_counters() {
  const auto out = impl_->transact(hw::encode(hw::EccCountersCmd{}), nullptr, 0,
                                   hw::kEccCounterWords, false);
  EccCounters c;
  c.mode = static_cast<std::uint32_t>(hw::decode_ecc_status_word(out[0]).mode);
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    const auto word = hw::decode_ecc_counter_word(out[1 + b]);
    c.corrected.push_back(static_cast<std::uint32_t>(word.corrected));
    c.uncorrectable.push_back(static_cast<std::uint32_t>(word.uncorrectable));
  }
  return c;
}

std::vector<MbistRecord> AccelDriver::mbist() {
  const auto out = impl_->transact(hw::encode(hw::MbistCmd{}), nullptr, 0, 0, true);
  std::vector<MbistRecord> records;
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    const auto r = hw::decode_mbist_record(out[i]);
    LV_CHECK(r.last == 0, "mbist record " << i << " has its last bit set");
    records.push_back(
        MbistRecord{static_cast<std::uint32_t>(r.cell), r.saw_0to1 != 0, r.saw_1to0 != 0});
  }
  const auto end = hw::decode_mbist_end(out.back());
  LV_CHECK(end.count == records.size(),
           "mbist end word counts " << end.count << " records, " << records.size() << " came");
  return records;
}

void AccelDriver::raw_command(std::uint64_t word) { impl_->transact(word, nullptr, 0, 0, false); }

void AccelDriver::set_stalls(double in_idle, double out_idle, std::uint64_t seed) {
  if (!(in_idle >= 0 && in_idle < 1) || !(out_idle >= 0 && out_idle < 1)) {
    fail("rtl: set_stalls: in_idle=", in_idle, " out_idle=", out_idle, " outside [0, 1)");
  }
  impl_->in_idle = in_idle;
  impl_->out_idle = out_idle;
  impl_->stall_rng.seed(seed);
}

std::uint64_t AccelDriver::ticks() const { return impl_->ticks; }

std::uint64_t AccelDriver::last_command_cycles() const { return impl_->last_busy; }

}  // namespace lowvolt::rtl
