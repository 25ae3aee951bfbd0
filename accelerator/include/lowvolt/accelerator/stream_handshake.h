#pragma once
// lowvolt::accelerator::StreamHandshake — the host's side of one command on accel_top's three
// valid/ready streams (command, input data, output data), cycle by cycle: the one statement of
// the handshake rule for every transport of the RTL (the Verilated C++ port of rtl/bench and
// sim/'s AccelModule under SystemC). Plain C++: the transport reads and drives the pins.
// The rule (docs/rtl.md, "Streams"):
//  - The command word is presented (cmd_valid) until a rising edge sees cmd_ready; input word i
//    is presented (in_valid) until an edge sees in_ready, then word i + 1; an output word moves
//    at an edge that sees out_valid with out_ready.
//  - The command is over in the first cycle in which it has been accepted, every input word has
//    been taken, and the settled outputs show the RTL idle (cmd_ready) with no output word
//    pending (out_valid low). No edge belongs to it then: the next command is presented in that
//    same cycle, so commands run back to back.
//  - Busy cycles run from the cycle that accepted the command to the first one after which
//    cmd_ready was high again, both included (the timing formulas of docs/rtl.md).
// Use: each cycle, drive() gives the pins; with the settled outputs, over() says whether the
// command has ended, else edge() records the transfers of the rising edge that ends the cycle.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lowvolt::accelerator {

class StreamHandshake {
 public:
  /// What the host drives in a cycle.
  struct Pins {
    bool cmd_valid = false;
    std::uint64_t cmd_data = 0;
    bool in_valid = false;
    std::uint64_t in_data = 0;
    bool out_ready = false;
  };
  /// What the RTL shows in a cycle, settled, before the rising edge.
  struct Outputs {
    bool cmd_ready = false;
    bool in_ready = false;
    bool out_valid = false;
    std::uint64_t out_data = 0;
  };

  /// Command word `cmd` with its `n_in` input words (kept by pointer: they must outlive this).
  StreamHandshake(std::uint64_t cmd, const std::uint64_t* in, std::size_t n_in)
      : cmd_(cmd), in_(in), n_in_(n_in) {}

  /// The pins for the coming cycle. hold_in withholds the next input word (in_valid low),
  /// hold_out withholds output readiness: back-pressure a transport may apply.
  const Pins& drive(bool hold_in = false, bool hold_out = false) {
    pins_.cmd_valid = !accepted_;
    pins_.cmd_data = cmd_;
    pins_.in_valid = input_pending() && !hold_in;
    pins_.in_data = input_pending() ? in_[in_i_] : 0;
    pins_.out_ready = !hold_out;
    return pins_;
  }
  /// With the cycle's settled outputs: whether the command is over (see above).
  bool over(const Outputs& o) {
    if (accepted_ && !idle_seen_ && o.cmd_ready) {
      idle_seen_ = true;
      busy_ = edges_ - accepted_edge_ + 1;
    }
    return fed() && o.cmd_ready && !o.out_valid;
  }
  /// The rising edge that ends the cycle whose settled outputs were `o`, with the pins of the
  /// last drive(): records the command, input and output transfers.
  void edge(const Outputs& o) {
    ++edges_;
    if (pins_.cmd_valid && o.cmd_ready) {
      accepted_ = true;
      accepted_edge_ = edges_;
    }
    if (pins_.in_valid && o.in_ready) ++in_i_;
    if (o.out_valid && pins_.out_ready) out_.push_back(o.out_data);
  }

  /// An input word still waits to be taken.
  bool input_pending() const { return in_i_ < n_in_; }
  /// The command word was accepted and every input word taken.
  bool fed() const { return accepted_ && !input_pending(); }
  /// Input words taken so far.
  std::size_t inputs_taken() const { return in_i_; }
  /// Rising edges recorded so far.
  std::uint64_t edges() const { return edges_; }
  /// Busy cycles (see above); 0 until over() has seen the RTL idle after the command.
  std::uint64_t busy_cycles() const { return busy_; }
  /// The output words received, oldest first.
  std::vector<std::uint64_t>& output() { return out_; }

 private:
  std::uint64_t cmd_;
  const std::uint64_t* in_;
  std::size_t n_in_;
  std::size_t in_i_ = 0;
  bool accepted_ = false;
  bool idle_seen_ = false;
  std::uint64_t edges_ = 0;
  std::uint64_t accepted_edge_ = 0;
  std::uint64_t busy_ = 0;
  Pins pins_;
  std::vector<std::uint64_t> out_;
};

}  // namespace lowvolt::accelerator
