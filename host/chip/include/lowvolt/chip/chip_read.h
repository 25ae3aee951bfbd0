#pragma once
// Codes as read through a chip: a flat array of m-bit weight codes placed in a chip profile's
// SRAM at a mapping offset and read back at one supply voltage, for callers that hold plain code
// buffers (the Python module, bench/). Contract:
//  - Layout: with no layers, the linear mapping of profiles/mapping.h (code i, bit j at stream bit
//    offset + i·m + j, modulo the chip's cells) on a chip of any geometry. With layers (the
//    matrix layers of a network in flat order: N×K weights row-major, then N biases when
//    present), the accelerator's weight image (accelerator/weight_image.h: tile order from the
//    offset, wrapping), which needs a chip of the weight buffer's geometry (16 × 512 × 64) — the
//    layout `lowvolt eval --profile --backend torch` and `lowvolt curve` use.
//  - Read: docs/memory-model.md through profiles::FaultMasks: the codes written and read with
//    every array at the read counts of a profiles::ReadHistory (persistent cells do not depend
//    on them; intermittent cells are hashed with them). The default, written at 0 and read at 1,
//    is what the torch backend of sweep_curve() uses; ReadHistory::snapshot(r) is one read at r
//    with no write (the static pattern).
//  - The k-th of K mappings of a chip starts at cell ⌊cells / K⌋ · k (mapping_offset), as in
//    sweep_curve().
//  - Bad input (a code with bits at or above m, m outside 1..8, layers that do not cover the
//    codes, a layered layout on a chip of another geometry, K < 1, k ≥ K) is a lowvolt::Error
//    naming what is wrong; nothing is written to `out` then.
//  - No allocation depends on anything but the number of codes and the chip's size; results
//    depend on the inputs only (no random draws, no threads).
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/chip/memory_layout.h"
#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/mapping.h"

namespace lowvolt::host {

/// Where a flat code array sits in a chip.
struct ChipLayout {
  std::uint32_t bits = 8;           ///< bits per code, m (1..8)
  std::uint64_t offset = 0;         ///< cell of the first stored bit (taken modulo the cells)
  std::vector<ChipLayer> layers;    ///< empty: linear mapping; else the accelerator's image (memory_layout.h)

  /// Number of codes the layers cover (0 without layers).
  std::uint64_t layer_codes() const;
};

/// Offset (cells) of mapping `k` of `mappings` on a chip of `cells` cells: ⌊cells / mappings⌋·k.
/// lowvolt::Error when mappings < 1 or k is outside 0..mappings-1.
std::uint64_t mapping_offset(std::uint64_t cells, std::int64_t k, std::int64_t mappings);

/// Per-code fault masks (flat order) of `n` codes laid out by `layout` in the chip of `masks`,
/// written and read as `history` says in every array (see the contract).
profiles::CodeFaults chip_code_faults(const profiles::FaultMasks& masks, const ChipLayout& layout,
                                      std::uint64_t n, const profiles::ReadHistory& history = {});

/// Writes to out[0..n) the codes[0..n) as read through `masks` (out may equal codes); returns the
/// number of codes whose value changed. Codes must fit layout.bits bits.
std::uint64_t read_through_chip(const profiles::FaultMasks& masks, const ChipLayout& layout,
                                const std::uint8_t* codes, std::uint8_t* out, std::uint64_t n,
                                const profiles::ReadHistory& history = {});

/// The same at supply `vdd` (× Vmin) of `map`: builds the masks (CellMap::faults_at) first.
std::uint64_t read_through_chip(const profiles::CellMap& map, double vdd, const ChipLayout& layout,
                                const std::uint8_t* codes, std::uint8_t* out, std::uint64_t n,
                                const profiles::ReadHistory& history = {});

}  // namespace lowvolt::host
