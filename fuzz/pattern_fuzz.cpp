// Fuzz target: the PattBET pattern-file reader (host::FixedPattern::load, host/nn/src/bit_errors.cpp,
// format "LVPATT01"). A pattern that loads must report in-range counts, apply to codes of its
// size, and survive save → load unchanged.
#include <torch/torch.h>

#include <string>

#include "fuzz_util.h"
#include "lowvolt/nn/bit_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lowvolt::fuzz::scratch_dir() + "/fuzz.lvpatt";
  lowvolt::fuzz::write_bytes(path, data, size);
  lowvolt::fuzz::expect_only_errors([&] {
    const auto pattern = lowvolt::host::FixedPattern::load(path);
    const std::int64_t n = pattern.numel();
    lowvolt::fuzz::require(3 * n <= static_cast<std::int64_t>(size),
                           "pattern larger than its file");
    const std::int64_t faulty = pattern.faulty_cells();
    lowvolt::fuzz::require(faulty >= 0 && faulty <= n * pattern.bits(),
                           "faulty cells out of range");
    const auto dtype = pattern.bits() <= 8    ? torch::kUInt8
                       : pattern.bits() <= 16 ? torch::kInt16
                                              : torch::kInt32;
    const auto applied = pattern.apply(torch::zeros({n}, torch::TensorOptions().dtype(dtype)));
    lowvolt::fuzz::require(applied.numel() == n, "apply changed the element count");
    const std::string again = lowvolt::fuzz::scratch_dir() + "/again.lvpatt";
    pattern.save(again);
    const auto reloaded = lowvolt::host::FixedPattern::load(again);
    lowvolt::fuzz::require(reloaded.bits() == pattern.bits() &&
                               torch::equal(reloaded.flip_mask(), pattern.flip_mask()) &&
                               torch::equal(reloaded.set_mask(), pattern.set_mask()) &&
                               torch::equal(reloaded.clear_mask(), pattern.clear_mask()),
                           "pattern save/load round trip changed it");
  });
  return 0;
}
