#include "lowvolt/chip/chip_pattern.h"

#include "lowvolt/chip/chip_read.h"
#include "lowvolt/chip/memory_layout.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::host {

ChipPattern::ChipPattern(const Net& net, int bits, const std::string& profile, double vdd,
                         int mapping, int mappings) {
  // TrainOptions::validate() checks the options these come from, naming them; mapping_offset()
  // checks the mapping.
  if (bits < 2 || bits > 8) fail("chip pattern: bits=", bits, " (the chip stores 2…8-bit codes)");
  profiles::check_supply(vdd, "chip pattern");
  const profiles::Profile chip = profiles::read_profile(profile);
  const std::uint64_t cells = chip.map.geometry().cells();
  offset_ = mapping_offset(cells, mapping, mappings);
  const auto params = net->memory_parameters();
  std::int64_t words = 0;
  for (const auto& p : params) words += p.numel();
  // The layout reads shapes only; the code values are placeholders.
  const std::vector<std::uint8_t> placeholder(static_cast<std::size_t>(words), 0);
  const accelerator::WeightImage image =
      memory_image(params, net->memory_parameter_names(), placeholder, bits, offset_);
  faults_ = image.flat_code_faults(chip.map.faults_at(profiles::vdd_code(vdd)));
  LV_CHECK(static_cast<std::int64_t>(faults_.size()) == words,
           "chip pattern covers " << faults_.size() << " codes, memory " << words);
}

torch::Tensor ChipPattern::apply(const torch::Tensor& codes) const {
  LV_CHECK(codes.scalar_type() == torch::kUInt8 && codes.numel() == numel(),
           "chip pattern: codes " << codes.sizes() << " " << codes.scalar_type() << ", pattern "
                                  << numel() << " words");
  torch::Tensor out = codes.detach().to(torch::kCPU).contiguous().clone().reshape({-1});
  std::uint8_t* c = out.data_ptr<std::uint8_t>();
  for (std::size_t i = 0; i < faults_.size(); ++i) c[i] = faults_.apply(i, c[i]);
  return out.reshape(codes.sizes()).to(codes.device());
}

std::int64_t ChipPattern::faulty_bits() const {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    n += __builtin_popcount(static_cast<unsigned>(faults_.flip[i] | faults_.stuck[i]));
  }
  return n;
}

}  // namespace lowvolt::host
