// accel_top: the LowVolt accelerator. A command stream (cmd_*), an input data stream (in_*: weight
// words of `write`, activation words of `run`) and an output data stream (out_*: words of `read`,
// results of `run`, counters, MBIST records), all 64-bit valid/ready; formats in
// accelerator/spec/lowvolt_hw.json, semantics in docs/rtl.md.
// The fault profile is loaded by backdoor, one bank row per cycle while the accelerator is idle:
// bd_we with bd_bank/bd_row and the row's 64 vc_codes (cell c at bd_vc[16c+:16]) and kinds
// (bd_kind[2c+:2]); cfg_sigma and cfg_seed are chip-wide and must be stable before the load.
// rst (synchronous, active high) clears the controller and counters and sweeps the fault masks at
// VDD_RESET_CODE (SRAM_ROWS cycles); it keeps SRAM contents and the loaded profile.
module accel_top
  import lowvolt_hw_pkg::*;
#(
    parameter int unsigned NBANKS = BANKS,
    parameter int unsigned NROWS  = SRAM_ROWS,
    parameter int unsigned R      = PE_ROWS,
    parameter int unsigned C      = PE_COLS,
    localparam int unsigned RW = $clog2(NROWS),
    localparam int unsigned BW = $clog2(NBANKS),
    localparam int unsigned AW = RW + BW
) (
    input  logic                   clk,
    input  logic                   rst,
    input  logic                   cmd_valid,
    output logic                   cmd_ready,
    input  logic [           63:0] cmd_data,
    input  logic                   in_valid,
    output logic                   in_ready,
    input  logic [           63:0] in_data,
    output logic                   out_valid,
    input  logic                   out_ready,
    output logic [           63:0] out_data,
    input  logic                   bd_we,
    input  logic [         BW-1:0] bd_bank,
    input  logic [         RW-1:0] bd_row,
    input  logic [SRAM_COLS*16-1:0] bd_vc,
    input  logic [ SRAM_COLS*2-1:0] bd_kind,
    input  logic [           15:0] cfg_sigma,
    input  logic [           63:0] cfg_seed
);
  logic ctl_re, ctl_we, mb_re, mb_we, mb_busy, mb_start;
  logic [AW-1:0] ctl_addr, mb_addr;
  logic [SRAM_COLS-1:0] ctl_wdata, mb_wdata, buf_rdata;
  logic [15:0] vdd_code;
  logic rf_en;
  logic [RW-1:0] rf_row;
  logic [31:0] bank_reads[NBANKS], bank_writes[NBANKS];
  logic pe_clear, pe_step, pe_act_signed, pe_w_signed;
  logic [R*8-1:0] pe_act;
  logic [C*8-1:0] pe_wcode;
  logic [7:0] pe_act_zero, pe_w_zero;
  logic [3:0] pe_wbits;
  logic [31:0] pe_acc[R][C];
  logic mb_out_valid, mb_out_ready;
  logic [63:0] mb_out_data;

  controller #(
      .NBANKS(NBANKS),
      .NROWS (NROWS),
      .R     (R),
      .C     (C)
  ) u_ctl (
      .clk,
      .rst,
      .cmd_valid,
      .cmd_ready,
      .cmd_data,
      .in_valid,
      .in_ready,
      .in_data,
      .out_valid,
      .out_ready,
      .out_data,
      .buf_re(ctl_re),
      .buf_we(ctl_we),
      .buf_addr(ctl_addr),
      .buf_wdata(ctl_wdata),
      .buf_rdata,
      .vdd_code,
      .rf_en,
      .rf_row,
      .bank_reads,
      .bank_writes,
      .pe_clear,
      .pe_step,
      .pe_act,
      .pe_act_signed,
      .pe_act_zero,
      .pe_wcode,
      .pe_wbits,
      .pe_w_signed,
      .pe_w_zero,
      .pe_acc,
      .mb_start,
      .mb_out_valid,
      .mb_out_ready,
      .mb_out_data
  );

  weight_buffer #(
      .BANKS(NBANKS),
      .ROWS (NROWS),
      .COLS (SRAM_COLS)
  ) u_buf (
      .clk,
      .rst,
      .vdd_code,
      .sigma_code(cfg_sigma),
      .seed(cfg_seed),
      .re(mb_busy ? mb_re : ctl_re),
      .we(mb_busy ? mb_we : ctl_we),
      .addr(mb_busy ? mb_addr : ctl_addr),
      .wdata(mb_busy ? mb_wdata : ctl_wdata),
      .rdata(buf_rdata),
      .rf_en,
      .rf_row,
      .bd_we,
      .bd_bank,
      .bd_row,
      .bd_vc,
      .bd_kind,
      .read_count(bank_reads),
      .write_count(bank_writes)
  );

  pe_array #(
      .R(R),
      .C(C)
  ) u_pe (
      .clk,
      .clear(pe_clear),
      .step(pe_step),
      .act(pe_act),
      .act_signed(pe_act_signed),
      .act_zero(pe_act_zero),
      .wcode(pe_wcode),
      .wbits(pe_wbits),
      .w_signed(pe_w_signed),
      .w_zero(pe_w_zero),
      .acc(pe_acc)
  );

  mbist #(
      .WORDS(NBANKS * NROWS),
      .COLS (SRAM_COLS)
  ) u_mbist (
      .clk,
      .rst,
      .start(mb_start),
      .busy(mb_busy),
      .buf_re(mb_re),
      .buf_we(mb_we),
      .buf_addr(mb_addr),
      .buf_wdata(mb_wdata),
      .buf_rdata,
      .out_valid(mb_out_valid),
      .out_ready(mb_out_ready),
      .out_data(mb_out_data)
  );
endmodule
