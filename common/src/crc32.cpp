#include "lowvolt/common/crc32.h"

#include <boost/crc.hpp>

namespace lowvolt {

std::uint32_t crc32(const char* data, std::size_t size) {
  boost::crc_32_type crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

}  // namespace lowvolt
