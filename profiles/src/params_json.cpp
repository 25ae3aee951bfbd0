// Chip model parameters from a JSON file (chip_model.h, read_params_json).
#include <nlohmann/json.hpp>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"

namespace lowvolt::profiles {

ChipParams read_params_json(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  if (j.is_object() && j.contains("params")) j = j["params"];
  if (!j.is_object()) fail(path, ": expected a JSON object of chip parameters");
  ChipParams p = preset("uniform");
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number()) fail(path, ": parameter '", key, "' is not a number");
    try {
      set_param(p, key, value.get<double>());
    } catch (const Error& e) {
      fail(path, ": ", e.what());
    }
  }
  return p;
}

}  // namespace lowvolt::profiles
