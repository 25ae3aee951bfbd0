#!/usr/bin/python3
"""The evaluation `lowvolt eval` runs, written as a PyTorch user writes it, for bench/host-speed.

Reads a LowVolt `cnn` model file (`.lvm`, docs/model-format.md) with NumPy, builds the same network
from standard torch.nn modules (Conv2d, GroupNorm, ReLU, MaxPool2d, Linear; GroupNorm's weight is
1 + alpha, LowVolt's reparameterisation), and runs PASSES passes over the Fashion-MNIST test set
(the clean pass plus one per bit error sample of `lowvolt eval --samples`) in batches of BATCH
with THREADS intra-op threads. Untuned on purpose: no allocator or OpenMP settings, as a user runs
it. The weights are the file's float weights (quantization and bit error injection are extra work
LowVolt does and this script does not, so the comparison favours Python).

With --train N it instead trains for one epoch on the first N training images (SGD, momentum
0.9, weight decay 5e-4, learning rate 0.05, batch --batch, shuffled with a fixed seed), the loop
of `lowvolt train` (Normal) without its quantization of every forward pass.

Prints one JSON object: images/s over all passes (or the epoch), the float model's test error
(evaluation), and this process's minor page faults and system time.

Usage: bench/torch_eval.py MODEL.lvm [--passes 4] [--batch 100] [--threads 2] [--data DIR]
       bench/torch_eval.py MODEL.lvm --train 12800 [--batch 128] [--threads 2]
Needs Debian's python3-torch and python3-numpy (run with /usr/bin/python3).
"""
import argparse
import json
import resource
import sys
import time

import os

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
from lowvolt_cnn import LvmError, groups_for, read_idx, read_lvm  # noqa: E402  (the .lvm reader of the examples)


def build_cnn(header, tensors):
    model = header["model"]
    if model["arch"] != "cnn" or model["norm"] != "gn":
        sys.exit(f"torch_eval: only the gn cnn is written here, the file holds {model['arch']}/{model['norm']}")
    c, h, w, classes = model["channels"], model["height"], model["width_px"], model["classes"]
    net = nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.GroupNorm(groups_for(32), 32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.GroupNorm(groups_for(64), 64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(), nn.Linear(128, classes))
    # LowVolt's parameter names (body.N) → this Sequential's indices.
    names = {0: 0, 1: 1, 4: 4, 5: 5, 9: 9, 11: 11}
    with torch.no_grad():
        for lv, mine in names.items():
            layer = net[mine]
            if isinstance(layer, nn.GroupNorm):
                layer.weight.copy_(1 + tensors[f"body.{lv}.alpha"])
                layer.bias.copy_(tensors[f"body.{lv}.beta"])
            else:
                layer.weight.copy_(tensors[f"body.{lv}.weight"])
                layer.bias.copy_(tensors[f"body.{lv}.bias"])
    return net.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--passes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--train", type=int, default=0, help="train one epoch on N images instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.train > 0:
        return train_epoch(args)

    try:
        header, tensors = read_lvm(args.model)
    except (OSError, LvmError) as e:
        sys.exit(f"torch_eval: {e}")
    net = build_cnn(header, tensors)
    images = torch.from_numpy(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    images = images.unsqueeze(1)
    labels = torch.from_numpy(read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))

    start = time.perf_counter()
    wrong = 0
    with torch.no_grad():
        for _ in range(args.passes):
            wrong = 0
            for b in range(0, len(labels), args.batch):
                logits = net(images[b : b + args.batch])
                wrong += int((logits.argmax(1) != labels[b : b + args.batch]).sum())
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    forward_images = args.passes * len(labels)
    print(json.dumps({
        "model": args.model,
        "passes": args.passes,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "forward_images": forward_images,
        "seconds": seconds,
        "images_per_s": forward_images / seconds,
        "float_test_error": wrong / len(labels),
        "minor_faults": usage.ru_minflt,
        "system_seconds": usage.ru_stime,
    }))


def train_epoch(args):
    try:
        header, tensors = read_lvm(args.model)
    except (OSError, LvmError) as e:
        sys.exit(f"torch_eval: {e}")
    net = build_cnn(header, tensors).train()
    images = torch.from_numpy(read_idx(f"{args.data}/train-images-idx3-ubyte.gz")[: args.train].astype(np.float32) / 255.0)
    images = images.unsqueeze(1)
    labels = torch.from_numpy(read_idx(f"{args.data}/train-labels-idx1-ubyte.gz")[: args.train].astype(np.int64))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    order = torch.randperm(len(labels), generator=generator)
    total = 0.0
    for b in range(0, len(labels), args.batch):
        index = order[b : b + args.batch]
        optimizer.zero_grad()
        loss = loss_fn(net(images[index]), labels[index])
        loss.backward()
        optimizer.step()
        total += float(loss) * len(index)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "model": args.model,
        "train_images": len(labels),
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "images_per_s": len(labels) / seconds,
        "mean_loss": total / len(labels),
        "minor_faults": usage.ru_minflt,
        "system_seconds": usage.ru_stime,
    }))


if __name__ == "__main__":
    main()
