"""The memory model from Python: codes read through a chip (Profile.read / ChipFaults.read) equal
an independent NumPy implementation of docs/memory-model.md (persistent and intermittent cells,
flips and stuck-at, read counts, wrapping, the accelerator's tile order), and bad input is a
lowvolt.Error with LowVolt's message."""
import numpy as np
import pytest

import lowvolt
from conftest import CHIP1, raises_error

M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
PHI = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    """splitmix64's finaliser on uint64 arrays (mod 2^64), as docs/memory-model.md writes it."""
    z = z.copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= M1
        z ^= z >> np.uint64(27)
        z *= M2
        z ^= z >> np.uint64(31)
    return z


def reference_read(profile, codes, vdd, offset, bits, r=1, positions=None, written_at=0):
    """The read of each m-bit code whose image position is `positions` (default: its index),
    straight from the contract: cell = (offset + pos·m + j) mod cells, written when every array's
    read count is `written_at` (a stuck cell faulty then stores its stuck value; None: no write,
    the static snapshot) and read at read count r: faulty iff vc + noise > vdd_code, flip /
    stuck-at-0 / stuck-at-1. The defaults are the module's (and the torch backend's)."""
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    pos = np.arange(codes.size, dtype=np.int64) if positions is None else positions
    vdd_code = int(np.floor(vdd * 4096 + 0.5))
    cells = profile.cells
    j = np.arange(bits, dtype=np.int64)
    cell = (offset + pos[:, None] * bits + j[None, :]) % cells
    vc = profile.vc.astype(np.int64)[cell]
    sigma = profile.sigma_code

    def faulty_at(count):
        if sigma == 0:
            return vc > vdd_code
        with np.errstate(over="ignore"):
            inner = mix64(cell.astype(np.uint64) * PHI + np.uint64(count))
        h = mix64(np.uint64(profile.seed) ^ inner)
        s = sum(((h >> np.uint64(8 * b)) & np.uint64(0xFF)).astype(np.int64) for b in range(4))
        noise = (sigma * (s - 510) * 443) // 65536  # floor division: the contract's floor
        return vc + noise > vdd_code

    kind = profile.kind[cell]
    stored = (codes[:, None] >> j[None, :]) & 1
    if written_at is not None:  # the write: stuck cells faulty then keep their stuck value
        stuck_now = faulty_at(written_at) & (kind != 0)
        stored = np.where(stuck_now, np.where(kind == 1, 0, 1), stored)
    faulty = faulty_at(r)
    faulty_value = np.where(kind == 0, 1 - stored, np.where(kind == 1, 0, 1))
    bit = np.where(faulty, faulty_value, stored)
    return (bit << j[None, :]).sum(axis=1).astype(np.uint8)


def image_positions(layers):
    """The accelerator's image position of every flat code (weight_image.h), vectorised."""
    out = []
    base = 0
    for n, k, bias in layers:
        f = np.arange(n * k, dtype=np.int64)
        row, step = f // k, f % k
        tile = row // 8 * 8
        width = np.minimum(8, n - tile)
        out.append(base + tile * k + step * width + (row - tile))
        if bias:
            out.append(base + n * k + np.arange(n, dtype=np.int64))
        base += n * k + (n if bias else 0)
    return np.concatenate(out)


# The linear layout equals the contract for chip1 (stuck-at, intermittent σ_n) at several
# voltages, offsets that wrap and read counts, written at read count 0 (the default) or not at
# all (written_at=None, the static snapshot).
@pytest.mark.parametrize("vdd,offset,r,w", [(0.84, 0, 0, None), (0.80, 524000, 0, None),
                                            (0.84, 77, 5, None), (0.84, 77, 1, 0), (0.80, 5, 7, 3)])
def test_linear_read_matches_contract_chip1(chip1, rng, vdd, offset, r, w):
    codes = rng.integers(0, 256, 70000, dtype=np.uint8)  # 560 000 bits: wraps the 2^19 cells
    got = chip1.read(codes, vdd=vdd, offset=offset, read_count=r, written_at=w)
    want = reference_read(chip1, codes, vdd, offset, 8, r, written_at=w)
    np.testing.assert_array_equal(got, want)
    assert (got != codes).sum() > 0


# The default read (written at read count 0, read at 1: the torch backend's) keeps the stuck
# values caught at the write: it returns more codes wrong than the snapshot at read count 1.
def test_default_read_keeps_stuck_values_caught_at_the_write(chip1, rng):
    codes = rng.integers(0, 256, 70000, dtype=np.uint8)
    history = chip1.read(codes, vdd=0.82)
    np.testing.assert_array_equal(history, reference_read(chip1, codes, 0.82, 0, 8))
    snapshot = chip1.read(codes, vdd=0.82, read_count=1, written_at=None)
    assert (history != codes).sum() > (snapshot != codes).sum()


# Flips, stuck-at cells and intermittent noise of another chip, m = 8 and m = 3, every r.
@pytest.mark.parametrize("bits", [8, 3])
@pytest.mark.parametrize("r", [0, 1, 1000])
def test_linear_read_matches_contract_noisy(noisy_chip, rng, bits, r):
    assert noisy_chip.sigma_code > 0 and set(np.unique(noisy_chip.kind)) == {0, 1, 2}
    codes = rng.integers(0, 1 << bits, 9000, dtype=np.uint8)
    faults = noisy_chip.faults_at(0.78)
    got = faults.read(codes, offset=12345, bits=bits, read_count=r, written_at=None)
    np.testing.assert_array_equal(
        got, reference_read(noisy_chip, codes, 0.78, 12345, bits, r, written_at=None))


# Intermittent cells change with the read count, persistent reads do not (else r is untested).
def test_read_count_matters_only_for_intermittent_cells(noisy_chip, rng):
    codes = rng.integers(0, 256, 20000, dtype=np.uint8)
    a = noisy_chip.read(codes, vdd=0.78, read_count=0, written_at=None)
    b = noisy_chip.read(codes, vdd=0.78, read_count=1, written_at=None)
    assert (a != b).any()
    steady = lowvolt.Profile.generate("chip2", arrays=2, rows=64, cols=128, seed=7,
                                      overrides={"sigma_n": 0})
    np.testing.assert_array_equal(steady.read(codes, vdd=0.78, read_count=0),
                                  steady.read(codes, vdd=0.78, read_count=9))


# The accelerator's layout: 8-feature column tiles, k major, then the biases, from the offset.
def test_layered_read_follows_tile_order(chip1, rng):
    layers = [(32, 9, True), (64, 288, True), (10, 128, False), (3, 5, True)]
    n = sum(a * b + (a if c else 0) for a, b, c in layers)
    codes = rng.integers(0, 256, n, dtype=np.uint8)
    offset = chip1.mapping_offset(2, 3)
    got = chip1.read(codes, vdd=0.82, offset=offset, layers=layers)
    want = reference_read(chip1, codes, 0.82, offset, 8, 1, image_positions(layers))
    np.testing.assert_array_equal(got, want)
    # A single layer of one output feature is the linear layout.
    np.testing.assert_array_equal(chip1.read(codes, vdd=0.82, offset=offset, layers=[(1, n, False)]),
                                  chip1.read(codes, vdd=0.82, offset=offset))


# code_faults() gives the masks of read(): ((c ^ flip) & ~stuck) | (stuck & stuck1).
def test_code_faults_are_the_masks_of_read(noisy_chip, rng):
    codes = rng.integers(0, 256, 5000, dtype=np.uint8)
    faults = noisy_chip.faults_at(0.8)
    m = faults.code_faults(codes.size, offset=99, read_count=2)
    manual = ((codes ^ m["flip"]) & ~m["stuck"]) | (m["stuck"] & m["stuck1"])
    np.testing.assert_array_equal(manual, faults.read(codes, offset=99, read_count=2))
    assert ((m["stuck1"] & ~m["stuck"]) == 0).all()


# In place (out = codes), into a given array, any input shape (C order is the flat order).
def test_out_argument_and_shapes(chip1, rng):
    codes = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    want = chip1.read(codes.reshape(-1), vdd=0.84)
    got = chip1.read(codes, vdd=0.84)
    assert got.shape == (40, 50)
    np.testing.assert_array_equal(got.reshape(-1), want)
    out = np.empty(2000, dtype=np.uint8)
    assert chip1.read(codes, vdd=0.84, out=out) is not None
    np.testing.assert_array_equal(out, want)
    inplace = codes.copy()
    chip1.read(inplace, vdd=0.84, out=inplace)
    np.testing.assert_array_equal(inplace.reshape(-1), want)
    # A strided (non-contiguous) input is read in C order too.
    wide = np.zeros((40, 100), dtype=np.uint8)
    wide[:, ::2] = codes
    np.testing.assert_array_equal(chip1.read(wide[:, ::2], vdd=0.84).reshape(-1), want)


# No faults at or above the chip's highest critical voltage: the codes come back unchanged.
def test_fault_free_supply_returns_codes(chip1, rng):
    codes = rng.integers(0, 256, 1000, dtype=np.uint8)
    vmax = chip1.vc.max() / 4096 + 0.01
    np.testing.assert_array_equal(chip1.read(codes, vdd=vmax), codes)


# Mapping k of K starts at ⌊cells/K⌋·k (as `lowvolt eval --mappings`).
def test_mapping_offsets(chip1):
    assert [chip1.mapping_offset(k, 3) for k in range(3)] == [0, 174762, 349524]
    assert lowvolt.mapping_offset(100, 3, 4) == 75
    with raises_error("mapping 3 is outside 0..2"):
        chip1.mapping_offset(3, 3)
    with raises_error("0 mappings (must be ≥ 1)"):
        lowvolt.mapping_offset(100, 0, 0)


def test_bad_input_is_lowvolt_error(chip1, rng):
    codes = rng.integers(0, 256, 100, dtype=np.uint8)
    with raises_error("codes: dtype float64, expected uint8"):
        chip1.read(codes.astype(np.float64), vdd=0.84)
    with raises_error("codes: dtype int16, expected uint8"):
        chip1.read(codes.astype(np.int16), vdd=0.84)
    with raises_error("codes: expected a NumPy array of uint8, got list"):
        chip1.read([1, 2, 3], vdd=0.84)
    with raises_error("supply voltage nan × Vmin is outside [0, 16)"):
        chip1.read(codes, vdd=float("nan"))
    with raises_error("supply voltage -0.5 × Vmin is outside [0, 16)"):
        chip1.faults_at(-0.5)
    with raises_error("code 200 at index 0 does not fit 5 bits"):
        chip1.read(np.array([200, 1], dtype=np.uint8), vdd=0.84, bits=5)
    with raises_error("bits: 9 is outside 1..8"):
        chip1.read(codes, vdd=0.84, bits=9)
    with raises_error("offset: -1 is negative"):
        chip1.read(codes, vdd=0.84, offset=-1)
    with raises_error("read_count: -2 is outside 0..4294967295"):
        chip1.read(codes, vdd=0.84, read_count=-2)
    with raises_error("the layers hold 90 codes, the array has 100"):
        chip1.read(codes, vdd=0.84, layers=[(10, 9, False)])
    with raises_error("layers[0]: expected (out_features, in_features, bias[, name]), got 2 items"):
        chip1.read(codes, vdd=0.84, layers=[(10, 10)])
    with raises_error("layers[1]: out_features 0 is outside 1..4294967295"):
        chip1.read(codes, vdd=0.84, layers=[(10, 10, False), (0, 1, False)])
    small = lowvolt.Profile.generate("chip1", arrays=1, rows=32, cols=64)
    with raises_error("needs a chip of 16 × 512 × 64 cells, this one is 1 × 32 × 64"):
        small.read(codes, vdd=0.84, layers=[(10, 10, False)])
    with raises_error("out: 99 elements, codes has 100"):
        chip1.read(codes, vdd=0.84, out=np.empty(99, dtype=np.uint8))
    frozen = np.empty(100, dtype=np.uint8)
    frozen.setflags(write=False)
    with raises_error("out: the array is read-only"):
        chip1.read(codes, vdd=0.84, out=frozen)
    with raises_error("out: dtype int32, expected uint8"):
        chip1.read(codes, vdd=0.84, out=np.empty(100, dtype=np.int32))
    # The failed calls wrote nothing.
    out = np.full(100, 7, dtype=np.uint8)
    with raises_error("does not fit 2 bits"):
        chip1.read(codes | 4, vdd=0.84, bits=2, out=out)
    assert (out == 7).all()


# lowvolt.Error is a ValueError, so generic handlers catch it.
def test_error_class():
    assert issubclass(lowvolt.Error, ValueError)
    assert issubclass(lowvolt.InternalError, RuntimeError)


# The GIL is released during long reads: another Python thread runs meanwhile.
def test_gil_released_during_read(chip1):
    import threading
    import time
    codes = np.zeros(6_000_000, dtype=np.uint8)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.01)
    begin = time.perf_counter()
    chip1.read(codes, vdd=0.84)
    end = time.perf_counter()
    stop.set()
    t.join()
    assert sum(begin < x < end for x in ticks) >= 3, "no other thread ran during the read"


def test_chip1_file_is_the_bundled_profile(chip1):
    assert lowvolt.Profile.load(str(CHIP1)) == chip1


# ChipFaults remembers its supply (as the code LowVolt uses) and keeps its profile alive.
def test_chip_faults_properties():
    chip = lowvolt.Profile.generate("chip1", arrays=1, rows=16, seed=2)
    faults = chip.faults_at(0.84)
    assert faults.vdd_code == lowvolt.vdd_code(0.84) == 3441
    assert faults.vdd == lowvolt.code_volts(3441) == 3441 / 4096
    assert faults.profile == chip
    del chip
    codes = np.arange(100, dtype=np.uint8)
    np.testing.assert_array_equal(faults.read(codes), faults.profile.read(codes, vdd=0.84))
    assert lowvolt.Geometry(2, 8, 64).cells == 1024 and lowvolt.Geometry() == lowvolt.Geometry(16, 512, 64)
