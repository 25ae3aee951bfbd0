#pragma once
// Chip-specific fixed bit error pattern (issue 16: PattBET on an emulated chip). Contract:
//  - The pattern is a chip profile's faults at one supply (× Vmin), laid onto a network's weight
//    memory exactly as `lowvolt curve` lays it (host/curve.h): the memory tensors become the
//    accelerator's weight image (memory_layout.h, accelerator::WeightImage: tile order, linear
//    from cell offset k·⌊cells/K⌋ for mapping k of K, wrapping over the memory), and the chip's
//    fault masks at the supply become per-code flip / stuck-at masks, for the image written at
//    read count 0 and read at 1 (profiles::ReadHistory, the default read of the torch backend of
//    `curve`: intermittent stuck cells that catch their value at the write included).
//  - The layout depends on the tensors' shapes only, so one pattern applies to the codes of any
//    weights of the same network (training re-quantizes every step; the faulty cells stay).
//  - Same (profile, vdd, mapping, K, network shapes, bits) → the same pattern, bit for bit.
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "lowvolt/nn/models.h"
#include "lowvolt/profiles/mapping.h"

namespace lowvolt::host {

/// A chip's faults at a supply over a network's weight memory.
class ChipPattern {
 public:
  /// Reads `profile` (.lvp) and lays its faults at `vdd` × Vmin onto `net`'s memory tensors of
  /// `bits` bits at mapping `mapping` of `mappings`. lowvolt::Error naming the file or option on
  /// an unreadable profile, bits outside 2…8, mapping outside 0…K−1, or a memory larger than
  /// the chip.
  ChipPattern(const Net& net, int bits, const std::string& profile, double vdd, int mapping,
              int mappings);

  /// New flat uint8 tensor: `codes` (flat, WeightMemory::codes() layout) read through the faults.
  torch::Tensor apply(const torch::Tensor& codes) const;
  /// Number of faulty bits (flip or stuck) among the memory's code bits.
  std::int64_t faulty_bits() const;
  /// Number of code words covered.
  std::int64_t numel() const { return static_cast<std::int64_t>(faults_.size()); }
  /// Cell offset of the mapping (k·⌊cells/K⌋).
  std::uint64_t offset() const { return offset_; }

 private:
  profiles::CodeFaults faults_;
  std::uint64_t offset_ = 0;
};

}  // namespace lowvolt::host
