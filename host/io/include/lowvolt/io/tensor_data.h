#pragma once
// Tensor data sets: a test (or training) set a PyTorch user writes in one line,
//   torch.save({"images": x, "labels": y}, "test.pt")
// with x a float32 N×C×H×W tensor (the model's input, after whatever preprocessing the user's
// pipeline applies outside the model) and y an int64 tensor of N class indices. Optional key
// "classes" (int): the number of classes, else max(label) + 1. Read with LibTorch's own reader of
// torch.save files (torch::pickle_load), so no third format is involved. Contract:
//  - The file must be a regular file of at most kMaxTorchArchiveBytes (torch_archive_check.h); it is read once.
//  - Every problem (not a torch.save archive, not a dict, a missing or unknown key, wrong dtype or
//    rank, N mismatch, N = 0, a non-finite pixel, a negative label or one ≥ "classes") is a
//    lowvolt::Error naming the file and the key.
//  - Any other data-set name (fashion-mnist, mnist, cifar10) goes to load_dataset (data.h).
#include <cstdint>
#include <string>

#include "lowvolt/io/data.h"

namespace lowvolt::host {

/// Whether a data-set argument names a tensor file (ends in ".pt").
bool is_tensor_dataset(const std::string& spec);

/// Reads a tensor data set (see the contract).
Dataset load_tensor_dataset(const std::string& path);

/// A data set by name or file: a ".pt" file through load_tensor_dataset (whatever `train` is),
/// else load_dataset(spec, dir, train).
Dataset open_dataset(const std::string& spec, const std::string& dir, bool train);

}  // namespace lowvolt::host
