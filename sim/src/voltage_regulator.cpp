#include "lowvolt/sim/voltage_regulator.h"

#include <algorithm>

#include "lowvolt/common/error.h"
#include "lowvolt/sim/bus_map.h"

namespace lowvolt::sim {

VoltageRegulator::VoltageRegulator(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), out("out"), tap("tap") {}

void VoltageRegulator::set_supply(std::uint16_t code) {
  std::uint64_t word = code;
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(bus::kSupplyVdd);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(&word));
  gp.set_data_length(8);
  gp.set_streaming_width(8);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  out->b_transport(gp, delay);
  LV_CHECK(gp.is_response_ok(),
           "supply b_transport of code " << code << " answered " << gp.get_response_string());
  ++changes_;
}

bool VoltageRegulator::begin_layer(std::size_t layer) {
  layer_ = layer;
  if (schedule_.empty()) return false;
  const std::uint16_t code = schedule_[std::min(layer, schedule_.size() - 1)];
  if (code == tap->vdd_code()) return false;
  set_supply(code);
  return true;
}

}  // namespace lowvolt::sim
