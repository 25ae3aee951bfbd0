#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/profile.h"

namespace lowvolt::profiles {

Profile generate_profile(const ChipParams& params, const std::string& label,
                         const std::vector<std::string>& overrides, const Geometry& g,
                         std::uint64_t seed) {
  Profile p;
  p.params = params;
  apply_overrides(p.params, overrides);
  check_geometry(g, "generate");
  p.map = generate_chip(p.params, g, seed);
  p.provenance = "lowvolt profile generate --preset " + label + " --arrays " +
                 std::to_string(g.arrays) + " --rows " + std::to_string(g.rows) + " --cols " +
                 std::to_string(g.cols) + " --seed " + std::to_string(seed);
  for (const auto& o : overrides) p.provenance += " --set " + o;
  return p;
}

Profile generate_profile(const std::string& preset_name, const std::vector<std::string>& overrides,
                         const Geometry& g, std::uint64_t seed) {
  return generate_profile(preset(preset_name), preset_name, overrides, g, seed);
}

}  // namespace lowvolt::profiles
