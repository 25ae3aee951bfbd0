// The weight image (layout, inverse mapping, flat fault masks) and the tiler (linear, conv2d,
// K-splitting, windows, biases, faults) on the golden backend against plain references.
#include "lowvolt/accelerator/tiler.h"

#include <gtest/gtest.h>

#include <random>

#include "lowvolt/accelerator/golden.h"
#include "lowvolt/common/error.h"
#include "test_util.h"

namespace lowvolt::accelerator {
namespace {

LayerCodes random_layer(std::mt19937_64& rng, const std::string& name, std::uint32_t n,
                        std::uint32_t k, std::uint32_t m, bool bias) {
  LayerCodes l;
  l.name = name;
  l.out_features = n;
  l.in_features = k;
  l.weights.resize(std::size_t{n} * k);
  for (auto& c : l.weights) c = static_cast<std::uint8_t>(rng() % (1u << m));
  if (bias) {
    l.bias.resize(n);
    for (auto& c : l.bias) c = static_cast<std::uint8_t>(rng() % (1u << m));
  }
  l.w_signed = rng() % 2;
  l.w_zero = static_cast<std::uint8_t>(rng());
  return l;
}

/// Σ_k (x − zx)(w − zw) mod 2^32 for one row and feature, from codes.
std::int32_t reference_dot(const std::uint8_t* x, const std::uint8_t* w, std::uint32_t k,
                           std::uint32_t m, const ActEncoding& act, const LayerCodes& l) {
  std::int64_t sum = 0;
  const std::int64_t zx = act.is_signed ? static_cast<std::int8_t>(act.zero) : act.zero;
  const std::int64_t zw = l.w_signed ? static_cast<std::int8_t>(l.w_zero) : l.w_zero;
  for (std::uint32_t s = 0; s < k; ++s) {
    const std::int64_t xv = act.is_signed ? static_cast<std::int8_t>(x[s]) : x[s];
    std::int64_t wv = w[s];
    if (l.w_signed && wv >= (1 << (m - 1))) wv -= 1 << m;
    sum += (xv - zx) * (wv - zw);
  }
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(sum));
}

// The image permutation puts W[n][k] of column tile t at layer start + n0·K + k·width + j,
// biases after the weights, and cell_of / bits_at_cell are inverse to each other.
TEST(WeightImage, LayoutAndInverseMapping) {
  std::mt19937_64 rng(1);
  const std::uint32_t m = 5;
  std::vector<LayerCodes> layers = {random_layer(rng, "a", 10, 3, m, true),
                                    random_layer(rng, "b", 17, 4000, m, false)};
  const std::uint64_t offset = WeightImage::cells() - 1000;  // the image wraps
  WeightImage img(layers, m, offset + 5 * WeightImage::cells());
  EXPECT_EQ(img.offset(), offset);
  EXPECT_EQ(img.codes(), 10u * 3 + 10 + 17u * 4000);
  for (std::uint32_t n = 0; n < 10; ++n) {
    for (std::uint32_t s = 0; s < 3; ++s) {
      const std::uint32_t n0 = n / 8 * 8, width = std::min(8u, 10 - n0);
      EXPECT_EQ(img.image_of_flat(n * 3 + s), n0 * 3 + s * width + (n - n0));
    }
    EXPECT_EQ(img.image_of_flat(30 + n), 30u + n);
  }
  EXPECT_EQ(img.layer_start(1), 40u);
  std::vector<bool> seen(img.codes(), false);
  for (std::uint64_t f = 0; f < img.codes(); ++f) {
    ASSERT_FALSE(seen[img.image_of_flat(f)]);
    seen[img.image_of_flat(f)] = true;
    EXPECT_EQ(img.flat_of_image(img.image_of_flat(f)), f);
  }
  for (int t = 0; t < 2000; ++t) {
    const std::uint64_t f = rng() % img.codes();
    const auto b = static_cast<std::uint32_t>(rng() % m);
    const std::uint64_t cell = img.cell_of(f, b);
    EXPECT_EQ(cell, (offset + img.image_of_flat(f) * m + b) % WeightImage::cells());
    const auto back = img.bits_at_cell(cell);
    EXPECT_NE(std::find(back.begin(), back.end(), FlatBit{f, b}), back.end());
    for (const auto& fb : back) EXPECT_EQ(img.cell_of(fb.code, fb.bit), cell);
  }
  // the unwrapped stream holds every code at its cell
  for (int t = 0; t < 500; ++t) {
    const std::uint64_t f = rng() % img.codes();
    const std::uint64_t q = offset + img.image_of_flat(f) * m;
    std::uint32_t v = 0;
    for (std::uint32_t b = 0; b < m; ++b) {
      v |= static_cast<std::uint32_t>((img.unwrapped_words()[(q + b) / 64] >> ((q + b) % 64)) & 1u)
           << b;
    }
    const std::uint64_t local = f - (f >= 40 ? 40 : 0);
    const auto& l = layers[f >= 40 ? 1 : 0];
    const std::uint32_t expect =
        local < l.weights.size() ? l.weights[local] : l.bias[local - l.weights.size()];
    EXPECT_EQ(v, expect);
  }
}

// Linear layers of assorted shapes (K-splitting past 65535 steps, windows past the buffer size,
// wrapping offsets, odd row counts) give exact results and their biases back.
TEST(Tiler, LinearMatchesReference) {
  std::mt19937_64 rng(2);
  struct Case {
    std::uint32_t n, k, rows, m;
  };
  const std::vector<Case> cases = {
      {1, 1, 1, 8}, {10, 37, 13, 8}, {9, 8000, 3, 8}, {3, 70000, 2, 2}, {20, 300, 17, 3}};
  GoldenAccelerator g;
  for (const auto& c : cases) {
    std::vector<LayerCodes> layers = {random_layer(rng, "pre", 3, 5, c.m, true),
                                      random_layer(rng, "x", c.n, c.k, c.m, true)};
    WeightImage img(layers, c.m, rng() % WeightImage::cells());
    Tiler tiler(g, img);
    ActEncoding act{rng() % 2 == 0, static_cast<std::uint8_t>(rng())};
    std::vector<std::uint8_t> x(std::size_t{c.rows} * c.k);
    for (auto& v : x) v = static_cast<std::uint8_t>(rng());
    const auto res = tiler.linear(1, x.data(), c.rows, act);
    ASSERT_EQ(res.acc.size(), std::size_t{c.rows} * c.n);
    for (std::uint32_t r = 0; r < c.rows; ++r) {
      std::int64_t sum = 0;
      for (std::uint32_t s = 0; s < c.k; ++s) {
        sum += (act.is_signed ? static_cast<std::int8_t>(x[r * c.k + s]) : x[r * c.k + s]) -
               (act.is_signed ? static_cast<std::int8_t>(act.zero) : act.zero);
      }
      EXPECT_EQ(res.act_sum[r], sum);
      for (std::uint32_t n = 0; n < c.n; ++n) {
        ASSERT_EQ(res.acc[r * c.n + n],
                  reference_dot(&x[r * c.k], &layers[1].weights[std::size_t{n} * c.k], c.k, c.m,
                                act, layers[1]))
            << "n=" << c.n << " k=" << c.k << " row " << r << " feature " << n;
      }
    }
    EXPECT_EQ(res.bias, layers[1].bias);
  }
}

// conv2d with stride, padding, dilation, several images and channels, int8 and uint8
// activations, equals a direct convolution over the codes (results and Σx terms, padding taps
// contributing nothing; fresh and reused result objects).
TEST(Tiler, Conv2dMatchesDirectConvolution) {
  std::mt19937_64 rng(3);
  GoldenAccelerator g;
  LayerResult reused;  // the out-parameter form, one object across shapes
  for (int trial = 0; trial < 16; ++trial) {
    Conv2dShape sh;
    sh.batch = 1 + rng() % 3;
    sh.in_channels = 1 + rng() % 4;
    sh.height = 5 + rng() % 6;
    sh.width = 4 + rng() % 7;
    sh.kernel_h = 1 + rng() % 3;
    sh.kernel_w = 1 + rng() % 3;
    sh.stride_h = 1 + rng() % 2;
    sh.stride_w = 1 + rng() % 3;
    sh.pad_h = rng() % 2;
    sh.pad_w = rng() % 3;
    sh.dilation_h = 1 + rng() % 2;
    sh.dilation_w = 1 + rng() % 2;
    if (sh.width + 2 * sh.pad_w < sh.dilation_w * (sh.kernel_w - 1) + 1) sh.dilation_w = 1;
    const std::uint32_t cout = 1 + rng() % 12, m = 8;
    const std::uint32_t k = sh.in_channels * sh.kernel_h * sh.kernel_w;
    std::vector<LayerCodes> layers = {random_layer(rng, "conv", cout, k, m, false)};
    WeightImage img(layers, m, rng() % WeightImage::cells());
    Tiler tiler(g, img);
    ActEncoding act{rng() % 2 == 0, static_cast<std::uint8_t>(rng())};
    std::vector<std::uint8_t> x(std::size_t{sh.batch} * sh.in_channels * sh.height * sh.width);
    for (auto& v : x) v = static_cast<std::uint8_t>(rng());
    const auto res = tiler.conv2d(0, x.data(), sh, act);
    tiler.conv2d(0, x.data(), sh, act, reused);
    ASSERT_EQ(reused.acc, res.acc) << "trial " << trial;
    ASSERT_EQ(reused.act_sum, res.act_sum) << "trial " << trial;
    ASSERT_EQ(reused.bias, res.bias) << "trial " << trial;
    const std::uint32_t oh = sh.out_h(), ow = sh.out_w();
    ASSERT_EQ(res.rows, sh.batch * oh * ow);
    const auto value = [&](std::uint8_t v) -> std::int64_t {
      return act.is_signed ? static_cast<std::int8_t>(v) : v;
    };
    const std::int64_t zx = value(act.zero);
    const auto& l = layers[0];
    const std::int64_t zw = l.w_signed ? static_cast<std::int8_t>(l.w_zero) : l.w_zero;
    for (std::uint32_t b = 0; b < sh.batch; ++b) {
      for (std::uint32_t oy = 0; oy < oh; ++oy) {
        for (std::uint32_t ox = 0; ox < ow; ++ox) {
          for (std::uint32_t co = 0; co < cout; ++co) {
            std::int64_t sum = 0, xsum = 0;
            for (std::uint32_t c = 0; c < sh.in_channels; ++c) {
              for (std::uint32_t ky = 0; ky < sh.kernel_h; ++ky) {
                for (std::uint32_t kx = 0; kx < sh.kernel_w; ++kx) {
                  const std::int64_t iy =
                      std::int64_t{oy} * sh.stride_h + ky * sh.dilation_h - sh.pad_h;
                  const std::int64_t ix =
                      std::int64_t{ox} * sh.stride_w + kx * sh.dilation_w - sh.pad_w;
                  if (iy < 0 || ix < 0 || iy >= sh.height || ix >= sh.width) continue;
                  const std::int64_t xv = value(
                      x[((std::size_t{b} * sh.in_channels + c) * sh.height + iy) * sh.width + ix]);
                  xsum += xv - zx;
                  std::int64_t wv =
                      l.weights[std::size_t{co} * k + (c * sh.kernel_h + ky) * sh.kernel_w + kx];
                  if (l.w_signed && wv >= 128) wv -= 256;
                  sum += (xv - zx) * (wv - zw);
                }
              }
            }
            const std::size_t row = (std::size_t{b} * oh + oy) * ow + ox;
            ASSERT_EQ(res.acc[row * cout + co],
                      static_cast<std::int32_t>(static_cast<std::uint32_t>(sum)))
                << "trial " << trial;
            ASSERT_EQ(res.act_sum[row], xsum) << "trial " << trial << " row " << row;
          }
        }
      }
    }
  }
}

// Under persistent faults the tiler's results equal the reference on codes corrupted by
// WeightImage::flat_code_faults: the accelerator and host-side injection agree bit for bit.
TEST(Tiler, PersistentFaultsMatchFlatCodeFaults) {
  std::mt19937_64 rng(4);
  const auto map = testing::random_map(77, 0.05, 3800, 4300, 0);
  GoldenAccelerator g;
  g.load_profile(map);
  const std::uint16_t vdd = 4000;
  g.set_vdd_code(vdd);
  const std::uint32_t m = 8;
  std::vector<LayerCodes> layers = {random_layer(rng, "a", 12, 200, m, true),
                                    random_layer(rng, "b", 30, 3000, m, true)};
  WeightImage img(layers, m, 123457);
  const auto masks = map.faults_at(vdd);
  const auto faults = img.flat_code_faults(masks);
  Tiler tiler(g, img);
  for (std::size_t li = 0; li < layers.size(); ++li) {
    const auto& l = layers[li];
    LayerCodes bad = l;
    const std::uint64_t base = img.layer_flat_start(li);
    std::size_t changed = 0;
    for (std::size_t i = 0; i < bad.weights.size(); ++i) {
      bad.weights[i] = faults.apply(base + i, l.weights[i]) & 0xff;
      changed += bad.weights[i] != l.weights[i];
    }
    for (std::size_t i = 0; i < bad.bias.size(); ++i) {
      bad.bias[i] = faults.apply(base + l.weights.size() + i, l.bias[i]);
    }
    EXPECT_GT(changed, 0u) << "the map must hit some weights";
    ActEncoding act{true, 0};
    const std::uint32_t rows = 9;
    std::vector<std::uint8_t> x(std::size_t{rows} * l.in_features);
    for (auto& v : x) v = static_cast<std::uint8_t>(rng());
    const auto res = tiler.linear(li, x.data(), rows, act);
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::uint32_t n = 0; n < l.out_features; ++n) {
        ASSERT_EQ(
            res.acc[r * l.out_features + n],
            reference_dot(&x[std::size_t{r} * l.in_features],
                          &bad.weights[std::size_t{n} * l.in_features], l.in_features, m, act, l));
      }
    }
    EXPECT_EQ(res.bias, bad.bias);
  }
}

// Inconsistent layers and shapes are user errors naming what is wrong.
TEST(TilerErrors, BadShapesAreRejected) {
  std::mt19937_64 rng(5);
  LayerCodes l = random_layer(rng, "l", 4, 6, 4, true);
  l.weights.pop_back();
  EXPECT_THROW(WeightImage({l}, 4, 0), Error);
  l = random_layer(rng, "l", 4, 6, 4, true);
  l.weights[0] = 16;  // does not fit 4 bits
  EXPECT_THROW(WeightImage({l}, 4, 0), Error);
  l.weights[0] = 1;
  EXPECT_THROW(WeightImage({l}, 9, 0), Error);
  WeightImage img({l}, 4, 0);
  GoldenAccelerator g;
  Tiler tiler(g, img);
  std::vector<std::uint8_t> x(100, 0);
  EXPECT_THROW(tiler.linear(1, x.data(), 1, {}), Error);
  EXPECT_THROW(tiler.linear(0, x.data(), 0, {}), Error);
  Conv2dShape sh;
  sh.in_channels = 3;
  sh.kernel_h = 1;
  sh.kernel_w = 3;
  sh.height = 3;
  sh.width = 3;
  EXPECT_THROW(tiler.conv2d(0, x.data(), sh, {}), Error);  // the layer's K = 6, Cin·kh·kw = 9
  sh.in_channels = 3;
  sh.kernel_w = 2;
  sh.width = 1;
  EXPECT_THROW(tiler.conv2d(0, x.data(), sh, {}), Error);  // kernel wider than the input
  EXPECT_THROW(img.bits_at_cell(WeightImage::cells()), Error);
}

}  // namespace
}  // namespace lowvolt::accelerator
