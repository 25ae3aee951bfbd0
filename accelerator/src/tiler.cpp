// The tiler (tiler.h): im2col, window planning, row/column tiles, K chunks.
#include "lowvolt/accelerator/tiler.h"

#include <algorithm>
#include <cstring>

#include "lowvolt/accelerator/datapath.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

namespace {
constexpr std::uint64_t kMaxSteps = 0xffff;  // run.k is 16 bits

/// A piece of a layer's image range: one column tile's K chunk (a run on every row tile) or the
/// layer's bias (a read).
struct Unit {
  bool bias = false;
  std::uint32_t n0 = 0, cw = 0;      // first feature, tile width
  std::uint32_t k0 = 0, kc = 0;      // K chunk
  std::uint64_t begin = 0, end = 0;  // unwrapped cells [begin, end)
};
}  // namespace

std::uint32_t Conv2dShape::out_h() const {
  const std::int64_t span = std::int64_t{dilation_h} * (kernel_h - 1) + 1;
  const std::int64_t room = std::int64_t{height} + 2 * std::int64_t{pad_h} - span;
  if (kernel_h == 0 || stride_h == 0 || dilation_h == 0 || room < 0) {
    fail("conv2d: kernel height ", kernel_h, " (dilation ", dilation_h, ", stride ", stride_h,
         ") does not fit input height ", height, " with padding ", pad_h);
  }
  return static_cast<std::uint32_t>(room / stride_h + 1);
}

std::uint32_t Conv2dShape::out_w() const {
  const std::int64_t span = std::int64_t{dilation_w} * (kernel_w - 1) + 1;
  const std::int64_t room = std::int64_t{width} + 2 * std::int64_t{pad_w} - span;
  if (kernel_w == 0 || stride_w == 0 || dilation_w == 0 || room < 0) {
    fail("conv2d: kernel width ", kernel_w, " (dilation ", dilation_w, ", stride ", stride_w,
         ") does not fit input width ", width, " with padding ", pad_w);
  }
  return static_cast<std::uint32_t>(room / stride_w + 1);
}

void pack_activation_words(const std::uint8_t* x, std::uint32_t rows, std::uint32_t k,
                           std::uint8_t fill, std::vector<std::uint64_t>& words) {
  const std::uint32_t tiles = (rows + hw::kPeRows - 1) / hw::kPeRows;
  words.assign(std::size_t{tiles} * k, 0);
  for (std::uint32_t t = 0; t < tiles; ++t) {
    std::uint64_t* w = words.data() + std::size_t{t} * k;
    for (std::uint32_t i = 0; i < hw::kPeRows; ++i) {
      const std::uint32_t row = t * hw::kPeRows + i;
      if (row < rows) {
        const std::uint8_t* xr = x + std::size_t{row} * k;
        for (std::uint32_t s = 0; s < k; ++s) w[s] |= std::uint64_t{xr[s]} << (8 * i);
      } else {
        for (std::uint32_t s = 0; s < k; ++s) w[s] |= std::uint64_t{fill} << (8 * i);
      }
    }
  }
}

std::vector<std::uint64_t> pack_activation_words(const std::uint8_t* x, std::uint32_t rows,
                                                 std::uint32_t k, std::uint8_t fill) {
  std::vector<std::uint64_t> words;
  pack_activation_words(x, rows, k, fill, words);
  return words;
}

Tiler::Tiler(Accelerator& accel, const WeightImage& image) : accel_(&accel), image_(&image) {}

LayerResult Tiler::linear(std::size_t layer, const std::uint8_t* x, std::uint32_t rows,
                          const ActEncoding& act) {
  LayerResult res;
  linear(layer, x, rows, act, res);
  return res;
}

LayerResult Tiler::conv2d(std::size_t layer, const std::uint8_t* x, const Conv2dShape& shape,
                          const ActEncoding& act) {
  LayerResult res;
  conv2d(layer, x, shape, act, res);
  return res;
}

void Tiler::linear(std::size_t layer, const std::uint8_t* x, std::uint32_t rows,
                   const ActEncoding& act, LayerResult& res) {
  if (layer >= image_->layers().size()) {
    fail("tiler: layer ", layer, " of an image with ", image_->layers().size(), " layers");
  }
  if (rows == 0) fail("tiler: layer '", image_->layers()[layer].name, "' run on 0 rows");
  const std::uint32_t k = image_->layers()[layer].in_features;
  pack_activation_words(x, rows, k, act.zero, words_);
  run_matrix(layer, rows, act, res);
}

void Tiler::conv2d(std::size_t layer, const std::uint8_t* x, const Conv2dShape& sh,
                   const ActEncoding& act, LayerResult& res) {
  if (layer >= image_->layers().size()) {
    fail("tiler: layer ", layer, " of an image with ", image_->layers().size(), " layers");
  }
  const auto& l = image_->layers()[layer];
  const std::uint64_t k = std::uint64_t{sh.in_channels} * sh.kernel_h * sh.kernel_w;
  if (k != l.in_features) {
    fail("tiler: conv2d layer '", l.name, "' has K = ", l.in_features,
         ", the shape gives Cin·kh·kw = ", k);
  }
  const std::uint32_t oh = sh.out_h(), ow = sh.out_w();
  const std::uint64_t rows64 = std::uint64_t{sh.batch} * oh * ow;
  if (rows64 == 0 || rows64 > 0xffffffffu) {
    fail("tiler: conv2d layer '", l.name, "' has ", rows64, " output rows");
  }
  const auto rows = static_cast<std::uint32_t>(rows64);
  // im2col straight into activation words: the input with its padding made explicit (padding
  // taps hold the zero point), so that tap (c, ky, kx) of output row (b, oy, ox) is byte
  // base(b, oy, ox) + offset(c, ky, kx), and the 8 rows of a tile that lie next to each other in
  // one input row (stride 1) come with one 8-byte load per tap
  const std::size_t hp = std::size_t{sh.height} + 2 * std::size_t{sh.pad_h};
  const std::size_t wp = std::size_t{sh.width} + 2 * std::size_t{sh.pad_w};
  const std::size_t plane = hp * wp, image = plane * sh.in_channels;
  padded_.assign(image * sh.batch + 8, act.zero);  // 8: slack for the 8-byte loads
  for (std::size_t bc = 0; bc < std::size_t{sh.batch} * sh.in_channels; ++bc) {
    for (std::size_t y = 0; y < sh.height; ++y) {
      std::memcpy(padded_.data() + bc * plane + (y + sh.pad_h) * wp + sh.pad_w,
                  x + (bc * sh.height + y) * sh.width, sh.width);
    }
  }
  taps_.resize(k);
  for (std::uint32_t c = 0, s = 0; c < sh.in_channels; ++c) {
    for (std::uint32_t ky = 0; ky < sh.kernel_h; ++ky) {
      for (std::uint32_t kx = 0; kx < sh.kernel_w; ++kx, ++s) {
        taps_[s] =
            c * plane + std::size_t{ky} * sh.dilation_h * wp + std::size_t{kx} * sh.dilation_w;
      }
    }
  }
  const std::uint32_t tiles = (rows + hw::kPeRows - 1) / hw::kPeRows;
  words_.resize(std::size_t{tiles} * k);
  const std::uint8_t* src = padded_.data();
  for (std::uint32_t t = 0; t < tiles; ++t) {
    // the tile's rows in segments of consecutive bytes: (first row, rows, base offset)
    struct Segment {
      std::uint32_t i0, len;
      std::size_t base;
    } seg[hw::kPeRows];
    std::uint32_t n_seg = 0;
    std::uint64_t fill = 0;
    for (std::uint32_t i = 0; i < hw::kPeRows; ++i) {
      const std::uint64_t row = std::uint64_t{t} * hw::kPeRows + i;
      if (row >= rows) {
        fill |= std::uint64_t{act.zero} << (8 * i);
        continue;
      }
      const std::uint64_t b = row / (std::uint64_t{oh} * ow), rest = row % (std::uint64_t{oh} * ow);
      const std::size_t base =
          b * image + (rest / ow) * sh.stride_h * wp + (rest % ow) * sh.stride_w;
      if (n_seg > 0 && seg[n_seg - 1].base + seg[n_seg - 1].len == base) {
        ++seg[n_seg - 1].len;
      } else {
        seg[n_seg++] = Segment{i, 1, base};
      }
    }
    std::uint64_t* w = words_.data() + std::size_t{t} * k;
    for (std::size_t s = 0; s < k; ++s) {
      std::uint64_t word = fill;
      for (std::uint32_t g = 0; g < n_seg; ++g) {
        std::uint64_t v;
        std::memcpy(&v, src + seg[g].base + taps_[s], sizeof v);
        if (seg[g].len < 8) v &= (std::uint64_t{1} << (8 * seg[g].len)) - 1;
        word |= v << (8 * seg[g].i0);
      }
      w[s] = word;
    }
  }
  run_matrix(layer, rows, act, res);
}

void Tiler::run_matrix(std::size_t layer, std::uint32_t rows, const ActEncoding& act,
                       LayerResult& res) {
  const std::vector<std::uint64_t>& act_words = words_;
  const auto& l = image_->layers()[layer];
  const std::uint32_t n = l.out_features, k = l.in_features, m = image_->bits();
  current_.reset();  // the backend may have been reset since the last layer
  const std::uint64_t cells = WeightImage::cells();
  const std::uint64_t base = image_->offset() + image_->layer_start(layer) * m;

  // the layer's units in image order
  std::vector<Unit> units;
  for (std::uint32_t n0 = 0; n0 < n; n0 += hw::kPeCols) {
    const std::uint32_t cw = std::min<std::uint32_t>(hw::kPeCols, n - n0);
    // a chunk plus its alignment slack must fit the buffer
    const std::uint64_t kmax =
        std::min<std::uint64_t>(kMaxSteps, (cells - 128) / (std::uint64_t{cw} * m));
    for (std::uint64_t k0 = 0; k0 < k; k0 += kmax) {
      Unit u;
      u.n0 = n0;
      u.cw = cw;
      u.k0 = static_cast<std::uint32_t>(k0);
      u.kc = static_cast<std::uint32_t>(std::min<std::uint64_t>(kmax, k - k0));
      u.begin = base + (std::uint64_t{n0} * k + k0 * cw) * m;
      u.end = u.begin + std::uint64_t{u.kc} * cw * m;
      units.push_back(u);
    }
  }
  if (!l.bias.empty()) {
    Unit u;
    u.bias = true;
    u.begin = base + std::uint64_t{n} * k * m;
    u.end = u.begin + std::uint64_t{n} * m;
    if (((u.end - 1) >> 6) - (u.begin >> 6) + 1 > hw::kBufferWords) {
      fail("tiler: layer '", l.name, "' has ", n, " biases, more than the buffer holds");
    }
    units.push_back(u);
  }

  res.rows = rows;
  res.cols = n;
  res.bias.clear();
  // Σ_k (x − zx) per row from the words: x' = byte ^ 0x80·signed, x − zx = x' − (128·signed + zx)
  res.act_sum.resize(rows);
  const std::uint64_t flip = act.is_signed ? 0x8080808080808080ULL : 0;
  const std::int64_t a = (act.is_signed ? 128 : 0) + byte_value(act.zero, act.is_signed);
  for (std::uint32_t row0 = 0; row0 < rows; row0 += hw::kPeRows) {
    const std::uint64_t* w = words_.data() + std::size_t{row0 / hw::kPeRows} * k;
    std::uint64_t even = 0, odd = 0;  // 16-bit lanes: bytes 0, 2, 4, 6 and 1, 3, 5, 7
    std::uint64_t sums[hw::kPeRows] = {};
    for (std::uint32_t s = 0; s < k; ++s) {
      const std::uint64_t v = w[s] ^ flip;
      even += v & 0x00ff00ff00ff00ffULL;
      odd += (v >> 8) & 0x00ff00ff00ff00ffULL;
      if ((s & 255u) == 255u || s + 1 == k) {  // 256 × 255 fits 16 bits
        for (std::uint32_t i = 0; i < 4; ++i) {
          sums[2 * i] += (even >> (16 * i)) & 0xffffu;
          sums[2 * i + 1] += (odd >> (16 * i)) & 0xffffu;
        }
        even = odd = 0;
      }
    }
    for (std::uint32_t i = 0; i < hw::kPeRows && row0 + i < rows; ++i) {
      res.act_sum[row0 + i] = static_cast<std::int64_t>(sums[i]) - std::int64_t{k} * a;
    }
  }
  // results accumulate modulo 2^32 in res.acc (uint32 and int32 share their bits)
  res.acc.resize(std::size_t{rows} * n);
  std::memset(res.acc.data(), 0, res.acc.size() * sizeof(std::int32_t));
  auto* acc = reinterpret_cast<std::uint32_t*>(res.acc.data());
  const auto& image_words = image_->unwrapped_words();

  for (std::size_t u0 = 0; u0 < units.size();) {
    // the window: as many whole units as fit in kBufferWords words
    const std::uint64_t w_lo = units[u0].begin >> 6;
    std::size_t u1 = u0 + 1;
    while (u1 < units.size() && ((units[u1].end - 1) >> 6) - w_lo + 1 <= hw::kBufferWords) ++u1;
    const std::uint64_t w_hi = (units[u1 - 1].end - 1) >> 6;
    accel_->write(static_cast<std::uint32_t>(w_lo % hw::kBufferWords), image_words.data() + w_lo,
                  static_cast<std::size_t>(w_hi - w_lo + 1));
    for (std::size_t ui = u0; ui < u1; ++ui) {
      const Unit& u = units[ui];
      if (u.bias) {
        const std::uint64_t first = u.begin >> 6;
        const auto words = accel_->read(static_cast<std::uint32_t>(first % hw::kBufferWords),
                                        static_cast<std::size_t>(((u.end - 1) >> 6) - first + 1));
        std::vector<std::uint64_t> padded(words.begin(), words.end());
        padded.push_back(0);
        res.bias.resize(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          res.bias[i] = static_cast<std::uint8_t>(
              stream_bits(padded.data(), (u.begin & 63u) + std::uint64_t{i} * m, m));
        }
        continue;
      }
      RowTileRuns job;
      job.cfg.cols = u.cw;
      job.cfg.wbits = m;
      job.cfg.act_zero = act.zero;
      job.cfg.w_zero = l.w_zero;
      job.cfg.act_signed = act.is_signed;
      job.cfg.w_signed = l.w_signed;
      job.rows = rows;
      job.w_bit_addr = static_cast<std::uint32_t>(u.begin % cells);
      job.activations = act_words.data() + u.k0;
      job.act_stride = k;
      job.k = u.kc;
      job.acc = acc + u.n0;
      job.acc_stride = n;
      accel_->run_row_tiles(job, current_);
    }
    u0 = u1;
  }
}

}  // namespace lowvolt::accelerator
