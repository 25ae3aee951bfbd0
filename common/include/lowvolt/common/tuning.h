#pragma once
// Process-wide tuning that every LowVolt program applies, so that a user gets the program's speed
// from a plain shell without knowing about allocators or BLAS threads (docs/benchmarks.md,
// "Evaluation and training"). Contract:
//  - Allocator: evaluation, curves and training allocate the same large activation and code
//    buffers (the cnn at batch 100: 2.5 MB per activation) once per batch, thousands of times.
//    With glibc's defaults each buffer above the mmap threshold is mapped and unmapped per batch
//    and the heap is trimmed back to the kernel, so every batch faults its buffers in again:
//    2.2 million minor page faults for one `lowvolt eval` of 40 000 images. tune_allocator()
//    raises the mmap threshold to 32 MiB (buffers below it are reused from the heap) and the trim
//    threshold to 2 GiB (freed heap memory stays with the process), with mallopt(); both are
//    needed (either alone leaves most faults in place). run_main() calls it first thing.
//  - BLAS threads: host::configure_threads() (host/runtime.h) pins OpenBLAS to one thread, because
//    LibTorch already parallelises convolutions over the batch in OpenMP threads that each call
//    sgemm; OpenBLAS's own pthread pool oversubscribed the cores (74 000 sched_yield calls, 40 %
//    system time).
//  - Results do not depend on either (allocation is not arithmetic; OpenBLAS splits a product
//    over output blocks, never over the summation), checked by CliWorkflow.TuningChangesNoResult;
//    only speed and resident memory (the heap keeps its high-water mark) do.
//  - LOWVOLT_TUNING=off in the environment turns both off (glibc's and OpenBLAS's defaults, the
//    state before): for bench/host-speed's before/after figures and that test, not for users.
namespace lowvolt {

/// mmap threshold set by tune_allocator(), in bytes.
inline constexpr int kMmapThreshold = 32 << 20;
/// trim threshold set by tune_allocator(), in bytes.
inline constexpr int kTrimThreshold = 2047 << 20;

/// False when the environment sets LOWVOLT_TUNING=off.
bool tuning_enabled();

/// Applies the allocator settings above; returns false when it did not (tuning off, the C
/// library is not glibc, or mallopt refused).
bool tune_allocator();

}  // namespace lowvolt
