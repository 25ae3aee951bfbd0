#include "lowvolt/sim/host_driver.h"

#include "lowvolt/accelerator/profile_rows.h"
#include "lowvolt/common/error.h"
#include "lowvolt/sim/bus_map.h"

namespace lowvolt::sim {

namespace hw = accelerator::hw;

HostDriver::HostDriver(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), bus("bus") {}

void HostDriver::transport(tlm::tlm_generic_payload& gp) {
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  ++transactions_;
  bus->b_transport(gp, delay);
}

void HostDriver::checked(tlm::tlm_generic_payload& gp) {
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  transport(gp);
  LV_CHECK(gp.is_response_ok(), "accelerator answered " << gp.get_response_string()
                                                        << " at address 0x" << std::hex
                                                        << gp.get_address());
}

void HostDriver::write_words(std::uint64_t addr, const std::uint64_t* words, std::size_t n) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(addr);
  // the target only reads through this pointer on a write
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(const_cast<std::uint64_t*>(words)));
  gp.set_data_length(static_cast<unsigned>(8 * n));
  gp.set_streaming_width(static_cast<unsigned>(8 * n));
  checked(gp);
}

std::vector<std::uint64_t> HostDriver::read_words(std::uint64_t addr, std::size_t n) {
  std::vector<std::uint64_t> words(n);
  if (n == 0) return words;
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(words.data()));
  gp.set_data_length(static_cast<unsigned>(8 * n));
  gp.set_streaming_width(static_cast<unsigned>(8 * n));
  checked(gp);
  return words;
}

std::vector<std::uint64_t> HostDriver::command(std::uint64_t cmd, const std::uint64_t* in,
                                               std::size_t n_in) {
  LV_CHECK(n_in == bus::input_words(cmd), "command 0x" << std::hex << cmd << std::dec << " needs "
                                                       << bus::input_words(cmd) << " input words, "
                                                       << n_in << " given");
  std::vector<std::uint64_t> stream(1 + n_in);
  stream[0] = cmd;
  std::copy(in, in + n_in, stream.begin() + 1);
  write_words(bus::kCommand, stream.data(), stream.size());
  const std::uint64_t waiting = read_words(bus::kResponseCount, 1)[0];
  return read_words(bus::kResponse, static_cast<std::size_t>(waiting));
}

void HostDriver::set_ecc_mode(std::uint32_t mode) {
  const std::uint64_t word = mode;
  write_words(bus::kEccConfig, &word, 1);
}

void HostDriver::reset() {
  const std::uint64_t pulse = 1;
  write_words(bus::kControl, &pulse, 1);
}

void HostDriver::load_rows(std::uint16_t sigma_code, std::uint64_t seed,
                           const std::vector<std::uint64_t>& rows) {
  const std::uint64_t config[2] = {sigma_code, seed};
  write_words(bus::kProfileConfig, config, 2);
  write_words(bus::kProfileRows, rows.data(), rows.size());
}

void HostDriver::load_profile(const profiles::CellMap& map) {
  const auto rows = accelerator::profile_rows(map);
  load_rows(map.sigma_code(), map.seed(), rows);
}

}  // namespace lowvolt::sim
