#pragma once
// The trained-model file ("*.lvm"): weights, architecture, quantization scheme, training options
// and final metrics in one self-describing file that numpy can read without LibTorch. Format
// (docs/model-format.md):
//   bytes 0..7   magic "LVMODEL1"
//   bytes 8..15  uint64 little-endian: length H of the JSON header, in bytes
//   bytes 16..   H bytes of UTF-8 JSON: {"format", "version", "model", "quant", "training",
//                "metrics", "memory": [names in memory order], "tensors": [{"name",
//                "dtype": "float32", "shape", "offset"}]}
//   then         the tensor data, float32 little-endian, row-major; "offset" counts bytes from the
//                start of this data section.
//   last 4 bytes (version 2) uint32 little-endian: CRC-32 (zlib) of every byte before it.
// Files are written atomically as version 2; reading checks every size and the checksum and names
// the path on any problem; version 1 files (no checksum) are read with a warning.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lowvolt/nn/models.h"
#include "lowvolt/nn/quantize.h"

namespace lowvolt::host {

/// Everything a model file holds, in memory.
struct ModelFile {
  ModelConfig model;                            ///< architecture and input shape
  QuantScheme quant;                            ///< scheme the model was trained for
  std::map<std::string, std::string> training;  ///< training options, as given ("epochs" → "3")
  std::map<std::string, double> metrics;        ///< final metrics ("test_error" → 0.091), fractions
  /// Parameters and buffers by name (Net::named_parameters / named_buffers), float32 on CPU.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  /// Names of the tensors held in weight memory, in memory order (Net::memory_parameter_names).
  std::vector<std::string> memory;
};

/// Captures `net`'s parameters and buffers into a ModelFile (other fields left for the caller).
ModelFile snapshot(const Net& net, const QuantScheme& quant);

/// Builds a Net from the file's configuration and loads its tensors; lowvolt::Error naming the
/// tensor when one is missing or has another shape.
Net instantiate(const ModelFile& file);

/// Writes `file` to `path` atomically.
void save_model_file(const ModelFile& file, const std::string& path);

/// Reads a model file; lowvolt::Error naming `path` on a bad magic, truncated data, bad JSON or
/// an unknown format version.
ModelFile load_model_file(const std::string& path);

}  // namespace lowvolt::host
