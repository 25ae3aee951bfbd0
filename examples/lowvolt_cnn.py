"""LowVolt's bundled `cnn`, rebuilt from standard torch.nn modules, a reader of `.lvm` files and one
of IDX files (the MNIST format, gzip-compressed as Debian ships Fashion-MNIST).

Shared by examples/export_bundled_cnn.py (the TorchScript export of a bundled model),
examples/resnet_export.py and bench/torch_eval.py (the plain-PyTorch speed comparison). Uses only PyTorch and NumPy.

The network is LowVolt's `cnn` (host/nn/src/models.cpp) operation for operation: two blocks of
3×3 convolution (padding 1) → GroupNorm (4 channels per group, at most 32 groups; LowVolt stores
the scale as 1 + alpha) → 2×2 max pooling → ReLU, then flatten → linear (128) → ReLU → linear.
Pooling before ReLU is LowVolt's order; the two commute, and keeping the order keeps every
intermediate value bit for bit the same as LowVolt's LibTorch forward pass.
"""
import gzip
import json
import struct
import zlib

import numpy as np
import torch
from torch import nn


class LvmError(Exception):
    """A .lvm file that cannot be read (message names the file)."""


def read_lvm(path):
    """Header (dict) and float32 tensors (name → torch.Tensor) of a LowVolt model file."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != b"LVMODEL1":
        raise LvmError(f"{path}: not a LowVolt model file (bad magic)")
    (length,) = struct.unpack("<Q", blob[8:16])
    if 16 + length > len(blob):
        raise LvmError(f"{path}: header length {length} exceeds the file")
    header = json.loads(blob[16 : 16 + length])
    end = len(blob)
    if header.get("version", 1) >= 2:  # CRC-32 trailer (docs/model-format.md)
        end -= 4
        if zlib.crc32(blob[:end]) != struct.unpack("<I", blob[end:])[0]:
            raise LvmError(f"{path}: corrupt model file (checksum mismatch)")
    data = blob[16 + length : end]
    tensors = {}
    for t in header["tensors"]:
        count = int(np.prod(t["shape"])) if t["shape"] else 1
        stop = t["offset"] + 4 * count
        if stop > len(data):
            raise LvmError(f"{path}: tensor {t['name']} runs past the end of the file")
        values = np.frombuffer(data, dtype="<f4", count=count, offset=t["offset"])
        tensors[t["name"]] = torch.from_numpy(values.reshape(t["shape"]).copy())
    return header, tensors


def read_idx(path):
    """The array of a gzip-compressed IDX file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        blob = f.read()
    dims = blob[3]
    shape = struct.unpack(">" + "I" * dims, blob[4 : 4 + 4 * dims])
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def groups_for(channels):
    """LowVolt's GroupNorm groups: 4 channels per group, at most 32, dividing evenly."""
    groups = min(max(channels // 4, 1), 32)
    while channels % groups:
        groups -= 1
    return groups


class Cnn(nn.Module):
    """LowVolt's `cnn` (gn) for C×H×W inputs and `classes` outputs."""

    def __init__(self, channels=1, height=28, width=28, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 32, 3, padding=1)
        self.norm1 = nn.GroupNorm(groups_for(32), 32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups_for(64), 64)
        self.fc1 = nn.Linear(64 * (height // 4) * (width // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = torch.relu(torch.max_pool2d(self.norm1(self.conv1(x)), 2))
        x = torch.relu(torch.max_pool2d(self.norm2(self.conv2(x)), 2))
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def cnn_from_lvm(path):
    """The Cnn holding the weights of a LowVolt `cnn`/gn model file, in eval mode."""
    header, tensors = read_lvm(path)
    model = header["model"]
    if model["arch"] != "cnn" or model["norm"] != "gn":
        raise LvmError(f"{path}: only the gn cnn is rebuilt here, the file holds {model['arch']}/{model['norm']}")
    net = Cnn(model["channels"], model["height"], model["width_px"], model["classes"])
    # LowVolt's parameter names (body.N, host/nn/src/models.cpp) → this module's.
    layers = {"conv1": 0, "norm1": 1, "conv2": 4, "norm2": 5, "fc1": 9, "fc2": 11}
    with torch.no_grad():
        for name, index in layers.items():
            layer = getattr(net, name)
            if isinstance(layer, nn.GroupNorm):
                # LowVolt computes the scale as alpha + 1 in float32 at every pass: same value.
                layer.weight.copy_(tensors[f"body.{index}.alpha"] + 1.0)
                layer.bias.copy_(tensors[f"body.{index}.beta"])
            else:
                layer.weight.copy_(tensors[f"body.{index}.weight"])
                layer.bias.copy_(tensors[f"body.{index}.bias"])
    return net.eval(), header
