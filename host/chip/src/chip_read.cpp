// Codes as read through a chip (chip_read.h): the linear mapping of profiles/ or the
// accelerator's weight image, read through profiles::FaultMasks.
#include "lowvolt/chip/chip_read.h"

#include <cstring>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/weight_image.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::host {
namespace {

namespace lp = lowvolt::profiles;

std::string layer_name(const ChipLayer& layer, std::size_t index) {
  return layer.name.empty() ? "layer " + std::to_string(index) : layer.name;
}

/// Throws unless the layout can hold `n` codes of `layout.bits` bits in the chip of `masks`.
void check_layout(const lp::FaultMasks& masks, const ChipLayout& layout, std::uint64_t n) {
  if (layout.bits < 1 || layout.bits > 8) {
    fail("chip read: bits = ", layout.bits, " is outside 1..8");
  }
  if (layout.layers.empty()) return;
  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const ChipLayer& layer = layout.layers[l];
    if (layer.out_features == 0 || layer.in_features == 0) {
      fail("chip read: ", layer_name(layer, l), " has ", layer.out_features, " × ",
           layer.in_features, " features (both must be ≥ 1)");
    }
  }
  if (layout.layer_codes() != n) {
    fail("chip read: the layers hold ", layout.layer_codes(), " codes, the array has ", n);
  }
  const lp::Geometry buffer = accelerator::buffer_geometry();
  if (!(masks.geometry() == buffer)) {
    fail("chip read: the accelerator layout needs a chip of ", buffer.arrays, " × ", buffer.rows,
         " × ", buffer.cols, " cells, this one is ", masks.geometry().arrays, " × ",
         masks.geometry().rows, " × ", masks.geometry().cols, " (use the linear layout)");
  }
}

/// Throws naming the first code with a bit at or above `bits`.
void check_codes_fit(const std::uint8_t* codes, std::uint64_t n, std::uint32_t bits) {
  if (bits >= 8) return;
  std::uint8_t any = 0;
  for (std::uint64_t i = 0; i < n; ++i) any |= codes[i];
  if ((any >> bits) == 0) return;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (codes[i] >> bits) {
      fail("chip read: code ", int{codes[i]}, " at index ", i, " does not fit ", bits, " bits");
    }
  }
}

}  // namespace

std::uint64_t ChipLayout::layer_codes() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) {
    n += std::uint64_t{l.out_features} * l.in_features + (l.bias ? l.out_features : 0);
  }
  return n;
}

std::uint64_t mapping_offset(std::uint64_t cells, std::int64_t k, std::int64_t mappings) {
  if (mappings < 1) fail("mapping offset: ", mappings, " mappings (must be ≥ 1)");
  if (k < 0 || k >= mappings) {
    fail("mapping offset: mapping ", k, " is outside 0..", mappings - 1);
  }
  return cells / static_cast<std::uint64_t>(mappings) * static_cast<std::uint64_t>(k);
}

lp::CodeFaults chip_code_faults(const lp::FaultMasks& masks, const ChipLayout& layout,
                                std::uint64_t n, const lp::ReadHistory& history) {
  check_layout(masks, layout, n);
  if (layout.layers.empty()) {
    return lp::code_faults(masks, lp::LinearMapping{layout.bits, layout.offset}, n, history);
  }
  // The weight image only needs the layers' sizes to place the codes; zero codes fit any m.
  std::vector<accelerator::LayerCodes> layers = layer_codes(layout.layers, nullptr, n);
  const accelerator::WeightImage image(std::move(layers), layout.bits, layout.offset);
  return image.flat_code_faults(masks, history);
}

std::uint64_t read_through_chip(const lp::FaultMasks& masks, const ChipLayout& layout,
                                const std::uint8_t* codes, std::uint8_t* out, std::uint64_t n,
                                const lp::ReadHistory& history) {
  check_layout(masks, layout, n);
  check_codes_fit(codes, n, layout.bits);
  const lp::CodeFaults faults = chip_code_faults(masks, layout, n, history);
  LV_CHECK(faults.size() == n, "code faults for " << faults.size() << " of " << n << " codes");
  std::uint64_t changed = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint8_t v = faults.apply(i, codes[i]);
    changed += v != codes[i];
    out[i] = v;
  }
  return changed;
}

std::uint64_t read_through_chip(const lp::CellMap& map, double vdd, const ChipLayout& layout,
                                const std::uint8_t* codes, std::uint8_t* out, std::uint64_t n,
                                const lp::ReadHistory& history) {
  const lp::FaultMasks masks = map.faults_at(lp::vdd_code(vdd));
  return read_through_chip(masks, layout, codes, out, n, history);
}

}  // namespace lowvolt::host
