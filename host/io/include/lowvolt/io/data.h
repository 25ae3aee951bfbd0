#pragma once
// Data sets for training and evaluation. Contract:
//  - A Dataset owns its whole split in memory: `images` is float32 N×C×H×W scaled to [0, 1],
//    `labels` is int64 N with values in [0, classes). Fashion-MNIST's 70 000 images take 220 MB.
//  - Readers throw lowvolt::Error naming the file and what is wrong (missing, truncated, bad
//    magic number, image/label count mismatch, label out of range); they never return a partial
//    data set.
//  - Every random choice (shuffling, crop offsets, flips) comes from a generator the caller seeds,
//    so the same seed gives the same batches bit for bit.
#include <ATen/Tensor.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lowvolt::host {

/// One split of a labelled image data set, fully in memory.
struct Dataset {
  at::Tensor images;        ///< float32 N×C×H×W, pixel values in [0, 1]
  at::Tensor labels;        ///< int64 N, class indices
  std::int64_t classes = 10;  ///< number of classes
  std::string name;         ///< "fashion-mnist", "cifar10", ... (for reports)

  /// Number of examples N.
  std::int64_t size() const;
  /// The first `n` examples (all of them when n ≤ 0 or n ≥ size()); shares storage.
  Dataset head(std::int64_t n) const;
};

/// An IDX array (the MNIST file format): unsigned-byte payload with its dimensions.
struct IdxArray {
  std::vector<std::int64_t> dims;  ///< sizes, outermost first (N, rows, cols for images)
  std::vector<std::uint8_t> data;  ///< row-major payload, product(dims) bytes
};

/// Reads an IDX file of unsigned bytes (type code 0x08), gzip-compressed when the name ends in
/// ".gz" or the file starts with the gzip magic. Throws lowvolt::Error naming `path` when the file
/// is missing, not IDX, of another element type, or shorter than its header announces.
IdxArray read_idx(const std::string& path);

/// Loads an MNIST-format folder (MNIST, Fashion-MNIST): `train-images-idx3-ubyte[.gz]` and
/// `train-labels-idx1-ubyte[.gz]` (or the `t10k-` pair when `train` is false).
Dataset load_mnist_folder(const std::string& dir, bool train);

/// Loads CIFAR-10's binary version: `data_batch_1.bin` … `data_batch_5.bin` (train) or
/// `test_batch.bin`, 3073 bytes per record (label, 3×32×32 channel-major pixels). Batch files that
/// are missing are skipped as long as one is present (so tests can ship one small file).
Dataset load_cifar10_folder(const std::string& dir, bool train);

/// The data set names load_dataset() knows: "fashion-mnist", "mnist", "cifar10".
const std::vector<std::string>& dataset_names();

/// Where a data set lives by default ("/usr/share/datasets/fashion-mnist" for Fashion-MNIST).
std::string default_data_dir(const std::string& name);

/// Loads `name` from `dir` (the default folder when empty). Unknown names list the known ones.
Dataset load_dataset(const std::string& name, const std::string& dir, bool train);

/// Random crop (after zero padding by `pad` pixels) and horizontal flip with probability 1/2,
/// per image, drawn from `rng`: CIFAR-10's standard augmentation. `batch` is N×C×H×W.
at::Tensor augment_crop_flip(const at::Tensor& batch, int pad, std::mt19937_64& rng);

/// A permutation of 0..n-1 drawn from `rng` (Fisher–Yates; the same on every platform).
std::vector<std::int64_t> shuffled_indices(std::int64_t n, std::mt19937_64& rng);

}  // namespace lowvolt::host
