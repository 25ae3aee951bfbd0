"""Random bit errors from Python: LowVolt's seeding (same seed, same bits), nesting across rates,
rates within binomial confidence bounds for both directions and the stuck-at model, every code
dtype, in-place application, and bad input as lowvolt.Error."""
import numpy as np
import pytest

import lowvolt
from conftest import raises_error

N = 200_000


def flipped(a, b, bits=8):
    """Bits that differ between two code arrays (uint8 view), as a boolean N×bits array."""
    x = (a.astype(np.int64) ^ b.astype(np.int64)) & ((1 << bits) - 1)
    return ((x[:, None] >> np.arange(bits)) & 1).astype(bool)


def within(count, trials, p, z=5.0):
    """Whether `count` successes out of `trials` is within z standard deviations of trials·p."""
    mean = trials * p
    return abs(count - mean) <= z * np.sqrt(trials * p * (1 - p)) + 1


def test_same_seed_same_bits_and_inject_equals_apply(rng):
    codes = rng.integers(0, 256, N, dtype=np.uint8)
    a = lowvolt.inject_random(codes, 8, 0.01, seed=42)
    b = lowvolt.inject_random(codes, 8, 0.01, seed=42)
    c = lowvolt.inject_random(codes, 8, 0.01, seed=43)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    np.testing.assert_array_equal(lowvolt.RandomBitErrors(N, 8, 0.01, 42).apply(codes, 0.01), a)
    assert within(flipped(a, codes).sum(), N * 8, 0.01)
    np.testing.assert_array_equal(codes, codes.copy())  # input untouched


# Errors drawn at the largest rate and applied at lower ones are nested subsets.
def test_nested_across_rates(rng):
    codes = rng.integers(0, 256, N, dtype=np.uint8)
    errors = lowvolt.RandomBitErrors(N, 8, 0.02, seed=7)
    low, mid, high = (flipped(errors.apply(codes, p), codes) for p in (0.002, 0.01, 0.02))
    assert not (low & ~mid).any() and not (mid & ~high).any()
    assert low.sum() < mid.sum() < high.sum()
    assert errors.faulty_cells(0.01) == mid.sum()
    assert within(mid.sum(), N * 8, 0.01)


# Per-direction flip rates: stored zeros read 1 with p01, ones read 0 with p10.
def test_direction_rates(rng):
    codes = rng.integers(0, 256, N, dtype=np.uint8)
    rates = lowvolt.BitErrorRates(p01=0.02, p10=0.002)
    out = lowvolt.inject_random(codes, 8, rates, seed=3)
    stored = ((codes[:, None] >> np.arange(8)) & 1).astype(bool)
    diff = flipped(out, codes)
    assert within((diff & ~stored).sum(), (~stored).sum(), 0.02)
    assert within((diff & stored).sum(), stored.sum(), 0.002)
    assert rates.rate01 == 0.02 and rates.rate10 == 0.002 and not rates.stuck_at


# Stuck-at model: a fraction p of cells stuck, half at 1; errors show only where the bit differs.
def test_stuck_at_model(rng):
    zeros = np.zeros(N, dtype=np.uint8)
    ones = np.full(N, 0xFF, dtype=np.uint8)
    rates = lowvolt.BitErrorRates(p=0.02, stuck_at=True)
    errors = lowvolt.RandomBitErrors(N, 8, rates, seed=9)
    set_bits = flipped(errors.apply(zeros, rates), zeros).sum()
    cleared = flipped(errors.apply(ones, rates), ones).sum()
    assert within(set_bits, N * 8, 0.01) and within(cleared, N * 8, 0.01)
    assert errors.faulty_cells(rates) == set_bits + cleared
    with raises_error("use a different model than the drawn"):
        errors.apply(zeros, lowvolt.BitErrorRates(p=0.01))


# Every code dtype; only the low `bits` bits change; apply_ in place equals apply.
@pytest.mark.parametrize("dtype,bits", [(np.uint8, 4), (np.int8, 8), (np.int16, 16), (np.int32, 12)])
def test_dtypes_and_in_place(rng, dtype, bits):
    info = np.iinfo(dtype)
    codes = rng.integers(info.min, info.max, 50_000, dtype=dtype, endpoint=True)
    errors = lowvolt.RandomBitErrors(codes.size, bits, 0.05, seed=11)
    out = errors.apply(codes, 0.05)
    assert out.dtype == codes.dtype
    unsigned = np.dtype(f"u{codes.itemsize}")  # two's complement bit patterns
    high = ~np.int64((1 << bits) - 1)
    np.testing.assert_array_equal(out.view(unsigned).astype(np.int64) & high,
                                  codes.view(unsigned).astype(np.int64) & high)
    assert (out != codes).any()
    inplace = codes.copy()
    errors.apply_(inplace, 0.05)
    np.testing.assert_array_equal(inplace, out)


def test_seeds():
    assert lowvolt.rte_sample_seed(0, 0) != lowvolt.rte_sample_seed(0, 1)
    assert lowvolt.rte_sample_seed(5, 3) == lowvolt.rte_sample_seed(5, 3)
    assert lowvolt.derive_seed(1, 2, 3) != lowvolt.derive_seed(1, 3, 2)


def test_bad_input_is_lowvolt_error(rng):
    codes = rng.integers(0, 256, 1000, dtype=np.uint8)
    errors = lowvolt.RandomBitErrors(1000, 8, 0.01, seed=1)
    with raises_error("codes have 999 elements, the bit error memory covers 1000"):
        errors.apply(codes[:999], 0.01)
    with raises_error("exceed the drawn maximum"):
        errors.apply(codes, 0.02)
    with raises_error("codes: dtype float32, expected uint8, int8, int16 or int32"):
        errors.apply(codes.astype(np.float32), 0.01)
    with raises_error("codes: dtype uint16, expected uint8, int8, int16 or int32"):
        lowvolt.inject_random(codes.astype(np.uint16), 8, 0.01, 1)
    with pytest.raises(lowvolt.Error, match="p"):
        lowvolt.inject_random(codes, 8, float("nan"), 1)
    with pytest.raises(lowvolt.Error, match="p"):
        lowvolt.BitErrorRates(p=1.5)
    with pytest.raises(lowvolt.Error):
        lowvolt.BitErrorRates(p01=0.7, p10=0.6, stuck_at=True)
    with raises_error("bits: 40 is outside 1..32"):
        lowvolt.inject_random(codes, 40, 0.01, 1)
    with pytest.raises(lowvolt.Error, match="bits"):
        lowvolt.inject_random(codes, 9, 0.01, 1)  # more bits than uint8 holds
    with raises_error("rates: expected a rate (float) or lowvolt.BitErrorRates, got str"):
        lowvolt.inject_random(codes, 8, "0.01", 1)
    frozen = codes.copy()
    frozen.setflags(write=False)
    with raises_error("codes: the array is read-only"):
        errors.apply_(frozen, 0.01)
    with raises_error("codes: the array is not C-contiguous"):
        errors.apply_(np.zeros(2000, dtype=np.uint8)[::2], 0.01)
    with pytest.raises(lowvolt.Error, match="numel"):
        lowvolt.RandomBitErrors(-1, 8, 0.01, 1)
