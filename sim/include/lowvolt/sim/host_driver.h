#pragma once
// lowvolt::sim::HostDriver — the host side of the co-simulation: a TLM-2.0 initiator on the
// AccelModule's `bus` socket that speaks the address map of lowvolt/sim/bus_map.h.
// Contract:
//  - Every call is blocking and must be made from an SC_THREAD (the target waits for the RTL);
//    SimSystem::call() runs a job in such a thread.
//  - An error response to an access the driver built itself is a bug (LV_CHECK, InternalError);
//    transport() passes a caller's payload through untouched, error responses included.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::sim {

/// TLM initiator driving the accelerator.
class HostDriver : public sc_core::sc_module {
 public:
  /// To AccelModule::bus.
  tlm_utils::simple_initiator_socket<HostDriver, 64> bus;

  explicit HostDriver(const sc_core::sc_module_name& name);

  /// Sends `gp` as it is (zero annotated delay); the response status is left in `gp`.
  void transport(tlm::tlm_generic_payload& gp);
  /// Writes `n` words to byte address `addr`.
  void write_words(std::uint64_t addr, const std::uint64_t* words, std::size_t n);
  /// Reads `n` words from byte address `addr`.
  std::vector<std::uint64_t> read_words(std::uint64_t addr, std::size_t n);
  /// Runs command word `cmd` with its `n_in` input words (bus::input_words(cmd) of them) and
  /// returns every output word it produced.
  std::vector<std::uint64_t> command(std::uint64_t cmd, const std::uint64_t* in = nullptr,
                                     std::size_t n_in = 0);
  /// Pulses rst and waits for the reset's mask sweep.
  void reset();
  /// The backdoor: chip-wide sigma and seed (kProfileConfig), then profile row records
  /// (accelerator::profile_rows(), kProfileRows), one row per cycle.
  void load_rows(std::uint16_t sigma_code, std::uint64_t seed,
                 const std::vector<std::uint64_t>& rows);
  /// load_rows() of accelerator::profile_rows(map): `map`'s data cells with the check cells
  /// every backend derives from them; lowvolt::Error for a wrong geometry or a failure kind
  /// above 2 (nothing is loaded then).
  void load_profile(const profiles::CellMap& map);
  /// Sets the ECC mode strap (bus::kEccConfig): hw::kEccNone, kEccParity or kEccSecded.
  void set_ecc_mode(std::uint32_t mode);
  /// TLM transactions sent so far.
  std::uint64_t transactions() const { return transactions_; }

 private:
  void checked(tlm::tlm_generic_payload& gp);
  std::uint64_t transactions_ = 0;
};

}  // namespace lowvolt::sim
