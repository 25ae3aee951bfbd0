#include "lowvolt/sim/rtl_backend.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/profiles/read_model.h"
#include "lowvolt/sim/simulation.h"

namespace lowvolt::sim {

namespace hw = accelerator::hw;

namespace {

constexpr std::uint64_t kMaxCount = 0xffff;  // 16-bit address and count fields

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

double parse_number(const std::string& option, const std::string& text) {
  const auto v = parse_real(trim(text));
  if (!v) fail("rtl backend: option ", option, ": '", text, "' is not a number");
  return *v;
}

}  // namespace

std::vector<std::uint16_t> parse_vdd_schedule(const std::string& text) {
  std::vector<std::uint16_t> codes;
  std::stringstream in(text);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    const double v = parse_number("vdd_schedule", entry);
    if (v <= 0 || v >= 16) {
      fail("rtl backend: option vdd_schedule: supply ", trim(entry), " × Vmin outside (0, 16)");
    }
    codes.push_back(profiles::vdd_code(v));
  }
  if (codes.empty() || (!text.empty() && text.back() == ',')) {
    fail("rtl backend: option vdd_schedule = '", text,
         "': expected comma-separated supply voltages (× Vmin), e.g. 1.0,0.9,0.85");
  }
  return codes;
}

namespace {

// The backend's options (rtl_backend.h), checked before the co-simulation is touched.
struct RtlOptions {
  std::string trace;
  std::vector<std::uint16_t> schedule;
  profiles::EnergyModel model;
  accelerator::EccMode ecc = accelerator::EccMode::kNone;
};

RtlOptions parse_options(const accelerator::AcceleratorConfig& config) {
  RtlOptions o;
  for (const auto& [key, value] : config) {
    if (key == "trace") {
      if (value.empty()) fail("rtl backend: option trace: empty path");
      o.trace = value;
    } else if (key == "vdd_schedule") {
      o.schedule = parse_vdd_schedule(value);
    } else if (key == "leakage") {
      o.model.leakage = parse_number("leakage", value);
      if (o.model.leakage < 0) fail("rtl backend: option leakage = ", value, " is negative");
    } else if (key == "ecc") {
      o.ecc = accelerator::parse_ecc_mode(value, "rtl backend option 'ecc'");
    } else {
      fail("rtl backend: unknown option '", key, "' = '", value,
           "' (known: ecc, leakage, trace, vdd_schedule)");
    }
  }
  return o;
}

}  // namespace

RtlAccelerator::RtlAccelerator(const accelerator::AcceleratorConfig& config) {
  const RtlOptions options = parse_options(config);
  const std::string& trace = options.trace;
  SimSystem& sim = simulation();
  sim.lease("rtl backend");
  try {
    if (!trace.empty()) {
      sim.accel.open_trace(trace);
      tracing_ = true;
    }
    sim.regulator.set_schedule(options.schedule);
    sim.energy.set_model(options.model);
    start_cycle_ = sim.clock_cycles();
    ecc_ = options.ecc;
    // The state accelerator.h promises after construction, whatever the last user left.
    sim.call([this](SimSystem& s) {
      s.host.set_ecc_mode(static_cast<std::uint32_t>(ecc_));
      s.host.reset();
      s.host.load_profile(profiles::CellMap(accelerator::buffer_geometry()));
      const std::vector<std::uint64_t> zeros(hw::kBufferWords, 0);
      s.host.command(hw::encode(hw::WriteCmd{0, hw::kBufferWords}), zeros.data(), zeros.size());
      s.host.reset();
    });
    sim.energy.clear();
  } catch (...) {
    if (tracing_) sim.accel.close_trace();
    sim.release();
    throw;
  }
}

RtlAccelerator::~RtlAccelerator() {
  SimSystem& sim = simulation();
  if (tracing_) sim.accel.close_trace();
  sim.regulator.set_schedule({});
  sim.release();
}

void RtlAccelerator::reset() {
  simulation().call([](SimSystem& s) { s.host.reset(); });
  cfg_ = accelerator::TileConfig{};
}

void RtlAccelerator::load_profile(const profiles::CellMap& map) {
  if (!(map.geometry() == accelerator::buffer_geometry())) {
    fail("rtl: profile geometry ", map.geometry().arrays, "×", map.geometry().rows, "×",
         map.geometry().cols, " does not match the weight buffer's ", hw::kBanks, "×",
         hw::kSramRows, "×", hw::kSramCols);
  }
  simulation().call([&map](SimSystem& s) { s.host.load_profile(map); });
}

void RtlAccelerator::set_vdd_code(std::uint16_t vdd_code) {
  simulation().call([vdd_code](SimSystem& s) { s.regulator.set_supply(vdd_code); });
}

void RtlAccelerator::write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) {
  if (addr > kMaxCount || count > kMaxCount) {
    fail("rtl: write of ", count, " words at address ", addr, ": both must be ≤ ", kMaxCount);
  }
  const std::uint64_t cmd = hw::encode(hw::WriteCmd{addr, count});
  simulation().call([&](SimSystem& s) {
    const auto out = s.host.command(cmd, words, count);
    LV_CHECK(out.empty(), "write answered " << out.size() << " words");
  });
}

void RtlAccelerator::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  if (addr > kMaxCount || count > kMaxCount) {
    fail("rtl: read of ", count, " words at address ", addr, ": both must be ≤ ", kMaxCount);
  }
  const std::uint64_t cmd = hw::encode(hw::ReadCmd{addr, count});
  simulation().call([&](SimSystem& s) {
    const auto words = s.host.command(cmd);
    LV_CHECK(words.size() == count, "read of " << count << " words answered " << words.size());
    std::copy(words.begin(), words.end(), out);
  });
}

void RtlAccelerator::tile_cfg(const accelerator::TileConfig& cfg) {
  const std::uint64_t cmd = accelerator::encode_tile_config(cfg);  // Error for a bad shape
  simulation().call([cmd](SimSystem& s) {
    const auto out = s.host.command(cmd);
    LV_CHECK(out.empty(), "tile_cfg answered " << out.size() << " words");
  });
  cfg_ = cfg;
}

void RtlAccelerator::run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
                         std::int32_t* out) {
  if (w_bit_addr > 0xffffffu || k > kMaxCount) {
    fail("rtl: run with w_bit_addr ", w_bit_addr, " (24 bits) and k ", k, " (≤ ", kMaxCount, ")");
  }
  const std::uint64_t cmd = hw::encode(hw::RunCmd{w_bit_addr, k});
  const std::size_t rows = cfg_.rows;
  const std::size_t cols = cfg_.cols;
  const std::size_t words_per_row = (cols + 1) / 2;
  simulation().call([&](SimSystem& s) {
    const auto words = s.host.command(cmd, activations, k);
    LV_CHECK(words.size() == rows * words_per_row,
             "run of a " << rows << "x" << cols << " tile answered " << words.size() << " words");
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        const auto word = hw::decode_result_word(words[i * words_per_row + j / 2]);
        out[i * cols + j] =
            static_cast<std::int32_t>(static_cast<std::uint32_t>(j % 2 ? word.hi : word.lo));
      }
    }
  });
}

accelerator::Counters RtlAccelerator::counters() {
  accelerator::Counters c;
  simulation().call([&c](SimSystem& s) {
    const auto words = s.host.command(hw::encode(hw::CountersCmd{}));
    LV_CHECK(words.size() == hw::kCounterWords,
             "counters answered " << words.size() << " words, not " << hw::kCounterWords);
    c.status = words[0];
    c.cycles = words[1];
    c.macs = words[2];
    for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
      const auto w = hw::decode_bank_counter_word(words[3 + b]);
      c.bank_reads[b] = static_cast<std::uint32_t>(w.reads);
      c.bank_writes[b] = static_cast<std::uint32_t>(w.writes);
    }
  });
  return c;
}

accelerator::EccCounters RtlAccelerator::ecc_counters() {
  accelerator::EccCounters c;
  simulation().call([&c](SimSystem& s) {
    const auto words = s.host.command(hw::encode(hw::EccCountersCmd{}));
    LV_CHECK(words.size() == hw::kEccCounterWords,
             "ecc_counters answered " << words.size() << " words, not " << hw::kEccCounterWords);
    c.mode = static_cast<std::uint32_t>(hw::decode_ecc_status_word(words[0]).mode);
    for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
      const auto w = hw::decode_ecc_counter_word(words[1 + b]);
      c.corrected.push_back(static_cast<std::uint32_t>(w.corrected));
      c.uncorrectable.push_back(static_cast<std::uint32_t>(w.uncorrectable));
    }
  });
  return c;
}

std::vector<accelerator::MbistRecord> RtlAccelerator::mbist() {
  std::vector<accelerator::MbistRecord> records;
  simulation().call([&records](SimSystem& s) {
    const auto words = s.host.command(hw::encode(hw::MbistCmd{}));
    LV_CHECK(!words.empty(), "mbist answered nothing");
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      const auto r = hw::decode_mbist_record(words[i]);
      LV_CHECK(r.last == 0, "mbist record " << i << " has its last bit set");
      records.push_back(accelerator::MbistRecord{static_cast<std::uint32_t>(r.cell),
                                                 r.saw_0to1 != 0, r.saw_1to0 != 0});
    }
    const auto end = hw::decode_mbist_end(words.back());
    LV_CHECK(end.last == 1 && end.count == records.size(),
             "mbist end word counts " << end.count << " records, " << records.size() << " came");
  });
  return records;
}

void RtlAccelerator::set_vdd_schedule(const std::vector<std::uint16_t>& codes) {
  simulation().regulator.set_schedule(codes);
}

std::vector<std::uint16_t> RtlAccelerator::vdd_schedule() const {
  return simulation().regulator.schedule();
}

bool RtlAccelerator::begin_layer(std::size_t layer) {
  bool changed = false;
  simulation().call([&](SimSystem& s) { changed = s.regulator.begin_layer(layer); });
  return changed;
}

std::uint16_t RtlAccelerator::supply_code() const { return simulation().accel.vdd_code(); }

EnergyReport RtlAccelerator::energy() const { return simulation().energy.report(); }

void RtlAccelerator::clear_energy() { simulation().energy.clear(); }

std::uint64_t RtlAccelerator::simulated_cycles() const {
  return simulation().clock_cycles() - start_cycle_;
}

void register_rtl_backend() {
  accelerator::BackendTraits traits;
  traits.summary = "the Verilated RTL under SystemC, one instance per process";
  traits.default_instances = 1;
  traits.max_instances = 1;
  accelerator::register_accelerator(
      "rtl", [](const accelerator::AcceleratorConfig& config) { return std::make_unique<RtlAccelerator>(config); },
      traits);
}

}  // namespace lowvolt::sim

// libsystemc's own main() calls sc_main(). LowVolt programs have a main() of their own and run
// the kernel through SimSystem::call(), so this definition is reached only by a program that
// links lowvolt::sim without one; it says so. Weak: a program may define its own sc_main (the
// sim tests do, to run GoogleTest under libsystemc's main()).
#pragma weak sc_main
extern "C" int sc_main(int /*argc*/, char** argv) {
  std::fprintf(stderr,
               "%s: no sc_main: LowVolt runs SystemC from its own main() through the rtl backend "
               "(lowvolt::sim::register_rtl_backend)\n",
               argv != nullptr && argv[0] != nullptr ? argv[0] : "lowvolt");
  return 2;
}
