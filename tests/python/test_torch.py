"""lowvolt.torch: memory parameters in module order, context managers that put quantized, chip-read
or randomly corrupted weights into a torch.nn.Module and restore the float weights (also after an
exception), and RandBET steps whose gradient is the average of the clean and the perturbed one
with LowVolt's seeds."""
import sys

import numpy as np
import pytest
import torch
from torch import nn

import lowvolt
import lowvolt.torch as lvt
from conftest import raises_error


def make_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(8, 12, 3, bias=False), nn.ReLU()),
        nn.Flatten(), nn.Linear(12 * 5 * 5, 20), nn.ReLU(), nn.Linear(20, 10))


def floats(net):
    return [p.detach().clone() for p in net.parameters()]


def test_import_lowvolt_does_not_import_torch():
    import subprocess
    code = "import sys, lowvolt; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Conv and linear weights and biases in module order (nested too), norms left out.
def test_memory_parameters_and_layers():
    net = make_net()
    names = [n for n, _ in lvt.memory_parameters(net)]
    assert names == ["0.weight", "0.bias", "4.0.weight", "6.weight", "6.bias", "8.weight", "8.bias"]
    memory = lvt.WeightMemory(lvt.memory_parameters(net), lowvolt.QuantScheme.preset("normal", 8))
    assert memory.layers() == [(8, 9, True, "0.weight"), (12, 72, False, "4.0.weight"),
                               (20, 300, True, "6.weight"), (10, 20, True, "8.weight")]
    assert memory.numel == sum(p.numel() for _, p in lvt.memory_parameters(net))
    with raises_error("the module has no convolution or linear layer"):
        lvt.memory_parameters(nn.ReLU())


# quantized(): inside, each parameter holds dequantize(quantize(w)); outside, the floats again.
def test_quantized_and_restore():
    net = make_net()
    before = floats(net)
    quant = lowvolt.QuantScheme.preset("rquant", 4)
    memory_floats = [before[i].numpy() for i in (0, 1, 4, 5, 6, 7, 8)]  # conv/linear only
    expected = [lowvolt.dequantize(c, qp) for c, qp in lowvolt.quantize_all(memory_floats, quant)]
    with lvt.quantized(net, quant) as memory:
        for (_, p), want in zip(lvt.memory_parameters(net), expected):
            np.testing.assert_array_equal(p.detach().numpy(), want)
        assert memory.codes.max() < 16
        assert torch.equal(net[1].weight, before[2])  # norms untouched
    for a, b in zip(floats(net), before):
        assert torch.equal(a, b)


def test_restored_after_exception():
    net = make_net()
    before = floats(net)
    with pytest.raises(KeyError):
        with lvt.quantized(net, lowvolt.QuantScheme.preset("normal", 2)):
            raise KeyError("boom")
    for a, b in zip(floats(net), before):
        assert torch.equal(a, b)


# chip_faults(): the weights are dequantize(chip.read(codes, layers)) — the accelerator layout
# unless asked for the linear one; a fault-free supply gives the clean quantized weights.
def test_chip_faults(chip1):
    net = make_net()
    quant = lowvolt.QuantScheme.preset("normal", 8)
    with lvt.quantized(net, quant) as clean:
        clean_values = [p.detach().clone() for _, p in lvt.memory_parameters(net)]
    offset = chip1.mapping_offset(1, 3)
    for layout, layers in [("accelerator", clean.layers()), ("linear", None)]:
        with lvt.chip_faults(net, quant, chip1, vdd=0.80, offset=offset, layout=layout) as memory:
            read = chip1.read(memory.codes, vdd=0.80, offset=offset, layers=layers)
            assert (read != memory.codes).any()
            np.testing.assert_array_equal(memory.loaded, read)
            for (_, p), want in zip(lvt.memory_parameters(net), memory.dequantize(read)):
                np.testing.assert_array_equal(p.detach().numpy(), want)
    with lvt.chip_faults(net, quant, chip1, vdd=1.5):
        for (_, p), want in zip(lvt.memory_parameters(net), clean_values):
            assert torch.equal(p, want)
    with raises_error("layout 'diagonal' (known: accelerator, linear)"):
        with lvt.chip_faults(net, quant, chip1, vdd=0.8, layout="diagonal"):
            pass
    with raises_error("a chip profile needs vdd"):
        with lvt.chip_faults(net, quant, chip1):
            pass


# random_bit_errors(): LowVolt's errors for the seed; nested when drawn at a larger max rate.
def test_random_bit_errors():
    net = make_net()
    quant = lowvolt.QuantScheme.preset("normal", 8)
    with lvt.random_bit_errors(net, quant, 0.01, seed=5) as memory:
        np.testing.assert_array_equal(memory.loaded, lowvolt.inject_random(memory.codes, 8, 0.01, 5))
        values = [p.detach().clone() for _, p in lvt.memory_parameters(net)]
    with lvt.random_bit_errors(net, quant, 0.005, seed=5, max_rates=0.01) as memory:
        low = memory.loaded
        errors = lowvolt.RandomBitErrors(memory.numel, 8, 0.01, 5)
        np.testing.assert_array_equal(low, errors.apply(memory.codes, 0.005))
        high = errors.apply(memory.codes, 0.01)
        assert not ((low ^ memory.codes) & ~(high ^ memory.codes)).any()
    assert any(not torch.equal(v, p) for v, (_, p) in zip(values, lvt.memory_parameters(net)))


def test_weight_memory_checks():
    net = make_net()
    memory = lvt.WeightMemory(lvt.memory_parameters(net), lowvolt.QuantScheme.preset("normal", 8))
    with raises_error("codes of dtype uint8 and 3 words"):
        memory.load(np.zeros(3, dtype=np.uint8))
    memory16 = lvt.WeightMemory(lvt.memory_parameters(net), lowvolt.QuantScheme.preset("normal", 16))
    assert memory16.codes.dtype == np.int16
    with raises_error("chip reads need codes of at most 8 bits"):
        memory16.read_through(lowvolt.Profile.generate(arrays=1, rows=64), vdd=0.8)


def grads(net):
    return [p.grad.detach().clone() for p in net.parameters()]


# One injecting RandBET step: the gradient is the mean of the gradient on the clean quantized
# weights and the one on the codes with inject_random(seed = derive_seed(S, 2 + e, b)); the
# optimizer updates the float weights (restored before the step) and clipping holds.
def test_randbet_step_gradient():
    torch.manual_seed(1)
    x = torch.randn(16, 1, 14, 14)
    y = torch.randint(0, 10, (16,))
    loss_fn = nn.CrossEntropyLoss()
    quant = lowvolt.QuantScheme.preset("rquant", 8)

    net = make_net()
    reference = make_net()
    reference.load_state_dict(net.state_dict())
    wmax = 0.2
    helper = lvt.RandBET(net, quant, p=0.05, seed=9, wmax=wmax, start_loss=100.0)
    sgd = torch.optim.SGD(net.parameters(), lr=0.0)
    first = helper.step(x, y, loss_fn, sgd, epoch=0, step=0)
    assert not first["injected"] and helper.injecting  # loss < 100: injects from the next step
    out = helper.step(x, y, loss_fn, sgd, epoch=3, step=7)
    assert out["injected"] and out["perturbed_loss"] is not None
    got = grads(net)

    # The same by hand on the reference copy (clip, quantize, two passes).
    with torch.no_grad():
        for p in reference.parameters():
            p.clamp_(-wmax, wmax)
    with lvt.quantized(reference, quant) as memory:
        reference.zero_grad()
        loss_fn(reference(x), y).backward()
        clean = grads(reference)
        reference.zero_grad()
        seed = lowvolt.derive_seed(9, 2 + 3, 7)
        memory.load(lowvolt.inject_random(memory.codes, 8, 0.05, seed))
        loss_fn(reference(x), y).backward()
        perturbed = grads(reference)
    for g, a, b in zip(got, clean, perturbed):
        torch.testing.assert_close(g, 0.5 * a + 0.5 * b, rtol=1e-5, atol=1e-7)
    assert all(bool((p.abs() <= wmax).all()) for p in net.parameters())


# Training with the helper lowers the loss and clips every parameter.
def test_randbet_trains():
    torch.manual_seed(2)
    x = torch.randn(64, 1, 14, 14)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    net = make_net()
    helper = lvt.RandBET(net, lowvolt.QuantScheme.preset("rquant", 8), p=0.01, seed=1, wmax=0.5)
    sgd = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = [helper.step(x, y, nn.CrossEntropyLoss(), sgd, 0, s)["loss"] for s in range(40)]
    assert helper.injecting
    assert sum(losses[-5:]) < sum(losses[:5])
    assert all(bool((p.abs() <= 0.5).all()) for p in net.parameters())


def test_randbet_bad_arguments():
    net = make_net()
    quant = lowvolt.QuantScheme.preset("normal", 8)
    with raises_error("RandBET: p = 2 is outside [0, 1]"):
        lvt.RandBET(net, quant, p=2)
    with raises_error("RandBET: wmax = -1 must be >= 0"):
        lvt.RandBET(net, quant, wmax=-1)
