#pragma once
// The one checksum of LowVolt's binary formats (.lvp profiles, .lvm model files): CRC-32 with the
// IEEE polynomial, the value zlib's crc32() and Python's zlib.crc32 give, so files can be checked
// without LowVolt.
#include <cstddef>
#include <cstdint>

namespace lowvolt {

/// CRC-32 (IEEE, reflected, as zlib) of `size` bytes at `data`.
std::uint32_t crc32(const char* data, std::size_t size);

}  // namespace lowvolt
