"""Will this run fit? Training's memory, estimated before anything is built.

``train`` calls :func:`check_memory` before it loads data or builds the model, so a run
that cannot fit (``--input-size 1024 --depth 10`` on a 24 GiB machine) is refused in a
second with the estimate and a smaller setting that fits, instead of dying out of memory
minutes later. The estimate (:func:`estimate_training_memory`) adds up, from the shapes
:func:`~sprint19_unet.unet.flops.unet_conv_shapes` walks by hand (no framework, nothing
allocated):

* **weights, gradients and optimizer state**: 4 bytes per parameter each; Adam keeps
  two moments, SGD one;
* **activations**: one batch's outputs of every convolution, kept for the backward pass,
  times :data:`ACTIVATION_COPIES` (the ReLU's output and the gradients flowing back;
  :data:`BATCH_NORM_COPIES` more with BatchNorm; measured: tests/training/test_memory.py);
* **data**: generated data only (its size is known before it exists), as generated and as tiles.

It is compared with the host's available memory, and the device's where the backend reports it (JAX
and PyTorch; not TensorFlow). Runs with a pretrained encoder are not estimated.

Example:
    >>> from sprint19_unet.training.config import TrainConfig
    >>> estimate = estimate_training_memory(TrainConfig(input_size=128, base_filters=16, depth=4, batch_size=16))
    >>> 100 < estimate.total / 2**20 < 2000   # MiB
    True
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from sprint19_unet.errors import Sprint19Error, bad_input
from sprint19_unet.unet.flops import unet_conv_shapes

BYTES_PER_NUMBER = 4  # float32 (mixed precision halves some of it; the estimate stays on the safe side)
# Each convolution output costs this many of its size in a training step: itself, the ReLU's output
# kept for the backward pass and the gradient flowing back; BatchNorm adds its output and its gradient.
# Set from three runs on the TensorFlow backend on CPU (measured peak / estimate 0.73–0.98; 2026-12-07),
# and tests/training/test_memory.py checks two other models within 2× of their measured peak.
ACTIVATION_COPIES = 3
BATCH_NORM_COPIES = 2
OPTIMIZER_MOMENTS = {"adam": 2, "adamw": 2, "sgd": 1}
GENERATED_SIZE = {"synthetic": 101, "shapes": 128}  # the side of one generated image (salt; street scenes)
FREE_SHARE = 0.9  # a run may plan to use this share of what the machine has free


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run needs, by what needs them.

    Example:
        >>> MemoryEstimate(parameters=10, weights=40, activations=60, data=0).total
        100
    """

    parameters: int
    weights: int  # weights, gradients and optimizer state
    activations: int  # one batch, forward and backward
    data: int  # generated data only

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.data

    def describe(self) -> str:
        """One line: the total and its parts, in GiB."""
        gib = 2**30
        return (f"about {self.total / gib:.1f} GiB (weights, gradients and optimizer state {self.weights / gib:.1f}, "
                f"one batch's activations {self.activations / gib:.1f}, data {self.data / gib:.1f})")


def estimate_training_memory(config, channels: int = 1, generated_data: bool = True) -> MemoryEstimate | None:
    """What ``train(config)`` needs in memory, from the shapes alone.

    Args:
        config: a :class:`~sprint19_unet.training.config.TrainConfig`.
        channels: image channels (1 for grayscale TGS).
        generated_data: count the data ``config.data`` generates (``"synthetic"``, ``"shapes"``);
            False when the caller passes data it has loaded already.

    Returns:
        The estimate; None for a pretrained encoder (not estimated).

    Example:
        >>> from sprint19_unet.training.config import TrainConfig
        >>> estimate_training_memory(TrainConfig(base_filters=8, depth=3, batch_norm=False)).parameters  # notebook 01
        120681
    """
    if config.encoder is not None:
        return None
    shapes = unet_conv_shapes(config.input_size, config.base_filters, config.depth, config.padding, channels,
                              config.num_classes, config.up_mode)
    parameters = sum(shape.parameters for shape in shapes)
    if config.batch_norm:  # a 3×3 conv before BatchNorm has no bias; BatchNorm has 4 numbers per channel
        parameters += sum(3 * shape.out_channels for shape in shapes if shape.kernel_size == 3)
    copies = 2 + OPTIMIZER_MOMENTS.get(config.optimizer, 2)  # weights, gradients, moments
    per_output = ACTIVATION_COPIES + (BATCH_NORM_COPIES if config.batch_norm else 0)
    activations = config.batch_size * sum(shape.output_elements for shape in shapes) * per_output
    data = 0
    if generated_data and config.data in GENERATED_SIZE:
        side = GENERATED_SIZE[config.data]
        per_image = (side * side + config.input_size**2) * (channels + 1)  # as generated and as tiles; image and mask
        data = config.num_samples * per_image
    return MemoryEstimate(parameters, parameters * copies * BYTES_PER_NUMBER, activations * BYTES_PER_NUMBER,
                          data * BYTES_PER_NUMBER)


def _cgroup_room() -> int | None:
    """What this process's cgroup (v2: a container, a Colab runtime) still allows, or None without a limit."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(int(limit) - used, 0)


def host_available_memory() -> int | None:
    """Bytes of host memory available now, or None if unknown.

    Linux's ``MemAvailable`` (elsewhere the free pages), and no more than the process's
    cgroup still allows (a container's limit).

    Example:
        >>> (host_available_memory() or 1) > 0
        True
    """
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    room = _cgroup_room()
    return available if room is None else min(available, room)


def device_memory() -> tuple[int, str] | None:
    """The first GPU's memory and its name, where the backend reports it; None on a CPU or when unknown.

    Example:
        >>> device_memory() is None or device_memory()[0] > 0
        True
    """
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            gpus = [device for device in jax.devices() if device.platform == "gpu"]
            stats = gpus[0].memory_stats() if gpus else None
            return (int(stats["bytes_limit"]), str(gpus[0].device_kind)) if stats and "bytes_limit" in stats else None
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                properties = torch.cuda.get_device_properties(0)
                return int(properties.total_memory), properties.name
    except Exception:  # a backend that cannot answer: no device check, the host check still holds
        return None
    return None


def _smaller(config, fits) -> str:
    """A setting that fits: half the batch first, then half the tile, then half the filters."""
    candidate = config
    for _ in range(64):
        try:
            candidate = _halve(candidate)
        except Sprint19Error:  # a size the U-Net cannot take (valid padding): no simple suggestion
            break
        if candidate is None:
            break
        if fits(candidate):
            changed = [f"--{name.replace('_', '-')} {getattr(candidate, name)}"
                       for name in ("batch_size", "input_size", "base_filters", "depth")
                       if getattr(candidate, name) != getattr(config, name)]
            return "e.g. " + " ".join(changed)
    return "a much smaller model or less data"


def _halve(candidate):
    """One step smaller: the batch, else the tile, else the filters, else one level less; None at the end."""
    if candidate.batch_size > 1:
        return candidate.replace(batch_size=candidate.batch_size // 2)
    step = 2**candidate.depth
    if candidate.input_size // 2 >= max(2 * step, 8):
        return candidate.replace(input_size=candidate.input_size // 2 // step * step)
    if candidate.base_filters > 1:
        return candidate.replace(base_filters=candidate.base_filters // 2)
    if candidate.depth > 1:
        return candidate.replace(depth=candidate.depth - 1)
    return None


def check_memory(config, channels: int = 1, available: int | None = None, where: str | None = None,
                 generated_data: bool = True) -> None:
    """Refuse a run whose estimate exceeds what the machine has, with the estimate and a setting that fits.

    Args:
        config: the run's config.
        channels: image channels.
        generated_data: see :func:`estimate_training_memory`.
        available: bytes to compare with (default: the GPU's memory where the backend
            reports it, else the host's available memory; unknown: no check).
        where: what ``available`` is, for the message.

    Raises:
        Sprint19Error: naming the estimate, what the machine has, and a smaller setting.

    Example:
        >>> from sprint19_unet.training.config import TrainConfig
        >>> check_memory(TrainConfig(input_size=1024, depth=6, base_filters=64), available=2**30, where="1 GiB")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: config: expected a run that fits in 1 GiB (...); received a run that needs about ... Use a smaller setting, e.g. ...
    """
    estimate = estimate_training_memory(config, channels, generated_data)
    if estimate is None:
        return
    if available is None:
        device = device_memory()
        if device is not None:
            available, where = device[0], f"the GPU's {device[0] / 2**30:.1f} GiB ({device[1]})"
        else:
            available = host_available_memory()
            where = f"the {available / 2**30:.1f} GiB of memory this machine has free" if available else None
    if not available:
        return
    budget = available * FREE_SHARE

    def fits(candidate) -> bool:
        return estimate_training_memory(candidate, channels, generated_data).total <= budget

    if estimate.total <= budget:
        return
    raise bad_input("config", f"a run that needs {estimate.describe()}",
                    f"a run that fits in {where or f'{available / 2**30:.1f} GiB'} ({FREE_SHARE:.0%} of it at most)",
                    f"Use a smaller setting, {_smaller(config, fits)}.")
