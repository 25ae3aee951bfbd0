#include "lowvolt/accelerator/command_driver.h"

#include <algorithm>

#include "lowvolt/accelerator/profile_rows.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

namespace {

void expect_words(const std::vector<std::uint64_t>& out, std::size_t n, const char* command) {
  LV_CHECK(out.size() == n, command << " answered " << out.size() << " words, not " << n);
}

}  // namespace

CommandDriver::CommandDriver(std::unique_ptr<CommandPort> port) : port_(std::move(port)) {
  LV_CHECK(port_ != nullptr, "CommandDriver without a port");
}

CommandDriver::~CommandDriver() = default;

void CommandDriver::reset() {
  port_->reset();
  cfg_ = TileConfig{};
}

void CommandDriver::load_profile(const profiles::CellMap& map) {
  const auto rows = profile_rows(map);
  port_->load_rows(map.sigma_code(), map.seed(), rows);
}

void CommandDriver::load_profile(const profiles::CellMap& map, const profiles::CellMap& check) {
  const auto rows = profile_rows(map, check);
  port_->load_rows(map.sigma_code(), map.seed(), rows);
}

void CommandDriver::set_ecc_mode(std::uint32_t mode) {
  if (mode != hw::kEccNone && mode != hw::kEccParity && mode != hw::kEccSecded) {
    fail("rtl: ECC mode ", mode, " (0 none, 1 parity, 2 secded)");
  }
  port_->set_ecc_mode(mode);
}

void CommandDriver::write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) {
  check_transfer_fields("rtl", "write", addr, count);
  expect_words(port_->exchange(hw::encode(hw::WriteCmd{addr, count}), words, count), 0, "write");
}

void CommandDriver::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  check_transfer_fields("rtl", "read", addr, count);
  const auto words = port_->exchange(hw::encode(hw::ReadCmd{addr, count}), nullptr, 0);
  expect_words(words, count, "read");
  std::copy(words.begin(), words.end(), out);
}

std::vector<std::uint64_t> CommandDriver::read(std::uint32_t addr, std::size_t count) {
  std::vector<std::uint64_t> out(count);
  read(addr, count, out.data());
  return out;
}

void CommandDriver::set_vdd(std::uint16_t vdd_code) {
  expect_words(port_->exchange(hw::encode(hw::SetVddCmd{vdd_code}), nullptr, 0), 0, "set_vdd");
}

void CommandDriver::tile_cfg(const TileConfig& cfg) {
  const std::uint64_t cmd = encode_tile_config(cfg);  // lowvolt::Error for a bad shape
  expect_words(port_->exchange(cmd, nullptr, 0), 0, "tile_cfg");
  cfg_ = cfg;
}

void CommandDriver::run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
                        std::int32_t* out) {
  check_run_fields("rtl", w_bit_addr, k);
  const std::size_t rows = cfg_.rows;
  const std::size_t cols = cfg_.cols;
  const std::size_t words_per_row = (cols + 1) / 2;  // two int32 results per word
  const auto words = port_->exchange(hw::encode(hw::RunCmd{w_bit_addr, k}), activations, k);
  expect_words(words, rows * words_per_row, "run");
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const auto word = hw::decode_result_word(words[i * words_per_row + j / 2]);
      out[i * cols + j] =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(j % 2 ? word.hi : word.lo));
    }
  }
}

std::vector<std::int32_t> CommandDriver::run(std::uint32_t w_bit_addr,
                                             const std::vector<std::uint64_t>& activations) {
  std::vector<std::int32_t> y(std::size_t{cfg_.rows} * cfg_.cols);
  run(w_bit_addr, activations.data(), activations.size(), y.data());
  return y;
}

Counters CommandDriver::counters() {
  const auto words = port_->exchange(hw::encode(hw::CountersCmd{}), nullptr, 0);
  expect_words(words, hw::kCounterWords, "counters");
  Counters c;
  c.status = words[0];
  c.cycles = words[1];
  c.macs = words[2];
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    const auto w = hw::decode_bank_counter_word(words[3 + b]);
    c.bank_reads[b] = static_cast<std::uint32_t>(w.reads);
    c.bank_writes[b] = static_cast<std::uint32_t>(w.writes);
  }
  return c;
}

EccCounters CommandDriver::ecc_counters() {
  const auto words = port_->exchange(hw::encode(hw::EccCountersCmd{}), nullptr, 0);
  expect_words(words, hw::kEccCounterWords, "ecc_counters");
  EccCounters c;
  c.mode = static_cast<std::uint32_t>(hw::decode_ecc_status_word(words[0]).mode);
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    const auto w = hw::decode_ecc_counter_word(words[1 + b]);
    c.corrected.push_back(static_cast<std::uint32_t>(w.corrected));
    c.uncorrectable.push_back(static_cast<std::uint32_t>(w.uncorrectable));
  }
  return c;
}

std::vector<MbistRecord> CommandDriver::mbist() {
  const auto words = port_->exchange(hw::encode(hw::MbistCmd{}), nullptr, 0);
  LV_CHECK(!words.empty(), "mbist answered nothing");
  std::vector<MbistRecord> records;
  records.reserve(words.size() - 1);
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    const auto r = hw::decode_mbist_record(words[i]);
    LV_CHECK(r.last == 0, "mbist record " << i << " has its last bit set");
    records.push_back(
        MbistRecord{static_cast<std::uint32_t>(r.cell), r.saw_0to1 != 0, r.saw_1to0 != 0});
  }
  const auto end = hw::decode_mbist_end(words.back());
  LV_CHECK(end.last == 1 && end.count == records.size(),
           "mbist end word counts " << end.count << " records, " << records.size() << " came");
  return records;
}

std::vector<std::uint64_t> CommandDriver::raw_command(std::uint64_t word) {
  return port_->exchange(word, nullptr, 0);
}

}  // namespace lowvolt::accelerator
