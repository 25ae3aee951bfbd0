# Type stubs of lowvolt.torch (torch.py, pure Python): kept beside the module rather than inline
# so that torch.py stays as it is; tests/python/test_stubs.py compares every name, parameter and
# default with inspect.signature of the module. Docstrings live in torch.py.
from contextlib import AbstractContextManager
from typing import Any, Callable, Iterable, Literal, Sequence, TypedDict, type_check_only

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from ._core import BitErrorRates, ChipFaults, Profile, QuantParams, QuantScheme

__all__ = [
    "WeightMemory", "memory_parameters", "layers_of", "quantized", "chip_faults",
    "random_bit_errors", "RandBET",
]

# Memory parameters: tensors, or (name, tensor) pairs as memory_parameters() returns them.
_Parameters = Iterable[torch.Tensor] | Iterable[tuple[str, torch.Tensor]]
# A matrix layer of the accelerator: (out_features, in_features, bias, name).
_Layer = tuple[int, int, bool, str]
# A rate: a float p (uniform flips) or a lowvolt.BitErrorRates.
_Rates = float | BitErrorRates

def memory_parameters(module: nn.Module) -> list[tuple[str, nn.Parameter]]: ...
def layers_of(
    shapes: Sequence[Sequence[int]], names: Sequence[str] | None = None
) -> list[_Layer]: ...

class WeightMemory:
    parameters: list[torch.Tensor]
    names: list[str]
    quant: QuantScheme
    shapes: list[tuple[int, ...]]
    params: list[QuantParams]
    offsets: npt.NDArray[np.int64]
    # uint8 codes (int16 at 16 bits), read-only.
    codes: npt.NDArray[Any]
    loaded: npt.NDArray[Any] | None
    def __init__(
        self, parameters: _Parameters, quant: QuantScheme, names: Sequence[str] | None = None
    ) -> None: ...
    @property
    def bits(self) -> int: ...
    @property
    def numel(self) -> int: ...
    def layers(self) -> list[_Layer]: ...
    def dequantize(self, codes: npt.NDArray[Any]) -> list[npt.NDArray[np.float32]]: ...
    def load(self, codes: npt.NDArray[Any]) -> None: ...
    def read_through(
        self,
        chip: Profile | ChipFaults,
        vdd: float | None = None,
        offset: int = 0,
        layout: Literal["accelerator", "linear"] = "accelerator",
        read_count: int = 1,
        written_at: int | None = 0,
    ) -> npt.NDArray[np.uint8]: ...
    def random_errors(
        self, rates: _Rates, seed: int, max_rates: _Rates | None = None
    ) -> npt.NDArray[Any]: ...

def quantized(
    module: nn.Module,
    quant: QuantScheme,
    corrupt: Callable[[WeightMemory], npt.NDArray[Any]] | None = None,
    parameters: _Parameters | None = None,
) -> AbstractContextManager[WeightMemory]: ...
def chip_faults(
    module: nn.Module,
    quant: QuantScheme,
    chip: Profile | ChipFaults,
    vdd: float | None = None,
    offset: int = 0,
    layout: Literal["accelerator", "linear"] = "accelerator",
    read_count: int = 1,
    parameters: _Parameters | None = None,
    written_at: int | None = 0,
) -> AbstractContextManager[WeightMemory]: ...
def random_bit_errors(
    module: nn.Module,
    quant: QuantScheme,
    rates: _Rates,
    seed: int,
    max_rates: _Rates | None = None,
    parameters: _Parameters | None = None,
) -> AbstractContextManager[WeightMemory]: ...

@type_check_only
class _StepResult(TypedDict):
    loss: float
    perturbed_loss: float | None
    logits: torch.Tensor
    injected: bool

class RandBET:
    module: nn.Module
    quant: QuantScheme
    p: float
    seed: int
    wmax: float
    start_loss: float
    injecting: bool
    def __init__(
        self,
        module: nn.Module,
        quant: QuantScheme,
        p: float = 0.01,
        seed: int = 1,
        wmax: float = 0.0,
        start_loss: float = 1.75,
    ) -> None: ...
    def step(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        optimizer: torch.optim.Optimizer,
        epoch: int,
        step: int,
    ) -> _StepResult: ...
