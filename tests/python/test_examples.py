"""The real client: examples/pytorch_chip_eval.py (plain PyTorch + lowvolt.torch) prints the test
errors of `lowvolt eval --profile --backend torch` and of `lowvolt curve` per mapping under chip1
at 0.84 × Vmin, equal, not close. (Random samples and the RandBET example:
test_examples_random.py.)"""
import json
import subprocess
import sys

import pytest

from conftest import CHIP1, CNN_NORMAL, ROOT, run_lowvolt_json

SUBSET = 1000


def run_example(name, *args):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *map(str, args)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def python_run():
    return run_example("pytorch_chip_eval.py", "--model", CNN_NORMAL, "--profile", CHIP1,
                       "--vdd", "0.84", "--mappings", 3, "--test-subset", SUBSET, "--json")


# TE and the statistics over the 3 mappings at 0.84 × Vmin equal `lowvolt eval`'s, exactly.
def test_chip_eval_equals_lowvolt_eval(python_run):
    cli = run_lowvolt_json("eval", CNN_NORMAL, "--profile", CHIP1, "--vdd", "0.84",
                           "--mappings", 3, "--backend", "torch", "--test-subset", SUBSET)
    assert python_run["images"] == cli["images"] == SUBSET
    assert python_run["clean_error"] == cli["clean_error"]
    mine, theirs = python_run["profile_rte"][0], cli["profile_rte"][0]
    for key in ("vdd", "ber", "energy", "mean", "std", "min", "max", "samples"):
        assert mine[key] == theirs[key], key
    assert mine["mean"] > python_run["clean_error"]  # the chip's faults do change predictions


# The error of every mapping equals `lowvolt curve`'s for that mapping.
def test_chip_eval_equals_lowvolt_curve_per_mapping(python_run):
    cli = run_lowvolt_json("curve", "--model", CNN_NORMAL, "--profile", CHIP1, "--vdd", "0.84",
                           "--mappings", 3, "--backend", "torch", "--test-subset", SUBSET)
    model = cli["models"][0]
    assert model["clean_error"] == python_run["clean_error"]
    assert model["series"][0]["points"][0]["errors"] == python_run["profile_rte"][0]["errors"]
    assert len(set(python_run["profile_rte"][0]["errors"])) > 1  # the mappings differ
