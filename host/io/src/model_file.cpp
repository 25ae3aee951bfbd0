#include "lowvolt/io/model_file.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/crc32.h"
#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

constexpr char kMagic[8] = {'L', 'V', 'M', 'O', 'D', 'E', 'L', '1'};
/// Version 2 appends a CRC-32 (common/crc32.h, as zlib) of every preceding byte; version 1 files
/// (no checksum) are still read, with a warning.
constexpr int kVersion = 2;

static_assert(sizeof(float) == 4, "float32 tensors");

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint64_t get_u64(const std::string& in, std::size_t at) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  }
  return value;
}

bool little_endian() {
  const std::uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

/// `value` (the header field `name`) as an integer of type T: it must be written as a JSON
/// integer and fit T — 1.5 or 1e308 is not an offset, and 2^40 + 8 is not 8 bits.
template <typename T>
T exact_integer(const nlohmann::json& value, const std::string& path, const std::string& name) {
  if (!value.is_number_integer()) fail(path, ": model file header field \"", name, "\" is not an integer");
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      fail(path, ": model file header field \"", name, "\" = ", v, " is out of range");
    }
    return static_cast<T>(v);
  }
  const auto v = value.get<std::int64_t>();
  if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
    fail(path, ": model file header field \"", name, "\" = ", v, " is out of range");
  }
  return static_cast<T>(v);
}

template <typename T>
T field(const nlohmann::json& object, const char* key, const std::string& path,
        const char* section) {
  const std::string name = *section == '\0' ? std::string(key) : std::string(section) + "." + key;
  if (!object.is_object() || !object.contains(key)) {
    fail(path, ": model file header lacks \"", name, "\"");
  }
  const nlohmann::json& value = object.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return exact_integer<T>(value, path, name);
  } else {
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(path, ": model file header field \"", name, "\" has the wrong type");
    }
  }
}

}  // namespace

ModelFile snapshot(const Net& net, const QuantScheme& quant) {
  ModelFile file;
  file.model = net->config;
  file.quant = quant;
  torch::NoGradGuard no_grad;
  for (const auto& item : net->named_parameters()) {
    file.tensors.emplace_back(item.key(), item.value().detach().to(torch::kFloat32).clone());
  }
  for (const auto& item : net->named_buffers()) {
    file.tensors.emplace_back(item.key(), item.value().detach().to(torch::kFloat32).clone());
  }
  file.memory = net->memory_parameter_names();
  return file;
}

Net instantiate(const ModelFile& file) {
  Net net(file.model);
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> by_name(file.tensors.begin(), file.tensors.end());
  auto assign = [&](const std::string& name, torch::Tensor target) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) fail("model file: tensor \"", name, "\" is missing");
    if (it->second.sizes() != target.sizes()) {
      fail("model file: tensor \"", name, "\" has shape ", it->second.sizes(), ", the ",
           file.model.arch, " model needs ", target.sizes());
    }
    target.copy_(it->second);
  };
  for (auto& item : net->named_parameters()) assign(item.key(), item.value());
  for (auto& item : net->named_buffers()) assign(item.key(), item.value());
  return net;
}

void save_model_file(const ModelFile& file, const std::string& path) {
  LV_CHECK(little_endian(), "model files are written on little-endian hosts only");
  nlohmann::json header;
  header["format"] = "lowvolt-model";
  header["version"] = kVersion;
  header["model"] = {{"arch", file.model.arch},         {"norm", file.model.norm},
                     {"width", file.model.width},       {"channels", file.model.channels},
                     {"height", file.model.height},     {"width_px", file.model.width_px},
                     {"classes", file.model.classes}};
  header["quant"] = {{"name", file.quant.name()},
                     {"bits", file.quant.bits},
                     {"per_layer", file.quant.per_layer},
                     {"asymmetric", file.quant.asymmetric},
                     {"unsigned_codes", file.quant.unsigned_codes},
                     {"rounding", file.quant.rounding},
                     {"wmax", file.quant.wmax}};
  // Reference-code variants (docs/quantization-variants.md): written only when set, so files of
  // LowVolt's own arithmetic stay byte for byte as before; readers default them to off.
  if (file.quant.epsilon > 0) header["quant"]["epsilon"] = file.quant.epsilon;
  if (file.quant.half_offset) header["quant"]["half_offset"] = true;
  if (file.quant.clamp_dequantized) header["quant"]["clamp_dequantized"] = true;
  if (file.quant.fixed_range > 0) header["quant"]["fixed_range"] = file.quant.fixed_range;
  if (file.quant.floor_values) header["quant"]["floor_values"] = true;
  header["training"] = file.training;
  header["metrics"] = nlohmann::json::object();
  for (const auto& [key, value] : file.metrics) header["metrics"][key] = value;

  header["memory"] = file.memory;
  header["tensors"] = nlohmann::json::array();
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    LV_CHECK(tensor.scalar_type() == torch::kFloat32, "tensor " << name << " is not float32");
    header["tensors"].push_back(
        {{"name", name}, {"dtype", "float32"}, {"shape", tensor.sizes().vec()}, {"offset", offset}});
    offset += static_cast<std::uint64_t>(tensor.numel()) * 4;
  }
  // Strings from the command line (paths, data set names) need not be UTF-8: replace bad bytes
  // rather than fail after a whole training run.
  const std::string json = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string bytes(kMagic, sizeof kMagic);
  put_u64(bytes, json.size());
  bytes += json;
  bytes.reserve(bytes.size() + offset);
  for (const auto& [name, tensor] : file.tensors) {
    const auto contiguous = tensor.contiguous();
    bytes.append(reinterpret_cast<const char*>(contiguous.data_ptr<float>()),
                 static_cast<std::size_t>(contiguous.numel()) * 4);
  }
  const std::uint32_t crc = crc32(bytes.data(), bytes.size());
  for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<char>((crc >> (8 * b)) & 0xff));
  write_file_atomic(path, bytes);
}

namespace {

/// The header's "model" object.
ModelConfig read_model_config(const nlohmann::json& m, const std::string& path) {
  ModelConfig model;
  model.arch = field<std::string>(m, "arch", path, "model");
  model.norm = field<std::string>(m, "norm", path, "model");
  model.width = field<double>(m, "width", path, "model");
  model.channels = field<std::int64_t>(m, "channels", path, "model");
  model.height = field<std::int64_t>(m, "height", path, "model");
  model.width_px = field<std::int64_t>(m, "width_px", path, "model");
  model.classes = field<std::int64_t>(m, "classes", path, "model");
  return model;
}

/// The header's "quant" object (the reference variants optional: absent before version 2).
QuantScheme read_quant_scheme(const nlohmann::json& q, const std::string& path) {
  QuantScheme quant;
  quant.bits = field<int>(q, "bits", path, "quant");
  quant.per_layer = field<bool>(q, "per_layer", path, "quant");
  quant.asymmetric = field<bool>(q, "asymmetric", path, "quant");
  quant.unsigned_codes = field<bool>(q, "unsigned_codes", path, "quant");
  quant.rounding = field<bool>(q, "rounding", path, "quant");
  quant.wmax = field<double>(q, "wmax", path, "quant");
  if (q.contains("epsilon")) quant.epsilon = field<double>(q, "epsilon", path, "quant");
  if (q.contains("half_offset")) quant.half_offset = field<bool>(q, "half_offset", path, "quant");
  if (q.contains("clamp_dequantized")) {
    quant.clamp_dequantized = field<bool>(q, "clamp_dequantized", path, "quant");
  }
  if (q.contains("fixed_range")) quant.fixed_range = field<double>(q, "fixed_range", path, "quant");
  if (q.contains("floor_values")) quant.floor_values = field<bool>(q, "floor_values", path, "quant");
  return quant;
}

}  // namespace

ModelFile load_model_file(const std::string& path) {
  LV_CHECK(little_endian(), "model files are read on little-endian hosts only");
  const std::string bytes = read_file(path);
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    fail(path, ": not a LowVolt model file (magic \"LVMODEL1\" missing)");
  }
  const std::uint64_t header_size = get_u64(bytes, 8);
  if (header_size > bytes.size() - 16) {
    fail(path, ": truncated model file (header of ", header_size, " bytes, file has ",
         bytes.size(), ")");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(16, header_size));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": model file header is not valid JSON (", e.what(), ")");
  }
  if (field<std::string>(header, "format", path, "") != "lowvolt-model") {
    fail(path, ": header \"format\" is not \"lowvolt-model\"");
  }
  const int version = field<int>(header, "version", path, "");
  if (version != 1 && version != kVersion) {
    fail(path, ": model file version ", version, " is not 1 or ", kVersion);
  }
  const std::size_t data_start = 16 + header_size;
  std::uint64_t data_size = bytes.size() - data_start;
  if (version >= 2) {
    if (data_size < 4) fail(path, ": truncated model file (no checksum)");
    data_size -= 4;
    const std::size_t body = bytes.size() - 4;
    std::uint32_t stored = 0;
    for (int b = 0; b < 4; ++b) {
      stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[body + static_cast<std::size_t>(b)])) << (8 * b);
    }
    const std::uint32_t computed = crc32(bytes.data(), body);
    if (stored != computed) {
      char text[96];
      std::snprintf(text, sizeof text, "CRC-32 of its contents is %08x, its trailer says %08x", computed, stored);
      fail(path, ": corrupt or truncated model file (", text, "); it changed after it was written");
    }
  } else {
    std::fprintf(stderr,
                 "lowvolt: warning: %s: model file version 1 has no checksum, corruption cannot be "
                 "detected (any `lowvolt train` writes version 2)\n",
                 path.c_str());
  }

  ModelFile file;
  file.model = read_model_config(field<nlohmann::json>(header, "model", path, ""), path);
  file.quant = read_quant_scheme(field<nlohmann::json>(header, "quant", path, ""), path);
  try {
    file.model.validate();
    file.quant.validate();
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  // The network the header describes must fit in the data the file holds, before anything is
  // built from it (classes = 10^7 or a 10^6-pixel input would allocate gigabytes).
  if (file.model.stored_floats() > data_size / 4) {
    fail(path, ": the header's ", file.model.arch, " (", file.model.channels, "×", file.model.height,
         "×", file.model.width_px, " input, ", file.model.classes, " classes) needs ",
         file.model.stored_floats(), " weights, the file holds ", data_size / 4);
  }
  file.training = field<std::map<std::string, std::string>>(header, "training", path, "");
  file.metrics = field<std::map<std::string, double>>(header, "metrics", path, "");
  file.memory = field<std::vector<std::string>>(header, "memory", path, "");
  // Tensors together hold at most the file's data: each is a copy, so a header listing the
  // same bytes many times (overlapping offsets) would otherwise allocate a multiple of the file.
  std::uint64_t claimed = 0;
  for (const auto& t : field<nlohmann::json>(header, "tensors", path, "")) {
    const auto name = field<std::string>(t, "name", path, "tensors[]");
    if (field<std::string>(t, "dtype", path, "tensors[]") != "float32") {
      fail(path, ": tensor \"", name, "\" is not float32");
    }
    const auto dims = field<nlohmann::json>(t, "shape", path, "tensors[]");
    if (!dims.is_array()) fail(path, ": tensor \"", name, "\" has no shape list");
    std::vector<std::int64_t> shape;
    std::uint64_t numel = 1;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      const auto s = exact_integer<std::int64_t>(dims[d], path, "tensors[].shape[" + std::to_string(d) + "]");
      if (s < 0) fail(path, ": tensor \"", name, "\" has a negative dimension");
      // Checked: a shape whose element count overflows (e.g. [2^32, 2^32]) must not wrap to 0.
      if (__builtin_mul_overflow(numel, static_cast<std::uint64_t>(s), &numel) || numel > data_size / 4) {
        fail(path, ": tensor \"", name, "\" shape holds more elements than the file has data");
      }
      shape.push_back(s);
    }
    const auto offset = field<std::uint64_t>(t, "offset", path, "tensors[]");
    if (offset > data_size || numel * 4 > data_size - offset) {
      fail(path, ": truncated model file (tensor \"", name, "\" ends past the data)");
    }
    claimed += numel * 4;
    if (claimed > data_size) {
      fail(path, ": the header's tensors up to \"", name, "\" claim ", claimed,
           " bytes, the file holds ", data_size, " bytes of data (tensors overlap)");
    }
    auto tensor = torch::empty(shape, torch::kFloat32);
    std::memcpy(tensor.data_ptr<float>(), bytes.data() + data_start + offset, numel * 4);
    file.tensors.emplace_back(name, tensor);
  }
  return file;
}

}  // namespace lowvolt::host
