// The weight-memory image (weight_image.h).
#include "lowvolt/accelerator/weight_image.h"

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

std::uint64_t WeightImage::cells() { return std::uint64_t{hw::kBufferWords} * hw::kWordBits; }

WeightImage::WeightImage(std::vector<LayerCodes> layers, std::uint32_t bits, std::uint64_t offset)
    : layers_(std::move(layers)), bits_(bits), offset_(offset % cells()) {
  if (bits_ < 1 || bits_ > hw::kMaxWbits) {
    fail("weight image: bits = ", bits_, " outside 1..", hw::kMaxWbits);
  }
  std::vector<std::uint8_t> flat_codes;
  for (const auto& l : layers_) {
    const std::uint64_t n = l.out_features, k = l.in_features;
    if (n == 0 || k == 0 || l.weights.size() != n * k) {
      fail("weight image: layer '", l.name, "' has ", l.weights.size(), " weight codes for ", n,
           " × ", k, " features");
    }
    if (!l.bias.empty() && l.bias.size() != n) {
      fail("weight image: layer '", l.name, "' has ", l.bias.size(), " bias codes for ", n,
           " outputs");
    }
    for (const auto* codes : {&l.weights, &l.bias}) {
      for (std::uint8_t c : *codes) {
        if (c >> bits_) fail("weight image: layer '", l.name, "' has code ", int{c},
                             " that does not fit ", bits_, " bits");
      }
    }
    const std::uint64_t flat_base = flat_codes.size();
    const std::uint64_t img_base = flat_base;  // both orders hold a layer in the same range
    layer_start_.push_back(img_base);
    layer_flat_start_.push_back(flat_base);
    flat_codes.insert(flat_codes.end(), l.weights.begin(), l.weights.end());
    flat_codes.insert(flat_codes.end(), l.bias.begin(), l.bias.end());
    image_of_flat_.resize(flat_codes.size());
    for (std::uint64_t n0 = 0; n0 < n; n0 += hw::kPeCols) {
      const std::uint64_t cw = std::min<std::uint64_t>(hw::kPeCols, n - n0);
      for (std::uint64_t s = 0; s < k; ++s) {
        for (std::uint64_t j = 0; j < cw; ++j) {
          image_of_flat_[flat_base + (n0 + j) * k + s] = img_base + n0 * k + s * cw + j;
        }
      }
    }
    for (std::uint64_t i = 0; i < l.bias.size(); ++i) {
      image_of_flat_[flat_base + n * k + i] = img_base + n * k + i;
    }
  }
  flat_of_image_.resize(image_of_flat_.size());
  for (std::uint64_t f = 0; f < image_of_flat_.size(); ++f) flat_of_image_[image_of_flat_[f]] = f;

  const std::uint64_t end = offset_ + codes() * bits_;
  unwrapped_.assign((end + 63) / 64 + 1, 0);
  for (std::uint64_t i = 0; i < codes(); ++i) {
    const std::uint64_t v = flat_codes[flat_of_image_[i]];
    const std::uint64_t q = offset_ + i * bits_;
    unwrapped_[q >> 6] |= v << (q & 63u);
    if ((q & 63u) + bits_ > 64) unwrapped_[(q >> 6) + 1] |= v >> (64 - (q & 63u));
  }
}

std::uint64_t WeightImage::cell_of(std::uint64_t flat, std::uint32_t bit) const {
  if (bit >= bits_) fail("weight image: bit ", bit, " of a ", bits_, "-bit code");
  return (offset_ + image_of_flat(flat) * bits_ + bit) % cells();
}

std::vector<FlatBit> WeightImage::bits_at_cell(std::uint64_t cell) const {
  if (cell >= cells()) fail("weight image: cell ", cell, " outside the buffer's ", cells());
  std::vector<FlatBit> out;
  const std::uint64_t end = offset_ + codes() * bits_;
  for (std::uint64_t q = cell; q < end; q += cells()) {
    if (q < offset_) continue;
    const std::uint64_t s = q - offset_;
    out.push_back(FlatBit{flat_of_image_[s / bits_], static_cast<std::uint32_t>(s % bits_)});
  }
  return out;
}

profiles::CodeFaults WeightImage::flat_code_faults(const profiles::FaultMasks& masks,
                                                   const profiles::ReadHistory& history) const {
  if (!(masks.geometry() == buffer_geometry())) {
    fail("weight image: fault masks of a ", masks.geometry().arrays, "×", masks.geometry().rows,
         "×", masks.geometry().cols, " chip, the buffer is ", hw::kBanks, "×", hw::kSramRows,
         "×", hw::kSramCols);
  }
  const auto image = profiles::code_faults(masks, profiles::LinearMapping{bits_, offset_}, codes(), history);
  profiles::CodeFaults flat;
  flat.flip.resize(codes());
  flat.stuck.resize(codes());
  flat.stuck1.resize(codes());
  for (std::uint64_t i = 0; i < codes(); ++i) {
    const std::uint64_t f = flat_of_image_[i];
    flat.flip[f] = image.flip[i];
    flat.stuck[f] = image.stuck[i];
    flat.stuck1[f] = image.stuck1[i];
  }
  return flat;
}

}  // namespace lowvolt::accelerator
