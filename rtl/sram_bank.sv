// sram_bank: one synchronous single-port SRAM array (ROWS words x COLS bits) with a supply-voltage
// input and the fault overlay of docs/memory-model.md, implemented exactly:
//  - every cell_idx has a critical voltage code vc_code (16 bits, V/Vmin x 4096) and a failure kind
//    (0 flip, 1 stuck-at-0, 2 stuck-at-1), loaded by backdoor one row at a time (bd_*);
//  - persistent model (sigma_code = 0): a cell_idx is faulty iff vc_code > vdd_code;
//  - intermittent model: faulty on the r-th read of this array iff vc_code + noise(seed, cell_idx, r)
//    > vdd_code, r = read_count before the read (a write uses the current read_count);
//  - read  = (d ^ (f & flip)) & ~(f & stuck) | (f & stuck & s1);
//    write = a stuck cell_idx that is faulty at the time of the write stores its stuck value.
// Speed: per row, `f_sure` (faulty on every access: vc + min_noise > vdd) and `f_maybe` (faulty on
// some accesses: vc + max_noise > vdd >= vc + min_noise) are precomputed at the current supply and
// sigma; only f_maybe cells are hashed per access. The masks of row `rf_row` are refreshed when
// rf_en is high (the controller sweeps all rows after a supply change and after reset), and a
// backdoor row load computes its row's masks at once. A voltage change therefore takes effect on
// the next access after the sweep. Reset clears the counters only: contents, vc_code and kind
// survive. A backdoor load of any row zeroes this array's counters (the "profile load" of the
// memory model, which restarts r). Timing: rdata is registered (1 cycle) and holds its value
// until the next read. `re` and `we` must not be high together (a write wins).
// bank_id is a port, not a parameter, so that all banks share one Verilated module.
module sram_bank #(
    parameter int unsigned ROWS = 512,  // words
    parameter int unsigned COLS = 64,   // bits per word
    localparam int unsigned AW = $clog2(ROWS)
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic [         15:0] bank_id,     // array index in the memory model's cell_idx index
    input  logic [         15:0] vdd_code,    // supply, V/Vmin x 4096
    input  logic [         15:0] sigma_code,  // per-read noise sigma, same scale
    input  logic [         63:0] seed,        // chip-wide hash seed
    input  logic                 re,
    input  logic                 we,
    input  logic [       AW-1:0] addr,
    input  logic [     COLS-1:0] wdata,
    output logic [     COLS-1:0] rdata,
    input  logic                 rf_en,       // refresh the masks of row rf_row
    input  logic [       AW-1:0] rf_row,
    input  logic                 bd_we,       // backdoor: load vc_code and kind of row bd_row
    input  logic [       AW-1:0] bd_row,
    input  logic [ COLS*16-1:0]  bd_vc,       // cell_idx c at bits 16c..16c+15
    input  logic [  COLS*2-1:0]  bd_kind,     // cell_idx c at bits 2c..2c+1
    output logic [         31:0] read_count,  // reads since reset or profile load (the model's r)
    output logic [         31:0] write_count  // writes since reset or profile load
);
  // one Verilated class shared by all banks (inlining 16 copies multiplies the C++ size)
  /*verilator no_inline_module*/
  logic [COLS-1:0] mem    [ROWS];
  logic [    15:0] vc     [ROWS][COLS];
  logic [COLS-1:0] k_flip [ROWS];  // kind == flip
  logic [COLS-1:0] k_stuck[ROWS];  // kind is stuck-at-0 or stuck-at-1
  logic [COLS-1:0] k_s1   [ROWS];  // kind == stuck-at-1
  logic [COLS-1:0] f_sure [ROWS];
  logic [COLS-1:0] f_maybe[ROWS];

  // noise bounds: noise = floor(sigma x (s - 510) x 443 / 65536), s - 510 in [-510, 510]
  logic signed [63:0] noise_max, noise_min;
  assign noise_max = $signed({48'd0, sigma_code}) * 64'sd225930 >>> 16;
  assign noise_min = -($signed({48'd0, sigma_code}) * 64'sd225930) >>> 16;

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

  // vc + noise > vdd, in signed 64-bit arithmetic
  function automatic logic above(input logic [15:0] v, input logic signed [63:0] noise,
                                 input logic [15:0] vdd);
    return $signed({48'd0, v}) + noise > $signed({48'd0, vdd});
  endfunction

  // The faulty mask of row `row` on an access that sees read count r.
  function automatic logic [COLS-1:0] faulty(input logic [AW-1:0] row, input logic [31:0] r);
    logic [COLS-1:0] f;
    logic [63:0] cell_idx;
    /* verilator lint_off UNUSEDSIGNAL */  // the hash uses bytes 0..3 only
    logic [63:0] h;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [9:0] s;
    logic signed [63:0] noise;
    f = f_sure[row];
    if (f_maybe[row] != '0) begin
      for (int unsigned c = 0; c < COLS; c++) begin
        if (f_maybe[row][c]) begin
          cell_idx = ({48'd0, bank_id} * 64'(ROWS) + 64'(row)) * 64'(COLS) + 64'(c);
          h = mix64(seed ^ mix64(cell_idx * 64'h9e3779b97f4a7c15 + {32'd0, r}));
          s = {2'b0, h[7:0]} + {2'b0, h[15:8]} + {2'b0, h[23:16]} + {2'b0, h[31:24]};
          noise = ($signed({48'd0, sigma_code}) * ($signed({54'd0, s}) - 64'sd510) * 64'sd443)
                  >>> 16;
          f[c] = above(vc[row][c], noise, vdd_code);
        end
      end
    end
    return f;
  endfunction

  always_ff @(posedge clk) begin
    logic [COLS-1:0] f, st, sure, maybe, kf, ks, k1;
    logic [15:0] vrow[COLS];
    if (we || re) begin
      f  = faulty(addr, read_count);
      st = f & k_stuck[addr];
      if (we) mem[addr] <= (wdata & ~st) | (st & k_s1[addr]);
      else rdata <= ((mem[addr] ^ (f & k_flip[addr])) & ~st) | (st & k_s1[addr]);
    end
    if (rf_en) begin
      for (int unsigned c = 0; c < COLS; c++) begin
        sure[c]  = above(vc[rf_row][c], noise_min, vdd_code);
        maybe[c] = !sure[c] && above(vc[rf_row][c], noise_max, vdd_code);
      end
      f_sure[rf_row]  <= sure;
      f_maybe[rf_row] <= maybe;
    end
    if (bd_we) begin
      for (int unsigned c = 0; c < COLS; c++) begin
        vrow[c]  = bd_vc[16*c+:16];
        kf[c]    = bd_kind[2*c+:2] == 2'd0;
        ks[c]    = bd_kind[2*c+:2] == 2'd1 || bd_kind[2*c+:2] == 2'd2;
        k1[c]    = bd_kind[2*c+:2] == 2'd2;
        sure[c]  = above(vrow[c], noise_min, vdd_code);
        maybe[c] = !sure[c] && above(vrow[c], noise_max, vdd_code);
      end
      vc[bd_row]      <= vrow;
      k_flip[bd_row]  <= kf;
      k_stuck[bd_row] <= ks;
      k_s1[bd_row]    <= k1;
      f_sure[bd_row]  <= sure;
      f_maybe[bd_row] <= maybe;
    end
  end

  always_ff @(posedge clk) begin
    if (rst || bd_we) begin
      read_count  <= '0;
      write_count <= '0;
    end else if (we) begin
      write_count <= write_count + 32'd1;
    end else if (re) begin
      read_count <= read_count + 32'd1;
    end
  end
endmodule
