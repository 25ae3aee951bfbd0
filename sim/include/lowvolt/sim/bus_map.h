#pragma once
// The TLM-2.0 address map of lowvolt::sim::AccelModule (docs/sim.md). Plain C++: no SystemC.
// Contract:
//  - Every access carries whole 64-bit words in host byte order (little-endian on x86-64): data
//    length a non-zero multiple of 8, streaming width equal to the length, no byte enables.
//  - `bus` socket (the host's): kCommand takes a command stream — one or more command words of
//    lowvolt/accelerator/hw_spec.h, each followed by its input-stream words (input_words()); the
//    target runs the commands one after another, each until the RTL is back in idle, and appends
//    every output-stream word to a response FIFO, which kResponseCount and kResponse drain.
//    kControl pulses the rst pin; kProfileConfig and kProfileRows load the fault overlay through
//    the backdoor port, one bank row (data and ECC check cells) per clock cycle; kEccConfig sets
//    the ECC mode strap cfg_ecc.
//  - `supply` socket (the voltage regulator's): kSupplyVdd takes one word whose low 16 bits are
//    the new supply code (V/Vmin × 4096) and runs a set_vdd command on the RTL.
//  - Error responses: TLM_ADDRESS_ERROR_RESPONSE (no register there), TLM_COMMAND_ERROR_RESPONSE
//    (read of a write-only register or the reverse), TLM_BURST_ERROR_RESPONSE (bad length, a
//    command stream whose last command lacks input words, or a read of more words than wait),
//    TLM_BYTE_ENABLE_ERROR_RESPONSE (byte enables given), TLM_GENERIC_ERROR_RESPONSE (a field out
//    of range in a profile row, or the RTL did not finish a command within kMaxJobCycles).
//    An access that answers with an error changes nothing.
#include <cstddef>
#include <cstdint>

#include "lowvolt/accelerator/hw_spec.h"
#include "lowvolt/accelerator/profile_rows.h"

namespace lowvolt::sim::bus {

/// `bus`, write: a command stream (command words each followed by their input words).
inline constexpr std::uint64_t kCommand = 0x00;
/// `bus`, read: pops length/8 output-stream words, oldest first.
inline constexpr std::uint64_t kResponse = 0x08;
/// `bus`, read, one word: the number of output-stream words waiting in the response FIFO.
inline constexpr std::uint64_t kResponseCount = 0x10;
/// `bus`, write, one word: bit 0 set pulses rst for one cycle and waits until the RTL is idle
/// again (the reset's fault-mask sweep); other bits must be 0.
inline constexpr std::uint64_t kControl = 0x18;
/// `bus`, write, two words: sigma_code (low 16 bits of word 0) and seed (word 1), chip-wide
/// parameters of the intermittent fault model; they take effect at once (no clock cycle).
inline constexpr std::uint64_t kProfileConfig = 0x20;
/// `bus`, write, n × kProfileRowWords words: backdoor profile rows (see kProfileRowWords).
inline constexpr std::uint64_t kProfileRows = 0x28;
/// `bus`, write, one word: the ECC mode strap cfg_ecc (hw::kEccNone, kEccParity, kEccSecded;
/// anything else is TLM_GENERIC_ERROR_RESPONSE); it takes effect at once (no clock cycle) and
/// survives reset.
inline constexpr std::uint64_t kEccConfig = 0x30;

/// Profile row records on kProfileRows: accelerator::kProfileRowWords words each, in the one
/// format of lowvolt/accelerator/profile_rows.h (accelerator::profile_rows() packs them).
/// Loading any row of a bank zeroes that bank's access and ECC counters.
using accelerator::kProfileCheckKindWord;
using accelerator::kProfileCheckVcWord;
using accelerator::kProfileCheckVcWords;
using accelerator::kProfileKindWords;
using accelerator::kProfileRowWords;
using accelerator::kProfileVcWords;

/// `supply`, write, one word: the supply code in its low 16 bits (set_vdd).
inline constexpr std::uint64_t kSupplyVdd = 0x00;

/// Clock cycles one command, reset or profile load may take before the target reports
/// TLM_GENERIC_ERROR_RESPONSE (an RTL that never returns to idle).
inline constexpr std::uint64_t kMaxJobCycles = 200'000'000;

/// Input-stream words that follow command word `cmd`: `count` of a write, `k` of a run, none for
/// every other opcode (unknown opcodes included: the RTL ignores them).
inline std::size_t input_words(std::uint64_t cmd) {
  namespace hw = accelerator::hw;
  switch (hw::opcode_bits(cmd)) {
    case static_cast<std::uint64_t>(hw::Opcode::kWrite):
      return static_cast<std::size_t>(hw::decode_write_cmd(cmd).count);
    case static_cast<std::uint64_t>(hw::Opcode::kRun):
      return static_cast<std::size_t>(hw::decode_run_cmd(cmd).k);
    default:
      return 0;
  }
}

}  // namespace lowvolt::sim::bus
