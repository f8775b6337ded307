"""The receptive field of a U-Net, computed exactly from its layers and measured by perturbing its input.

The receptive field of an output position is the set of input pixels it depends on. The textbook sum
(``1 + Σ (k − 1) · jump``) assumes every position sees the same extent; with pooling and transposed
convolutions the extent depends on the position (a 2×2 up-conv's even and odd outputs read the same
input pixel, a pooling window starts only at even positions), and the largest extent is what a pixel of
the output can see at most. :func:`receptive_field` propagates each position's dependency interval
through every layer, along each axis (every layer of a U-Net acts on rows and columns separately);
:func:`measure_receptive_field` perturbs one input row (column) at a time and records which output rows
(columns) change. The two agree exactly (``tests/teaching/test_receptive_field.py``, depths 1–4,
'same' and 'valid').

Example:
    >>> from sprint19_unet.unet.model import build_unet
    >>> receptive_field(build_unet((128, 128, 1), base_filters=2, depth=3))
    100
"""

from __future__ import annotations

import keras
import numpy as np

from sprint19_unet.errors import bad_input, is_integer

# Layers that act on each position by itself (or on channels only): the dependency passes unchanged.
POINTWISE = {"InputLayer", "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "Dropout", "SpatialDropout2D",
             "GaussianNoise", "GaussianDropout", "Dense", "Rescaling", "Normalization", "LayerNormalization"}
MERGES = {"Concatenate", "Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract"}
NO_INPUT = -1  # an output position that depends on no input pixel (zero padding)
ROWS_PER_BATCH = 15  # perturbed rows (columns) per forward pass of measure_receptive_field, beside the unchanged image


def _sliding(lo, hi, kernel: int, stride: int, dilation: int, padding: str):
    """Intervals after a convolution or pooling window along one axis (Keras's 'same': extra padding after)."""
    length = len(lo)
    span = dilation * (kernel - 1) + 1
    if padding == "same":
        out = -(-length // stride)
        before = max((out - 1) * stride + span - length, 0) // 2
    else:
        out, before = (length - span) // stride + 1, 0
    new_lo, new_hi = np.full(out, np.iinfo(np.int64).max), np.full(out, NO_INPUT)
    for tap in range(kernel):
        source = np.arange(out) * stride - before + tap * dilation
        inside = (source >= 0) & (source < length)
        valid = inside.copy()
        valid[inside] &= hi[source[inside]] != NO_INPUT
        new_lo[valid] = np.minimum(new_lo[valid], lo[source[valid]])
        new_hi[valid] = np.maximum(new_hi[valid], hi[source[valid]])
    return new_lo, new_hi


def _transposed(lo, hi, kernel: int, stride: int, padding: str):
    """Intervals after a transposed convolution: input i writes outputs i·stride + tap (minus the cropping)."""
    length = len(lo)
    full = (length - 1) * stride + kernel
    out = length * stride if padding == "same" else full
    crop = (full - out) // 2
    new_lo, new_hi = np.full(out, np.iinfo(np.int64).max), np.full(out, NO_INPUT)
    for tap in range(kernel):
        target = np.arange(length) * stride + tap - crop
        keep = (target >= 0) & (target < out) & (hi != NO_INPUT)
        np.minimum.at(new_lo, target[keep], lo[keep])
        np.maximum.at(new_hi, target[keep], hi[keep])
    return new_lo, new_hi


def _layer_intervals(layer, inputs: list, axis: int):
    """One layer's output intervals along ``axis`` (0 = rows, 1 = columns) from its inputs' intervals."""
    kind, config = type(layer).__name__, layer.get_config()
    if kind in POINTWISE:
        return inputs[0]
    if kind in MERGES:
        return (np.min([lo for lo, _ in inputs], axis=0), np.max([hi for _, hi in inputs], axis=0))
    lo, hi = inputs[0]
    if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
        return _sliding(lo, hi, config["kernel_size"][axis], config["strides"][axis],
                        config["dilation_rate"][axis], config["padding"])
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _sliding(lo, hi, config["pool_size"][axis], config["strides"][axis], 1, config["padding"])
    if kind == "Conv2DTranspose" and config.get("output_padding") is None:
        return _transposed(lo, hi, config["kernel_size"][axis], config["strides"][axis], config["padding"])
    if kind == "UpSampling2D":
        return np.repeat(lo, config["size"][axis]), np.repeat(hi, config["size"][axis])
    if kind == "Cropping2D":
        before, after = config["cropping"][axis]
        return lo[before:len(lo) - after], hi[before:len(hi) - after]
    if kind == "ZeroPadding2D":
        before, after = config["padding"][axis]
        return (np.pad(lo, (before, after), constant_values=np.iinfo(np.int64).max),
                np.pad(hi, (before, after), constant_values=NO_INPUT))
    raise bad_input(f"layer '{layer.name}'", f"a {kind}", "a layer of a U-Net (convolutions, pooling, up-convolutions, "
                    "crops, concatenations, pointwise layers)", "Compute the receptive field of a plain U-Net "
                    "(build_unet, paper_unet); nested models such as pretrained encoders are not followed.")


def _history_names(item, names: list) -> list:
    """The layer names in ``keras_history`` entries anywhere in a serialized call's arguments."""
    if isinstance(item, dict) and "keras_history" in item.get("config", {}):
        names.append(item["config"]["keras_history"][0])
    elif isinstance(item, dict):
        for element in item.values():
            _history_names(element, names)
    elif isinstance(item, (list, tuple)):
        for element in item:
            _history_names(element, names)
    return names


def _sources(model) -> dict[str, list[str]]:
    """Each layer's input layers, by name, from the model's functional config (public and stable)."""
    return {entry["name"]: _history_names(entry["inbound_nodes"], []) for entry in model.get_config()["layers"]}


def _target_layer(model, layer: str | None, sources: dict) -> str:
    """``layer`` checked against the model's layers, or the model's output layer's name."""
    outputs = model.get_config()["output_layers"]  # [name, node, index], or a list of them
    target = layer or (outputs[0] if isinstance(outputs[0], str) else outputs[0][0])
    if target not in sources:
        raise bad_input("layer", repr(target), f"a layer of this model, e.g. {list(sources)[1:4]}",
                        "Pick a name from [layer.name for layer in model.layers].")
    return target


def dependency_intervals(model, layer: str | None = None, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """For each position of a layer's output along one axis, the first and last input pixel it depends on.

    Args:
        model: a functional Keras model with a fixed input size (e.g. ``build_unet((128, 128, 1))``).
        layer: the layer whose output is asked for; default: the model's output.
        axis: 0 for rows, 1 for columns.

    Returns:
        ``(first, last)``: int arrays, one entry per output position; ``last == -1`` where a position
        depends on no input pixel.

    Raises:
        Sprint19Error: for a model without a fixed input size, an unknown layer name, or a layer
            whose spatial effect is not known (named).

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> first, last = dependency_intervals(build_unet((32, 32, 1), base_filters=2, depth=1))
        >>> int(first[16]), int(last[16])  # output row 16 sees input rows 8 … 25
        (8, 25)
    """
    size = tuple(model.inputs[0].shape)[1 + axis] if len(model.inputs) == 1 else None
    if size is None:
        raise bad_input("model", "a model without one fixed input size", "a model built for one size, "
                        "e.g. build_unet((128, 128, 1))", "Build the model with the input size you want to know about.")
    sources = _sources(model)
    target = _target_layer(model, layer, sources)
    intervals = {}
    for current in model.layers[:[each.name for each in model.layers].index(target) + 1]:  # up to the target
        inputs = sources[current.name]
        intervals[current.name] = (_layer_intervals(current, [intervals[source] for source in inputs], axis) if inputs
                                   else (np.arange(size, dtype=np.int64), np.arange(size, dtype=np.int64)))
    return intervals[target]


def _largest_extent(first: np.ndarray, last: np.ndarray) -> int:
    seen = last != NO_INPUT
    return int((last[seen] - first[seen]).max() + 1) if seen.any() else 0


def receptive_field(model, layer: str | None = None) -> int:
    """The largest receptive field, in input pixels, of any output position of ``layer`` (exact).

    Computed by :func:`dependency_intervals` along rows and columns; the larger side is returned
    (the same for a U-Net's square kernels). Near the border 'same' padding clips it, so the largest
    is reached in the interior when the input is large enough.

    Args:
        model: a functional Keras model with a fixed input size.
        layer: a layer's name (e.g. ``"contracting2_max_pool"``); default: the model's output.

    Returns:
        The receptive field's side in input pixels.

    Example:
        >>> from sprint19_unet.unet.model import paper_unet
        >>> receptive_field(paper_unet())  # the paper's network; the textbook sum says 200
        204
    """
    return max(_largest_extent(*dependency_intervals(model, layer, axis)) for axis in (0, 1))


def textbook_receptive_field(model, layer: str | None = None) -> int:
    """The textbook sum 1 + Σ (kernel − 1) · jump along the path, for comparison with :func:`receptive_field`.

    The jump (input pixels between neighbouring positions) doubles at each pooling and halves at each
    up-convolution; a 2×2 up-conv is counted as a kernel of 1 output pixel per input pixel.

    Args:
        model: as for :func:`receptive_field` (a plain U-Net: one path through the layers).
        layer: as for :func:`receptive_field`.

    Returns:
        The textbook receptive field's side in input pixels.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> textbook_receptive_field(build_unet((128, 128, 1), base_filters=2, depth=3))
        96
    """
    size, jump = 1.0, 1.0
    target = _target_layer(model, layer, _sources(model))
    for current in model.layers:
        kind, config = type(current).__name__, current.get_config()
        if kind == "Conv2D":
            size += (config["kernel_size"][0] - 1) * config["dilation_rate"][0] * jump
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            size += (config["pool_size"][0] - 1) * jump
            jump *= config["strides"][0]
        elif kind == "Conv2DTranspose":
            jump /= config["strides"][0]
        elif kind == "UpSampling2D":
            jump /= config["size"][0]
        if current.name == target:
            break
    return int(round(size))


def _logits_layer(model) -> str:
    """The model's last layer before its closing activations (a saturated sigmoid would hide small changes)."""
    layers = model.layers
    index = len(layers) - 1
    while index > 0 and type(layers[index]).__name__ in ("Activation", "ReLU", "Softmax"):
        index -= 1
    return layers[index].name


def _changed_by_each_row(probe, base, rows, axis: int, rng) -> np.ndarray:
    """Which output rows (columns) change when input row (column) r of ``base`` changes, for r in ``rows``.

    The unchanged image goes in the same batch: a batch of another size may be computed with other
    kernels, whose rounding differs. Changes below a millionth of the output's largest value count as
    rounding (a convolution computed by Winograd's tiles mixes neighbours' rounding), not dependence.
    """
    batch = np.repeat(base[None], len(rows) + 1, axis=0)
    for image, row in enumerate(rows, start=1):
        index = (image, row) if axis == 0 else (image, slice(None), row)
        batch[index] = rng.random(batch[index].shape, dtype=np.float32) * 4 - 1.5
    outputs = keras.ops.convert_to_numpy(probe(batch, training=False)).astype(np.float64)  # no tf.function to trace
    changed = np.abs(outputs[1:] - outputs[:1]) > 1e-6 * np.abs(outputs).max()
    return changed.any(axis=(2, 3) if axis == 0 else (1, 3)).T


def measure_receptive_field(model, layer: str | None = None, trials: int = 3, seed: int = 0) -> int:
    """The largest receptive field of ``layer``'s output, measured: which outputs change when an input row changes.

    For each input row r (then each column), a batch holds a random image with row r replaced by other
    random values; an output row depends on r when any of its values changed. An output row's
    dependencies over ``trials`` random images (a ReLU or a max pooling may hide one in a single trial)
    give its extent; the largest is returned. Forward passes only, so it runs on every backend.

    Args:
        model: a Keras model with a fixed input size.
        layer: a layer's name; default: the layer before the model's final activation (same receptive field).
        trials: random images per axis.
        seed: of the random images.

    Returns:
        The largest extent, in input pixels, over the output positions.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> measure_receptive_field(build_unet((32, 32, 1), base_filters=4, depth=1), trials=2)
        18
    """
    probe = keras.Model(model.inputs[0], model.get_layer(layer or _logits_layer(model)).output)
    height, width, channels = tuple(model.inputs[0].shape)[1:]
    rng = np.random.default_rng(seed)
    extent = 0
    for axis, size in ((0, height), (1, width)):
        depends = None
        for _ in range(trials):
            base = rng.random((height, width, channels), dtype=np.float32)
            batches = np.array_split(np.arange(size), -(-size // ROWS_PER_BATCH))
            hits = [_changed_by_each_row(probe, base, rows, axis, rng) for rows in batches]
            hit = np.concatenate(hits, axis=1)  # (output position, input position)
            depends = hit if depends is None else depends | hit
        for row in depends:
            if row.any():
                sources = np.flatnonzero(row)
                extent = max(extent, int(sources[-1] - sources[0] + 1))
    return extent


def check_receptive_field(answer, model, layer: str | None = None) -> bool:
    """Practice (no grade): print one line saying whether ``answer`` is the largest receptive field.

    Args:
        answer: the student's number of input pixels (an int).
        model: the model it is about; layer: its layer (default: the output).

    Returns:
        True when the answer is exact.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> check_receptive_field(96, build_unet((128, 128, 1), base_filters=2, depth=3))
        ❌ receptive field: 96 is the textbook sum; the largest is larger — hint: follow an output pixel whose up-convolutions read different input pixels than its neighbour's, through every pooling window it touches
        False
    """
    exact, textbook = receptive_field(model, layer), textbook_receptive_field(model, layer)
    if not is_integer(answer):
        print(f"❌ receptive field: expected a whole number of pixels, got {answer!r}")
        return False
    if answer == exact:
        print(f"✅ receptive field: {exact} input pixels (the textbook sum says {textbook})")
        return True
    if answer == textbook:
        print(f"❌ receptive field: {answer} is the textbook sum; the largest is larger — hint: follow an output "
              "pixel whose up-convolutions read different input pixels than its neighbour's, through every "
              "pooling window it touches")
    else:
        print(f"❌ receptive field: {answer} is not it — hint: count each 3×3 convolution as 2 more pixels times the "
              "level's scale (1, 2, 4, …), each pooling as 1 more times its scale, and then look at the position")
    return False
