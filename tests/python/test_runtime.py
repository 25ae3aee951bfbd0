"""Process set-up and data from Python: configure_threads sets the LibTorch thread count PyTorch
sees (one library in the process), load_dataset returns LowVolt's images and labels (a subset is
the head of the full split), tune_allocator follows LOWVOLT_TUNING, and bad input is a
lowvolt.Error."""
import os
import subprocess
import sys

import numpy as np
import pytest

import lowvolt
from conftest import raises_error


def test_threads_are_shared_with_pytorch():
    import torch
    assert lowvolt.configure_threads(1) == 1 and torch.get_num_threads() == 1
    assert lowvolt.configure_threads(2) == 2 and torch.get_num_threads() == 2
    assert "libtorch" in lowvolt.runtime_info()


def test_load_dataset():
    images, labels = lowvolt.load_dataset("fashion-mnist", subset=300)
    assert images.dtype == np.float32 and images.shape == (300, 1, 28, 28)
    assert labels.dtype == np.int64 and labels.shape == (300,)
    assert 0.0 <= images.min() and images.max() <= 1.0 and set(np.unique(labels)) <= set(range(10))
    full_images, full_labels = lowvolt.load_dataset()
    assert full_images.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(full_images[:300], images)
    np.testing.assert_array_equal(full_labels[:300], labels)
    assert "fashion-mnist" in lowvolt.dataset_names()


def test_load_dataset_bad_input(tmp_path):
    with pytest.raises(lowvolt.Error, match="cifar100"):
        lowvolt.load_dataset("cifar100")
    with raises_error("load_dataset: subset -1 is negative (0 = all)"):
        lowvolt.load_dataset(subset=-1)
    with pytest.raises(lowvolt.Error, match=str(tmp_path)):
        lowvolt.load_dataset("mnist", dir=tmp_path)


# Under AddressSanitizer (the asan preset preloads libasan) malloc is ASan's allocator and
# glibc's mallopt settings cannot be applied, so tune_allocator() rightly reports False.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.parametrize("setting,applied", [
    pytest.param(None, True, marks=pytest.mark.skipif(
        UNDER_ASAN, reason="malloc is AddressSanitizer's allocator, not glibc's")),
    ("off", False)])
def test_tune_allocator(setting, applied):
    env = dict(os.environ)
    env.pop("LOWVOLT_TUNING", None)
    if setting:
        env["LOWVOLT_TUNING"] = setting
    out = subprocess.run([sys.executable, "-c", "import lowvolt; print(lowvolt.tune_allocator())"],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == str(applied)
