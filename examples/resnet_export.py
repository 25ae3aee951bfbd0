#!/usr/bin/python3
"""A small ResNet-style network and a test set, saved the way a PyTorch user hands them to LowVolt.

    /usr/bin/python3 examples/resnet_export.py [--out-dir DIR] [--steps N] [--test-images N]

Writes, in DIR (default: the current folder):
  resnet.pt       torch.jit.script of a small residual network (stem: conv → BatchNorm → ReLU →
                  2×2 max pooling; two residual blocks with BatchNorm and identity / strided 1×1
                  projection shortcuts; global average pooling; a linear classifier), trained
                  for N steps (default 300,
                  SGD, batch 64, seed 0) on the Fashion-MNIST training set;
  fmnist_train.pt the first 6 000 training images and labels:  {"images", "labels"}
  fmnist_test.pt  the first --test-images (default 1 000) test images and labels, the tensor data
                  format LowVolt reads (docs/own-network.md): torch.save({"images": float32
                  N×1×28×28 in [0, 1], "labels": int64 N}).
Then, for example:
  lowvolt eval resnet.pt --dataset fmnist_test.pt --p 0.5%,1% --samples 5
  lowvolt curve --model resnet.pt --dataset fmnist_test.pt --profile profiles/data/chip1.lvp \
      --vdd 1.0:0.8:0.05 --backend golden --plot curve.svg

Needs Debian's python3-torch and the dataset-fashion-mnist package; runs in seconds on 2 cores.
"""
import argparse
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lowvolt_cnn import read_idx  # noqa: E402

FMNIST = "/usr/share/datasets/fashion-mnist"


def fashion_mnist(split, count):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(f"{FMNIST}/{prefix}-images-idx3-ubyte.gz")[:count]
    labels = read_idx(f"{FMNIST}/{prefix}-labels-idx1-ubyte.gz")[:count]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class Block(nn.Module):
    """A basic residual block: conv-BN-ReLU-conv-BN plus the (projected) input, then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.layer1 = Block(16, 16, 1)
        self.layer2 = Block(16, 32, 2)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.stem(x))), 2)
        x = self.layer2(self.layer1(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", default=".")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--test-images", type=int, default=1000)
    args = parser.parse_args()
    if not os.path.isdir(FMNIST):
        sys.exit(f"resnet_export: {FMNIST} is missing (Debian package dataset-fashion-mnist)")
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)

    train_x, train_y = fashion_mnist("train", 6000)
    test_x, test_y = fashion_mnist("test", args.test_images)
    net = SmallResNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    net.train()
    for step in range(args.steps):
        index = torch.randint(0, len(train_y), (64,))
        loss = F.cross_entropy(net(train_x[index]), train_y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        error = (net(test_x).argmax(1) != test_y).float().mean().item()

    scripted = torch.jit.script(net)
    scripted.save(os.path.join(args.out_dir, "resnet.pt"))
    torch.save({"images": train_x, "labels": train_y}, os.path.join(args.out_dir, "fmnist_train.pt"))
    torch.save({"images": test_x, "labels": test_y}, os.path.join(args.out_dir, "fmnist_test.pt"))
    print(f"wrote resnet.pt ({sum(p.numel() for p in net.parameters())} parameters, float test error "
          f"{100 * error:.2f} % on {len(test_y)} images), fmnist_train.pt, fmnist_test.pt in {args.out_dir}")


if __name__ == "__main__":
    main()
