// pe_array: R x C output-stationary processing elements. PE (i, j) holds the int32 accumulator of
// output y[i][j]. On a cycle with `step` high, every PE adds
//     (x_i - zx) * (w_j - zw)
// where x_i is byte i of `act` (int8 if act_signed, else uint8), zx = act_zero (same signedness),
// w_j is the m-bit code j of `wcode` (byte j, low m = wbits bits; m-bit two's complement if
// w_signed, else unsigned) and zw = w_zero (int8 if w_signed, else uint8). Both differences lie
// in [-255, 255]; the product is exact and the sum wraps modulo 2^32 (two's complement).
// Activations are broadcast along rows and weights along columns (no systolic skew): a step
// updates all accumulators at the clock edge, so results are readable the cycle after the last
// step. `clear` zeroes all accumulators (and wins over step).
module pe_array #(
    parameter int unsigned R = 8,
    parameter int unsigned C = 8
) (
    input  logic               clk,
    input  logic               clear,
    input  logic               step,
    input  logic [    R*8-1:0] act,
    input  logic               act_signed,
    input  logic [        7:0] act_zero,
    input  logic [    C*8-1:0] wcode,
    input  logic [        3:0] wbits,       // m, 1..8
    input  logic               w_signed,
    input  logic [        7:0] w_zero,
    output logic [       31:0] acc   [R][C]
);
  // 8-bit value as a 10-bit signed number (sign- or zero-extended)
  function automatic logic signed [9:0] ext8(input logic [7:0] v, input logic is_signed);
    return is_signed ? $signed({{2{v[7]}}, v}) : $signed({2'b00, v});
  endfunction

  // m-bit code (low m bits of v) as a 10-bit signed number
  function automatic logic signed [9:0] ext_code(input logic [7:0] v, input logic [3:0] m,
                                                 input logic is_signed);
    logic [7:0] mask;
    logic [9:0] u;
    mask = 8'((9'd1 << m) - 9'd1);
    u = {2'b00, v & mask};
    if (is_signed && m != 4'd0 && v[3'(m-4'd1)]) u = u - 10'((11'd1 << m));
    return $signed(u);
  endfunction

  logic signed [9:0] xa[R];
  logic signed [9:0] wa[C];
  always_comb begin
    for (int unsigned i = 0; i < R; i++) begin
      xa[i] = ext8(act[8*i+:8], act_signed) - ext8(act_zero, act_signed);
    end
    for (int unsigned j = 0; j < C; j++) begin
      wa[j] = ext_code(wcode[8*j+:8], wbits, w_signed) - ext8(w_zero, w_signed);
    end
  end

  always_ff @(posedge clk) begin
    for (int unsigned i = 0; i < R; i++) begin
      for (int unsigned j = 0; j < C; j++) begin
        if (clear) acc[i][j] <= '0;
        else if (step) acc[i][j] <= acc[i][j] + 32'(int'(xa[i]) * int'(wa[j]));
      end
    end
  end
endmodule
