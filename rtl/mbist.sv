// mbist: March C- over the whole weight buffer at the current supply, word-oriented (a "0" write
// writes an all-zeros word, a "1" write all ones):
//   M0 up w0 | M1 up (r0, w1) | M2 up (r1, w0) | M3 down (r0, w1) | M4 down (r1, w0) | M5 up r0
// One operation per cycle (10 x WORDS cycles); each read is checked the next cycle, accumulating
// per cell "read 1 where 0 expected" (0->1) and "read 0 where 1 expected" (1->0) in a fail map.
// Then the fail map is drained in ascending cell order: one record per failing cell (cell index,
// saw_0to1, saw_1to0), then an end word with the record count (formats: mbist_record, mbist_end
// in accelerator/spec/lowvolt_hw.json). The buffer keeps the last March values (all zeros, except
// where faults intervene); all accesses go through the buffer's counters and fault overlay.
// ECC check cells are tested raw, as a memory BIST does (the decoder is bypassed): every write
// also writes its value to the check cells selected by check_mask (the ECC mode's columns: none
// 0, parity column 0, secded all CCOLS), every read compares them, in their own fail map. With
// check_mask != 0 a second drain pass follows the data cells' (same timing: one cycle per word
// without a failing check cell, one per record) and reports check cell c of word w as cell
// WORDS x COLS + w x CCOLS + c, so records stay in ascending cell order.
module mbist
  import lowvolt_hw_pkg::*;
#(
    parameter int unsigned WORDS = 8192,
    parameter int unsigned COLS  = 64,
    parameter int unsigned CCOLS = 8,
    localparam int unsigned AW = $clog2(WORDS),
    localparam int unsigned CW = $clog2(CCOLS)
) (
    input  logic            clk,
    input  logic            rst,
    input  logic            start,      // pulse: begin a March run (ignored while busy)
    output logic            busy,       // high from start until the end word has been taken
    output logic            buf_re,
    output logic            buf_we,
    output logic [  AW-1:0] buf_addr,
    output logic [COLS-1:0] buf_wdata,
    input  logic [COLS-1:0] buf_rdata,
    output logic [CCOLS-1:0] buf_wcheck,
    input  logic [CCOLS-1:0] buf_rcheck,
    input  logic [CCOLS-1:0] check_mask,  // check cells under test (stable while busy)
    output logic            out_valid,
    input  logic            out_ready,
    output logic [    63:0] out_data
);
  typedef enum logic [2:0] {
    S_IDLE,
    S_MARCH,
    S_FLUSH,
    S_DRAIN,
    S_END,
    S_WAIT
  } state_t;

  state_t          state;
  logic   [   2:0] elem;  // March element 0..5
  logic            op;  // operation within an element (0: read or the only write, 1: write)
  logic   [AW-1:0] addr;
  logic            chk_v;  // a read issued last cycle is checked now
  logic            chk_exp;  // its expected bit value
  logic   [AW-1:0] chk_addr;
  logic   [COLS-1:0] fail01[WORDS];
  logic   [COLS-1:0] fail10[WORDS];
  logic   [CCOLS-1:0] cfail01[WORDS];  // check cells
  logic   [CCOLS-1:0] cfail10[WORDS];
  logic            dr_check;  // draining the check cells' fail map
  logic   [COLS-1:0] dr_mask;  // cells of word addr still to report
  logic            dr_loaded;
  logic   [  31:0] n_records;

  // element properties
  logic has_read, exp_bit, descending, last_op;
  always_comb begin
    has_read   = elem != 3'd0;
    exp_bit    = elem == 3'd2 || elem == 3'd4;
    descending = elem == 3'd3 || elem == 3'd4;
    last_op    = elem == 3'd0 || elem == 3'd5 || op;
  end

  logic out_free;
  assign out_free = !out_valid || out_ready;

  // bus: the March element issues one operation per cycle
  always_comb begin
    buf_re    = 1'b0;
    buf_we    = 1'b0;
    buf_addr  = addr;
    buf_wdata = '0;
    buf_wcheck = '0;
    if (state == S_MARCH) begin
      if (has_read && !op) begin
        buf_re = 1'b1;
      end else begin
        buf_we    = 1'b1;
        // the write of M0 writes 0; M1/M3 write 1 after r0; M2/M4 write 0 after r1
        buf_wdata = {COLS{elem != 3'd0 && !exp_bit}};
        buf_wcheck = {CCOLS{elem != 3'd0 && !exp_bit}} & check_mask;
      end
    end
  end

  assign busy = state != S_IDLE;

  // The drain logic lives in the clocked block (not always_comb) so that the simulator evaluates
  // it only on clock edges.
  always_ff @(posedge clk) begin
    logic [COLS-1:0] cur, lowest;
    logic [5:0] lowest_col;
    logic [31:0] rec_cell;
    logic [CCOLS-1:0] cfail;
    if (rst) begin
      state     <= S_IDLE;
      out_valid <= 1'b0;
      chk_v     <= 1'b0;
    end else begin
      if (out_valid && out_ready) out_valid <= 1'b0;
      // check the read issued last cycle
      chk_v <= 1'b0;
      if (chk_v) begin
        if (chk_exp) begin
          fail10[chk_addr]  <= fail10[chk_addr] | ~buf_rdata;
          cfail10[chk_addr] <= cfail10[chk_addr] | (~buf_rcheck & check_mask);
        end else begin
          fail01[chk_addr]  <= fail01[chk_addr] | buf_rdata;
          cfail01[chk_addr] <= cfail01[chk_addr] | (buf_rcheck & check_mask);
        end
      end
      case (state)
        S_IDLE: begin
          if (start) begin
            state <= S_MARCH;
            elem  <= 3'd0;
            op    <= 1'b0;
            addr  <= '0;
          end
        end
        S_MARCH: begin
          if (elem == 3'd0) begin
            fail01[addr]  <= '0;
            fail10[addr]  <= '0;
            cfail01[addr] <= '0;
            cfail10[addr] <= '0;
          end
          if (buf_re) begin
            chk_v    <= 1'b1;
            chk_exp  <= exp_bit;
            chk_addr <= addr;
          end
          if (!last_op) begin
            op <= 1'b1;
          end else begin
            op <= 1'b0;
            if ((descending && addr == '0) || (!descending && addr == AW'(WORDS - 1))) begin
              if (elem == 3'd5) begin
                state <= S_FLUSH;
              end else begin
                elem <= elem + 3'd1;
                // M3 and M4 run downwards
                addr <= (elem == 3'd2 || elem == 3'd3) ? AW'(WORDS - 1) : '0;
              end
            end else begin
              addr <= descending ? addr - AW'(1) : addr + AW'(1);
            end
          end
        end
        S_FLUSH: begin  // the last read's check happens this cycle
          state     <= S_DRAIN;
          addr      <= '0;
          dr_loaded <= 1'b0;
          dr_check  <= 1'b0;
          n_records <= '0;
        end
        S_DRAIN: begin
          cfail = cfail01[addr] | cfail10[addr];
          cur = dr_loaded ? dr_mask : dr_check ? COLS'(cfail) : (fail01[addr] | fail10[addr]);
          lowest = cur & (~cur + COLS'(1));  // lowest set bit
          lowest_col = '0;
          for (int unsigned c = 0; c < COLS; c++) if (lowest[c]) lowest_col = 6'(c);
          rec_cell = dr_check ?
              32'(WORDS * COLS) + 32'({{(32 - AW) {1'b0}}, addr} * 32'(CCOLS) + 32'(lowest_col)) :
              32'({{(32 - AW) {1'b0}}, addr} * 32'(COLS) + 32'(lowest_col));
          if (cur == '0) begin
            dr_loaded <= 1'b0;
            if (addr == AW'(WORDS - 1)) begin
              if (!dr_check && check_mask != '0) begin
                dr_check <= 1'b1;
                addr <= '0;
              end else begin
                state <= S_END;
              end
            end else begin
              addr <= addr + AW'(1);
            end
          end else if (out_free) begin
            out_valid <= 1'b1;
            out_data  <= '0;
            out_data[MBIST_RECORD_CELL_LSB+:MBIST_RECORD_CELL_W] <= rec_cell;
            out_data[MBIST_RECORD_SAW_0TO1_LSB] <=
                dr_check ? cfail01[addr][CW'(lowest_col)] : fail01[addr][lowest_col];
            out_data[MBIST_RECORD_SAW_1TO0_LSB] <=
                dr_check ? cfail10[addr][CW'(lowest_col)] : fail10[addr][lowest_col];
            n_records <= n_records + 32'd1;
            dr_mask <= cur & ~lowest;
            dr_loaded <= 1'b1;
            if ((cur & ~lowest) == '0) begin
              dr_loaded <= 1'b0;
              if (addr == AW'(WORDS - 1)) begin
                if (!dr_check && check_mask != '0) begin
                  dr_check <= 1'b1;
                  addr <= '0;
                end else begin
                  state <= S_END;
                end
              end else begin
                addr <= addr + AW'(1);
              end
            end
          end
        end
        S_END: begin
          if (out_free) begin
            out_valid <= 1'b1;
            out_data  <= '0;
            out_data[MBIST_END_COUNT_LSB+:MBIST_END_COUNT_W] <= n_records;
            out_data[MBIST_END_LAST_LSB] <= 1'b1;
            state <= S_WAIT;
          end
        end
        S_WAIT: begin  // until the end word is taken
          if (out_valid && out_ready) state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
