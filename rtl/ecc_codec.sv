// ecc_codec: the weight words' error-correcting code of docs/memory-model.md ("ECC on the weight
// words"), combinational: the encoder of a written word and the decoder of a read word, for the
// three modes (0 none, 1 parity, 2 secded; 3 reserved, treated as none).
//  - secded: Hsiao (72,64). Column of data bit i < 56: the i-th 8-bit value of weight 3 in
//    ascending order; of data bit 56 + j: 8'h1f rotated left by j; of check bit c: 1 << c.
//    check[c] = parity of the data bits whose column has bit c set. Decoding: syndrome =
//    rcheck ^ encode(rdata); 0: clean; equal to a column: that bit is corrected (corrected = 1);
//    else uncorrectable = 1 and the data passes uncorrected.
//  - parity: check[0] = even parity of the data; a read with odd parity over the 65 bits sets
//    uncorrectable and delivers 0. Unused check bits are 0.
// The C++ twin is accelerator/src/ecc.cpp (ecc_encode / ecc_decode); tests/rtl/ecc_codec_test.cpp
// compares the two exhaustively over single and double errors.
module ecc_codec (
    input  logic [ 1:0] mode,
    input  logic [63:0] wdata,          // word to be written
    output logic [ 7:0] wcheck,         // its check bits
    input  logic [63:0] rdata,          // data as read
    input  logic [ 7:0] rcheck,         // check bits as read
    output logic [63:0] dout,           // delivered word
    output logic        corrected,      // secded: one bit corrected
    output logic        uncorrectable   // detected, not corrected
);
  // the H matrix: column of codeword bit b at bits 8b .. 8b+7 (b < 64 data, 64..71 check)
  function automatic logic [72*8-1:0] h_columns();
    logic [72*8-1:0] h;
    int unsigned n;
    h = '0;
    n = 0;
    for (int unsigned v = 0; v < 256; v++) begin
      if ($countones(8'(v)) == 3 && n < 56) begin
        h[8*n+:8] = 8'(v);
        n++;
      end
    end
    for (int unsigned j = 0; j < 8; j++) begin
      h[8*(56+j)+:8] = 8'((16'h1f << j) | (16'h1f >> (8 - j)));
    end
    for (int unsigned c = 0; c < 8; c++) h[8*(64+c)+:8] = 8'(1 << c);
    return h;
  endfunction

  localparam logic [72*8-1:0] H = h_columns();

  function automatic logic [7:0] secded_check(input logic [63:0] d);
    logic [7:0] c;
    c = '0;
    for (int unsigned b = 0; b < 64; b++) begin
      if (d[b]) c = c ^ H[8*b+:8];
    end
    return c;
  endfunction

  logic [7:0] syndrome;

  always_comb begin
    wcheck        = '0;
    dout          = rdata;
    corrected     = 1'b0;
    uncorrectable = 1'b0;
    syndrome      = '0;
    unique case (mode)
      2'd1: begin  // parity
        wcheck[0] = ^wdata;
        if ((^rdata) ^ rcheck[0]) begin
          uncorrectable = 1'b1;
          dout = '0;
        end
      end
      2'd2: begin  // secded
        wcheck   = secded_check(wdata);
        syndrome = rcheck ^ secded_check(rdata);
        if (syndrome != '0) begin
          uncorrectable = 1'b1;
          for (int unsigned b = 0; b < 72; b++) begin
            if (H[8*b+:8] == syndrome) begin
              uncorrectable = 1'b0;
              corrected = 1'b1;
              if (b < 64) dout[b] = ~rdata[b];
            end
          end
        end
      end
      default: ;  // none (and the reserved 3)
    endcase
  end
endmodule
