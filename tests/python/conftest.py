"""Shared fixtures of the lowvolt Python tests (run by ctest: PYTHONPATH=<build>/python,
LOWVOLT_BIN=<build>/bin/lowvolt, working directory the repository root)."""
import json
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

import lowvolt

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHIP1 = ROOT / "profiles" / "data" / "chip1.lvp"
CHIP2 = ROOT / "profiles" / "data" / "chip2.lvp"
CNN_NORMAL = ROOT / "models" / "cnn_normal_8bit.lvm"


def lowvolt_bin():
    """The `lowvolt` program of this build (LOWVOLT_BIN), or skip when it is not given."""
    path = os.environ.get("LOWVOLT_BIN")
    if not path or not os.path.exists(path):
        pytest.skip("LOWVOLT_BIN is not set to a built lowvolt program")
    return path


def run_lowvolt(*args):
    """Runs `lowvolt args...` and returns its stdout (asserting exit status 0)."""
    result = subprocess.run([lowvolt_bin(), *map(str, args)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_lowvolt_json(*args):
    """`lowvolt args... --json` parsed."""
    return json.loads(run_lowvolt(*args, "--json"))


def readme_python_snippet():
    """The first ```python block of README.md's "## Python" section, as the README shows it (its
    paths are relative to the repository root)."""
    section = (ROOT / "README.md").read_text().split("## Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README's Python section has no ```python block"
    return blocks[0]


def raises_error(fragment):
    """pytest.raises for lowvolt.Error whose message contains `fragment`."""
    return pytest.raises(lowvolt.Error, match=_escape(fragment))


def _escape(text):
    return re.escape(text)


@pytest.fixture(scope="session")
def chip1():
    return lowvolt.Profile.load(CHIP1)


@pytest.fixture(scope="session")
def noisy_chip():
    """A small chip with intermittent cells (σ_n = 0.01 × Vmin) and all three failure kinds."""
    return lowvolt.Profile.generate("chip2", arrays=2, rows=64, cols=128, seed=7,
                                    overrides={"sigma_n": 0.01, "flip_fraction": 0.5})


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
