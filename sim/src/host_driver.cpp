#include "lowvolt/sim/host_driver.h"

#include "lowvolt/accelerator/ecc.h"
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

void HostDriver::load_profile(const profiles::CellMap& map) {
  const profiles::Geometry& g = map.geometry();
  LV_CHECK(g.arrays == hw::kBanks && g.rows == hw::kSramRows && g.cols == hw::kSramCols,
           "profile geometry " << g.arrays << "x" << g.rows << "x" << g.cols);
  const std::uint64_t config[2] = {map.sigma_code(), map.seed()};
  write_words(bus::kProfileConfig, config, 2);
  std::vector<std::uint64_t> rows(std::size_t{hw::kBanks} * hw::kSramRows * bus::kProfileRowWords);
  const auto& vc = map.vc();
  const auto& kind = map.kind();
  const profiles::CellMap check = accelerator::ecc_check_cells(map);
  std::size_t at = 0;
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    for (std::uint32_t row = 0; row < hw::kSramRows; ++row) {
      const std::size_t base = (std::size_t{b} * hw::kSramRows + row) * hw::kSramCols;
      rows[at] = (std::uint64_t{b} << 16) | row;
      for (std::uint32_t c = 0; c < hw::kSramCols; ++c) {
        if (kind[base + c] > hw::kKindStuck1) {
          fail("sim: profile cell ", base + c, " has failure kind ", int{kind[base + c]},
               " (0 flip, 1 stuck-at-0, 2 stuck-at-1)");
        }
        rows[at + 1 + c / 4] |= std::uint64_t{vc[base + c]} << (16 * (c % 4));
        rows[at + 1 + bus::kProfileVcWords + c / 32] |= std::uint64_t{kind[base + c]}
                                                        << (2 * (c % 32));
      }
      const std::size_t cbase = (std::size_t{b} * hw::kSramRows + row) * hw::kEccCheckCols;
      for (std::uint32_t c = 0; c < hw::kEccCheckCols; ++c) {
        if (check.kind()[cbase + c] > hw::kKindStuck1) {
          fail("sim: profile check cell ", cbase + c, " has failure kind ",
               int{check.kind()[cbase + c]}, " (0 flip, 1 stuck-at-0, 2 stuck-at-1)");
        }
        rows[at + bus::kProfileCheckVcWord + c / 4] |= std::uint64_t{check.vc()[cbase + c]}
                                                       << (16 * (c % 4));
        rows[at + bus::kProfileCheckKindWord] |= std::uint64_t{check.kind()[cbase + c]} << (2 * c);
      }
      at += bus::kProfileRowWords;
    }
  }
  write_words(bus::kProfileRows, rows.data(), rows.size());
}

}  // namespace lowvolt::sim
