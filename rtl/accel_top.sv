// accel_top: the LowVolt accelerator. A command stream (cmd_*), an input data stream (in_*: weight
// words of `write`, activation words of `run`) and an output data stream (out_*: words of `read`,
// results of `run`, counters, MBIST records), all 64-bit valid/ready; formats in
// accelerator/spec/lowvolt_hw.json, semantics in docs/rtl.md.
// The fault profile is loaded by backdoor, one bank row per cycle while the accelerator is idle:
// bd_we with bd_bank/bd_row and the row's 64 vc_codes (cell c at bd_vc[16c+:16]) and kinds
// (bd_kind[2c+:2]); cfg_sigma and cfg_seed are chip-wide and must be stable before the load.
// rst (synchronous, active high) clears the controller and counters and sweeps the fault masks at
// VDD_RESET_CODE (SRAM_ROWS cycles); it keeps SRAM contents and the loaded profile.
// ECC (docs/memory-model.md, "ECC on the weight words"): cfg_ecc (ECC_NONE, ECC_PARITY,
// ECC_SECDED; a static strap like cfg_sigma, changed only while idle) selects the code. Each bank
// has a check array of ECC_CHECK_COLS cells per row, loaded with the data row (bd_check_vc,
// bd_check_kind) and hashed with the check seed mix64(cfg_seed ^ 0xecc). The encoder
// (ecc_codec) sits on the controller's write data, the decoder between the buffer's registered
// read data and the controller (same cycle: no extra latency); per bank it counts decoded reads
// delivered corrected and detected uncorrectable (ecc_counters command; zeroed by rst and by a
// backdoor load of the bank). MBIST bypasses the codec: it writes and compares the raw data and
// check cells of the mode and is not counted.
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
    input  logic [ECC_CHECK_COLS*16-1:0] bd_check_vc,
    input  logic [ ECC_CHECK_COLS*2-1:0] bd_check_kind,
    input  logic [           15:0] cfg_sigma,
    input  logic [           63:0] cfg_seed,
    input  logic [            1:0] cfg_ecc
);
  localparam int unsigned CC = ECC_CHECK_COLS;
  logic ctl_re, ctl_we, mb_re, mb_we, mb_busy, mb_start;
  logic [AW-1:0] ctl_addr, mb_addr;
  logic [SRAM_COLS-1:0] ctl_wdata, mb_wdata, buf_rdata, dec_rdata;
  logic [CC-1:0] ctl_wcheck, mb_wcheck, buf_rcheck, check_mask;
  logic [63:0] check_seed;
  logic dec_corrected, dec_uncorrectable;
  logic [31:0] ecc_corrected[NBANKS], ecc_uncorrectable[NBANKS];
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
      .buf_rdata(dec_rdata),
      .vdd_code,
      .rf_en,
      .rf_row,
      .bank_reads,
      .bank_writes,
      .ecc_mode(cfg_ecc),
      .ecc_corrected,
      .ecc_uncorrectable,
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
      .COLS (SRAM_COLS),
      .CCOLS(CC)
  ) u_buf (
      .clk,
      .rst,
      .vdd_code,
      .sigma_code(cfg_sigma),
      .seed(cfg_seed),
      .check_seed,
      .re(mb_busy ? mb_re : ctl_re),
      .we(mb_busy ? mb_we : ctl_we),
      .addr(mb_busy ? mb_addr : ctl_addr),
      .wdata(mb_busy ? mb_wdata : ctl_wdata),
      .rdata(buf_rdata),
      .wcheck(mb_busy ? mb_wcheck : ctl_wcheck),
      .rcheck(buf_rcheck),
      .rf_en,
      .rf_row,
      .bd_we,
      .bd_bank,
      .bd_row,
      .bd_vc,
      .bd_kind,
      .bd_check_vc,
      .bd_check_kind,
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
      .COLS (SRAM_COLS),
      .CCOLS(CC)
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
      .buf_wcheck(mb_wcheck),
      .buf_rcheck,
      .check_mask,
      .out_valid(mb_out_valid),
      .out_ready(mb_out_ready),
      .out_data(mb_out_data)
  );

  // --- ECC: codec, check seed, counters
  function automatic logic [63:0] mix64(input logic [63:0] z0);
    logic [63:0] z;
    z = z0;
    z = z ^ (z >> 30);
    z = z * 64'hbf58476d1ce4e5b9;
    z = z ^ (z >> 27);
    z = z * 64'h94d049bb133111eb;
    z = z ^ (z >> 31);
    return z;
  endfunction
  assign check_seed = mix64(cfg_seed ^ 64'hecc);
  // the check cells a mode uses (MBIST tests only these)
  assign check_mask = cfg_ecc == 2'(ECC_SECDED) ? {CC{1'b1}} :
                      cfg_ecc == 2'(ECC_PARITY) ? CC'(1) : '0;

  ecc_codec u_ecc (
      .mode(cfg_ecc),
      .wdata(ctl_wdata),
      .wcheck(ctl_wcheck),
      .rdata(buf_rdata),
      .rcheck(buf_rcheck),
      .dout(dec_rdata),
      .corrected(dec_corrected),
      .uncorrectable(dec_uncorrectable)
  );

  // a decoded read's outcome is counted in the cycle its word is on buf_rdata (the one after the
  // read was issued), in the bank it came from; MBIST reads bypass the decoder
  logic rd_v;
  logic [BW-1:0] rd_bank;
  always_ff @(posedge clk) begin
    rd_v <= !rst && !mb_busy && ctl_re && !ctl_we;
    rd_bank <= ctl_addr[AW-1-:BW];  // the port's address when rd_v is set
  end
  for (genvar b = 0; b < NBANKS; b++) begin : g_ecc_cnt
    always_ff @(posedge clk) begin
      if (rst || (bd_we && bd_bank == BW'(b))) begin
        ecc_corrected[b] <= '0;
        ecc_uncorrectable[b] <= '0;
      end else if (rd_v && rd_bank == BW'(b)) begin
        ecc_corrected[b] <= ecc_corrected[b] + 32'(dec_corrected);
        ecc_uncorrectable[b] <= ecc_uncorrectable[b] + 32'(dec_uncorrectable);
      end
    end
  end
endmodule
