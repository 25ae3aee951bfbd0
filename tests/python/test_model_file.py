"""Model files (.lvm) from Python: the bundled model reads with its architecture, scheme and
tensors, writing it back gives the same bytes, a ModelFile built from arrays saves a file the
`lowvolt` program reads, and bad input is a lowvolt.Error naming the file or tensor."""
import numpy as np
import pytest

import lowvolt
from conftest import CNN_NORMAL, raises_error, run_lowvolt_json


@pytest.fixture(scope="module")
def cnn():
    return lowvolt.load_model(CNN_NORMAL)


def test_bundled_cnn(cnn):
    assert cnn.model.arch == "cnn" and cnn.model.norm == "gn"
    assert (cnn.model.channels, cnn.model.height, cnn.model.width_px, cnn.model.classes) == (1, 28, 28, 10)
    assert cnn.quant == lowvolt.QuantScheme.preset("normal", 8)
    assert cnn.memory == ["body.0.weight", "body.0.bias", "body.4.weight", "body.4.bias",
                          "body.9.weight", "body.9.bias", "body.11.weight", "body.11.bias"]
    tensors = cnn.tensors
    assert tensors["body.0.weight"].shape == (32, 1, 3, 3)
    assert tensors["body.9.weight"].shape == (128, 3136)
    assert all(t.dtype == np.float32 for t in tensors.values())
    shapes = [t.shape for t in cnn.memory_parameters()]
    assert shapes == [tensors[n].shape for n in cnn.memory]
    assert sum(int(np.prod(s)) for s in shapes) == 421642
    assert cnn.model.stored_floats() == sum(t.size for t in tensors.values())
    assert isinstance(cnn.training, dict) and isinstance(cnn.metrics, dict)


# Writing the file back gives the same bytes (same header, tensors and checksum).
def test_save_reproduces_the_bytes(cnn, tmp_path):
    out = tmp_path / "copy.lvm"
    lowvolt.save_model(cnn, out)
    assert out.read_bytes() == CNN_NORMAL.read_bytes()


# A ModelFile built from arrays (changed weights) is a file that `lowvolt eval` reads and whose
# clean error changes with the weights.
def test_built_model_file_loads_in_the_cli(cnn, tmp_path):
    tensors = cnn.tensors
    tensors["body.11.bias"] = tensors["body.11.bias"] + np.float32(5.0) * (np.arange(10) == 3)
    made = lowvolt.ModelFile(cnn.model, cnn.quant, {k: v.astype(np.float32) for k, v in tensors.items()},
                             training={"dataset": "fashion-mnist"}, metrics={"test_error": 0.5})
    assert made.memory == cnn.memory
    path = tmp_path / "made.lvm"
    lowvolt.save_model(made, path)
    again = lowvolt.load_model(path)
    assert again.training == {"dataset": "fashion-mnist"} and again.metrics == {"test_error": 0.5}
    np.testing.assert_array_equal(again.tensors["body.11.bias"], tensors["body.11.bias"])
    original = run_lowvolt_json("eval", CNN_NORMAL, "--p", "0", "--samples", 1, "--test-subset", 200)
    changed = run_lowvolt_json("eval", path, "--p", "0", "--samples", 1, "--test-subset", 200)
    assert changed["clean_error"] > original["clean_error"]


def test_bad_input_is_lowvolt_error(cnn, tmp_path):
    missing = tmp_path / "missing.lvm"
    with pytest.raises(lowvolt.Error, match=str(missing)):
        lowvolt.load_model(missing)
    data = bytearray(CNN_NORMAL.read_bytes())
    data[-100] ^= 0x01
    corrupt = tmp_path / "corrupt.lvm"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(lowvolt.Error, match="corrupt.lvm"):
        lowvolt.load_model(corrupt)
    short = tmp_path / "short.lvm"
    short.write_bytes(bytes(data[:20]))
    with pytest.raises(lowvolt.Error, match="short.lvm"):
        lowvolt.load_model(short)
    with raises_error("path: expected a path (str or os.PathLike), got int"):
        lowvolt.load_model(3)
    with open(CNN_NORMAL, "rb") as f:
        pass
    with raises_error("path: expected a path (str or os.PathLike), got _io.BufferedReader"):
        lowvolt.load_model(f)
    tensors = cnn.tensors
    del tensors["body.4.bias"]
    with raises_error('tensor "body.4.bias" is missing'):
        lowvolt.ModelFile(cnn.model, cnn.quant, tensors)
    tensors = cnn.tensors
    tensors["body.0.weight"] = tensors["body.0.weight"].astype(np.float64)
    with raises_error("tensors['body.0.weight']: dtype float64, expected float32"):
        lowvolt.ModelFile(cnn.model, cnn.quant, tensors)
    tensors = cnn.tensors
    tensors["body.0.weight"] = np.zeros((16, 1, 3, 3), dtype=np.float32)
    with pytest.raises(lowvolt.Error, match="body.0.weight"):
        lowvolt.ModelFile(cnn.model, cnn.quant, tensors)
    with raises_error("model: unknown architecture 'resnet'"):
        lowvolt.ModelConfig(arch="resnet")
    with pytest.raises(lowvolt.Error):
        lowvolt.save_model(cnn, tmp_path)  # a folder
