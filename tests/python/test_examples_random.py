"""Real clients with random bit errors: LowVolt's bundled cnn re-created in PyTorch
(examples/pytorch_chip_eval.py) reproduces every sample of `lowvolt eval --p ... --seed S` from the
sample seeds, and examples/randbet_training.py trains with bit errors injected."""
import importlib.util
import json
import subprocess
import sys

import torch

import lowvolt
import lowvolt.torch as lvt
from conftest import CNN_NORMAL, ROOT, run_lowvolt_json


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
