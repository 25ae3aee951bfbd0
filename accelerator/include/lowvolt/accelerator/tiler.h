#pragma once
// The tiler: lowers linear and conv2d layers onto the R × C PE array of any Accelerator backend,
// loading the weight image (weight_image.h) window by window. Contract (docs/accelerator.md):
//  - A layer is y[M][N] = Σ_k (x[m][k] − zx)·(w[n][k] − zw) mod 2^32 with N×K weights from the
//    image; a conv2d is lowered im2col-style (rows = (image, out_y, out_x), K = (cin, ky, kx),
//    padding taps hold the activation zero point, so they add nothing).
//  - Column tiles of C = kPeCols features, row tiles of R = kPeRows rows; K is split into chunks
//    of ≤ 65535 steps that fit the buffer, whose int32 partial sums are added modulo 2^32 (the
//    same as one long accumulation).
//  - Weight loading: the layer's image range is cut into windows of at most kBufferWords words;
//    each window's words are written with one `write` command before its runs, then for each
//    column tile and K chunk, every row tile runs in ascending order, then the layer's bias codes
//    are read back with one `read` command (they pass through the faulty SRAM like every weight).
//    The command sequence depends only on the layer and the input size, so every backend sees
//    the same reads in the same order (the intermittent model's r).
//  - The C·Σx term of asymmetric weights: act_sum[m] = Σ_k (x[m][k] − zx), exact, from the host.
//  - Failures: lowvolt::Error for a shape that does not match the layer.
#include <cstdint>
#include <optional>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/weight_image.h"

namespace lowvolt::accelerator {

/// How a layer's activations are encoded in the 8-bit activation words.
struct ActEncoding {
  bool is_signed = true;  ///< int8 (true) or uint8 activations
  std::uint8_t zero = 0;  ///< activation zero point, raw 8 bits
};

/// Geometry of a conv2d input and kernel (NCHW, PyTorch semantics).
struct Conv2dShape {
  std::uint32_t batch = 1;        ///< images
  std::uint32_t in_channels = 1;  ///< Cin
  std::uint32_t height = 1;       ///< input height, in pixels
  std::uint32_t width = 1;        ///< input width, in pixels
  std::uint32_t kernel_h = 1;     ///< kernel height, in pixels
  std::uint32_t kernel_w = 1;     ///< kernel width, in pixels
  std::uint32_t stride_h = 1;     ///< vertical stride, in pixels
  std::uint32_t stride_w = 1;     ///< horizontal stride, in pixels
  std::uint32_t pad_h = 0;        ///< zero padding above and below, in pixels
  std::uint32_t pad_w = 0;        ///< zero padding left and right, in pixels
  std::uint32_t dilation_h = 1;   ///< vertical dilation
  std::uint32_t dilation_w = 1;   ///< horizontal dilation

  /// Output height (lowvolt::Error if the kernel does not fit).
  std::uint32_t out_h() const;
  /// Output width (lowvolt::Error if the kernel does not fit).
  std::uint32_t out_w() const;
};

/// One layer's results as the accelerator computed them.
struct LayerResult {
  std::uint32_t rows = 0;             ///< M
  std::uint32_t cols = 0;             ///< N
  std::vector<std::int32_t> acc;      ///< M×N Σ (x − zx)(w − zw) mod 2^32, row-major
  std::vector<std::int64_t> act_sum;  ///< per row: Σ_k (x − zx)
  std::vector<std::uint8_t> bias;     ///< N bias codes as read through the SRAM (empty: no bias)
};

/// Runs the layers of one WeightImage on one accelerator (both must outlive the tiler).
class Tiler {
 public:
  Tiler(Accelerator& accel, const WeightImage& image);

  /// Layer `layer` on `rows` input rows x (rows × K raw bytes, row-major).
  LayerResult linear(std::size_t layer, const std::uint8_t* x, std::uint32_t rows,
                     const ActEncoding& act);
  /// Layer `layer` as a conv2d on x (batch × Cin × H × W raw bytes); rows of the result are
  /// (image, out_y, out_x), row-major. K of the layer must equal Cin·kernel_h·kernel_w.
  LayerResult conv2d(std::size_t layer, const std::uint8_t* x, const Conv2dShape& shape,
                     const ActEncoding& act);
  /// linear() into `out`, reusing its storage.
  void linear(std::size_t layer, const std::uint8_t* x, std::uint32_t rows, const ActEncoding& act,
              LayerResult& out);
  /// conv2d() into `out`, reusing its storage.
  void conv2d(std::size_t layer, const std::uint8_t* x, const Conv2dShape& shape,
              const ActEncoding& act, LayerResult& out);

 private:
  void run_matrix(std::size_t layer, std::uint32_t rows, const ActEncoding& act, LayerResult& res);

  Accelerator* accel_;
  const WeightImage* image_;
  std::optional<TileConfig> current_;  // the backend's tile configuration, when known
  // scratch reused across layers (large fresh allocations cost page faults every call)
  std::vector<std::uint8_t> padded_;  // conv input with explicit padding
  std::vector<std::size_t> taps_;     // conv: byte offset of tap (c, ky, kx) from a row's base
  std::vector<std::uint64_t> words_;  // activation words
};

/// Activation words of `rows` rows × K raw bytes: word (row tile t, step k) = bytes
/// x[8t + i][k] at byte i (rows past the end hold `fill`); t-major, k-minor.
std::vector<std::uint64_t> pack_activation_words(const std::uint8_t* x, std::uint32_t rows,
                                                 std::uint32_t k, std::uint8_t fill);
/// The same into `words` (resized), reusing its storage.
void pack_activation_words(const std::uint8_t* x, std::uint32_t rows, std::uint32_t k,
                           std::uint8_t fill, std::vector<std::uint64_t>& words);

}  // namespace lowvolt::accelerator
