// Round trips of every field of every word in the generated hw_spec.h (accelerator/spec/
// lowvolt_hw.json), at the field's minimum and maximum, and consistency of the parameters.
#include "lowvolt/accelerator/hw_spec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

namespace {

namespace hw = lowvolt::accelerator::hw;

/// Checks one field: min and max round-trip, land exactly at bits lsb..lsb+width-1 (on top of the
/// word's opcode bits), leave every other field 0, and max + 1 is refused.
template <typename T, typename Decode>
void check_field(const char* name, std::uint64_t T::*field, unsigned lsb, unsigned width,
                 Decode decode) {
  SCOPED_TRACE(name);
  const std::uint64_t fixed = hw::encode(T{});  // opcode bits only
  const std::uint64_t max = (std::uint64_t{1} << width) - 1;
  T v{};
  v.*field = 0;
  EXPECT_EQ(hw::encode(v), fixed);
  EXPECT_EQ(decode(hw::encode(v)).*field, 0u);
  v.*field = max;
  const std::uint64_t word = hw::encode(v);
  EXPECT_EQ(word, fixed | (max << lsb));
  EXPECT_EQ(decode(word).*field, max);
  EXPECT_EQ(hw::encode(decode(word)), word);  // every other field decodes as 0
  v.*field = max + 1;
  EXPECT_THROW(hw::encode(v), lowvolt::InternalError);
}

#define LV_FIELD(Type, word, Field, field)                                           \
  check_field<hw::Type>(#word "." #field, &hw::Type::field, hw::k##Type##Field##Lsb, \
                        hw::k##Type##Field##Width, hw::decode_##word)

// Every command field round-trips at its minimum and maximum.
TEST(HwSpecFields, CommandFieldsRoundTrip) {
  LV_FIELD(Cmd, cmd, Opcode, opcode);
  LV_FIELD(WriteCmd, write_cmd, Addr, addr);
  LV_FIELD(WriteCmd, write_cmd, Count, count);
  LV_FIELD(ReadCmd, read_cmd, Addr, addr);
  LV_FIELD(ReadCmd, read_cmd, Count, count);
  LV_FIELD(SetVddCmd, set_vdd_cmd, VddCode, vdd_code);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, Rows, rows);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, Cols, cols);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, Wbits, wbits);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, ActZero, act_zero);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, WZero, w_zero);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, ActSigned, act_signed);
  LV_FIELD(TileCfgCmd, tile_cfg_cmd, WSigned, w_signed);
  LV_FIELD(RunCmd, run_cmd, WBitAddr, w_bit_addr);
  LV_FIELD(RunCmd, run_cmd, K, k);
}

// Every response / stream word field round-trips at its minimum and maximum.
TEST(HwSpecFields, ResponseFieldsRoundTrip) {
  LV_FIELD(ActWord, act_word, Row0, row0);
  LV_FIELD(ActWord, act_word, Row1, row1);
  LV_FIELD(ActWord, act_word, Row2, row2);
  LV_FIELD(ActWord, act_word, Row3, row3);
  LV_FIELD(ActWord, act_word, Row4, row4);
  LV_FIELD(ActWord, act_word, Row5, row5);
  LV_FIELD(ActWord, act_word, Row6, row6);
  LV_FIELD(ActWord, act_word, Row7, row7);
  LV_FIELD(ResultWord, result_word, Lo, lo);
  LV_FIELD(ResultWord, result_word, Hi, hi);
  LV_FIELD(StatusWord, status_word, ErrOpcode, err_opcode);
  LV_FIELD(StatusWord, status_word, ErrTileCfg, err_tile_cfg);
  LV_FIELD(StatusWord, status_word, SpecVersion, spec_version);
  LV_FIELD(BankCounterWord, bank_counter_word, Reads, reads);
  LV_FIELD(BankCounterWord, bank_counter_word, Writes, writes);
  LV_FIELD(MbistRecord, mbist_record, Cell, cell);
  LV_FIELD(MbistRecord, mbist_record, Saw0to1, saw_0to1);
  LV_FIELD(MbistRecord, mbist_record, Saw1to0, saw_1to0);
  LV_FIELD(MbistRecord, mbist_record, Last, last);
  LV_FIELD(MbistEnd, mbist_end, Count, count);
  LV_FIELD(MbistEnd, mbist_end, Last, last);
  LV_FIELD(EccStatusWord, ecc_status_word, Mode, mode);
  LV_FIELD(EccCounterWord, ecc_counter_word, Corrected, corrected);
  LV_FIELD(EccCounterWord, ecc_counter_word, Uncorrectable, uncorrectable);
}

// Each command word carries its own opcode in bits 63..60, and field-less commands only that.
TEST(HwSpecOpcodes, EncodeSetsTheOpcode) {
  EXPECT_EQ(hw::opcode_bits(hw::encode(hw::WriteCmd{})), std::uint64_t(hw::Opcode::kWrite));
  EXPECT_EQ(hw::opcode_bits(hw::encode(hw::ReadCmd{})), std::uint64_t(hw::Opcode::kRead));
  EXPECT_EQ(hw::opcode_bits(hw::encode(hw::SetVddCmd{})), std::uint64_t(hw::Opcode::kSetVdd));
  EXPECT_EQ(hw::opcode_bits(hw::encode(hw::TileCfgCmd{})), std::uint64_t(hw::Opcode::kTileCfg));
  EXPECT_EQ(hw::opcode_bits(hw::encode(hw::RunCmd{})), std::uint64_t(hw::Opcode::kRun));
  EXPECT_EQ(hw::encode(hw::CountersCmd{}), std::uint64_t(hw::Opcode::kCounters) << 60);
  EXPECT_EQ(hw::encode(hw::MbistCmd{}), std::uint64_t(hw::Opcode::kMbist) << 60);
  EXPECT_EQ(hw::encode(hw::EccCountersCmd{}), std::uint64_t(hw::Opcode::kEccCounters) << 60);
  EXPECT_EQ(hw::encode(hw::ResultWord{}), 0u);  // response words have no opcode
}

// The derived parameters agree with the ones they derive from.
TEST(HwSpecParams, DerivedParametersAreConsistent) {
  EXPECT_EQ(hw::kBufferWords, hw::kBanks * hw::kSramRows);
  EXPECT_EQ(std::uint32_t{1} << hw::kWordAddrBits, hw::kBufferWords);
  EXPECT_EQ(hw::kSramCols, hw::kWordBits);
  EXPECT_EQ(hw::kCounterWords, 3 + hw::kBanks);
  EXPECT_LE(hw::kPeCols * hw::kMaxWbits, hw::kWordBits);  // one weight word per step suffices
  EXPECT_LE(hw::kPeRows * hw::kActBits, hw::kWordBits);   // one activation word per step
  EXPECT_LT(hw::kPeRows, 1u << hw::kTileCfgCmdRowsWidth);
  EXPECT_LT(hw::kPeCols, 1u << hw::kTileCfgCmdColsWidth);
  EXPECT_LE(hw::kWordAddrBits, hw::kWriteCmdAddrWidth);
  EXPECT_LE(hw::kWordAddrBits + 6, hw::kRunCmdWBitAddrWidth);  // any bit of the buffer
  EXPECT_EQ(hw::kCodeOneVmin, 4096u);                          // docs/memory-model.md: Q4.12
  EXPECT_EQ(hw::kEccCounterWords, 1 + hw::kBanks);
  EXPECT_EQ(hw::kEccCheckCols, 8u);  // the secded code's check bits (ecc.h: kEccCheckColumns)
  EXPECT_LT(hw::kEccSecded, 1u << hw::kEccStatusWordModeWidth);
  EXPECT_LE(hw::kBufferWords * (hw::kWordBits + hw::kEccCheckCols),  // check-cell MBIST records
            std::uint64_t{1} << hw::kMbistRecordCellWidth);
}

}  // namespace
