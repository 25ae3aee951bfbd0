#!/usr/bin/python3
"""Inputs that LowVolt must refuse with a one-line error (tests/own_network/own_network_test.cpp).

    make_bad_inputs.py OUT_DIR

bad_output.pt    a TorchScript module whose output is one value per image, not N×classes
grouped.pt       a TorchScript network with a grouped (depthwise) convolution
rgb_test.pt      a tensor data set of 3-channel 28×28 images (the example networks take 1 channel)
bad_labels.pt    1-channel images with a label (12) beyond a 10-class network's outputs
not_a_dict.pt    torch.save of a bare tensor instead of {"images", "labels"}
"""
import os
import sys

import torch
from torch import nn


class Sum(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1)).sum(1)


class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(8 * 28 * 28, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.depthwise(torch.relu(self.conv(x)))).flatten(1))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.jit.script(Sum()).save(os.path.join(out, "bad_output.pt"))
    torch.jit.script(Grouped()).save(os.path.join(out, "grouped.pt"))
    torch.save({"images": torch.rand(8, 3, 28, 28), "labels": torch.zeros(8, dtype=torch.int64)},
               os.path.join(out, "rgb_test.pt"))
    labels = torch.zeros(8, dtype=torch.int64)
    labels[3] = 12
    torch.save({"images": torch.rand(8, 1, 28, 28), "labels": labels}, os.path.join(out, "bad_labels.pt"))
    torch.save(torch.rand(8, 1, 28, 28), os.path.join(out, "not_a_dict.pt"))


if __name__ == "__main__":
    main()
