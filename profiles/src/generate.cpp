#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/profile.h"

namespace lowvolt::profiles {

Profile generate_profile(const std::string& preset_name, const std::vector<std::string>& overrides,
                         const Geometry& g, std::uint64_t seed) {
  Profile p;
  p.params = preset(preset_name);
  apply_overrides(p.params, overrides);
  check_geometry(g, "generate");
  p.map = generate_chip(p.params, g, seed);
  p.provenance = "lowvolt profile generate --preset " + preset_name + " --arrays " +
                 std::to_string(g.arrays) + " --rows " + std::to_string(g.rows) + " --cols " +
                 std::to_string(g.cols) + " --seed " + std::to_string(seed);
  for (const auto& o : overrides) p.provenance += " --set " + o;
  return p;
}

}  // namespace lowvolt::profiles
