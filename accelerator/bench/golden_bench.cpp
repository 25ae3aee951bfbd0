// lowvolt-golden-bench: speed of an accelerator backend on the default `cnn`'s matrix layers
// (Fashion-MNIST shapes: conv 1→32 3×3 pad 1 on 28×28, conv 32→64 3×3 pad 1 on 14×14,
// linear 3136→128, linear 128→10), random 8-bit codes and activations, through the tiler.
// Host-side work (pooling, normalization) is not included: this is the accelerator's share.
// Usage: lowvolt-golden-bench [images=512] [threads=2] [batch=8] [profile.lvp vdd]
// Prints one JSON line: images/s (wall clock) and images per CPU-second (all threads; on a
// machine shared with other jobs the wall-clock rate understates the speed), simulated cycles
// per image and per second, MACs per image.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lowvolt/accelerator/golden.h"
#include "lowvolt/accelerator/tiler.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/profile.h"

namespace acc = lowvolt::accelerator;

namespace {

acc::LayerCodes layer(std::mt19937_64& rng, const char* name, std::uint32_t n, std::uint32_t k) {
  acc::LayerCodes l;
  l.name = name;
  l.out_features = n;
  l.in_features = k;
  l.weights.resize(std::size_t{n} * k);
  for (auto& c : l.weights) c = static_cast<std::uint8_t>(rng());
  l.bias.resize(n);
  for (auto& c : l.bias) c = static_cast<std::uint8_t>(rng());
  l.w_signed = false;
  l.w_zero = 127;
  return l;
}

struct Totals {
  std::uint64_t cycles = 0, macs = 0;
};

/// Runs `images` images in batches on one golden instance; returns its counters' totals.
Totals run_instance(const acc::WeightImage& image, int images, int batch,
                    const lowvolt::profiles::CellMap* map, double vdd, std::uint64_t seed) {
  acc::GoldenAccelerator g;
  if (map) g.load_profile(*map);
  if (vdd > 0) g.set_vdd(vdd);
  const auto start = g.counters();
  acc::Tiler tiler(g, image);
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> x1, x2, x3, x4;
  for (int done = 0; done < images; done += batch) {
    const auto b = static_cast<std::uint32_t>(std::min(batch, images - done));
    x1.resize(std::size_t{b} * 784);
    x2.resize(std::size_t{b} * 32 * 196);
    x3.resize(std::size_t{b} * 3136);
    x4.resize(std::size_t{b} * 128);
    for (auto* v : {&x1, &x2, &x3, &x4}) {
      for (auto& e : *v) e = static_cast<std::uint8_t>(rng() & 0x7f);
    }
    acc::Conv2dShape c1;
    c1.batch = b;
    c1.height = c1.width = 28;
    c1.kernel_h = c1.kernel_w = 3;
    c1.pad_h = c1.pad_w = 1;
    acc::Conv2dShape c2 = c1;
    c2.in_channels = 32;
    c2.height = c2.width = 14;
    const acc::ActEncoding act{false, 0};
    tiler.conv2d(0, x1.data(), c1, act);
    tiler.conv2d(1, x2.data(), c2, act);
    tiler.linear(2, x3.data(), b, act);
    tiler.linear(3, x4.data(), b, act);
  }
  const auto end = g.counters();
  return Totals{end.cycles - start.cycles, end.macs - start.macs};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int images = argc > 1 ? std::atoi(argv[1]) : 512;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    const int batch = argc > 3 ? std::atoi(argv[3]) : 8;
    std::unique_ptr<lowvolt::profiles::Profile> profile;
    double vdd = 0;
    if (argc > 5) {
      profile = std::make_unique<lowvolt::profiles::Profile>(lowvolt::profiles::read_profile(argv[4]));
      vdd = std::atof(argv[5]);
    }
    if (images < 1 || threads < 1 || batch < 1) lowvolt::fail("images, threads, batch must be ≥ 1");
    std::mt19937_64 rng(1);
    std::vector<acc::LayerCodes> layers = {layer(rng, "conv1", 32, 9), layer(rng, "conv2", 64, 288),
                                           layer(rng, "fc1", 128, 3136), layer(rng, "fc2", 10, 128)};
    const acc::WeightImage image(layers, 8, 0);
    std::vector<Totals> totals(static_cast<std::size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      const int share = images / threads + (t < images % threads ? 1 : 0);
      pool.emplace_back([&, t, share] {
        totals[static_cast<std::size_t>(t)] =
            run_instance(image, share, batch, profile ? &profile->map : nullptr, vdd, 100 + t);
      });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    Totals sum;
    for (const auto& t : totals) {
      sum.cycles += t.cycles;
      sum.macs += t.macs;
    }
    std::printf(
        "{\"backend\": \"golden\", \"images\": %d, \"threads\": %d, \"batch\": %d, \"seconds\": %.3f, "
        "\"cpu_seconds\": %.3f, \"images_per_s\": %.1f, \"images_per_cpu_s\": %.1f, \"cycles_per_image\": %.0f, \"simulated_cycles_per_s\": %.3e, "
        "\"macs_per_image\": %.0f}\n",
        images, threads, batch, s, cpu, images / s, images / cpu,
        static_cast<double>(sum.cycles) / images,
        static_cast<double>(sum.cycles) / s, static_cast<double>(sum.macs) / images);
    return 0;
  } catch (const lowvolt::Error& e) {
    std::fprintf(stderr, "lowvolt-golden-bench: %s\n", e.what());
    return 1;
  }
}
