// lowvolt-golden-digest: a fingerprint of an accelerator backend's end-to-end run, for checking
// that a change to the golden model or to host::AccelInference changes no output bit and no
// counter (docs/benchmarks.md, "golden at the speed of fake quantization"). It runs a model file
// on the first N Fashion-MNIST test images through host::AccelInference exactly as
// `lowvolt eval --profile P --vdd V --mappings 1 --backend golden` does (2 instances, batch 8,
// forward passes of 1000 images, weight image offset 0) and prints one JSON line with:
//  - logits_hash: a 64-bit fingerprint of every logit's float32 bytes, in image order;
//  - layers_hash: the same over every matrix layer's accelerator output (int32 results, Σx terms,
//    bias codes read) in the order AccelInference reports them;
//  - chip: the one chip's cycles, macs, bank reads and writes (sums and a fingerprint of the
//    per-bank vectors; AccelInference::counters());
//  - errors: misclassified images; seconds: wall-clock time of the forward passes.
// Usage: lowvolt-golden-digest MODEL.lvm IMAGES [PROFILE.lvp VDD] [--backend B] [--data DIR]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/io/data.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/profiles/profile.h"

namespace {

/// A 64-bit fingerprint of appended byte ranges (multiply-xorshift over 8-byte chunks; the
/// value depends on the bytes and on how they were cut into ranges, both fixed for a run).
class Digest {
 public:
  void add(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    std::uint64_t tail = 0;
    for (; i < size; ++i) tail = (tail << 8) | p[i];
    mix(tail ^ (std::uint64_t{size} << 32));
  }
  std::uint64_t value() const { return h_; }

 private:
  void mix(std::uint64_t w) {
    h_ = (h_ ^ w) * 0x9e3779b97f4a7c15ULL;
    h_ ^= h_ >> 29;
  }
  std::uint64_t h_ = 0x243f6a8885a308d3ULL;
};

int run(int argc, char** argv) {
  std::vector<std::string> pos;
  std::string backend = "golden";
  std::string data_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--backend" || a == "--data") && i + 1 < argc) {
      (a == "--backend" ? backend : data_dir) = argv[++i];
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2 && pos.size() != 4) {
    throw lowvolt::UsageError(
        "usage: lowvolt-golden-digest MODEL.lvm IMAGES [PROFILE.lvp VDD] [--backend B] [--data "
        "DIR]");
  }
  const auto images_opt = lowvolt::parse_unsigned(pos[1], 1u << 20);
  if (!images_opt || *images_opt == 0)
    lowvolt::fail("IMAGES = '", pos[1], "' is not a count in 1..2^20");
  const auto images = static_cast<std::int64_t>(*images_opt);
  std::unique_ptr<lowvolt::profiles::Profile> profile;
  double vdd = 0.0;
  if (pos.size() == 4) {
    profile = std::make_unique<lowvolt::profiles::Profile>(lowvolt::profiles::read_profile(pos[2]));
    const auto v = lowvolt::parse_real(pos[3]);
    if (!v || !(*v > 0.0 && *v < 16.0))
      lowvolt::fail("VDD = '", pos[3], "' is not a supply in (0, 16) × Vmin");
    vdd = *v;
  }
  lowvolt::host::configure_threads(2);
  lowvolt::accelerator::register_golden_backend();
  const auto file = lowvolt::host::load_model_file(pos[0]);
  const auto test = lowvolt::host::load_dataset("fashion-mnist", data_dir, false).head(images);
  lowvolt::host::Net net = lowvolt::host::instantiate(file);
  net->eval();

  lowvolt::host::AccelInferenceOptions o;
  o.backend = backend;
  o.instances = 2;
  o.vdd = vdd;
  lowvolt::host::AccelInference inference(net, file.quant, o, profile ? &profile->map : nullptr);
  Digest layers;
  inference.on_layer = [&](const lowvolt::host::LayerTrace& t) {
    const auto& r = t.result;
    layers.add(r.acc.data(), r.acc.size() * sizeof(std::int32_t));
    layers.add(r.act_sum.data(), r.act_sum.size() * sizeof(std::int64_t));
    layers.add(r.bias.data(), r.bias.size());
  };
  Digest logits;
  std::int64_t wrong = 0;
  torch::NoGradGuard no_grad;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < test.size(); i += 1000) {
    const std::int64_t n = std::min<std::int64_t>(1000, test.size() - i);
    const auto y = inference.forward(test.images.narrow(0, i, n)).contiguous();
    logits.add(y.data_ptr<float>(), static_cast<std::size_t>(y.numel()) * sizeof(float));
    wrong += y.argmax(1).ne(test.labels.narrow(0, i, n)).sum().item<std::int64_t>();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"images\": %lld, \"vdd\": %g, \"errors\": %lld, \"logits_hash\": \"%016llx\", "
      "\"layers_hash\": \"%016llx\", \"chip\": ",
      static_cast<long long>(test.size()), vdd, static_cast<long long>(wrong),
      static_cast<unsigned long long>(logits.value()),
      static_cast<unsigned long long>(layers.value()));
  const auto c = inference.counters();  // the one chip's (2 instances reproduce its history)
  std::uint64_t reads = 0, writes = 0;
  for (auto r : c.bank_reads) reads += r;
  for (auto w : c.bank_writes) writes += w;
  Digest banks;
  banks.add(c.bank_reads.data(), c.bank_reads.size() * sizeof(std::uint32_t));
  banks.add(c.bank_writes.data(), c.bank_writes.size() * sizeof(std::uint32_t));
  std::printf("{\"cycles\": %llu, \"macs\": %llu, \"reads\": %llu, \"writes\": %llu, "
              "\"banks_hash\": \"%016llx\"}",
              static_cast<unsigned long long>(c.cycles), static_cast<unsigned long long>(c.macs),
              static_cast<unsigned long long>(reads), static_cast<unsigned long long>(writes),
              static_cast<unsigned long long>(banks.value()));
  std::printf(", \"seconds\": %.3f}\n", seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return lowvolt::run_main("lowvolt-golden-digest: ", [&] { return run(argc, argv); });
}
