#pragma once
// Inference of a host Net with its conv2d/linear layers on an accelerator backend ("golden" or
// "rtl", accelerator.h) and everything else (normalization, activations, pooling, flatten) in
// LibTorch on the host. A TorchScript Net runs through its rewritten forward graph
// (script_accel.h: same layers, same rules, its memory tensors in memory order). Contract (docs/accelerator.md, "Host inference"):
//  - Weights: the Net's memory parameters are quantized once with the QuantScheme (m ≤ 8 bits;
//    host::WeightMemory) and laid out by accelerator::WeightImage at `offset`; the net itself is
//    not modified. Signed codes run with w_signed = 1, w_zero = 0; unsigned codes with
//    w_signed = 0, w_zero = z = 2^(m−1) − 1. Biases are read back through the SRAM.
//  - Activations (the input of every conv/linear layer), per layer and per image: symmetric,
//    zero point 0, scale S_x = max|x| / 127 (int8, range [−127, 127]) — or S_x = max x / 255
//    (uint8, [0, 255]) when the layer's input comes from a ReLU through shape/pooling layers
//    only, or is the network input and options.nonnegative_input holds (images in [0, 1]: 8-bit
//    pixels are then exact); q = round-half-even(x / S_x) clamped; S_x = 1 for an all-zero
//    input; a negative value in a uint8 layer is a lowvolt::Error. Per image, so an image's
//    result does not depend on the other images of its batch.
//  - Output of a layer, in float: y = S_w·S_x·acc + C_w·S_x·Σ_k q_k + bias, acc the int32
//    result of the accelerator, S_w / C_w the weight scale and centre (w = S_w·v + C_w).
//  - One access history: images are cut into batches of `batch` in order (per forward() call),
//    and the emulated accelerator is one chip running those batches one after the other, layer
//    by layer, across forward() calls. Batch j runs on instance j mod `instances` (each its own
//    backend object), which starts it at the bank read/write counters that one chip would have
//    after batches 0 … j − 1 (Accelerator::set_bank_counters; the tiler writes every word before
//    it reads it in a batch, so the counters are the whole state a batch sees). Intermittent
//    faults therefore draw the same noise for every `instances`: results, and the one chip's
//    counters(), are the same bits for every value (tested). The per-batch counter step of a
//    full batch is learnt from the first batch, which runs alone when instances > 1; a backend
//    without set_bank_counters() runs as one instance only (lowvolt::Error otherwise). Results
//    depend on `batch` through the history (where writes and reads fall), never on threads.
//  - Threads: `instances` consecutive batches form a round; per matrix layer the instances work
//    on their batch of the round in parallel threads (plain C++: activation quantization, tiler,
//    backend, dequantization straight into the output tensor's layout), the LibTorch layers run
//    on the whole round in the calling thread (with LibTorch's own intra-op threads), so no
//    LibTorch call runs on the instance threads. The instance threads live as long as the object
//    (one per instance beyond the first, which runs in the calling thread); their buffers are
//    reused from batch to batch.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/tiler.h"
#include "lowvolt/accelerator/weight_image.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::host {

class ScriptAccelGraph;  // script_accel.h

/// Options of AccelInference.
struct AccelInferenceOptions {
  std::string backend = "golden";                 ///< registry name of the backend
  accelerator::AcceleratorConfig backend_config;  ///< the backend's own options
  std::uint64_t offset = 0;   ///< weight image offset, in cells (mod 2^19)
  std::int64_t batch = 8;     ///< images per command sequence (rows of linear tiles)
  int instances = 1;          ///< backend objects working in parallel threads (≥ 1)
  double vdd = 0.0;           ///< supply in × Vmin; 0 = the reset supply (no faults)
  bool nonnegative_input = true;  ///< network inputs are ≥ 0 (uint8 first layer), else int8

  /// Throws lowvolt::Error naming the option when a value is out of range.
  void validate() const;
};

/// One conv/linear layer's accelerator output for one batch (for co-simulation checks).
struct LayerTrace {
  std::size_t layer = 0;               ///< matrix layer index (forward order)
  int instance = 0;                    ///< accelerator instance that ran it
  accelerator::LayerResult result;     ///< int32 results, Σx, bias codes read
};

/// A Net running on accelerator backends (see the contract above). Not thread-safe itself.
class AccelInference {
 public:
  /// Quantizes `net`'s memory parameters with `quant`, builds the weight image, creates the
  /// backends (lowvolt::Error if `options.backend` is not registered), loads `profile` into each
  /// (nullptr: fault-free) and sets the supply. `net` must outlive this object.
  AccelInference(Net net, const QuantScheme& quant, const AccelInferenceOptions& options,
                 const profiles::CellMap* profile = nullptr);
  ~AccelInference();

  /// Logits (N × classes, float32) of images (N × C × H × W, float32).
  torch::Tensor forward(const torch::Tensor& images);
  /// Sets the supply (× Vmin) of every instance; holds for the following forward() calls.
  void set_vdd(double v_over_vmin);
  /// The one chip's counters (contract above): bank reads and writes, MACs and cycles of every
  /// batch run so far, plus the set-up (reset, profile load, supply). With one instance these are
  /// its counters (reading them costs an RTL instance the counters command); with more, the
  /// cycles are the sum of the instances' batch cycles (an instance's first tile_cfg of a call
  /// may be one that one chip would have skipped).
  accelerator::Counters counters();
  /// The weight image in use.
  const accelerator::WeightImage& image() const { return *image_; }
  /// Called after every matrix layer of every batch, in the calling thread, in instance order
  /// within a round; empty = none.
  std::function<void(const LayerTrace&)> on_layer;

 private:
  struct MatrixLayer;
  struct Instance;  // an instance's buffers (accel_inference.cpp)
  struct Workers;   // the instance threads (accel_inference.cpp)
  torch::Tensor run_layer(std::size_t index, const torch::Tensor& input, std::int64_t batch,
                          int active);
  // instances > 1: set each active instance's bank counters to one chip's at its batch, and
  // afterwards add what the batches did to chip_ (`sizes`: images per batch of the round)
  void start_round(int active, std::vector<accelerator::Counters>& before);
  void end_round(int active, const std::vector<std::int64_t>& sizes,
                 const std::vector<accelerator::Counters>& before);

  Net net_;
  Quantizer quantizer_;
  AccelInferenceOptions options_;
  std::vector<MatrixLayer> layers_;
  std::unique_ptr<accelerator::WeightImage> image_;
  std::vector<std::unique_ptr<accelerator::Accelerator>> accels_;
  std::vector<std::unique_ptr<accelerator::Tiler>> tilers_;
  std::unique_ptr<ScriptAccelGraph> script_graph_;  ///< TorchScript models: the rewritten graph
  std::vector<Instance> scratch_;                    ///< per instance
  std::unique_ptr<Workers> workers_;                 ///< threads of instances 1, 2, …
  // the one chip's history (instances > 1): its counters after the batches run so far, and the
  // bank counter step of a full batch once known
  accelerator::Counters chip_;
  std::vector<std::uint32_t> step_reads_, step_writes_;
};

/// Quantizes activations per image as in the contract: returns the raw bytes (N × rest) and
/// fills `scales` (N) with S_x; `is_unsigned` selects uint8 [0, 255] over int8 [−127, 127].
std::vector<std::uint8_t> quantize_activations(const torch::Tensor& x, bool is_unsigned,
                                               std::vector<double>& scales);
/// The same on `images` × `per_image` floats (no LibTorch call; safe on any thread).
std::vector<std::uint8_t> quantize_activations(const float* x, std::int64_t images,
                                               std::int64_t per_image, bool is_unsigned,
                                               std::vector<double>& scales);
/// The same into `out` (resized to images × per_image), reusing its storage.
void quantize_activations(const float* x, std::int64_t images, std::int64_t per_image,
                          bool is_unsigned, std::vector<double>& scales,
                          std::vector<std::uint8_t>& out);

/// One image's layer output in float, [n][pixels] (NCHW; pixels = 1 for a linear layer), from
/// the accelerator's results acc [pixels][n] and act_sum [pixels]: out = ss·acc + cs·Σq + bias,
/// each term in double in this order (a product, then two sums, each rounded; no fused
/// multiply-add), rounded to float. `avx512`: with the AVX-512 code (only where
/// dequantize_avx512_supported()); both give the same bits.
void dequantize_image(const std::int32_t* acc, const std::int64_t* act_sum, std::int64_t pixels,
                      std::int64_t n, double ss, double cs, const double* bias, float* out,
                      bool avx512);
/// Whether this CPU runs dequantize_image's AVX-512 code.
bool dequantize_avx512_supported();

}  // namespace lowvolt::host
