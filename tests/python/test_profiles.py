"""Chip profiles from Python: load/save/generate give the bytes the `lowvolt` program reads and
writes, geometry, BER and failing cells agree with the cell map, the energy model is (V/Vmin)²,
validate() and fit() are `lowvolt profile validate/fit --json`, and bad input (missing,
corrupt or closed files, wrong types, NaN) is a lowvolt.Error naming the problem."""
import io
import pathlib

import numpy as np
import pytest

import lowvolt
from conftest import CHIP1, CHIP2, raises_error, run_lowvolt, run_lowvolt_json


def test_chip1_geometry_and_cells(chip1):
    g = chip1.geometry
    assert (g.arrays, g.rows, g.cols) == (16, 512, 64) and tuple(g) == (16, 512, 64)
    assert chip1.cells == g.cells == 16 * 512 * 64
    assert chip1.vc.dtype == np.uint16 and chip1.vc.size == chip1.cells
    assert chip1.kind.dtype == np.uint8 and set(np.unique(chip1.kind)) <= {0, 1, 2}
    assert not chip1.vc.flags.writeable
    assert chip1.sigma_n == chip1.sigma_code / 4096


# BER and failing cells at a voltage: the persistent view vc > vdd_code, in cell order.
@pytest.mark.parametrize("vdd", [1.0, 0.86, 0.84, 0.8])
def test_ber_and_failing_cells(chip1, vdd):
    code = lowvolt.vdd_code(vdd)
    failing = np.flatnonzero(chip1.vc > code)
    assert chip1.failing_count(vdd) == failing.size
    assert chip1.ber(vdd) == failing.size / chip1.cells
    cells = chip1.failing_cells(vdd)
    np.testing.assert_array_equal(cells["index"], failing)
    np.testing.assert_array_equal(cells["col"], failing % 64)
    np.testing.assert_array_equal(cells["row"], failing // 64 % 512)
    np.testing.assert_array_equal(cells["array"], failing // (64 * 512))
    np.testing.assert_array_equal(cells["kind"], chip1.kind[failing])


# The BER `lowvolt profile show`-style commands report is the same number (validate's JSON).
def test_validate_equals_cli(chip1):
    report = chip1.validate(vdds=[0.86, 0.84], per_array=True)
    cli = run_lowvolt_json("profile", "validate", CHIP1, "--vdd", "0.86,0.84", "--per-array")
    cli.pop("file", None)
    assert report == cli
    assert [v["vdd"] for v in report["voltages"]] == [lowvolt.code_volts(lowvolt.vdd_code(v))
                                                       for v in (0.86, 0.84)]
    assert report["voltages"][1]["ber"] == chip1.ber(0.84)


def test_validate_default_voltages_equal_cli(chip1):
    cli = run_lowvolt_json("profile", "validate", CHIP1)
    cli.pop("file", None)
    assert chip1.validate() == cli


def test_fit_equals_cli():
    chip2 = lowvolt.Profile.load(CHIP2)
    cli = run_lowvolt_json("profile", "fit", CHIP2)
    cli.pop("file", None)
    assert chip2.fit() == cli


# generate() writes the bytes `lowvolt profile generate` writes for the same arguments.
def test_generate_equals_cli(tmp_path):
    out = tmp_path / "g.lvp"
    run_lowvolt("profile", "generate", "--preset", "chip2", "--arrays", 2, "--rows", 64,
                "--cols", 128, "--seed", 5, "--set", "sigma_n=0.01", "--set", "b=0.7", "-o", out)
    p = lowvolt.Profile.generate("chip2", arrays=2, rows=64, cols=128, seed=5,
                                 overrides=["sigma_n=0.01", "b=0.7"])
    assert p.to_bytes() == out.read_bytes()
    assert p == lowvolt.Profile.load(out)
    assert p.params["b"] == 0.7 and p.sigma_code == round(0.01 * 4096)
    same = lowvolt.Profile.generate("chip2", arrays=2, rows=64, cols=128, seed=5,
                                    overrides={"sigma_n": 0.01, "b": 0.7})
    assert (same.vc == p.vc).all() and (same.kind == p.kind).all()
    other = lowvolt.Profile.generate("chip2", arrays=2, rows=64, cols=128, seed=6)
    assert not (other.vc == p.vc).all()


def test_presets():
    assert lowvolt.Profile.presets() == ["uniform", "chip1", "chip2"]
    assert lowvolt.Profile.preset_params("chip2")["f_col"] == 0.05
    assert lowvolt.Profile.param_names()[0] == "mu"


# Save → load through a path, a pathlib.Path, a binary file object and bytes: the same profile.
def test_save_load_round_trips(chip1, tmp_path):
    path = tmp_path / "copy.lvp"
    chip1.save(path)
    assert path.read_bytes() == CHIP1.read_bytes()
    assert lowvolt.Profile.load(str(path)) == chip1
    buffer = io.BytesIO()
    chip1.save(buffer)
    buffer.seek(0)
    assert lowvolt.Profile.load(buffer) == chip1
    assert lowvolt.Profile.from_bytes(chip1.to_bytes()) == chip1
    with open(path, "rb") as f:
        assert lowvolt.Profile.load(f) == chip1


def test_energy_model(chip1):
    e = chip1.energy
    assert e.access(0.84) == 0.84 * 0.84
    np.testing.assert_array_equal(e.access(np.array([1.0, 0.5])), [1.0, 0.25])
    model = lowvolt.EnergyModel(leakage=0.5)
    assert model.leakage_per_cycle(0.8) == 0.5 * 0.8
    assert model.total(0.8, 100.0, 10.0) == 100 * (0.8 * 0.8) + 10 * (0.5 * 0.8)


def test_provenance_and_observations(chip1):
    assert isinstance(chip1.provenance, str) and chip1.provenance
    assert isinstance(chip1.observations, list)
    assert set(chip1.params) == set(lowvolt.Profile.param_names())


def test_bad_files_are_lowvolt_errors(chip1, tmp_path):
    missing = tmp_path / "missing.lvp"
    with pytest.raises(lowvolt.Error, match=str(missing)):
        lowvolt.Profile.load(missing)
    data = bytearray(chip1.to_bytes())
    data[100] ^= 0xFF
    corrupt = tmp_path / "corrupt.lvp"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(lowvolt.Error, match="corrupt.lvp"):
        lowvolt.Profile.load(corrupt)
    truncated = tmp_path / "truncated.lvp"
    truncated.write_bytes(bytes(data[:1000]))
    with pytest.raises(lowvolt.Error, match="truncated.lvp"):
        lowvolt.Profile.load(truncated)
    with pytest.raises(lowvolt.Error, match="<bytes>"):
        lowvolt.Profile.from_bytes(b"LVPROFIL" + b"\0" * 10)
    with open(tmp_path / "closed.lvp", "wb") as f:
        pass
    with raises_error("closed.lvp: the file is closed"):
        lowvolt.Profile.load(f)
    with raises_error("closed.lvp: the file is closed"):
        chip1.save(f)
    with open(CHIP1, "r", encoding="latin-1") as text:
        with raises_error("the file is not opened in binary mode"):
            lowvolt.Profile.load(text)
    with raises_error("path: expected a path (str or os.PathLike), got int"):
        lowvolt.Profile.load(42)
    with pytest.raises(lowvolt.Error):
        chip1.save(tmp_path / "no" / "such" / "folder.lvp")


def test_bad_arguments_are_lowvolt_errors(chip1):
    with raises_error("unknown preset 'chip9' (known: uniform, chip1, chip2)"):
        lowvolt.Profile.generate("chip9")
    with raises_error("overrides: value of 'mu' is a str, expected a number"):
        lowvolt.Profile.generate("chip1", arrays=1, rows=8, overrides={"mu": "x"})
    with pytest.raises(lowvolt.Error, match="nope"):
        lowvolt.Profile.generate("chip1", arrays=1, rows=8, overrides={"nope": 1.0})
    with pytest.raises(lowvolt.Error, match="empty dimension"):
        lowvolt.Profile.generate("chip1", arrays=0)
    with raises_error("supply voltage nan × Vmin is outside [0, 16)"):
        chip1.ber(float("nan"))
    with raises_error("supply voltage 20 × Vmin is outside [0, 16)"):
        chip1.failing_cells(20.0)
    with raises_error("vdds: expected numbers, got str"):
        chip1.validate(vdds=["a"])


def test_paths_may_be_pathlike(tmp_path, chip1):
    p = pathlib.Path(tmp_path) / "x.lvp"
    chip1.save(p)
    assert lowvolt.Profile.load(p) == chip1
