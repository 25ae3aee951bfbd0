#pragma once
// A built-in network's architecture and input shape, as plain data (no LibTorch; models.h builds
// the network).
#include <cstdint>
#include <string>
#include <vector>

namespace lowvolt::host {

/// Architecture and input shape of a Net.
struct ModelConfig {
  std::string arch = "cnn";   ///< "mlp" (784-256-256-10), "cnn" (default) or "simplenet"
  std::string norm = "gn";    ///< "gn" (group norm), "bn" (batch norm) or "none"
  double width = 1.0;         ///< channel multiplier (simplenet; the paper uses 0.5 on MNIST)
  std::int64_t channels = 1;  ///< input channels (1 for MNIST-like, 3 for CIFAR-10)
  std::int64_t height = 28;   ///< input height, in pixels
  std::int64_t width_px = 28; ///< input width, in pixels
  std::int64_t classes = 10;  ///< output classes

  /// Throws lowvolt::Error naming the field and value when the configuration cannot be built.
  void validate() const;
  /// Floats a Net of this configuration holds (parameters and buffers), computed without
  /// building it; saturates at UINT64_MAX. Readers compare it with the data a file holds before
  /// allocating a network that a lying header describes.
  std::uint64_t stored_floats() const;
};

/// The known architecture names, for help texts and error messages.
const std::vector<std::string>& arch_names();

}  // namespace lowvolt::host
