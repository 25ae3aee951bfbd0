// AccelModule through its TLM-2.0 sockets: every command kind against the documented semantics
// (reference.h), command streams, the backdoor and the error responses of bus_map.h.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>

#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/sim/bus_map.h"
#include "lowvolt/sim/simulation.h"
#include "reference.h"

namespace lowvolt::sim {
namespace {

using test::RefBuffer;
namespace hw = accelerator::hw;

class SimTlm : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_ = &simulation();
    sys_->lease("tlm test");
    run([this](SimSystem& s) {
      s.host.reset();
      s.host.load_profile(good_);
    });
  }
  void TearDown() override { sys_->release(); }
  void run(const std::function<void(SimSystem&)>& job) { sys_->call(job); }

  std::vector<std::uint64_t> command(std::uint64_t cmd, const std::vector<std::uint64_t>& in = {}) {
    std::vector<std::uint64_t> out;
    run([&](SimSystem& s) { out = s.host.command(cmd, in.data(), in.size()); });
    return out;
  }
  std::vector<std::uint64_t> counters() { return command(hw::encode(hw::CountersCmd{})); }

  /// Sends a raw payload on the bus socket and returns its response status.
  tlm::tlm_response_status raw(tlm::tlm_command c, std::uint64_t addr,
                               std::vector<std::uint64_t>& data, unsigned length) {
    tlm::tlm_generic_payload gp;
    gp.set_command(c);
    gp.set_address(addr);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(data.data()));
    gp.set_data_length(length);
    gp.set_streaming_width(length);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    run([&](SimSystem& s) { s.host.transport(gp); });
    return gp.get_response_status();
  }

  SimSystem* sys_ = nullptr;
  profiles::CellMap good_{accelerator::buffer_geometry()};
  std::mt19937_64 rng_{12345};
};

std::vector<std::uint64_t> random_words(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint64_t> w(n);
  for (auto& x : w) x = rng();
  return w;
}

// write stores words at consecutive addresses (wrapping at the buffer's end) and read returns
// them; both count one access per word on the word's bank.
TEST_F(SimTlm, WriteThenReadRoundTripsWordsAcrossTheWrap) {
  const std::uint32_t addr = hw::kBufferWords - 37;
  const auto data = random_words(rng_, 100);
  EXPECT_TRUE(command(hw::encode(hw::WriteCmd{addr, data.size()}), data).empty());
  EXPECT_EQ(command(hw::encode(hw::ReadCmd{addr, data.size()})), data);
  RefBuffer ref(good_);
  for (std::size_t i = 0; i < data.size(); ++i) ref.write(addr + i, data[i]);
  for (std::size_t i = 0; i < data.size(); ++i) ref.read(addr + i);
  const auto c = counters();
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    const auto w = hw::decode_bank_counter_word(c[3 + b]);
    EXPECT_EQ(w.reads, ref.reads()[b]) << "bank " << b;
    EXPECT_EQ(w.writes, ref.writes()[b]) << "bank " << b;
  }
}

// With a chip profile loaded by backdoor, set_vdd changes which cells fail: every word read back
// equals the memory model's read (persistent, intermittent and stuck cells, write-side stuck
// values) at each supply.
TEST_F(SimTlm, ReadsGoThroughTheFaultOverlayAtTheCommandedSupply) {
  const auto chip =
      profiles::generate_chip(profiles::preset("chip1"), accelerator::buffer_geometry(), 7);
  run([&](SimSystem& s) { s.host.load_profile(chip); });
  RefBuffer ref(chip);
  for (const double v : {1.0, 0.85, 0.75}) {
    const std::uint16_t code = profiles::vdd_code(v);
    EXPECT_TRUE(command(hw::encode(hw::SetVddCmd{code})).empty());
    ref.set_vdd(code);
    const auto data = random_words(rng_, hw::kBufferWords);
    command(hw::encode(hw::WriteCmd{0, data.size()}), data);
    for (std::size_t i = 0; i < data.size(); ++i) ref.write(static_cast<std::uint32_t>(i), data[i]);
    const auto got = command(hw::encode(hw::ReadCmd{0, hw::kBufferWords}));
    ASSERT_EQ(got.size(), hw::kBufferWords);
    std::size_t differing = 0;
    for (std::uint32_t i = 0; i < hw::kBufferWords; ++i) {
      const std::uint64_t want = ref.read(i);
      EXPECT_EQ(got[i], want) << "word " << i << " at " << v << " x Vmin";
      differing += got[i] != data[i];
    }
    if (v < 0.8) {
      EXPECT_GT(differing, 0u) << "no faulty word at " << v << " x Vmin";
    }
  }
}

// tile_cfg then run computes Σ (x − act_zero)(w − w_zero) mod 2^32 over the tile's weight codes
// for every shape, width and signedness, and answers rows × ceil(cols / 2) result words.
TEST_F(SimTlm, TileCfgAndRunComputeTheDocumentedSum) {
  const auto weights = random_words(rng_, hw::kBufferWords);
  command(hw::encode(hw::WriteCmd{0, weights.size()}), weights);
  RefBuffer ref(good_);
  for (std::size_t i = 0; i < weights.size(); ++i)
    ref.write(static_cast<std::uint32_t>(i), weights[i]);
  std::uint64_t macs = 0;
  for (int t = 0; t < 40; ++t) {
    accelerator::TileConfig c;
    c.rows = 1 + rng_() % hw::kPeRows;
    c.cols = 1 + rng_() % hw::kPeCols;
    c.wbits = 1 + rng_() % hw::kMaxWbits;
    c.act_zero = static_cast<std::uint8_t>(rng_());
    c.w_zero = static_cast<std::uint8_t>(rng_());
    c.act_signed = rng_() % 2;
    c.w_signed = rng_() % 2;
    if (t == 0) c = accelerator::TileConfig{};  // the reset shape, full width
    EXPECT_TRUE(command(accelerator::encode_tile_config(c)).empty());
    const auto k = static_cast<std::uint32_t>(t == 1 ? 0 : rng_() % 300);
    const auto act = random_words(rng_, k);
    const auto w_bit_addr = static_cast<std::uint32_t>(rng_() % (1u << 24));  // wraps mod 2^19
    const auto words = command(hw::encode(hw::RunCmd{w_bit_addr, k}), act);
    const std::size_t per_row = (c.cols + 1) / 2;
    ASSERT_EQ(words.size(), c.rows * per_row);
    const auto want = test::ref_run(ref, c, w_bit_addr, act);
    for (std::uint32_t i = 0; i < c.rows; ++i) {
      for (std::uint32_t j = 0; j < c.cols; ++j) {
        const auto rw = hw::decode_result_word(words[i * per_row + j / 2]);
        EXPECT_EQ(static_cast<std::int32_t>(static_cast<std::uint32_t>(j % 2 ? rw.hi : rw.lo)),
                  want[i * c.cols + j])
            << "tile " << t << " y[" << i << "][" << j << "]";
      }
      if (c.cols % 2 == 1) {
        EXPECT_EQ(hw::decode_result_word(words[i * per_row + per_row - 1]).hi, 0u);
      }
    }
    macs += std::uint64_t{k} * c.rows * c.cols;
  }
  const auto c = counters();
  EXPECT_EQ(c[2], macs);
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    EXPECT_EQ(hw::decode_bank_counter_word(c[3 + b]).reads, ref.reads()[b]) << "bank " << b;
  }
}

// An invalid tile_cfg is ignored and sets the sticky err_tile_cfg bit; an unknown opcode sets
// err_opcode; nop does nothing; reset clears both; the status carries the spec version.
TEST_F(SimTlm, StatusBitsForInvalidTileCfgAndUnknownOpcodes) {
  auto status = [&] { return hw::decode_status_word(counters()[0]); };
  EXPECT_EQ(status().spec_version, hw::kSpecVersion);
  EXPECT_EQ(status().err_opcode, 0u);
  EXPECT_TRUE(command(hw::encode(hw::Cmd{static_cast<std::uint64_t>(hw::Opcode::kNop)})).empty());
  EXPECT_EQ(status().err_opcode + status().err_tile_cfg, 0u);
  // rows = 0 is invalid: the 8×8 reset shape stays (a run answers 8 × 4 words)
  EXPECT_TRUE(command(hw::encode(hw::TileCfgCmd{0, 3, 4, 0, 0, 0, 0})).empty());
  EXPECT_EQ(status().err_tile_cfg, 1u);
  EXPECT_EQ(command(hw::encode(hw::RunCmd{0, 1}), {0}).size(), hw::kPeRows * hw::kPeCols / 2);
  // opcode 8 is ecc_counters (the mode, then one word per bank), not an unknown opcode
  EXPECT_EQ(command(hw::encode(hw::EccCountersCmd{})).size(), hw::kEccCounterWords);
  EXPECT_EQ(status().err_opcode, 0u);
  for (std::uint64_t op = 9; op < 16; ++op) {
    EXPECT_TRUE(command(hw::encode(hw::Cmd{op})).empty()) << "opcode " << op;
  }
  EXPECT_EQ(status().err_opcode, 1u);
  run([](SimSystem& s) { s.host.reset(); });
  EXPECT_EQ(status().err_opcode + status().err_tile_cfg, 0u);
}

// The counters command answers status, cycles, MACs and one {writes, reads} word per bank; the
// cycle count grows by exactly the cycles the simulation ran between two counters commands (plus
// the first one's own accept, 19 words and hand-over cycles).
TEST_F(SimTlm, CountersCyclesFollowTheSimulatedClock) {
  const auto c0 = counters();
  ASSERT_EQ(c0.size(), hw::kCounterWords);
  const std::uint64_t t0 = sys_->clock_cycles();
  command(hw::encode(hw::WriteCmd{5, 3}), {1, 2, 3});
  command(hw::encode(hw::SetVddCmd{4096}));
  const std::uint64_t t1 = sys_->clock_cycles();
  const auto c1 = counters();
  EXPECT_EQ(c1[1] - c0[1], (t1 - t0) + hw::kCounterWords + 2);
  EXPECT_EQ(hw::decode_bank_counter_word(c1[3]).writes, 3u);
}

// MBIST finds exactly the cells that fail at the supply, in ascending order, with the directions
// their kind produces: a flip both ways, stuck-at-0 1→0 only, stuck-at-1 0→1 only.
TEST_F(SimTlm, MbistReportsTheFailingCellsAndDirections) {
  profiles::CellMap map(accelerator::buffer_geometry());
  struct Cell {
    std::uint32_t index;
    std::uint8_t kind;
    bool s01, s10;
  };
  const std::vector<Cell> cells = {
      {3, 0, true, true}, {4100, 1, false, true}, {77777, 2, true, false}, {524287, 0, true, true}};
  for (const auto& c : cells) {
    map.vc()[c.index] = 5000;  // fails below 1.22 × Vmin
    map.kind()[c.index] = c.kind;
  }
  map.vc()[9999] = 4000;  // fails only below 0.98 × Vmin
  run([&](SimSystem& s) { s.host.load_profile(map); });
  command(hw::encode(hw::SetVddCmd{4096}));
  const auto words = command(hw::encode(hw::MbistCmd{}));
  ASSERT_EQ(words.size(), cells.size() + 1);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const auto r = hw::decode_mbist_record(words[i]);
    EXPECT_EQ(r.cell, cells[i].index);
    EXPECT_EQ(r.saw_0to1, cells[i].s01 ? 1u : 0u) << "cell " << r.cell;
    EXPECT_EQ(r.saw_1to0, cells[i].s10 ? 1u : 0u) << "cell " << r.cell;
    EXPECT_EQ(r.last, 0u);
  }
  const auto end = hw::decode_mbist_end(words.back());
  EXPECT_EQ(end.last, 1u);
  EXPECT_EQ(end.count, cells.size());
}

// One bus write may carry several commands with their input words; their outputs queue in order.
TEST_F(SimTlm, ACommandStreamRunsEveryCommandInOrder) {
  std::vector<std::uint64_t> stream = {hw::encode(hw::WriteCmd{10, 2}), 0xaaaa, 0xbbbb,
                                       hw::encode(hw::ReadCmd{11, 1}),
                                       hw::encode(hw::ReadCmd{10, 2})};
  ASSERT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kCommand, stream, 8 * stream.size()),
            tlm::TLM_OK_RESPONSE);
  std::vector<std::uint64_t> count(1);
  ASSERT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kResponseCount, count, 8), tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(count[0], 3u);
  std::vector<std::uint64_t> out(3);
  ASSERT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kResponse, out, 24), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(out, (std::vector<std::uint64_t>{0xbbbb, 0xaaaa, 0xbbbb}));
}

// The regulator's supply socket runs set_vdd: the controller's supply code follows it.
TEST_F(SimTlm, SupplySocketSetsTheControllersSupply) {
  run([](SimSystem& s) { s.regulator.set_supply(3500); });
  EXPECT_EQ(sys_->accel.vdd_code(), 3500u);
  run([](SimSystem& s) { s.host.reset(); });
  EXPECT_EQ(sys_->accel.vdd_code(), hw::kVddResetCode);
}

// Error responses: wrong address, wrong direction, bad lengths, missing input words, reading
// more than waits, byte enables, bad profile rows, bad control and supply words — and none of
// them changes the accelerator's state.
TEST_F(SimTlm, ErrorResponsesChangeNothing) {
  const auto before = counters();
  std::vector<std::uint64_t> w = {0, 0, 0};
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, 0x1000, w, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kCommand, w, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kResponse, w, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kCommand, w, 12), tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kCommand, w, 0), tlm::TLM_BURST_ERROR_RESPONSE);
  std::vector<std::uint64_t> short_write = {hw::encode(hw::ReadCmd{0, 1}),
                                            hw::encode(hw::WriteCmd{0, 5}), 1, 2};
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kCommand, short_write, 32),
            tlm::TLM_BURST_ERROR_RESPONSE);
  std::vector<std::uint64_t> count(1);
  EXPECT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kResponseCount, count, 8), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(count[0], 0u);  // the read in front of the short write did not run
  EXPECT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kResponse, w, 8), tlm::TLM_BURST_ERROR_RESPONSE);
  std::vector<std::uint64_t> control = {2};
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kControl, control, 8),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  std::vector<std::uint64_t> config = {0x10000, 0};
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileConfig, config, 16),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  std::vector<std::uint64_t> row(bus::kProfileRowWords, 0);
  row[0] = std::uint64_t{hw::kBanks} << 16;  // no such bank
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileRows, row, 8 * row.size()),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  row[0] = 0;
  row[17] = 3;  // kind 3 is reserved
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileRows, row, 8 * row.size()),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  row[17] = 0;
  row[bus::kProfileCheckKindWord] = std::uint64_t{3} << 14;  // check cell 7: kind 3
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileRows, row, 8 * row.size()),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  row[bus::kProfileCheckKindWord] = std::uint64_t{1} << 16;  // there is no check cell 8
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileRows, row, 8 * row.size()),
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  row[bus::kProfileCheckKindWord] = 0;
  row[17] = 3;
  std::vector<std::uint64_t> ecc = {3};  // mode 3 is reserved
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kEccConfig, ecc, 8), tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_READ_COMMAND, bus::kEccConfig, ecc, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(raw(tlm::TLM_WRITE_COMMAND, bus::kProfileRows, row, 8 * (row.size() - 1)),
            tlm::TLM_BURST_ERROR_RESPONSE);
  {
    std::uint8_t enables[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(bus::kCommand);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(w.data()));
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    gp.set_byte_enable_ptr(enables);
    gp.set_byte_enable_length(8);
    run([&](SimSystem& s) { s.host.transport(gp); });
    EXPECT_EQ(gp.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  }
  {
    std::uint64_t code = 0x10000;
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(bus::kSupplyVdd);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(&code));
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    run([&](SimSystem& s) {
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      s.regulator.out->b_transport(gp, delay);
    });
    EXPECT_EQ(gp.get_response_status(), tlm::TLM_GENERIC_ERROR_RESPONSE);
  }
  const auto after = counters();
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[2], before[2]);
  // only the counters command itself ran: cycles moved by its length alone
  EXPECT_EQ(after[1] - before[1], hw::kCounterWords + 2);
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) EXPECT_EQ(after[3 + b], before[3 + b]);
  EXPECT_EQ(sys_->accel.vdd_code(), hw::kVddResetCode);
}

}  // namespace
}  // namespace lowvolt::sim
