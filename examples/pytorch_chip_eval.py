#!/usr/bin/python3
"""A PyTorch user's own evaluation under a chip's SRAM faults, with LowVolt's numbers.

Re-creates LowVolt's bundled `cnn` in plain PyTorch (torch.nn modules under the names the .lvm
file uses), loads models/cnn_normal_8bit.lvm through the `lowvolt` module, and evaluates it on
the Fashion-MNIST test set quantized (TE) and read from a chip profile at each supply voltage
over K weight-to-memory mappings (RTE), with `lowvolt.torch.chip_faults`. The test errors equal
those of

    lowvolt eval MODEL --profile PROFILE --vdd V --mappings K --backend torch [--test-subset N]

bit for bit: same quantizer, same chip read, same LibTorch operators, batch and threads.

Usage: examples/pytorch_chip_eval.py [--model models/cnn_normal_8bit.lvm]
           [--profile profiles/data/chip1.lvp] [--vdd 0.84[,0.82...]] [--mappings 3]
           [--test-subset 0] [--batch-size 100] [--threads 2] [--data DIR] [--json]
Run with /usr/bin/python3 and PYTHONPATH pointing at the lowvolt package (docs/python.md).
"""
import argparse
import json
import math
import sys
import time

import torch
from torch import nn

import lowvolt
import lowvolt.torch as lvt


def groups_for(channels):
    """LowVolt's GroupNorm groups: 4 channels per group, at most 32, dividing evenly."""
    groups = min(max(channels // 4, 1), 32)
    while channels % groups:
        groups -= 1
    return groups


class ReparamGroupNorm(nn.Module):
    """Group normalization with LowVolt's reparameterised scale 1 + alpha (host/models.h)."""

    def __init__(self, channels):
        super().__init__()
        self.groups = groups_for(channels)
        self.alpha = nn.Parameter(torch.zeros(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return torch.group_norm(x, self.groups, self.alpha + 1.0, self.beta, 1e-5, True)


class MaxPool2(nn.Module):
    """2×2 max pooling as LowVolt computes it at inference: maxima of strided views."""

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            return torch.max_pool2d(x, 2)
        h, w = x.shape[2] // 2, x.shape[3] // 2
        v = x[:, :, : 2 * h, : 2 * w].reshape(x.shape[0], x.shape[1], h, 2, w, 2)
        rows = torch.maximum(v.select(3, 0), v.select(3, 1))
        return torch.maximum(rows.select(4, 0), rows.select(4, 1))


class LowVoltCNN(nn.Module):
    """LowVolt's `cnn` (group norm): conv-norm-pool-relu twice, then two linear layers; module
    indices as in LowVolt, so the .lvm tensor names are this module's state_dict keys."""

    def __init__(self, channels=1, height=28, width=28, classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), ReparamGroupNorm(32), MaxPool2(), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), ReparamGroupNorm(64), MaxPool2(), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * (height // 4) * (width // 4), 128), nn.ReLU(),
            nn.Linear(128, classes))

    def forward(self, x):
        return self.body(x)


def load_cnn(path):
    """The network of a LowVolt cnn model file, with its float weights, and the file."""
    file = lowvolt.load_model(path)
    m = file.model
    if m.arch != "cnn" or m.norm != "gn":
        sys.exit(f"pytorch_chip_eval: {path} holds a {m.arch}/{m.norm} model; this example "
                 "re-creates the gn cnn only")
    net = LowVoltCNN(m.channels, m.height, m.width_px, m.classes)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in file.tensors.items()}, strict=True)
    return net.eval(), file


def test_error(net, images, labels, batch_size=100):
    """Fraction of misclassified images, batch by batch, as LowVolt's evaluation counts them
    (argmax of the softmax)."""
    wrong = 0
    with torch.no_grad():
        for begin in range(0, len(labels), batch_size):
            logits = net(images[begin:begin + batch_size])
            _, index = torch.softmax(logits, 1).max(1)
            wrong += int(index.ne(labels[begin:begin + batch_size]).sum())
    return wrong / len(labels)


def summarize(errors):
    """Mean, standard deviation (n − 1), min and max, in LowVolt's order of operations."""
    mean = sum(errors) / len(errors)
    squares = sum((e - mean) * (e - mean) for e in errors)
    std = math.sqrt(squares / (len(errors) - 1)) if len(errors) > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(errors), "max": max(errors),
            "samples": len(errors), "errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="models/cnn_normal_8bit.lvm")
    parser.add_argument("--profile", default="profiles/data/chip1.lvp")
    parser.add_argument("--vdd", default="0.84", help="supply voltages × Vmin, comma-separated")
    parser.add_argument("--mappings", type=int, default=3)
    parser.add_argument("--test-subset", type=int, default=0, help="first N test images (0: all)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=None, help="data folder (default: LowVolt's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    lowvolt.configure_threads(args.threads)  # LibTorch threads and one BLAS thread, as lowvolt
    lowvolt.tune_allocator()  # reuse batch buffers instead of faulting them in (speed only)
    net, file = load_cnn(args.model)
    chip = lowvolt.Profile.load(args.profile)
    dataset = file.training.get("dataset", "fashion-mnist")
    images, labels = lowvolt.load_dataset(dataset, args.data, train=False, subset=args.test_subset)
    images, labels = torch.from_numpy(images), torch.from_numpy(labels)

    with lvt.quantized(net, file.quant):
        clean = test_error(net, images, labels, args.batch_size)
    vdds = [float(v) for v in args.vdd.split(",")]
    energy = chip.energy
    points = []
    for vdd in vdds:
        faults = chip.faults_at(vdd)
        errors = []
        for k in range(args.mappings):
            offset = chip.mapping_offset(k, args.mappings)
            with lvt.chip_faults(net, file.quant, faults, offset=offset) as memory:
                # Like LowVolt, reuse the clean error when no mapped cell changes a code.
                changed = (memory.loaded != memory.codes).any()
                errors.append(test_error(net, images, labels, args.batch_size) if changed else clean)
        point = {"vdd": vdd, "ber": chip.ber(vdd),
                 "energy": float(energy.access(vdd)) / float(energy.access(1.0))}
        point.update(summarize(errors))
        points.append(point)

    if args.json:
        print(json.dumps({"model": args.model, "profile": args.profile, "mappings": args.mappings,
                          "images": len(labels), "clean_error": clean, "profile_rte": points,
                          "seconds": time.perf_counter() - start}))
        return
    print(f"model {args.model} on chip {args.profile} (PyTorch + lowvolt.torch), "
          f"{args.mappings} mapping(s), {len(labels)} test images")
    print(f"clean test error (TE): {100 * clean:.2f} %\n")
    print(f"{'V/Vmin':>8}  {'BER [%]':>10}  {'RTE [%]':>9}  {'std':>7}  {'min':>7}  {'max':>7}  errors [%]")
    for p in points:
        per = " ".join(f"{100 * e:.2f}" for e in p["errors"])
        print(f"{p['vdd']:8.3f}  {100 * p['ber']:10.4f}  {100 * p['mean']:9.2f}  {100 * p['std']:7.2f}  "
              f"{100 * p['min']:7.2f}  {100 * p['max']:7.2f}  {per}")


if __name__ == "__main__":
    main()
