"""LowVolt inside a PyTorch user's own loop: quantize a torch.nn.Module's memory parameters with
LowVolt's quantizer, pass the codes through a chip profile at a supply voltage (or LowVolt's
random bit errors), write the dequantized values into the parameters in place, and restore the
float weights afterwards. `import lowvolt` does not import torch; `import lowvolt.torch` does.

The memory parameters (what the accelerator stores in its weight SRAM) follow LowVolt's rule for
its built-in networks (host/models.h): every weight and bias of a convolution or linear layer, in
module order (``module.named_modules()``), weight before bias. Their codes form one flat memory
in that order; a tensor of two or more dimensions W is a matrix layer of N = W.shape[0] rows of
K = W.numel() // N codes and a 1-d tensor right after it is its bias (the accelerator's layout of
`lowvolt eval --profile --backend torch`).

    import lowvolt, lowvolt.torch as lvt
    chip = lowvolt.Profile.load("profiles/data/chip1.lvp")
    quant = lowvolt.QuantScheme.preset("normal", 8)
    for k in range(3):
        with lvt.chip_faults(model, quant, chip, vdd=0.84, offset=chip.mapping_offset(k, 3)):
            error = my_test_error(model)      # the model holds the faulty weights here
    # the float weights are back

Everything works on whole arrays (NumPy and LibTorch); nothing loops over elements in Python.
"""
import contextlib

import numpy as np
import torch
from torch import nn

from . import _core

__all__ = [
    "WeightMemory", "memory_parameters", "layers_of", "quantized", "chip_faults",
    "random_bit_errors", "RandBET",
]

_MATRIX_LAYERS = (nn.modules.conv._ConvNd, nn.Linear)


def memory_parameters(module):
    """[(name, parameter)] of every weight and bias of a convolution or linear layer of `module`,
    in module order, weight before bias (LowVolt's memory parameters)."""
    out = []
    for prefix, m in module.named_modules():
        if isinstance(m, _MATRIX_LAYERS):
            head = prefix + "." if prefix else ""
            if m.weight is not None:
                out.append((head + "weight", m.weight))
            if m.bias is not None:
                out.append((head + "bias", m.bias))
    if not out:
        raise _core.Error("lowvolt.torch: the module has no convolution or linear layer "
                          "(no memory parameters)")
    return out


def layers_of(shapes, names=None):
    """The accelerator's matrix layers of memory tensors of `shapes` (in memory order): a tensor of
    ≥ 2 dimensions is a layer of N = shape[0] rows of K = numel // N codes, a 1-d tensor of N
    values right after it is its bias, any other 1-d tensor a layer of N = numel rows of K = 1.
    Returns [(out_features, in_features, bias, name)] for ChipFaults.read(layers=...)."""
    names = names or [f"tensor {i}" for i in range(len(shapes))]
    layers = []
    i = 0
    while i < len(shapes):
        shape = tuple(shapes[i])
        numel = int(np.prod(shape)) if shape else 1
        if len(shape) >= 2:
            n = shape[0]
            bias = (i + 1 < len(shapes) and len(shapes[i + 1]) == 1 and shapes[i + 1][0] == n)
            layers.append((n, numel // n, bias, names[i]))
            i += 2 if bias else 1
        else:
            layers.append((numel, 1, False, names[i]))
            i += 1
    return layers


def _as_numpy(p):
    """A CPU float32 NumPy view (or copy, off the CPU) of a parameter's values."""
    t = p.detach()
    if t.device.type != "cpu" or t.dtype != torch.float32:
        t = t.to(device="cpu", dtype=torch.float32)
    return t.numpy()


class WeightMemory:
    """A quantized snapshot of memory parameters as one flat code memory (LowVolt's WeightMemory):
    `codes` (uint8, or int16 at 16 bits) holds parameter k in words [offsets[k], offsets[k] +
    numel(k)); `params[k]` are its QuantParams. load(codes) writes the dequantized values of any
    codes of that layout (clean, read through a chip, with random errors) into the parameters in
    place; ranges are the snapshot's (errors change codes, never ranges)."""

    def __init__(self, parameters, quant, names=None):
        """parameters: a list of tensors (or of (name, tensor) pairs, as memory_parameters()
        returns); quant: a lowvolt.QuantScheme."""
        parameters = list(parameters)
        if parameters and isinstance(parameters[0], tuple):
            names = [n for n, _ in parameters]
            parameters = [p for _, p in parameters]
        if not parameters:
            raise _core.Error("lowvolt.torch: no parameters to quantize")
        self.parameters = parameters
        self.names = names or [f"tensor {i}" for i in range(len(parameters))]
        self.quant = quant
        self.shapes = [tuple(p.shape) for p in parameters]
        quantized = _core.quantize_all([_as_numpy(p) for p in parameters], quant)
        self.params = [qp for _, qp in quantized]
        sizes = [c.size for c, _ in quantized]
        self.offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.codes = np.concatenate([c.reshape(-1) for c, _ in quantized])
        self.codes.setflags(write=False)
        self.loaded = None

    @property
    def bits(self):
        """Stored bits per word, m."""
        return self.quant.bits

    @property
    def numel(self):
        """Words in memory (parameter elements)."""
        return self.codes.size

    def layers(self):
        """The accelerator's matrix layers of this memory (layers_of)."""
        return layers_of(self.shapes, self.names)

    def _check(self, codes):
        codes = np.asarray(codes)
        if codes.dtype != self.codes.dtype or codes.size != self.codes.size:
            raise _core.Error(f"lowvolt.torch: codes of dtype {codes.dtype} and {codes.size} words "
                              f"for a memory of {self.codes.size} {self.codes.dtype} words")
        return codes.reshape(-1)

    def dequantize(self, codes):
        """Float32 arrays, one per parameter and shaped like it, of flat `codes`."""
        codes = self._check(codes)
        return [_core.dequantize(codes[o:o + int(np.prod(s, dtype=np.int64))], qp).reshape(s)
                for o, s, qp in zip(self.offsets, self.shapes, self.params)]

    def load(self, codes):
        """Writes the dequantized `codes` into the parameters in place (outside autograd);
        `loaded` holds the codes last written."""
        values = self.dequantize(codes)
        self.loaded = np.asarray(codes).reshape(-1)
        with torch.no_grad():
            for p, v in zip(self.parameters, values):
                p.copy_(torch.from_numpy(v))

    def read_through(self, chip, vdd=None, offset=0, layout="accelerator", read_count=1,
                     written_at=0):
        """The codes as read from `chip` (a lowvolt.Profile with vdd in × Vmin, or a
        lowvolt.ChipFaults) with the memory's first bit at cell `offset`. layout "accelerator":
        the accelerator's tile order (a 16 × 512 × 64 chip; `lowvolt eval --profile`),
        "linear": code i, bit j at cell offset + i·m + j (any chip). The codes are written when
        every array's read count is `written_at` and read at `read_count` (the defaults are the
        torch backend's, `--chip-read history`); written_at=None reads a static snapshot at
        read_count (`--chip-read snapshot`)."""
        if self.bits > 8:
            raise _core.Error(f"lowvolt.torch: chip reads need codes of at most 8 bits, the "
                              f"memory has {self.bits}")
        if layout not in ("accelerator", "linear"):
            raise _core.Error(f"lowvolt.torch: layout '{layout}' (known: accelerator, linear)")
        layers = self.layers() if layout == "accelerator" else None
        if isinstance(chip, _core.Profile):
            if vdd is None:
                raise _core.Error("lowvolt.torch: a chip profile needs vdd (× Vmin)")
            chip = chip.faults_at(vdd)
        elif vdd is not None:
            raise _core.Error("lowvolt.torch: vdd is given by the ChipFaults object")
        return chip.read(self.codes, offset=offset, bits=self.bits, layers=layers,
                         read_count=read_count, written_at=written_at)

    def random_errors(self, rates, seed, max_rates=None):
        """The codes with LowVolt's random bit errors at `rates` (float p or BitErrorRates) drawn
        from `seed`; with max_rates, drawn at max_rates and applied at rates (nested): sample s of
        `lowvolt eval --p ... --seed S` is random_errors(p, rte_sample_seed(S, s), max(ps))."""
        if max_rates is None:
            return _core.inject_random(self.codes, self.bits, rates, seed)
        errors = _core.RandomBitErrors(self.numel, self.bits, max_rates, seed)
        return errors.apply(self.codes, rates)


@contextlib.contextmanager
def quantized(module, quant, corrupt=None, parameters=None):
    """Context manager: quantizes `module`'s memory parameters under `quant` (a QuantScheme),
    optionally replaces the codes by corrupt(memory) (memory: the WeightMemory; returns codes of
    its layout), writes the dequantized values into the parameters in place and yields the
    WeightMemory. On exit the parameters get their float values back, also after an exception.
    parameters: the [(name, tensor)] to treat as memory instead of memory_parameters(module)."""
    params = memory_parameters(module) if parameters is None else list(parameters)
    tensors = [p for _, p in params] if params and isinstance(params[0], tuple) else params
    with torch.no_grad():
        backup = [p.detach().clone() for p in tensors]
    try:
        memory = WeightMemory(params, quant)
        memory.load(memory.codes if corrupt is None else corrupt(memory))
        yield memory
    finally:
        with torch.no_grad():
            for p, b in zip(tensors, backup):
                p.copy_(b)


def chip_faults(module, quant, chip, vdd=None, offset=0, layout="accelerator", read_count=1,
                parameters=None, written_at=0):
    """Context manager: `module`'s quantized weights as read from `chip` (Profile at vdd × Vmin,
    or ChipFaults) at mapping `offset` (cells; chip.mapping_offset(k, K) for mapping k of K):
    what `lowvolt eval --profile --backend torch` evaluates (read_count, written_at: see
    WeightMemory.read_through). Yields the WeightMemory; restores the float weights on exit."""
    return quantized(module, quant,
                     lambda m: m.read_through(chip, vdd, offset, layout, read_count, written_at),
                     parameters)


def random_bit_errors(module, quant, rates, seed, max_rates=None, parameters=None):
    """Context manager: `module`'s quantized weights with LowVolt's random bit errors at `rates`
    from `seed` (see WeightMemory.random_errors). Yields the WeightMemory; restores on exit."""
    return quantized(module, quant, lambda m: m.random_errors(rates, seed, max_rates), parameters)


class RandBET:
    """Random bit error training (Algorithm 1 of Stutz et al., `lowvolt train --method randbet`)
    for a user's own loop. Each step(): clip every parameter to [-wmax, wmax] (wmax > 0), quantize
    the memory parameters, a clean forward/backward, then — once injecting — a forward/backward
    with random bit errors at rate p in the codes, the two gradients averaged; the float weights
    are restored, the optimizer steps, and the parameters are clipped again. Injection starts
    after the first step whose clean loss is below start_loss. The errors of step b of epoch e come
    from derive_seed(seed, 2 + e, b), as in `lowvolt train --seed seed`."""

    def __init__(self, module, quant, p=0.01, seed=1, wmax=0.0, start_loss=1.75):
        if not 0.0 <= p <= 1.0:
            raise _core.Error(f"RandBET: p = {p} is outside [0, 1]")
        if not wmax >= 0.0:
            raise _core.Error(f"RandBET: wmax = {wmax} must be >= 0 (0 = no clipping)")
        quant.validate()
        self.module = module
        self.quant = quant
        self.p = p
        self.seed = seed
        self.wmax = wmax
        self.start_loss = start_loss
        self.injecting = False

    def _clip(self):
        if self.wmax > 0:
            with torch.no_grad():
                for p in self.module.parameters():
                    p.clamp_(-self.wmax, self.wmax)

    def step(self, inputs, targets, loss_fn, optimizer, epoch, step):
        """One training step on a batch; returns a dict with the clean loss, the perturbed loss
        (None when no errors were injected), the clean logits (detached) and whether errors were
        injected."""
        self._clip()
        memory_params = memory_parameters(self.module)
        inject = self.injecting
        share = 0.5 if inject else 1.0
        perturbed_loss = None
        with quantized(self.module, self.quant, parameters=memory_params) as memory:
            optimizer.zero_grad()
            logits = self.module(inputs)
            loss = loss_fn(logits, targets)
            (loss * share).backward()
            if inject:
                seed = _core.derive_seed(self.seed, 2 + epoch, step)
                memory.load(_core.inject_random(memory.codes, memory.bits, self.p, seed))
                perturbed = loss_fn(self.module(inputs), targets)
                (perturbed * share).backward()
                perturbed_loss = perturbed.item()
        optimizer.step()  # on the float weights, which quantized() restored
        self._clip()
        clean_loss = loss.item()
        if not self.injecting and clean_loss < self.start_loss:
            self.injecting = True
        return {"loss": clean_loss, "perturbed_loss": perturbed_loss, "logits": logits.detach(),
                "injected": inject}
