#pragma once
// Bit tools on integer code tensors, as the paper's code offers them: view the bits, flip by a
// mask, set/clear by masks, count differing bits. Random flips live in bit_errors.h
// (inject_random / RandomBitErrors), which works on the same dtypes.
//
// Contract:
//  - Supported dtypes: uint8, int8, int16, int32 ("code dtypes"); anything else is a
//    lowvolt::Error naming the dtype. Signed types are handled as their two's complement bit
//    patterns: bit i of an int8 -1 is set for every i in 0..7.
//  - `bits` (the number of stored low bits, 1..width of the dtype) limits which bits a function
//    reads; bits above it are ignored by the readers and never touched by random injection.
//  - Masks are tensors of the same dtype, broadcastable to the codes, or a bit pattern given as an
//    unsigned integer (its low `width` bits are used, so 0x80 is the int8 sign bit).
//  - Every function returns a new tensor (never modifies its input) on the input's device and
//    uses only LibTorch operators, so it runs on any device LibTorch supports.
#include <torch/types.h>

#include <cstdint>

namespace lowvolt::host {

/// Width of a code dtype in bits (8, 16 or 32); lowvolt::Error for any other dtype.
int dtype_bits(torch::ScalarType dtype);
/// Throws lowvolt::Error (prefixed with `what`) unless `codes` has a code dtype and 1 <= bits <=
/// its width.
void check_codes(const torch::Tensor& codes, int bits, const char* what);
/// A scalar tensor of `dtype` whose two's complement bit pattern is the low bits of `pattern`.
torch::Tensor mask_scalar(torch::ScalarType dtype, std::uint64_t pattern);
/// Bit pattern 2^bits - 1 (all bits when bits equals 64), as an unsigned integer.
std::uint64_t low_mask(int bits);
/// Same bit patterns in another code dtype: zero-extends from the source width, then keeps the
/// target's low bits (uint8 0x80 -> int8 -128 -> int32 128). Not a value conversion.
torch::Tensor cast_bits(const torch::Tensor& codes, torch::ScalarType dtype);

/// Bits of each element: bool tensor of shape codes.sizes() + [bits], index i = bit i (LSB first).
torch::Tensor view_bits(const torch::Tensor& codes, int bits);
/// Inverse of view_bits: packs the last dimension (bit i at index i, at most the dtype's width)
/// into a tensor of `dtype`; bits not given are zero.
torch::Tensor pack_bits(const torch::Tensor& bits, torch::ScalarType dtype);

/// codes XOR mask (flips the bits set in mask).
torch::Tensor flip_bits(const torch::Tensor& codes, const torch::Tensor& mask);
/// codes XOR pattern, the pattern applied to every element.
torch::Tensor flip_bits(const torch::Tensor& codes, std::uint64_t pattern);
/// codes OR mask (stuck-at-1 cells).
torch::Tensor set_bits(const torch::Tensor& codes, const torch::Tensor& mask);
/// codes AND NOT mask (stuck-at-0 cells).
torch::Tensor clear_bits(const torch::Tensor& codes, const torch::Tensor& mask);
/// (codes AND NOT clear_mask) OR set_mask: the memory model's stuck-at read.
torch::Tensor set_clear_bits(const torch::Tensor& codes, const torch::Tensor& set_mask,
                             const torch::Tensor& clear_mask);
/// codes with every bit at or above `bits` cleared (the stored part of each code).
torch::Tensor keep_low_bits(const torch::Tensor& codes, int bits);

/// Number of set bits among the low `bits` bits of each element, as an int64 tensor of the same
/// shape; bits = -1 means the dtype's width.
torch::Tensor popcount(const torch::Tensor& codes, int bits = -1);
/// Number of differing bits among the low `bits` bits of a and b (same dtype, broadcastable), in
/// bits; bits = -1 means the dtype's width.
std::int64_t hamming_distance(const torch::Tensor& a, const torch::Tensor& b, int bits = -1);

}  // namespace lowvolt::host
