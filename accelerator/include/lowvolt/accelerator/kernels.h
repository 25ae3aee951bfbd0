#pragma once
// The golden model's integer kernels: which implementation of the 8 × 8 tile datapath (and of
// the intermittent-read hash) a GoldenAccelerator uses. Contract (docs/accelerator.md):
//  - Three paths compute the same function bit for bit, Σ (x − zx)(w − zw) modulo 2^32 and the
//    memory model's per-read noise: `portable` (plain C++, any CPU), `avx2` (256-bit int16
//    multiply-adds) and `avx512` (AVX-512 VNNI u8 × s8 dot products, AVX-512 DQ hashing).
//  - The x86 paths are compiled with target attributes into every build and chosen at run time
//    by what the CPU reports (__builtin_cpu_supports), so one binary runs everywhere.
//  - The default is the fastest path the CPU supports, or the one the environment variable
//    LOWVOLT_GOLDEN_KERNEL names (portable | avx2 | avx512 | auto); the golden backend's
//    "kernel" option overrides both for one backend object.
//  - Errors: lowvolt::Error naming the variable or option for an unknown name or a path this
//    CPU cannot run.
#include <string>
#include <vector>

namespace lowvolt::accelerator {

/// One implementation of the golden model's kernels.
enum class KernelPath {
  kPortable,  ///< plain C++
  kAvx2,      ///< AVX2 (x86-64)
  kAvx512,    ///< AVX-512 F/BW/VL/DQ + VNNI (x86-64)
};

/// "portable", "avx2" or "avx512".
const char* kernel_path_name(KernelPath path);
/// Whether this CPU (and its OS) can run `path`.
bool kernel_path_supported(KernelPath path);
/// The paths this CPU can run, portable first, fastest last.
std::vector<KernelPath> supported_kernel_paths();
/// The path named `name` ("auto": the fastest supported); lowvolt::Error naming `what` (the
/// option or variable it came from) for an unknown name or an unsupported path.
KernelPath parse_kernel_path(const std::string& name, const std::string& what);
/// LOWVOLT_GOLDEN_KERNEL's path if the variable is set and not empty, else the fastest
/// supported path (lowvolt::Error as parse_kernel_path for a bad value).
KernelPath default_kernel_path();

}  // namespace lowvolt::accelerator
