#pragma once
// Process-wide LibTorch set-up. Debian's LibTorch defaults to one intra-op thread, so every
// command that runs networks calls configure_threads() with the user's --threads value.
#include <string>

namespace lowvolt::host {

/// Sets LibTorch's intra-op thread count; `threads` ≤ 0 means "all hardware threads".
/// Returns the number actually in force.
int configure_threads(int threads);

/// One human-readable line per fact: LibTorch version, threads, BLAS library in use.
std::string runtime_info();

}  // namespace lowvolt::host
