"""The real clients: examples/pytorch_chip_eval.py (plain PyTorch + lowvolt.torch) prints the test
errors of `lowvolt eval --profile --backend torch` and of `lowvolt curve` per mapping, equal, not
close; the same network reproduces `lowvolt eval`'s random bit error samples from their seeds;
examples/randbet_training.py trains with bit errors injected."""
import importlib.util
import json
import subprocess
import sys

import pytest
import torch

import lowvolt
import lowvolt.torch as lvt
from conftest import CHIP1, CNN_NORMAL, ROOT, run_lowvolt_json

SUBSET = 1000


def run_example(name, *args):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *map(str, args)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


# `lowvolt eval --p ... --seed S`: sample s drawn at the largest rate from rte_sample_seed(S, s);
# the PyTorch network under lowvolt.torch.random_bit_errors gives the same error per sample.
def test_random_samples_equal_lowvolt_eval():
    example = load_example("pytorch_chip_eval")
    lowvolt.configure_threads(2)
    net, file = example.load_cnn(CNN_NORMAL)
    images, labels = (torch.from_numpy(a) for a in lowvolt.load_dataset(subset=500))
    rates = [0.005, 0.01]
    cli = run_lowvolt_json("eval", CNN_NORMAL, "--p", "0.5%,1%", "--samples", 2, "--seed", 3,
                           "--test-subset", 500)
    with lvt.quantized(net, file.quant):
        assert example.test_error(net, images, labels) == cli["clean_error"]
    for r, p in enumerate(rates):
        errors = []
        for s in range(2):
            seed = lowvolt.rte_sample_seed(3, s)
            with lvt.random_bit_errors(net, file.quant, p, seed, max_rates=max(rates)):
                errors.append(example.test_error(net, images, labels))
        assert errors == cli["rte"][r]["errors"]


# The RandBET example trains (loss falls), injects bit errors once the loss is low, and reports
# TE and RTE of the quantized model.
def test_randbet_example_runs():
    out = run_example("randbet_training.py", "--steps", 30, "--batch-size", 64, "--train-subset",
                      6400, "--test-subset", 300, "--samples", 2, "--json")
    run = out["runs"]["randbet"]
    assert run["injected_steps"] > 0
    assert run["last_loss"] < run["first_loss"]
    assert 0.0 <= run["clean_error"] < 0.6 and len(run["errors"]) == 2
