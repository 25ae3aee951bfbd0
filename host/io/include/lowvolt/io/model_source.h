#pragma once
// How a model file is read (ModelSource) and what its weight memory holds (MemoryEntry), as plain
// data: the command line and the application layer's requests hold them without LibTorch. The
// model itself and the contract of reading it: model.h.
#include <cstdint>
#include <string>
#include <vector>

namespace lowvolt::host {

/// How a model file is read.
struct ModelSource {
  std::string quant;             ///< scheme preset; "" = the file's own, else "rquant"
  int bits = 0;                  ///< bits per weight; 0 = the file's own, else 8
  std::string memory = "layers"; ///< TorchScript memory rule: "layers" or "all" (script_model.h)

  /// Throws lowvolt::UsageError naming the option when a value is out of range.
  void validate() const;
};

/// One tensor of a model's weight memory.
struct MemoryEntry {
  std::string name;                 ///< parameter name ("conv1.weight")
  std::vector<std::int64_t> shape;  ///< its shape
  std::int64_t words = 0;           ///< words it occupies (one per scalar)
};

}  // namespace lowvolt::host
