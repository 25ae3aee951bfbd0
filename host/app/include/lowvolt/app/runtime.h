#pragma once
// Process-wide LibTorch set-up. Debian's LibTorch defaults to one intra-op thread, so every
// command that runs networks calls configure_threads() with the user's --threads value. It also
// pins OpenBLAS (when it is the BLAS in use) to one thread: LibTorch's own threads call it
// (common/tuning.h gives the reason and the figures).
#include <functional>
#include <string>

namespace lowvolt::host {

/// Sets LibTorch's intra-op thread count; `threads` ≤ 0 means "all hardware threads"; sets
/// OpenBLAS's thread count to 1 unless LOWVOLT_TUNING=off. Returns LibTorch's count in force.
int configure_threads(int threads);

/// OpenBLAS's thread count in force, or 0 when the BLAS in use is not OpenBLAS.
int blas_threads();

/// A function that gives the thread calling it this (calling) thread's LibTorch thread count:
/// OpenMP's count is per thread, so a thread that runs sweep units calls it first (a
/// sweep/sweep_units.h ThreadSetup).
std::function<void()> torch_thread_setup();

/// One human-readable line per fact: LibTorch version, threads, BLAS library and its threads.
std::string runtime_info();

}  // namespace lowvolt::host
