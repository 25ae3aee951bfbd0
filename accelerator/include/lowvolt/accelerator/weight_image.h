#pragma once
// The weight-memory image: where every bit of a network's quantized weights lives in the SRAM.
// Contract (docs/accelerator.md, "Memory image"):
//  - Input: the matrix layers of a network in forward order, each an N×K weight matrix (out
//    features × in features; a conv2d weight [Cout][Cin][kh][kw] is N = Cout, K = Cin·kh·kw) and
//    an optional bias of N codes, all codes m bits (1..8). "Flat order" is the order of the
//    host's WeightMemory: layer by layer, the weights row-major, then the biases.
//  - Image order (the order codes are streamed into memory): layer by layer; within a layer the
//    weights column tile by column tile (tile t = output features [8t, 8t + 8), the last one
//    narrower), inside a tile step k major and feature minor — exactly what one `run` streams —
//    then the layer's N bias codes.
//  - Linear mapping with an offset: image code i, bit b (LSB = 0) sits at memory-model cell
//    (offset + i·m + b) mod cells, cells = kBanks × kSramRows × 64 = 2^19. An image longer than
//    the buffer wraps around; the tiler loads it window by window (tiler.h), so a weight bit is
//    always read from its own cell. Different offsets give the paper's different mappings.
//  - Invertible: cell_of(flat, bit) and bits_at_cell(cell) are inverse to each other.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/mapping.h"

namespace lowvolt::accelerator {

/// One matrix layer's codes (conv2d or linear), as stored.
struct LayerCodes {
  std::string name;                ///< for messages ("body.0")
  std::uint32_t out_features = 0;  ///< N: output features (conv: output channels)
  std::uint32_t in_features = 0;   ///< K: reduction length (conv: Cin·kh·kw)
  std::vector<std::uint8_t> weights;  ///< N×K codes, row-major (feature n, then k), low m bits
  std::vector<std::uint8_t> bias;     ///< N codes or empty (no bias), low m bits
  bool w_signed = false;     ///< weight codes are m-bit two's complement (else unsigned)
  std::uint8_t w_zero = 0;   ///< weight zero point, raw 8 bits (int8 if w_signed)
};

/// Position of one stored bit in flat order.
struct FlatBit {
  std::uint64_t code = 0;  ///< flat code index
  std::uint32_t bit = 0;   ///< bit within the code, LSB = 0
  bool operator==(const FlatBit& o) const { return code == o.code && bit == o.bit; }
};

/// Layers of codes laid out in the accelerator's memory (see the contract above).
class WeightImage {
 public:
  /// Lays out `layers` with m = `bits` (1..8) from cell `offset` (taken modulo the cell count).
  /// lowvolt::Error naming the layer when a size is inconsistent or a code does not fit m bits.
  WeightImage(std::vector<LayerCodes> layers, std::uint32_t bits, std::uint64_t offset);

  /// Bits per code, m.
  std::uint32_t bits() const { return bits_; }
  /// Cell of image code 0's bit 0, in [0, cells).
  std::uint64_t offset() const { return offset_; }
  /// The layers, as given.
  const std::vector<LayerCodes>& layers() const { return layers_; }
  /// Number of codes (weights and biases of all layers).
  std::uint64_t codes() const { return flat_of_image_.size(); }
  /// Cells in the buffer, 2^19.
  static std::uint64_t cells();

  /// First image code of layer l's weights; its bias follows N·K codes later.
  std::uint64_t layer_start(std::size_t l) const { return layer_start_.at(l); }
  /// First flat code of layer l's weights.
  std::uint64_t layer_flat_start(std::size_t l) const { return layer_flat_start_.at(l); }
  /// Image position of flat code `flat`.
  std::uint64_t image_of_flat(std::uint64_t flat) const { return image_of_flat_.at(flat); }
  /// Flat code at image position `image`.
  std::uint64_t flat_of_image(std::uint64_t image) const { return flat_of_image_.at(image); }
  /// Memory-model cell of bit `bit` of flat code `flat`.
  std::uint64_t cell_of(std::uint64_t flat, std::uint32_t bit) const;
  /// Every stored bit that lives in cell `cell` (several when the image wraps), ascending.
  std::vector<FlatBit> bits_at_cell(std::uint64_t cell) const;

  /// The image as a bit stream placed at its cells, unwrapped: bit q of word q / 64 is cell
  /// q mod cells, for q in [0, offset + codes·m); bits outside the image are 0.
  const std::vector<std::uint64_t>& unwrapped_words() const { return unwrapped_; }

  /// Fault masks of every code in flat order when the image is written and read through `masks`
  /// as `history` says (every array at its read counts): what the torch backend applies to
  /// WeightMemory codes so that a profile means the same bit errors there as on the accelerator
  /// (persistent faults exactly; intermittent cells with the accelerator's per-read statistics
  /// under the default history). A code whose cell holds a bit of another code of a later window
  /// is read as loaded in its own window.
  profiles::CodeFaults flat_code_faults(const profiles::FaultMasks& masks,
                                        const profiles::ReadHistory& history = {}) const;

 private:
  std::vector<LayerCodes> layers_;
  std::uint32_t bits_;
  std::uint64_t offset_;
  std::vector<std::uint64_t> layer_start_, layer_flat_start_;
  std::vector<std::uint64_t> image_of_flat_, flat_of_image_;
  std::vector<std::uint64_t> unwrapped_;
};

}  // namespace lowvolt::accelerator
