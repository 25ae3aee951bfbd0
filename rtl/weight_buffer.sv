// weight_buffer: BANKS sram_bank arrays behind one word-wide port.
// Address map: word address w (AW = log2(BANKS x ROWS) bits) lives in bank w / ROWS, row w % ROWS
// (banks are contiguous, not interleaved), so bit b of word w is the memory model's cell index
// w x COLS + b: a linear bit address equals the cell index. One access (read or write) per cycle;
// rdata is registered and holds until the next read. Each bank counts its own reads and writes.
// ECC check cells (docs/memory-model.md, "ECC on the weight words"): beside each data bank a check
// array of ROWS x CCOLS cells (an sram_bank with COLS = CCOLS, the same bank_id, the check seed
// check_seed), accessed in the same cycle as the data bank with the same re/we/refresh/backdoor
// strobes, so its read count (the hash's r) always equals the data bank's. wcheck is stored with
// wdata, rcheck read with rdata, both raw (the codec sits outside, in accel_top).
module weight_buffer #(
    parameter int unsigned BANKS = 16,
    parameter int unsigned ROWS  = 512,
    parameter int unsigned COLS  = 64,
    parameter int unsigned CCOLS = 8,
    localparam int unsigned RW = $clog2(ROWS),
    localparam int unsigned BW = $clog2(BANKS),
    localparam int unsigned AW = RW + BW
) (
    input  logic                clk,
    input  logic                rst,
    input  logic [        15:0] vdd_code,
    input  logic [        15:0] sigma_code,
    input  logic [        63:0] seed,
    input  logic [        63:0] check_seed,
    input  logic                re,
    input  logic                we,
    input  logic [      AW-1:0] addr,
    input  logic [    COLS-1:0] wdata,
    output logic [    COLS-1:0] rdata,
    input  logic [   CCOLS-1:0] wcheck,
    output logic [   CCOLS-1:0] rcheck,
    input  logic                rf_en,
    input  logic [      RW-1:0] rf_row,
    input  logic                bd_we,
    input  logic [      BW-1:0] bd_bank,
    input  logic [      RW-1:0] bd_row,
    input  logic [COLS*16-1:0]  bd_vc,
    input  logic [ COLS*2-1:0]  bd_kind,
    input  logic [CCOLS*16-1:0] bd_check_vc,
    input  logic [ CCOLS*2-1:0] bd_check_kind,
    output logic [        31:0] read_count [BANKS],
    output logic [        31:0] write_count[BANKS]
);
  logic [ COLS-1:0] bank_rdata[BANKS];
  logic [CCOLS-1:0] bank_rcheck[BANKS];
  logic [   BW-1:0] rd_bank;  // bank of the last read

  always_ff @(posedge clk) begin
    if (re && !we) rd_bank <= addr[AW-1-:BW];
  end
  assign rdata  = bank_rdata[rd_bank];
  assign rcheck = bank_rcheck[rd_bank];

  for (genvar b = 0; b < BANKS; b++) begin : g_bank
    logic sel;
    assign sel = addr[AW-1-:BW] == BW'(b);
    sram_bank #(
        .ROWS(ROWS),
        .COLS(COLS)
    ) u_bank (
        .clk        (clk),
        .rst        (rst),
        .bank_id    (16'(b)),
        .vdd_code   (vdd_code),
        .sigma_code (sigma_code),
        .seed       (seed),
        .re         (re && sel),
        .we         (we && sel),
        .addr       (addr[RW-1:0]),
        .wdata      (wdata),
        .rdata      (bank_rdata[b]),
        .rf_en      (rf_en),
        .rf_row     (rf_row),
        .bd_we      (bd_we && bd_bank == BW'(b)),
        .bd_row     (bd_row),
        .bd_vc      (bd_vc),
        .bd_kind    (bd_kind),
        .read_count (read_count[b]),
        .write_count(write_count[b])
    );
    // the check array's counters equal the data bank's (same strobes): not brought out
    /* verilator lint_off UNUSEDSIGNAL */
    logic [31:0] check_reads, check_writes;
    /* verilator lint_on UNUSEDSIGNAL */
    sram_bank #(
        .ROWS(ROWS),
        .COLS(CCOLS)
    ) u_check (
        .clk        (clk),
        .rst        (rst),
        .bank_id    (16'(b)),
        .vdd_code   (vdd_code),
        .sigma_code (sigma_code),
        .seed       (check_seed),
        .re         (re && sel),
        .we         (we && sel),
        .addr       (addr[RW-1:0]),
        .wdata      (wcheck),
        .rdata      (bank_rcheck[b]),
        .rf_en      (rf_en),
        .rf_row     (rf_row),
        .bd_we      (bd_we && bd_bank == BW'(b)),
        .bd_row     (bd_row),
        .bd_vc      (bd_check_vc),
        .bd_kind    (bd_check_kind),
        .read_count (check_reads),
        .write_count(check_writes)
    );
  end
endmodule
