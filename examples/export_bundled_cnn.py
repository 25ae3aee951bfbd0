#!/usr/bin/python3
"""Export a bundled LowVolt model as TorchScript, as a PyTorch user would: rebuild the network in
PyTorch, load the weights of models/cnn_normal_8bit.lvm into it, torch.jit.script it and save.

    /usr/bin/python3 examples/export_bundled_cnn.py [MODEL.lvm] [OUT.pt]

The saved file evaluates in LowVolt exactly like the .lvm it came from, given the same
quantization (the .lvm's header says normal/8; a TorchScript file has no header):

    lowvolt eval OUT.pt --quant normal --bits 8 --p 1% --samples 5
    lowvolt eval models/cnn_normal_8bit.lvm --p 1% --samples 5
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lowvolt_cnn import LvmError, cnn_from_lvm  # noqa: E402


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "models", "cnn_normal_8bit.lvm")
    out = sys.argv[2] if len(sys.argv) > 2 else "cnn_normal_8bit.pt"
    try:
        net, header = cnn_from_lvm(source)
    except (OSError, LvmError) as e:
        sys.exit(f"export_bundled_cnn: {e}")
    scripted = torch.jit.script(net)
    scripted.save(out)
    quant = header["quant"]
    print(f"wrote {out} (TorchScript of {source}; evaluate with --quant {quant['name']} --bits {quant['bits']})")


if __name__ == "__main__":
    main()
