// controller: decodes 64-bit command words (formats in accelerator/spec/lowvolt_hw.json,
// semantics in docs/rtl.md), sequences the weight buffer, the PE array and the MBIST engine, and
// keeps the counters. Streams are valid/ready: a word moves on a rising edge where both are high.
// One command runs at a time; cmd_ready is high only in S_IDLE.
//  write:    in-words are written to consecutive addresses, one per cycle.
//  read:     words are read through the fault overlay and pushed to the output, one per cycle.
//  set_vdd:  latches the supply code, then refreshes the fault masks of all banks row by row
//            (ROWS cycles). Reset runs the same sweep with vdd_code = VDD_RESET_CODE.
//  tile_cfg: latches the tile shape / zero points, or sets status.err_tile_cfg if invalid.
//  run:      clears the PE accumulators; streams the tile's weight bits from the buffer through a
//            128-bit gearbox (each needed word read exactly once, in ascending address order) and
//            one activation word per step; then pushes rows x ceil(cols/2) result words.
//  counters: pushes status, cycles, macs and one {writes, reads} word per bank (values at accept).
//  mbist:    starts the MBIST engine and forwards its records and end word.
//  ecc_counters: pushes the ECC mode and one {uncorrectable, corrected} word per bank (values at
//            accept; the counters live in accel_top beside the decoder).
module controller
  import lowvolt_hw_pkg::*;
#(
    parameter int unsigned NBANKS = 16,
    parameter int unsigned NROWS  = 512,
    parameter int unsigned R      = 8,
    parameter int unsigned C      = 8,
    localparam int unsigned RW = $clog2(NROWS),
    localparam int unsigned BW = $clog2(NBANKS),
    localparam int unsigned AW = RW + BW,
    localparam int unsigned RI = $clog2(R),
    localparam int unsigned CI = $clog2(C)
) (
    input  logic        clk,
    input  logic        rst,
    // command and data streams
    input  logic        cmd_valid,
    output logic        cmd_ready,
    input  logic [63:0] cmd_data,
    input  logic        in_valid,
    output logic        in_ready,
    input  logic [63:0] in_data,
    output logic        out_valid,
    input  logic        out_ready,
    output logic [63:0] out_data,
    // weight buffer port (muxed with the MBIST engine in accel_top)
    output logic        buf_re,
    output logic        buf_we,
    output logic [AW-1:0] buf_addr,
    output logic [63:0] buf_wdata,
    input  logic [63:0] buf_rdata,
    output logic [15:0] vdd_code,
    output logic        rf_en,
    output logic [RW-1:0] rf_row,
    input  logic [31:0] bank_reads [NBANKS],
    input  logic [31:0] bank_writes[NBANKS],
    // ECC (accel_top): the mode and the decoder's per-bank counters
    input  logic [ 1:0] ecc_mode,
    input  logic [31:0] ecc_corrected[NBANKS],
    input  logic [31:0] ecc_uncorrectable[NBANKS],
    // PE array
    output logic        pe_clear,
    output logic        pe_step,
    output logic [R*8-1:0] pe_act,
    output logic        pe_act_signed,
    output logic [ 7:0] pe_act_zero,
    output logic [C*8-1:0] pe_wcode,
    output logic [ 3:0] pe_wbits,
    output logic        pe_w_signed,
    output logic [ 7:0] pe_w_zero,
    input  logic [31:0] pe_acc[R][C],
    // MBIST engine
    output logic        mb_start,
    input  logic        mb_out_valid,
    output logic        mb_out_ready,
    input  logic [63:0] mb_out_data
);
  typedef enum logic [3:0] {
    S_IDLE,
    S_REFRESH,
    S_WRITE,
    S_READ,
    S_RUN,
    S_RESULTS,
    S_COUNTERS,
    S_MBIST
  } state_t;

  state_t state;
  logic [63:0] cycles, macs;
  logic err_opcode, err_tile_cfg;

  // tile configuration (tile_cfg)
  logic [3:0] t_rows, t_cols, t_wbits;
  logic [7:0] t_act_zero, t_w_zero;
  logic t_act_signed, t_w_signed;

  // write / read / counters / results bookkeeping
  logic [AW-1:0] addr;
  logic [15:0] left;  // words still to write, to read, or counter words to push
  logic rd_pend;  // a read was issued last cycle; its word waits on buf_rdata
  logic [63:0] cnt_snap_cycles;
  logic [31:0] snap_reads [NBANKS];
  logic [31:0] snap_writes[NBANKS];
  logic [4:0] cnt_idx;
  logic cnt_ecc;  // S_COUNTERS serves ecc_counters (snap_reads/snap_writes hold the ECC counts)
  logic [3:0] res_i, res_j;  // result row, result word within the row

  // run: gearbox over the weight bit stream
  logic [127:0] gb;  // valid bits at the bottom
  logic [7:0] gb_n;
  logic gb_pend;  // a weight word was read last cycle
  logic [5:0] gb_skip;  // bits to drop from the bottom of that word (first word only)
  logic gb_first;
  logic [16:0] w_left;  // weight words still to read
  logic [5:0] r_skip;  // bits of the first weight word below the tile's start bit
  logic [15:0] steps_left;
  logic [15:0] acts_left;  // activation words still to accept
  logic act_full;  // act_reg holds the next step's activation word
  logic [R*8-1:0] act_reg;

  logic out_free;
  assign out_free = !out_valid || out_ready;

  // command decode
  logic [3:0] opc;
  assign opc = cmd_data[CMD_OPCODE_LSB+:CMD_OPCODE_W];
  assign cmd_ready = state == S_IDLE;
  logic cmd_fire;
  assign cmd_fire = cmd_valid && cmd_ready;

  logic [3:0] c_rows, c_cols, c_wbits;
  assign c_rows  = cmd_data[TILE_CFG_CMD_ROWS_LSB+:TILE_CFG_CMD_ROWS_W];
  assign c_cols  = cmd_data[TILE_CFG_CMD_COLS_LSB+:TILE_CFG_CMD_COLS_W];
  assign c_wbits = cmd_data[TILE_CFG_CMD_WBITS_LSB+:TILE_CFG_CMD_WBITS_W];
  logic cfg_ok;
  assign cfg_ok = c_rows != 0 && 32'(c_rows) <= R && c_cols != 0 && 32'(c_cols) <= C &&
                  c_wbits != 0 && 32'(c_wbits) <= MAX_WBITS;

  // run command: word range of the tile's weight bits
  logic [23:0] r_bit_addr;
  logic [15:0] r_k;
  logic [23:0] r_bits;  // k x cols x wbits
  logic [17:0] r_last_word;
  logic [16:0] r_words;
  // bit addresses wrap modulo the buffer size (2^(AW+6) bits)
  assign r_bit_addr = 24'(cmd_data[RUN_CMD_W_BIT_ADDR_LSB+:AW+6]);
  assign r_k = cmd_data[RUN_CMD_K_LSB+:RUN_CMD_K_W];
  assign r_bits = 24'(r_k) * 24'(t_cols) * 24'(t_wbits);
  assign r_last_word = 18'((r_bit_addr + r_bits - 24'd1) >> 6);
  assign r_words = r_k == 16'd0 ? 17'd0 : 17'(r_last_word - r_bit_addr[23:6]) + 17'd1;

  // gearbox datapath
  logic [127:0] merged, after;
  logic [7:0] merged_n, after_n, need;
  logic [63:0] inc;
  logic can_step, fire, issue;
  always_comb begin
    need = 8'(t_cols) * 8'(t_wbits);
    inc = gb_pend ? buf_rdata >> gb_skip : 64'd0;
    merged = gb | ({64'd0, inc} << gb_n);
    merged_n = gb_n + (gb_pend ? 8'd64 - 8'(gb_skip) : 8'd0);
    // a step needs its activation word registered (act_full) and N x m weight bits: the datapath
    // depends on registers only, never combinationally on the input stream (one eval per edge)
    can_step = state == S_RUN && steps_left != 16'd0 && merged_n >= need;
    fire = can_step && act_full;
    after = fire ? merged >> need : merged;
    after_n = merged_n - (fire ? need : 8'd0);
    issue = state == S_RUN && w_left != 17'd0 && after_n <= 8'd64;
  end
  assign in_ready = (state == S_WRITE && left != 16'd0) ||
                    (state == S_RUN && acts_left != 16'd0 && (!act_full || fire));

  // PE array drive: code j = bits j*m .. j*m+m-1 of the merged stream
  always_comb begin
    pe_clear = cmd_fire && opc == OP_RUN;
    pe_step = fire;
    pe_act = act_reg;
    pe_act_signed = t_act_signed;
    pe_act_zero = t_act_zero;
    pe_wbits = t_wbits;
    pe_w_signed = t_w_signed;
    pe_w_zero = t_w_zero;
    for (int unsigned j = 0; j < C; j++) begin
      pe_wcode[8*j+:8] = 8'(merged[63:0] >> (j * 32'(t_wbits))) & 8'((9'd1 << t_wbits) - 9'd1);
    end
  end

  // buffer port
  logic rd_issue;
  assign rd_issue = state == S_READ && left != 16'd0 && (!rd_pend || out_free);
  always_comb begin
    buf_re = 1'b0;
    buf_we = 1'b0;
    buf_addr = addr;
    buf_wdata = in_data;
    if (state == S_WRITE && in_valid && left != 16'd0) buf_we = 1'b1;
    if (rd_issue) buf_re = 1'b1;
    if (issue) buf_re = 1'b1;
  end
  assign rf_en = state == S_REFRESH;

  assign mb_start = cmd_fire && opc == OP_MBIST;
  assign mb_out_ready = state == S_MBIST && out_free;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= S_REFRESH;
      rf_row <= '0;
      vdd_code <= 16'(VDD_RESET_CODE);
      cycles <= '0;
      macs <= '0;
      err_opcode <= 1'b0;
      err_tile_cfg <= 1'b0;
      out_valid <= 1'b0;
      rd_pend <= 1'b0;
      gb_pend <= 1'b0;
      t_rows <= 4'(R);
      t_cols <= 4'(C);
      t_wbits <= 4'd8;
      t_act_zero <= '0;
      t_w_zero <= '0;
      t_act_signed <= 1'b1;
      t_w_signed <= 1'b0;
    end else begin
      cycles <= cycles + 64'd1;
      if (out_valid && out_ready) out_valid <= 1'b0;
      case (state)
        S_IDLE: begin
          if (cmd_fire) begin
            case (opc)
              OP_NOP: ;
              OP_WRITE: begin
                state <= S_WRITE;
                addr <= AW'(cmd_data[WRITE_CMD_ADDR_LSB+:WRITE_CMD_ADDR_W]);
                left <= cmd_data[WRITE_CMD_COUNT_LSB+:WRITE_CMD_COUNT_W];
              end
              OP_READ: begin
                state <= S_READ;
                addr <= AW'(cmd_data[READ_CMD_ADDR_LSB+:READ_CMD_ADDR_W]);
                left <= cmd_data[READ_CMD_COUNT_LSB+:READ_CMD_COUNT_W];
                rd_pend <= 1'b0;
              end
              OP_SET_VDD: begin
                state <= S_REFRESH;
                rf_row <= '0;
                vdd_code <= cmd_data[SET_VDD_CMD_VDD_CODE_LSB+:SET_VDD_CMD_VDD_CODE_W];
              end
              OP_TILE_CFG: begin
                if (cfg_ok) begin
                  t_rows <= c_rows;
                  t_cols <= c_cols;
                  t_wbits <= c_wbits;
                  t_act_zero <= cmd_data[TILE_CFG_CMD_ACT_ZERO_LSB+:TILE_CFG_CMD_ACT_ZERO_W];
                  t_w_zero <= cmd_data[TILE_CFG_CMD_W_ZERO_LSB+:TILE_CFG_CMD_W_ZERO_W];
                  t_act_signed <= cmd_data[TILE_CFG_CMD_ACT_SIGNED_LSB];
                  t_w_signed <= cmd_data[TILE_CFG_CMD_W_SIGNED_LSB];
                end else begin
                  err_tile_cfg <= 1'b1;
                end
              end
              OP_RUN: begin
                state <= r_k == 16'd0 ? S_RESULTS : S_RUN;
                steps_left <= r_k;
                acts_left <= r_k;
                act_full <= 1'b0;
                w_left <= r_words;
                addr <= AW'(r_bit_addr[23:6]);
                gb <= '0;
                gb_n <= '0;
                gb_pend <= 1'b0;
                gb_first <= 1'b1;
                r_skip <= r_bit_addr[5:0];
                res_i <= '0;
                res_j <= '0;
              end
              OP_COUNTERS: begin
                state <= S_COUNTERS;
                cnt_idx <= '0;
                cnt_ecc <= 1'b0;
                cnt_snap_cycles <= cycles;
                snap_reads <= bank_reads;
                snap_writes <= bank_writes;
              end
              OP_ECC_COUNTERS: begin
                state <= S_COUNTERS;
                cnt_idx <= '0;
                cnt_ecc <= 1'b1;
                snap_reads <= ecc_corrected;
                snap_writes <= ecc_uncorrectable;
              end
              OP_MBIST: state <= S_MBIST;
              default: err_opcode <= 1'b1;
            endcase
          end
        end
        S_REFRESH: begin
          rf_row <= rf_row + RW'(1);
          if (rf_row == RW'(NROWS - 1)) state <= S_IDLE;
        end
        S_WRITE: begin
          if (left == 16'd0) begin
            state <= S_IDLE;
          end else if (in_valid) begin
            addr <= addr + AW'(1);
            left <= left - 16'd1;
            if (left == 16'd1) state <= S_IDLE;
          end
        end
        S_READ: begin
          if (rd_pend && out_free) begin
            out_valid <= 1'b1;
            out_data <= buf_rdata;
          end
          if (rd_issue) begin
            rd_pend <= 1'b1;
            addr <= addr + AW'(1);
            left <= left - 16'd1;
          end else if (rd_pend && out_free) begin
            rd_pend <= 1'b0;
          end
          if (left == 16'd0 && (!rd_pend || out_free)) state <= S_IDLE;
        end
        S_RUN: begin
          gb <= after;
          gb_n <= after_n;
          gb_pend <= issue;
          if (issue) begin
            gb_skip <= gb_first ? r_skip : 6'd0;
            gb_first <= 1'b0;
            addr <= addr + AW'(1);
            w_left <= w_left - 17'd1;
          end
          if (in_valid && in_ready) begin
            act_reg <= in_data[R*8-1:0];
            acts_left <= acts_left - 16'd1;
          end
          act_full <= (act_full && !fire) || (in_valid && in_ready);
          if (fire) begin
            steps_left <= steps_left - 16'd1;
            macs <= macs + 64'(t_rows) * 64'(t_cols);
            if (steps_left == 16'd1) state <= S_RESULTS;
          end
        end
        S_RESULTS: begin
          if (out_free) begin
            out_valid <= 1'b1;
            out_data[RESULT_WORD_LO_LSB+:RESULT_WORD_LO_W] <= pe_acc[RI'(res_i)][CI'({res_j, 1'b0})];
            out_data[RESULT_WORD_HI_LSB+:RESULT_WORD_HI_W] <=
                ({res_j, 1'b1} < {1'b0, t_cols}) ? pe_acc[RI'(res_i)][CI'({res_j, 1'b1})] : 32'd0;
            if ({res_j, 1'b1} + 5'd1 >= {1'b0, t_cols}) begin
              res_j <= '0;
              res_i <= res_i + 4'd1;
              if (res_i + 4'd1 == t_rows) state <= S_IDLE;
            end else begin
              res_j <= res_j + 4'd1;
            end
          end
        end
        S_COUNTERS: begin
          if (out_free) begin
            out_valid <= 1'b1;
            if (cnt_ecc) begin
              out_data <= '0;
              if (cnt_idx == 5'd0) begin
                out_data[ECC_STATUS_WORD_MODE_LSB+:ECC_STATUS_WORD_MODE_W] <= ecc_mode;
              end else begin
                out_data[ECC_COUNTER_WORD_CORRECTED_LSB+:ECC_COUNTER_WORD_CORRECTED_W] <=
                    snap_reads[BW'(cnt_idx - 5'd1)];
                out_data[ECC_COUNTER_WORD_UNCORRECTABLE_LSB+:ECC_COUNTER_WORD_UNCORRECTABLE_W] <=
                    snap_writes[BW'(cnt_idx - 5'd1)];
              end
            end else if (cnt_idx == 5'd0) begin
              out_data <= '0;
              out_data[STATUS_WORD_ERR_OPCODE_LSB] <= err_opcode;
              out_data[STATUS_WORD_ERR_TILE_CFG_LSB] <= err_tile_cfg;
              out_data[STATUS_WORD_SPEC_VERSION_LSB+:STATUS_WORD_SPEC_VERSION_W] <=
                  16'(SPEC_VERSION);
            end else if (cnt_idx == 5'd1) begin
              out_data <= cnt_snap_cycles;
            end else if (cnt_idx == 5'd2) begin
              out_data <= macs;
            end else begin
              out_data[BANK_COUNTER_WORD_READS_LSB+:BANK_COUNTER_WORD_READS_W] <=
                  snap_reads[BW'(cnt_idx - 5'd3)];
              out_data[BANK_COUNTER_WORD_WRITES_LSB+:BANK_COUNTER_WORD_WRITES_W] <=
                  snap_writes[BW'(cnt_idx - 5'd3)];
            end
            cnt_idx <= cnt_idx + 5'd1;
            if (32'(cnt_idx) == (cnt_ecc ? 32'(NBANKS) : 32'(NBANKS + 2))) state <= S_IDLE;
          end
        end
        S_MBIST: begin
          if (mb_out_valid && out_free) begin
            out_valid <= 1'b1;
            out_data <= mb_out_data;
            if (mb_out_data[MBIST_END_LAST_LSB]) state <= S_IDLE;
          end
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
