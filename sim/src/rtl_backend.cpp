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

/// The co-simulation's TLM host driver as the one RTL driver's port: every call runs in the
/// kernel's host thread (SimSystem::call).
class SimPort final : public accelerator::CommandPort {
 public:
  std::vector<std::uint64_t> exchange(std::uint64_t cmd, const std::uint64_t* in,
                                      std::size_t n_in) override {
    std::vector<std::uint64_t> out;
    simulation().call([&](SimSystem& s) { out = s.host.command(cmd, in, n_in); });
    return out;
  }
  void reset() override {
    simulation().call([](SimSystem& s) { s.host.reset(); });
  }
  void load_rows(std::uint16_t sigma_code, std::uint64_t seed,
                 const std::vector<std::uint64_t>& rows) override {
    simulation().call([&](SimSystem& s) { s.host.load_rows(sigma_code, seed, rows); });
  }
  void set_ecc_mode(std::uint32_t mode) override {
    simulation().call([mode](SimSystem& s) { s.host.set_ecc_mode(mode); });
  }
};

}  // namespace

RtlAccelerator::RtlAccelerator(const accelerator::AcceleratorConfig& config)
    : driver_(std::make_unique<SimPort>()) {
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
    driver_.set_ecc_mode(static_cast<std::uint32_t>(ecc_));
    driver_.reset();
    driver_.load_profile(profiles::CellMap(accelerator::buffer_geometry()));
    driver_.write(0, std::vector<std::uint64_t>(hw::kBufferWords, 0));
    driver_.reset();
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

void RtlAccelerator::reset() { driver_.reset(); }

void RtlAccelerator::load_profile(const profiles::CellMap& map) { driver_.load_profile(map); }

void RtlAccelerator::set_vdd_code(std::uint16_t vdd_code) {
  simulation().call([vdd_code](SimSystem& s) { s.regulator.set_supply(vdd_code); });
}

void RtlAccelerator::write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) {
  driver_.write(addr, words, count);
}

void RtlAccelerator::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  driver_.read(addr, count, out);
}

void RtlAccelerator::tile_cfg(const accelerator::TileConfig& cfg) { driver_.tile_cfg(cfg); }

void RtlAccelerator::run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
                         std::int32_t* out) {
  driver_.run(w_bit_addr, activations, k, out);
}

accelerator::Counters RtlAccelerator::counters() { return driver_.counters(); }

accelerator::EccCounters RtlAccelerator::ecc_counters() { return driver_.ecc_counters(); }

std::vector<accelerator::MbistRecord> RtlAccelerator::mbist() { return driver_.mbist(); }

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
