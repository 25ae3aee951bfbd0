"""LowVolt for Python: chip profiles, the faulty-SRAM memory model, random bit errors,
quantization and model files from LowVolt's C++ libraries (bit for bit the numbers the
`lowvolt` program computes), with NumPy arrays in and out.

    import lowvolt
    chip = lowvolt.Profile.load("profiles/data/chip1.lvp")
    codes, params = lowvolt.quantize(weights, lowvolt.QuantScheme.preset("normal", 8))
    read = chip.read(codes, vdd=0.84, offset=chip.mapping_offset(0, 3))
    faulty_weights = lowvolt.dequantize(read, params)

`lowvolt.torch` (imported on demand, needs PyTorch) applies these to a torch.nn.Module's weights
inside a user's own loop. Every call that gets bad input raises lowvolt.Error (a ValueError)
with LowVolt's one-line message. Reference: docs/python.md.
"""
from ._core import (  # noqa: F401  (the public API, re-exported)
    BitErrorRates,
    ChipFaults,
    EnergyModel,
    Error,
    Geometry,
    InternalError,
    ModelConfig,
    ModelFile,
    Profile,
    QuantParams,
    QuantScheme,
    RandomBitErrors,
    code_volts,
    configure_threads,
    dataset_names,
    dequantize,
    derive_seed,
    inject_random,
    load_dataset,
    load_model,
    mapping_offset,
    quantize,
    quantize_all,
    rte_sample_seed,
    runtime_info,
    save_model,
    tune_allocator,
    vdd_code,
)

__all__ = [
    "BitErrorRates", "ChipFaults", "EnergyModel", "Error", "Geometry", "InternalError",
    "ModelConfig", "ModelFile", "Profile", "QuantParams", "QuantScheme", "RandomBitErrors",
    "code_volts", "configure_threads", "dataset_names", "dequantize", "derive_seed",
    "inject_random", "load_dataset", "load_model", "mapping_offset", "quantize", "quantize_all",
    "rte_sample_seed", "runtime_info", "save_model", "tune_allocator", "vdd_code",
]
