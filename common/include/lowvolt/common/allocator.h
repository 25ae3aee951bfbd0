#pragma once
// Process-wide tuning of glibc's malloc for LowVolt's allocation pattern. Contract:
//  - Evaluation, curves and training allocate the same large activation and code buffers (a
//    batch of the cnn at batch 100: 2.5 MB per activation) once per batch, thousands of times.
//    With glibc's defaults each buffer above the mmap threshold is mapped and unmapped per batch
//    and the heap is trimmed back to the kernel, so every batch faults its buffers in again:
//    2.1 million minor page faults and ~75 % system time for one `lowvolt eval` of 40 000 images
//    (docs/benchmarks.md, "Allocator").
//  - tune_allocator() raises the mmap threshold to 32 MiB (buffers below it are reused from the
//    heap) and the trim threshold to 2 GiB (freed heap memory stays with the process), with
//    mallopt(). Both are needed: either alone leaves most faults in place (measured).
//  - Results do not depend on it (allocation is not arithmetic); only speed and resident memory
//    (the heap keeps its high-water mark) do. Called first thing by run_main(), so every LowVolt
//    program has it; a no-op where the C library is not glibc, or when the environment sets
//    LOWVOLT_ALLOCATOR=glibc (glibc's defaults: for bench/host-speed's before/after figures).
namespace lowvolt {

/// mmap threshold set by tune_allocator(), in bytes.
inline constexpr int kMmapThreshold = 32 << 20;
/// trim threshold set by tune_allocator(), in bytes.
inline constexpr int kTrimThreshold = 2047 << 20;

/// Applies the settings above; returns false when it did not (LOWVOLT_ALLOCATOR=glibc, not glibc,
/// or mallopt refused).
bool tune_allocator();

}  // namespace lowvolt
