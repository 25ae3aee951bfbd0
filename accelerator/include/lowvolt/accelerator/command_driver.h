#pragma once
// lowvolt::accelerator::CommandDriver — the one C++ driver of the RTL accelerator (rtl/accel_top.sv)
// at the level of its commands: it encodes every command of accelerator/spec/lowvolt_hw.json,
// checks the caller's fields, packs chip profiles (profile_rows.h) and decodes the responses
// into the accelerator interface's types (Counters, EccCounters, MbistRecord). Below it a
// CommandPort moves words to the RTL; there are two:
//  - rtl::AccelDriver's port (rtl/bench): the Verilated C++ model, clocked cycle by cycle (the
//    benches and lowvolt-rtl-speed);
//  - sim::RtlAccelerator's port: the TLM-2.0 host driver (sim::HostDriver) on the SystemC
//    model's bus, which is the `rtl` backend.
// Both ports run the streams by StreamHandshake (stream_handshake.h), so a command stream costs
// the same clock cycles on either.
// Failures: lowvolt::Error for a caller's mistake (a field out of range, a profile of the wrong
// geometry or a failure kind above 2; nothing is sent then); LV_CHECK (InternalError) when the
// RTL answers a command with the wrong number of words or a malformed MBIST stream.
// A driver is not thread-safe; it owns its port.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

/// How command words reach one accel_top. Every call returns once the RTL is idle again.
class CommandPort {
 public:
  virtual ~CommandPort() = default;
  /// Runs command word `cmd` with its `n_in` input words and returns every output word it
  /// produced (StreamHandshake's rule).
  virtual std::vector<std::uint64_t> exchange(std::uint64_t cmd, const std::uint64_t* in,
                                              std::size_t n_in) = 0;
  /// Pulses rst and waits for the reset's fault-mask sweep.
  virtual void reset() = 0;
  /// The backdoor: chip-wide sigma_code and seed, then profile row records (profile_rows.h).
  virtual void load_rows(std::uint16_t sigma_code, std::uint64_t seed,
                         const std::vector<std::uint64_t>& rows) = 0;
  /// The ECC mode strap cfg_ecc (hw::kEccNone, kEccParity or kEccSecded; checked by the driver).
  virtual void set_ecc_mode(std::uint32_t mode) = 0;
};

/// The command layer over a port.
class CommandDriver {
 public:
  explicit CommandDriver(std::unique_ptr<CommandPort> port);
  virtual ~CommandDriver();
  CommandDriver(const CommandDriver&) = delete;
  CommandDriver& operator=(const CommandDriver&) = delete;

  /// The rst pin (the port's reset); the mirrored tile configuration returns to its reset value.
  void reset();
  /// Backdoor-loads `map` (geometry buffer_geometry()) with its check cells ecc_check_cells(map),
  /// as every backend does; zeroes every bank's counters.
  void load_profile(const profiles::CellMap& map);
  /// The same with explicit check cells (geometry kBanks × kSramRows × hw::kEccCheckCols).
  void load_profile(const profiles::CellMap& map, const profiles::CellMap& check);
  /// Sets the ECC mode strap cfg_ecc (hw::kEccNone, kEccParity or kEccSecded; lowvolt::Error
  /// otherwise): no clock cycle; it survives reset. Set it before writing the words it protects.
  void set_ecc_mode(std::uint32_t mode);
  /// `write`: words to addresses addr, addr+1, … (mod kBufferWords); addr and count ≤ 65535.
  void write(std::uint32_t addr, const std::uint64_t* words, std::size_t count);
  void write(std::uint32_t addr, const std::vector<std::uint64_t>& words) {
    write(addr, words.data(), words.size());
  }
  /// `read`: `count` words from addr, addr+1, … through the fault overlay.
  void read(std::uint32_t addr, std::size_t count, std::uint64_t* out);
  std::vector<std::uint64_t> read(std::uint32_t addr, std::size_t count);
  /// `set_vdd`; returns once the fault masks are refreshed.
  void set_vdd(std::uint16_t vdd_code);
  /// `tile_cfg` (lowvolt::Error for a shape the RTL would reject; nothing is sent then).
  void tile_cfg(const TileConfig& cfg);
  /// The tile configuration the RTL holds (mirrored).
  const TileConfig& tile_config() const { return cfg_; }
  /// `run` with k activation words (k ≤ 65535, w_bit_addr < 2^24): the rows × cols int32
  /// results of the current tile configuration, row-major, into `out`.
  void run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
           std::int32_t* out);
  std::vector<std::int32_t> run(std::uint32_t w_bit_addr,
                                const std::vector<std::uint64_t>& activations);
  /// `counters`.
  Counters counters();
  /// `ecc_counters`.
  EccCounters ecc_counters();
  /// `mbist`: the records in ascending cell order (the end word's count is checked).
  std::vector<MbistRecord> mbist();
  /// One raw command word that takes no input data; returns what the RTL answered.
  std::vector<std::uint64_t> raw_command(std::uint64_t word);

 protected:
  CommandPort& port() { return *port_; }

 private:
  std::unique_ptr<CommandPort> port_;
  TileConfig cfg_;
};

}  // namespace lowvolt::accelerator
