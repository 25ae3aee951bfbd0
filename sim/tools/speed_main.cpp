// lowvolt-sim-speed: simulation speed of the rtl backend — the Verilated accelerator under
// SystemC, every command a TLM-2.0 transaction. Runs `tiles` full 8×8 tiles (m = 8 bits,
// K = `k` steps) at two operating points and reports simulated clock cycles per second of
// wall-clock time and per second of this process's CPU time (the figure to read on a shared,
// loaded machine; cycles from SystemC's simulated time, and the RTL's own cycle counter, which
// agrees), as a table and as one JSON object per line:
//   nominal   all-good profile, supply at the reset code (no faulty cell);
//   chip1     a `chip1` profile (profiles presets, seed 1) at 0.85 × Vmin.
// Usage: lowvolt-sim-speed [--tiles N] [--k K]      (defaults: 100 tiles, K = 4096)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/sim/rtl_backend.h"

namespace {

namespace hw = lowvolt::accelerator::hw;

struct Result {
  std::uint64_t cycles = 0;      // simulated clock cycles of the timed runs
  std::uint64_t rtl_cycles = 0;  // the same, from the RTL's cycle counter
  std::uint64_t macs = 0;        // MACs counted by the RTL during the timed runs
  double seconds = 0;            // wall-clock time of the timed runs
  double cpu_seconds = 0;        // CPU time of this process during the timed runs
};

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

Result measure(lowvolt::sim::RtlAccelerator& accel, int tiles, std::uint32_t k,
               std::mt19937_64& rng) {
  std::vector<std::uint64_t> weights(hw::kBufferWords);
  for (auto& w : weights) w = rng();
  accel.write(0, weights);
  lowvolt::accelerator::TileConfig cfg;
  cfg.act_zero = 3;
  cfg.w_zero = 128;
  accel.tile_cfg(cfg);
  std::vector<std::uint64_t> act(k);
  for (auto& a : act) a = rng();
  std::vector<std::int32_t> out(std::size_t{cfg.rows} * cfg.cols);
  const auto before = accel.counters();
  const std::uint64_t cycles0 = accel.simulated_cycles();
  const double cpu0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < tiles; ++t) {
    const auto start_word = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
    accel.run(start_word * hw::kWordBits, act.data(), act.size(), out.data());
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = cpu_now();
  const std::uint64_t cycles1 = accel.simulated_cycles();
  const auto after = accel.counters();
  return Result{cycles1 - cycles0, after.cycles - before.cycles - (hw::kCounterWords + 2),
                after.macs - before.macs, std::chrono::duration<double>(t1 - t0).count(),
                cpu1 - cpu0};
}

void report(const char* name, const Result& r, int tiles, std::uint32_t k) {
  std::printf(
      "%-8s %6d tiles  K=%-6u %10llu cycles  wall %7.3f s %7.3f M cycles/s  "
      "CPU %7.3f s %7.3f M cycles/s  %6.1f M MACs/CPU-s\n",
      name, tiles, k, static_cast<unsigned long long>(r.cycles), r.seconds,
      r.cycles / r.seconds / 1e6, r.cpu_seconds, r.cycles / r.cpu_seconds / 1e6,
      r.macs / r.cpu_seconds / 1e6);
  std::printf(
      "{\"bench\": \"sim_speed\", \"point\": \"%s\", \"pe_rows\": %u, \"pe_cols\": %u, "
      "\"tiles\": %d, \"k\": %u, \"cycles\": %llu, \"rtl_cycles\": %llu, \"macs\": %llu, "
      "\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"cycles_per_s\": %.0f, "
      "\"cycles_per_cpu_s\": %.0f, \"macs_per_cpu_s\": %.0f}\n",
      name, hw::kPeRows, hw::kPeCols, tiles, k, static_cast<unsigned long long>(r.cycles),
      static_cast<unsigned long long>(r.rtl_cycles), static_cast<unsigned long long>(r.macs),
      r.seconds, r.cpu_seconds, r.cycles / r.seconds, r.cycles / r.cpu_seconds,
      r.macs / r.cpu_seconds);
}

int run_main(int argc, char** argv) {
  int tiles = 100;
  std::uint32_t k = 4096;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--tiles" || arg == "--k") && i + 1 < argc) {
      const long v = std::strtol(argv[++i], nullptr, 10);
      if (v < 1 || v > 65535) {
        lowvolt::fail("lowvolt-sim-speed: ", arg, " = ", argv[i], " outside 1..65535");
      }
      if (arg == "--tiles") {
        tiles = static_cast<int>(v);
      } else {
        k = static_cast<std::uint32_t>(v);
      }
    } else {
      throw lowvolt::UsageError("lowvolt-sim-speed: unknown argument '" + arg +
                                "' (usage: lowvolt-sim-speed [--tiles N] [--k K])");
    }
  }
  std::mt19937_64 rng(1);
  lowvolt::sim::RtlAccelerator accel;
  report("nominal", measure(accel, tiles, k, rng), tiles, k);

  accel.load_profile(lowvolt::profiles::generate_chip(lowvolt::profiles::preset("chip1"),
                                                      lowvolt::accelerator::buffer_geometry(), 1));
  accel.set_vdd(0.85);
  report("chip1", measure(accel, tiles, k, rng), tiles, k);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Error messages already name the program.
  return lowvolt::run_main("", [&] { return run_main(argc, argv); });
}
