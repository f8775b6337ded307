"""Problem 2's exercises (notebook 02): the valid U-Net's output size, copy and crop, the parameter count,
a transposed convolution. The written answers of Problem 2 are in
:mod:`sprint19_unet.teaching.exercises.written`.

The references: :func:`~sprint19_unet.unet.sizes.unet_output_size`, the crop of
:func:`~sprint19_unet.unet.parts.copy_and_crop` (:func:`~sprint19_unet.data.prepare.crop_to_size`),
:func:`unet_parameter_count` (checked against ``keras.Model.count_params()`` in the tests) and
:func:`~sprint19_unet.unet.transposed.conv2d_transpose`.

Example:
    >>> check_parameter_count(unet_parameter_count).passed
    ✅ check_parameter_count: 5/5 cases
    True
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.data.prepare import crop_to_size
from sprint19_unet.teaching.exercises.comparing import as_array, as_number, expect_shape, expect_values
from sprint19_unet.teaching.exercises.registry import Case, Mismatch, exercise
from sprint19_unet.teaching.exercises.self_check import CheckResult, run_check
from sprint19_unet.unet.sizes import is_valid_input_size, unet_output_size
from sprint19_unet.unet.transposed import conv2d_transpose

# The paper's network (Figure 1): 572×572×1 → 388×388×2.
PAPER_PARAMETERS = 31_030_658


# === Exercise 1: the output size of a valid-padding U-Net ===

_VISIBLE_SIZES = (("the paper's tile, 572", 572), ("the smallest tile that fits, 188", 188), ("252", 252),
                  ("428", 428), ("a large tile, 1020", 1020))


def _size_case(description: str, size: int) -> Case:
    return Case(description, (size,), expected=unet_output_size(size, depth=4, padding="valid"))


def _valid_output_size_visible() -> list[Case]:
    return [_size_case(description, size) for description, size in _VISIBLE_SIZES]


def _valid_output_size_grade(rng: np.random.Generator) -> list[Case]:
    shown = {size for _, size in _VISIBLE_SIZES}
    valid = [size for size in range(188, 2400) if is_valid_input_size(size) and size not in shown]
    return [_size_case(f"a {size}-pixel tile", int(size)) for size in sorted(rng.choice(valid, 6, replace=False))]


def _valid_output_size_compare(case: Case, answer) -> None:
    got = as_number(answer)
    if got != case.expected:
        raise Mismatch(f"expected a different size than {got:g}",
                       "follow one side down and up again: each unpadded 3×3 convolution loses 2 pixels (two per "
                       "level), each 2×2 pooling halves, the bottleneck's two convolutions, then per level ×2 for "
                       "the up-convolution and −4 for its two convolutions")


@exercise(name="valid_output_size", assignment="problem2", title="the valid U-Net's output size, by hand",
          answers=("valid_output_size(input_size)",), visible_cases=_valid_output_size_visible,
          grade_cases=_valid_output_size_grade, compare=_valid_output_size_compare,
          rewrites=("unet_output_size",), tell_tales=("388",),
          references=("input_size_for_output", "nearest_valid_input_sizes", "is_valid_input_size",
                      "paper_unet", "build_unet"))
def check_valid_output_size(fn) -> CheckResult:
    """Check a function that gives the output side length of the paper's U-Net.

    ``fn(input_size)`` returns the output side length of the depth-4 U-Net with
    unpadded ("valid") 3×3 convolutions for an input tile of ``input_size`` pixels
    (572 → 388 in Figure 1). The cases are sizes that fit the network; the
    reference is :func:`~sprint19_unet.unet.sizes.unet_output_size`.

    Args:
        fn: the student's function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.unet.sizes import unet_output_size
        >>> check_valid_output_size(unet_output_size).passed
        ✅ check_valid_output_size: 5/5 cases
        True
    """
    return run_check("valid_output_size", fn)


# === Exercise 2: copy and crop ===


def _reference_copy_and_crop(features: np.ndarray, upsampled: np.ndarray) -> np.ndarray:
    """NumPy copy and crop: the centre of ``features`` at ``upsampled``'s size, concatenated first.

    The same crop as :func:`sprint19_unet.unet.parts.copy_and_crop` (the odd pixel, if any, is cut after).
    """
    return np.concatenate([crop_to_size(features, upsampled.shape[1:3]), upsampled], axis=-1)


def _ramp(shape: tuple[int, ...], start: float = 0.0) -> np.ndarray:
    return (np.arange(np.prod(shape), dtype=np.float32) + start).reshape(shape)


_CENTRE_HINT = "cut the same number of pixels on both sides: (H − h) // 2 at the top, (W − w) // 2 on the left"


def _copy_case(description: str, features: np.ndarray, upsampled: np.ndarray, hint: str = _CENTRE_HINT) -> Case:
    return Case(description, (features, upsampled), expected=_reference_copy_and_crop(features, upsampled), hint=hint)


def _copy_and_crop_visible() -> list[Case]:
    def ramps(features_shape, upsampled_shape):
        return _ramp(features_shape), _ramp(upsampled_shape, start=-1000.0)

    return [
        _copy_case("64×64×8 features onto a 56×56×8 map (the paper's bottom level)",
                   *ramps((1, 64, 64, 8), (1, 56, 56, 8))),
        _copy_case("the crop is centred: 136×136 onto 104×104", *ramps((1, 136, 136, 2), (1, 104, 104, 2))),
        _copy_case("height and width crop differently: 30×20 onto 26×12", *ramps((1, 30, 20, 3), (1, 26, 12, 5)),
                   _CENTRE_HINT + "; height and width each have their own offset"),
        _copy_case("nothing to crop ('same' padding): 8×8 onto 8×8", *ramps((1, 8, 8, 2), (1, 8, 8, 3))),
        _copy_case("a batch of 2 images", *ramps((2, 20, 20, 2), (2, 16, 16, 2)),
                   "crop every image of the batch the same way"),
    ]


def _copy_and_crop_grade(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(5):
        batch, height, width = int(rng.integers(1, 4)), int(rng.integers(3, 30)), int(rng.integers(3, 30))
        extra_h, extra_w = 2 * int(rng.integers(0, 11)), 2 * int(rng.integers(0, 11))
        c1, c2 = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        features = rng.random((batch, height + extra_h, width + extra_w, c1)).astype(np.float32)
        upsampled = rng.random((batch, height, width, c2)).astype(np.float32)
        cases.append(_copy_case(f"{batch}×{height + extra_h}×{width + extra_w}×{c1} features onto "
                                f"{batch}×{height}×{width}×{c2}", features, upsampled))
    return cases


def _copy_and_crop_compare(case: Case, answer) -> None:
    features, _ = case.args
    expected = case.expected
    got = as_array(answer)
    expect_shape(got, expected.shape, "crop the features to the upsampled map's height and width, then "
                 "concatenate along the last (channel) axis")
    channels = features.shape[-1]
    swapped = np.concatenate([expected[..., channels:], expected[..., :channels]], axis=-1)
    if np.allclose(got, swapped) and not np.allclose(got, expected):
        raise Mismatch("the upsampled map comes first", "the paper copies the features first: "
                       "concatenate [cropped features, upsampled]")
    expect_values(got, expected, "the values", case.hint)


@exercise(name="copy_and_crop", assignment="problem2", title="copy and crop",
          answers=("copy_and_crop(features, upsampled)",), visible_cases=_copy_and_crop_visible,
          grade_cases=_copy_and_crop_grade, compare=_copy_and_crop_compare,
          rewrites=("copy_and_crop",), references=("crop_to_size", "CenterCrop", "Cropping2D"))
def check_copy_and_crop(fn) -> CheckResult:
    """Check the paper's "copy and crop": the contracting map's centre, concatenated onto the upsampled map.

    ``fn(features, upsampled)`` takes two channels-last arrays
    ``(batch, H, W, C1)`` and ``(batch, h, w, C2)`` with ``H ≥ h`` and ``W ≥ w``
    and returns ``(batch, h, w, C1 + C2)``: the centre ``h × w`` of ``features``
    (as much cut on each side; the differences are even in a valid U-Net),
    followed along the channel axis by ``upsampled`` — the copied features come
    first, as in the paper and :func:`sprint19_unet.unet.parts.copy_and_crop`.
    NumPy arrays or Keras tensors may come back.

    Args:
        fn: the student's function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> import numpy as np
        >>> def copy_and_crop(features, upsampled):
        ...     dh = (features.shape[1] - upsampled.shape[1]) // 2
        ...     dw = (features.shape[2] - upsampled.shape[2]) // 2
        ...     centre = features[:, dh:dh + upsampled.shape[1], dw:dw + upsampled.shape[2]]
        ...     return np.concatenate([centre, upsampled], axis=-1)
        >>> check_copy_and_crop(copy_and_crop).passed
        ✅ check_copy_and_crop: 5/5 cases
        True
    """
    return run_check("copy_and_crop", fn)


# === Exercise 3: the paper network's parameters ===


def unet_parameter_count(
    input_channels: int = 1,
    base_filters: int = 64,
    depth: int = 4,
    num_classes: int = 2,
    *,
    biases: bool = True,
    up_kernel: int = 2,
    halve_up_channels: bool = True,
    concatenate: bool = True,
) -> int:
    """Count a U-Net's parameters by hand (:func:`~sprint19_unet.unet.model.build_unet`, no batch norm).

    Per convolution: ``k·k·c_in·c_out`` weights plus ``c_out`` biases. Each
    contracting level has two 3×3 convolutions (channels double from level to
    level), the bottleneck two more, each expanding level a 2×2 up-convolution
    that halves the channels, then two 3×3 convolutions whose first one reads the
    concatenation (twice the channels), and a 1×1 convolution to ``num_classes``
    ends the network. The keyword-only switches count common mistakes instead,
    which :func:`check_parameter_count` uses for its hints.

    Args:
        input_channels: channels of the input image (1 in the paper).
        base_filters: channels of the first level (64).
        depth: number of poolings (4).
        num_classes: output channels (2: softmax over background and cell).
        biases: count the biases.
        up_kernel: the up-convolution's kernel side (2).
        halve_up_channels: the up-convolution halves the channels.
        concatenate: the first expanding convolution reads the concatenation.

    Returns:
        The number of parameters.

    Example:
        >>> unet_parameter_count()
        31030658
    """
    def conv(kernel: int, c_in: int, c_out: int) -> int:
        return kernel * kernel * c_in * c_out + (c_out if biases else 0)

    channels = [base_filters * 2**level for level in range(depth + 1)]  # levels 1 … depth, then the bottleneck
    total, c_in = 0, input_channels
    for c_out in channels:
        total += conv(3, c_in, c_out) + conv(3, c_out, c_out)
        c_in = c_out
    for level in range(depth - 1, -1, -1):
        c_out = channels[level]
        up_out = c_out if halve_up_channels else c_in
        total += conv(up_kernel, c_in, up_out)
        total += conv(3, (c_out + up_out) if concatenate else up_out, c_out) + conv(3, c_out, c_out)
        c_in = c_out
    return total + conv(1, c_in, num_classes)


_PARAMETER_MISTAKES = (
    ({"biases": False}, "you counted the weights only: every filter has a bias too (one per output channel)"),
    ({"up_kernel": 3}, "the up-convolutions are 2×2, not 3×3"),
    ({"halve_up_channels": False}, "each up-convolution halves the number of channels"),
    ({"concatenate": False}, "after copy and crop, the first convolution of an expanding level reads the "
                             "concatenation: twice the channels"),
)


def _parameter_hint(got: int, config: dict) -> str:
    for switches, hint in _PARAMETER_MISTAKES:
        if got == unet_parameter_count(**config, **switches):
            return hint
    if got == unet_parameter_count(**{**config, "num_classes": 1}):
        return "the paper's 1×1 output convolution has 2 output channels (softmax over two classes)"
    if got == unet_parameter_count(**config) - unet_parameter_count(**{**config, "num_classes": 0}):
        return "count every layer, not just the output"
    return ("count every convolution: k·k·c_in·c_out weights + c_out biases; 2 × 3×3 per level and in the "
            "bottleneck, the 2×2 up-convolutions (halving the channels), the concatenation doubling the input "
            "of the first expanding convolution, and the final 1×1")


_PAPER = {"input_channels": 1, "base_filters": 64, "depth": 4, "num_classes": 2}


def _count_case(description: str, config: dict) -> Case:
    return Case(description, kwargs=dict(config), expected=unet_parameter_count(**config))


def _parameter_count_visible() -> list[Case]:
    return [
        _count_case("the paper's network", _PAPER),
        _count_case("RGB input", {**_PAPER, "input_channels": 3}),
        _count_case("base_filters=32", {**_PAPER, "base_filters": 32}),
        _count_case("depth 3", {**_PAPER, "depth": 3}),
        _count_case("a small network: 16 filters, depth 2, 1 class",
                    {"input_channels": 1, "base_filters": 16, "depth": 2, "num_classes": 1}),
    ]


def _parameter_count_grade(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(6):
        config = {"input_channels": int(rng.integers(1, 5)), "base_filters": int(rng.integers(2, 97)),
                  "depth": int(rng.integers(1, 6)), "num_classes": int(rng.integers(1, 7))}
        cases.append(_count_case(", ".join(f"{key}={value}" for key, value in config.items()), config))
    return cases


def _parameter_count_compare(case: Case, answer) -> None:
    got = as_number(answer, "your count")
    if got != int(got):
        raise Mismatch(f"expected a whole number, got {got:g}")
    if int(got) != case.expected:
        raise Mismatch(f"{int(got):,} is not the count", _parameter_hint(int(got), case.kwargs))


@exercise(name="parameter_count", assignment="problem2", title="the parameter count of any U-Net, by hand",
          answers=("count_unet_parameters(input_channels, base_filters, depth, num_classes)",),
          visible_cases=_parameter_count_visible, grade_cases=_parameter_count_grade,
          compare=_parameter_count_compare,
          rewrites=("unet_parameter_count",), tell_tales=("31,030,658", "31030658"),
          references=("count_params", "paper_unet", "build_unet", "PAPER_PARAMETERS"),
          crash_hint="the function is called with the keywords input_channels, base_filters, depth, num_classes")
def check_parameter_count(fn) -> CheckResult:
    """Check a function that counts a U-Net's parameters without building it.

    ``fn(input_channels, base_filters, depth, num_classes)`` (called with those
    keywords) returns the parameter count of the U-Net of
    :func:`~sprint19_unet.unet.model.build_unet` without batch norm; the check tries
    the paper's network (572×572×1 in, 2 classes out, 64 → 1024 channels:
    31,030,658) and four others, the grader networks of its own. A bare number is
    not an answer: the count must follow from the configuration. The reference is
    :func:`unet_parameter_count`, itself checked against ``keras.Model.count_params()``
    in the tests.

    Args:
        fn: the student's counting function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> check_parameter_count(31_030_658).passed  # doctest: +ELLIPSIS
        ❌ check_parameter_count: expected count_unet_parameters(...), a function; received 31030658 — hint: ...
        False
    """
    return run_check("parameter_count", fn)


# === Exercise 4: transposed convolution by zero insertion ===


def _reference_transposed(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    return conv2d_transpose(x[:, :, None], kernel[:, :, None, None], strides=stride)[:, :, 0]


def _transposed_case(description: str, x: np.ndarray, kernel: np.ndarray, stride: int) -> Case:
    return Case(description, (x, kernel, stride), expected=_reference_transposed(x, kernel, stride))


def _transposed_visible() -> list[Case]:
    rng = np.random.default_rng(5)
    return [
        _transposed_case("the U-Net's up-convolution: 2×2 kernel, stride 2", _ramp((3, 3), 1.0),
                         np.array([[1.0, 2.0], [3.0, 4.0]]), 2),
        _transposed_case("a 3×3 kernel with stride 2 (the stamps overlap)", rng.random((3, 3)), rng.random((3, 3)), 2),
        _transposed_case("stride 1", rng.random((4, 4)), rng.random((3, 3)), 1),
        _transposed_case("a kernel that is not symmetric", _ramp((2, 2), 1.0),
                         np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), 2),
        _transposed_case("a 2×4 input, 3×3 kernel, stride 3", rng.random((2, 4)), rng.random((3, 3)), 3),
    ]


def _transposed_grade(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(5):
        height, width, k = int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 5))
        stride = int(rng.integers(1, k + 1))
        cases.append(_transposed_case(f"a {height}×{width} input, {k}×{k} kernel, stride {stride}",
                                      rng.normal(size=(height, width)), rng.normal(size=(k, k)), stride))
    return cases


_SIZE_HINT = ("stride − 1 zeros go between neighbouring pixels and kernel − 1 zeros around the border, "
              "so a side of n pixels becomes (n − 1)·stride + kernel")


def _transposed_compare(case: Case, answer) -> None:
    x, kernel, stride = case.args
    expected = case.expected
    got = as_array(answer)
    expect_shape(got, expected.shape, _SIZE_HINT)
    if not np.allclose(got, expected) and np.allclose(got, _reference_transposed(x, kernel[::-1, ::-1], stride)):
        raise Mismatch("the values are those of the kernel turned by 180°",
                       "sliding over the zero-inserted input is a convolution with the flipped kernel "
                       "(kernel[::-1, ::-1]); or stamp pixel × kernel at stride steps")
    expect_values(got, expected, "the values",
                  "each input pixel contributes pixel × kernel to the output window that starts at "
                  "(row·stride, column·stride); overlapping contributions add up")


@exercise(name="transposed_conv", assignment="problem2", title="a transposed convolution by zero insertion",
          answers=("transposed_conv(x, kernel, stride)",), visible_cases=_transposed_visible,
          grade_cases=_transposed_grade, compare=_transposed_compare,
          rewrites=("conv2d_transpose", "conv2d_transpose_by_zero_insertion"),
          references=("Conv2DTranspose", "conv_transpose"))
def check_transposed_conv(fn) -> CheckResult:
    """Check a transposed convolution (one channel, "valid"), e.g. written as zero insertion.

    ``fn(x, kernel, stride)`` takes a 2-D input ``(n_h, n_w)``, a 2-D kernel
    ``(k, k)`` and an integer stride, and returns what
    ``keras.layers.Conv2DTranspose`` (no bias, valid padding) computes:
    ``((n_h − 1)·s + k, (n_w − 1)·s + k)`` values. One way: put ``stride − 1``
    zeros between the input pixels, ``k − 1`` zeros around the border, and slide
    the kernel, flipped in both axes, over the result. Another: every input pixel
    stamps ``pixel × kernel`` onto the output, stamps ``stride`` apart. The cases
    have ``k ≥ stride`` (where Keras and PyTorch agree); the reference is
    :func:`~sprint19_unet.unet.transposed.conv2d_transpose`.

    Args:
        fn: the student's function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.unet.transposed import conv2d_transpose_by_zero_insertion
        >>> def transposed(x, kernel, stride):
        ...     return conv2d_transpose_by_zero_insertion(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]
        >>> check_transposed_conv(transposed).passed
        ✅ check_transposed_conv: 5/5 cases
        True
    """
    return run_check("transposed_conv", fn)
