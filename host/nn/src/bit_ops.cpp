#include "lowvolt/nn/bit_ops.h"

#include "lowvolt/common/error.h"

namespace lowvolt::host {
namespace {

/// The element's bit pattern as a non-negative int64 (two's complement of signed dtypes).
torch::Tensor as_unsigned64(const torch::Tensor& codes) {
  const int width = dtype_bits(codes.scalar_type());
  torch::Tensor x = codes.to(torch::kInt64);
  if (width < 64 && torch::isSignedType(codes.scalar_type())) {
    x = x.bitwise_and(static_cast<std::int64_t>(low_mask(width)));
  }
  return x;
}

/// Converts non-negative int64 bit patterns of `width` bits to `dtype`, wrapping the sign bit.
torch::Tensor from_unsigned64(const torch::Tensor& x, torch::ScalarType dtype) {
  const int width = dtype_bits(dtype);
  if (!torch::isSignedType(dtype)) return x.to(dtype);
  const std::int64_t sign = std::int64_t{1} << (width - 1);
  return (x - x.bitwise_and(sign) * 2).to(dtype);
}

void check_same_dtype(const torch::Tensor& codes, const torch::Tensor& mask, const char* what) {
  dtype_bits(codes.scalar_type());
  if (!mask.defined() || mask.scalar_type() != codes.scalar_type()) {
    fail(what, ": mask dtype ", (mask.defined() ? c10::toString(mask.scalar_type()) : "undefined"),
         " differs from codes dtype ", codes.scalar_type());
  }
}

/// `bits` with -1 meaning the full width; validated against the dtype.
int resolve_bits(const torch::Tensor& codes, int bits, const char* what) {
  if (bits == -1) bits = dtype_bits(codes.scalar_type());
  check_codes(codes, bits, what);
  return bits;
}

}  // namespace

int dtype_bits(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kUInt8:
    case torch::kInt8:
      return 8;
    case torch::kInt16:
      return 16;
    case torch::kInt32:
      return 32;
    default:
      fail("bit tools: dtype ", dtype, " is not a code dtype (uint8, int8, int16, int32)");
  }
}

void check_codes(const torch::Tensor& codes, int bits, const char* what) {
  if (!codes.defined()) fail(what, ": codes tensor is undefined");
  const int width = dtype_bits(codes.scalar_type());
  if (bits < 1 || bits > width) {
    fail(what, ": bits=", bits, " is outside 1..", width, " for dtype ", codes.scalar_type());
  }
}

torch::Tensor mask_scalar(torch::ScalarType dtype, std::uint64_t pattern) {
  const int width = dtype_bits(dtype);
  const auto low = static_cast<std::int64_t>(pattern & low_mask(width));
  std::int64_t value = low;
  if (torch::isSignedType(dtype) && (low >> (width - 1)) != 0) {
    value = low - (std::int64_t{1} << (width - 1)) * 2;
  }
  return torch::scalar_tensor(value, torch::TensorOptions().dtype(dtype));
}

std::uint64_t low_mask(int bits) {
  LV_CHECK(bits >= 0 && bits <= 64, "bits=" << bits);
  return bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

torch::Tensor cast_bits(const torch::Tensor& codes, torch::ScalarType dtype) {
  check_codes(codes, 1, "cast_bits");
  const int width = dtype_bits(dtype);
  return from_unsigned64(
      as_unsigned64(codes).bitwise_and(static_cast<std::int64_t>(low_mask(width))), dtype);
}

torch::Tensor view_bits(const torch::Tensor& codes, int bits) {
  check_codes(codes, bits, "view_bits");
  const auto shifts =
      torch::arange(bits, torch::TensorOptions().dtype(torch::kInt64).device(codes.device()));
  return as_unsigned64(codes).unsqueeze(-1).bitwise_right_shift(shifts).bitwise_and(1).to(
      torch::kBool);
}

torch::Tensor pack_bits(const torch::Tensor& bits, torch::ScalarType dtype) {
  const int width = dtype_bits(dtype);
  if (!bits.defined() || bits.dim() < 1 || bits.size(-1) > width) {
    fail("pack_bits: last dimension must hold 1..", width, " bits for dtype ", dtype);
  }
  const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(bits.device());
  const auto weights =
      torch::ones({bits.size(-1)}, opts).bitwise_left_shift(torch::arange(bits.size(-1), opts));
  const torch::Tensor value = (bits.to(torch::kInt64).bitwise_and(1) * weights).sum(-1);
  return from_unsigned64(value, dtype);
}

torch::Tensor flip_bits(const torch::Tensor& codes, const torch::Tensor& mask) {
  check_same_dtype(codes, mask, "flip_bits");
  return codes.bitwise_xor(mask);
}

torch::Tensor flip_bits(const torch::Tensor& codes, std::uint64_t pattern) {
  check_codes(codes, dtype_bits(codes.scalar_type()), "flip_bits");
  return codes.bitwise_xor(mask_scalar(codes.scalar_type(), pattern).to(codes.device()));
}

torch::Tensor set_bits(const torch::Tensor& codes, const torch::Tensor& mask) {
  check_same_dtype(codes, mask, "set_bits");
  return codes.bitwise_or(mask);
}

torch::Tensor clear_bits(const torch::Tensor& codes, const torch::Tensor& mask) {
  check_same_dtype(codes, mask, "clear_bits");
  return codes.bitwise_and(mask.bitwise_not());
}

torch::Tensor set_clear_bits(const torch::Tensor& codes, const torch::Tensor& set_mask,
                             const torch::Tensor& clear_mask) {
  check_same_dtype(codes, set_mask, "set_clear_bits");
  check_same_dtype(codes, clear_mask, "set_clear_bits");
  return codes.bitwise_and(clear_mask.bitwise_not()).bitwise_or(set_mask);
}

torch::Tensor keep_low_bits(const torch::Tensor& codes, int bits) {
  check_codes(codes, bits, "keep_low_bits");
  return codes.bitwise_and(mask_scalar(codes.scalar_type(), low_mask(bits)).to(codes.device()));
}

torch::Tensor popcount(const torch::Tensor& codes, int bits) {
  bits = resolve_bits(codes, bits, "popcount");
  // SWAR population count on the (at most 32-bit) pattern held in int64: no overflow.
  torch::Tensor x = as_unsigned64(codes).bitwise_and(static_cast<std::int64_t>(low_mask(bits)));
  x = x - x.bitwise_right_shift(1).bitwise_and(std::int64_t{0x55555555});
  x = x.bitwise_and(std::int64_t{0x33333333}) +
      x.bitwise_right_shift(2).bitwise_and(std::int64_t{0x33333333});
  x = (x + x.bitwise_right_shift(4)).bitwise_and(std::int64_t{0x0F0F0F0F});
  return (x * std::int64_t{0x01010101}).bitwise_right_shift(24).bitwise_and(0xFF);
}

std::int64_t hamming_distance(const torch::Tensor& a, const torch::Tensor& b, int bits) {
  check_same_dtype(a, b, "hamming_distance");
  bits = resolve_bits(a, bits, "hamming_distance");
  return popcount(a.bitwise_xor(b), bits).sum().item<std::int64_t>();
}

}  // namespace lowvolt::host
