"""Quantization from Python: every preset at every bit width gives the codes of the contract in
host/quantize.h (checked against a NumPy reference of the formulas), dequantization is S·v + C,
codes requantize to themselves, global and per-layer ranges differ as they should, and bad input
is a lowvolt.Error."""
import numpy as np
import pytest

import lowvolt
from conftest import raises_error

PRESETS = lowvolt.QuantScheme.preset_names()


def reference_codes(w, scheme):
    """Codes of float weights under `scheme` with their own range, from quantize.h's contract."""
    m = scheme.bits
    x = w.astype(np.float64)
    if scheme.wmax > 0:
        x = np.clip(x, -scheme.wmax, scheme.wmax)
    vmax = 2 ** (m - 1) - 1
    if scheme.name == "paper-normal":  # the reference's AlternativeUnsignedFixedPointQuantization(1)
        delta = (1.0 + 0.001) / vmax
        y = np.clip(x, -1.0, 1.0) / delta + 2 ** (m - 1)
        return np.minimum(np.floor(y), 2 ** m - 1).astype(np.uint8), delta, 0.0
    if scheme.asymmetric:
        qmin, qmax = x.min(), x.max()
        delta = 1.0 / vmax
        scale = delta * (qmax - qmin) / 2
        center = (qmax + qmin) / 2
    else:
        qmax = 1.0 if scheme.name == "fixed" else np.abs(x).max()  # "fixed": range [-1, 1]
        qmin = -qmax
        scale = delta = qmax / vmax
        center = 0.0
    y = (x - center) / scale
    if scheme.rounding:
        v = np.round(y)  # half to even, as NumPy rounds
    else:
        tol = 2.0 ** -20 * (max(abs(qmin), abs(qmax)) / scale + 1)
        nearest = np.round(y)
        v = np.where(np.abs(y - nearest) <= tol, nearest, np.trunc(y))
    if scheme.unsigned_codes:
        return (v + vmax).astype(np.uint8), scale, center
    if m == 16:
        return v.astype(np.int16), scale, center
    return (v.astype(np.int64) & ((1 << m) - 1)).astype(np.uint8), scale, center


def value_of(codes, params):
    """Integer value v of codes (sign extension or minus the zero point)."""
    m = params.bits
    c = codes.astype(np.int64)
    if params.unsigned_codes:
        return c - params.zero_point
    if m == 16:
        return c
    c &= (1 << m) - 1
    return np.where(c >= 1 << (m - 1), c - (1 << m), c)


CASES = [(name, bits) for name in PRESETS for bits in range(2, 9)] + [("normal", 16), ("global", 16)]


# Every preset and width: codes = the NumPy reference, dequantize = S·v + C in float32, and the
# dequantized weights requantize to the same codes in the same range.
@pytest.mark.parametrize("name,bits", CASES)
def test_quantize_matches_contract(name, bits, rng):
    scheme = lowvolt.QuantScheme.preset(name, bits)
    w = (rng.standard_normal((64, 3, 3)) * 0.1 + 0.01).astype(np.float32)
    codes, params = lowvolt.quantize(w, scheme)
    want, scale, center = reference_codes(w, scheme)
    assert codes.dtype == want.dtype and codes.shape == w.shape
    np.testing.assert_array_equal(codes, want)
    assert params.bits == bits and params.scale == pytest.approx(scale, rel=1e-15)
    back = lowvolt.dequantize(codes, params)
    assert back.dtype == np.float32 and back.shape == w.shape
    expected = params.scale * value_of(codes, params) + params.center
    if name == "paper-normal":  # the reference clamps dequantized values to the range
        expected = np.clip(expected, -1.0, 1.0)
    expected = expected.astype(np.float32)
    np.testing.assert_allclose(back, expected, rtol=0, atol=1e-7 * float(np.abs(w).max()))
    np.testing.assert_array_equal(lowvolt.quantize(back, scheme, params), codes)


# Every one of the 2^m codes dequantizes to a value that requantizes to itself (not the paper's
# Normal: its clamp reads codes 0 and 2^m − 1 as ±1, which requantize to 1 and 2^m − 2).
@pytest.mark.parametrize("name,bits", [c for c in CASES if c[1] <= 8 and c[0] != "paper-normal"])
def test_all_codes_round_trip(name, bits, rng):
    scheme = lowvolt.QuantScheme.preset(name, bits)
    _, params = lowvolt.quantize(rng.standard_normal(100).astype(np.float32), scheme)
    all_codes = np.arange(1 << bits, dtype=np.uint8)
    values = lowvolt.dequantize(all_codes, params)
    assert np.isfinite(values).all()
    np.testing.assert_array_equal(lowvolt.quantize(values, scheme, params), all_codes)


# Global schemes share one range over quantize_all's tensors; per-layer ones do not.
def test_quantize_all_ranges(rng):
    small = (rng.standard_normal(50) * 0.01).astype(np.float32)
    large = (rng.standard_normal(50) * 1.0).astype(np.float32)
    per_layer = lowvolt.quantize_all([small, large], lowvolt.QuantScheme.preset("normal", 8))
    glob = lowvolt.quantize_all([small, large], lowvolt.QuantScheme.preset("global", 8))
    assert per_layer[0][1] != per_layer[1][1]
    assert glob[0][1] == glob[1][1]
    assert glob[0][1].qmax == pytest.approx(float(max(np.abs(small).max(), np.abs(large).max())))
    np.testing.assert_array_equal(per_layer[1][0], lowvolt.quantize(large, lowvolt.QuantScheme.preset("normal", 8))[0])


# Clipping: weights beyond wmax take the end codes, the range is [-wmax, wmax].
def test_clipping(rng):
    w = (rng.standard_normal(1000) * 0.3).astype(np.float32)
    scheme = lowvolt.QuantScheme(bits=8, wmax=0.1)
    codes, params = lowvolt.quantize(w, scheme)
    assert params.qmax == pytest.approx(0.1, rel=1e-6)
    assert scheme.name == "normal,wmax=0.1"
    back = lowvolt.dequantize(codes, params)
    assert np.abs(back).max() <= 0.1 + 1e-7


def test_scheme_fields_and_names():
    s = lowvolt.QuantScheme.preset("rquant", 4)
    assert (s.bits, s.per_layer, s.asymmetric, s.unsigned_codes, s.rounding) == (4, True, True, True, True)
    assert s.name == "rquant"
    assert lowvolt.QuantScheme(bits=4, asymmetric=True, unsigned_codes=True, rounding=True) == s
    assert PRESETS == ["global", "normal", "asymmetric", "unsigned", "rquant", "fixed",
                       "paper-normal"]


def test_bad_input_is_lowvolt_error(rng):
    w = rng.standard_normal(10).astype(np.float32)
    normal = lowvolt.QuantScheme.preset("normal", 8)
    with raises_error("unknown"):
        lowvolt.QuantScheme.preset("fancy", 8)
    with raises_error("quantization bits=9 is not supported"):
        lowvolt.QuantScheme.preset("normal", 9)
    with raises_error("bits=16 supports only signed symmetric codes"):
        lowvolt.QuantScheme(bits=16, asymmetric=True)
    with raises_error("weights: dtype float16, expected float32 or float64"):
        lowvolt.quantize(w.astype(np.float16), normal)
    with raises_error("weights: expected a NumPy array of float32 or float64, got list"):
        lowvolt.quantize([0.1, 0.2], normal)
    bad = w.copy()
    bad[3] = np.nan
    with pytest.raises(lowvolt.Error, match="NaN|Inf|nan|inf"):
        lowvolt.quantize(bad, normal)
    with pytest.raises(lowvolt.Error, match="tensor 1 of 2"):
        lowvolt.quantize_all([w, bad], normal)
    codes, params = lowvolt.quantize(w, normal)
    with raises_error("codes: dtype int16, expected uint8"):
        lowvolt.dequantize(codes.astype(np.int16), params)
    _, params16 = lowvolt.quantize(w, lowvolt.QuantScheme.preset("normal", 16))
    with raises_error("codes: dtype uint8, expected int16"):
        lowvolt.dequantize(codes, params16)
    broken = lowvolt.QuantParams(bits=8, asymmetric=False, unsigned_codes=False, rounding=False,
                                 qmin=1.0, qmax=-1.0, delta=0.01)
    with raises_error("range [1, -1] is not a finite interval"):
        lowvolt.dequantize(codes, broken)


# QuantParams' derived values follow quantize.h: S, C, z, the mask and the code dtype.
def test_quant_params_properties(rng):
    w = rng.standard_normal(100).astype(np.float32) + 0.5
    _, p = lowvolt.quantize(w, lowvolt.QuantScheme.preset("rquant", 6))
    assert p.zero_point == 31 and p.bit_mask == 63 and p.code_dtype == np.uint8
    assert p.center == pytest.approx((p.qmax + p.qmin) / 2)
    assert p.scale == pytest.approx(p.delta * (p.qmax - p.qmin) / 2)
    _, s = lowvolt.quantize(w, lowvolt.QuantScheme.preset("normal", 16))
    assert s.zero_point == 0 and s.center == 0 and s.code_dtype == np.int16 and s.scale == s.delta
    copy = lowvolt.QuantParams(p.bits, p.asymmetric, p.unsigned_codes, p.rounding, p.qmin, p.qmax, p.delta)
    assert copy == p
