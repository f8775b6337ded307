"""Transposed convolution ("up-convolution") in plain NumPy, written to be read.

Two equivalent views of what ``keras.layers.Conv2DTranspose`` computes:

1. **Scatter-add** (:func:`conv2d_transpose`): every input pixel paints a copy of
   the kernel, scaled by its value, onto the output; copies start ``stride``
   pixels apart and overlap where the kernel is larger than the stride.
2. **Zero insertion** (:func:`conv2d_transpose_by_zero_insertion`): put
   ``stride − 1`` zeros between the input pixels, pad ``kernel − 1`` zeros around
   them, and run an ordinary convolution with the kernel flipped.

Output side length, exactly as Keras makes it, and how it differs from PyTorch's when the kernel
is smaller than the stride: :func:`conv2d_transpose_output_size`.

Kernels in Keras's layout ``(kernel_h, kernel_w, out_channels, in_channels)``; images channels-last.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None]
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> conv2d_transpose(x, kernel, strides=2)[:, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import bad_input


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or int(v) != v or v < 1 for v in pair):
        raise bad_input(name, repr(value), "a positive integer or a pair of them", f"Pass e.g. {name}=2.")
    return int(pair[0]), int(pair[1])


def conv2d_transpose_output_size(input_size: int, kernel_size: int, stride: int, padding: str = "valid") -> int:
    """Side length produced by ``keras.layers.Conv2DTranspose`` (no ``output_padding``).

    ``n·s + max(k − s, 0)`` for ``"valid"`` and ``n·s`` for ``"same"`` (input side
    ``n``, kernel ``k``, stride ``s``). When the kernel is at least as large as the
    stride, the ``"valid"`` size is the familiar ``(n − 1)·s + k``: the last stamp
    ends there. When the kernel is *smaller* than the stride, the stamps leave
    ``s − k`` empty pixels after each copy, and Keras keeps them after the last copy
    too, so the output is ``n·s`` wide and its last ``s − k`` rows and columns hold
    only the bias. Example: ``x = [[1, 2]]``, a 1×1 kernel of value 3, stride 2 →
    ``[[3, 0, 6, 0], [0, 0, 0, 0]]`` (2×4), not ``[[3, 0, 6]]``.

    PyTorch's ``nn.ConvTranspose2d(padding=0)`` stops at ``(n − 1)·s + k`` whatever
    the kernel (here ``[[3, 0, 6]]``); its ``output_padding`` argument adds rows and
    columns at the end, so ``output_padding = max(s − k, 0)`` gives the Keras size
    and values. Conversely ``keras.layers.Conv2DTranspose(..., output_padding=0)``
    gives PyTorch's size (Keras 3.11 and newer: older releases refuse a 0, keras-team/keras#21383). For the U-Net's up-convolution (``k = s = 2``) both
    conventions give ``2·n``. The same sizes and values come out of Keras on the
    TensorFlow, JAX and PyTorch backends (checked in tests/unet/test_transposed.py).

    Args:
        input_size: input height or width ``n``.
        kernel_size: kernel height or width ``k``.
        stride: stride ``s``.
        padding: ``"valid"`` → ``n·s + max(k − s, 0)``, which is ``(n − 1)·s + k``
            when ``k ≥ s`` and ``n·s`` when ``k < s``; ``"same"`` → ``n·s``.

    Returns:
        The output side length. (PyTorch's ``ConvTranspose2d`` with ``padding=0``
        gives ``(n − 1)·s + k`` plus its ``output_padding``; the two agree when
        ``k ≥ s`` or when ``output_padding = s − k``.)

    Example:
        >>> conv2d_transpose_output_size(28, 2, 2), conv2d_transpose_output_size(3, 3, 2)
        (56, 7)
        >>> conv2d_transpose_output_size(2, 1, 2)   # kernel smaller than the stride: n·s, not (n − 1)·s + k = 3
        4
    """
    if padding == "valid":
        return input_size * stride + max(kernel_size - stride, 0)
    if padding == "same":
        return input_size * stride
    raise bad_input("padding", repr(padding), "'valid' or 'same'", "Pass padding='valid' or padding='same'.")


def _prepare(x, kernel, strides, padding):
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    batched = x.ndim == 4
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise bad_input(
            "x", f"an array of shape {x.shape}", "(height, width, channels) or (batch, height, width, channels)",
            "Add a channel axis, e.g. x[..., None] for a grayscale image.",
        )
    if kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise bad_input(
            "kernel", f"shape {kernel.shape} for an input with {x.shape[3]} channels",
            "(kernel_h, kernel_w, out_channels, in_channels) with in_channels matching x",
            "Use the Keras layout, e.g. layer.get_weights()[0] of a Conv2DTranspose.",
        )
    if padding not in ("valid", "same"):
        raise bad_input("padding", repr(padding), "'valid' or 'same'", "Pass padding='valid' or padding='same'.")
    return x, kernel, _pair(strides, "strides"), batched


def _same_crop(full: np.ndarray, kernel_hw, strides) -> np.ndarray:
    """Cut the ``"valid"`` result (``n·s + max(k − s, 0)``) down to ``n·s`` the way Keras does.

    Keras takes ``max(k − s, 0)`` pixels off in total, the smaller half at the
    start. When ``k ≤ s`` nothing is cut: ``"same"`` and ``"valid"`` agree.
    """
    out = full
    for axis, (k, s) in enumerate(zip(kernel_hw, strides), start=1):
        cut = max(k - s, 0)
        out = np.take(out, np.arange(cut // 2, out.shape[axis] - (cut - cut // 2)), axis=axis)
    return out


def conv2d_transpose(x, kernel, strides=2, padding: str = "valid", bias=None) -> np.ndarray:
    """Transposed convolution as scatter-add: each input pixel paints the kernel.

    Args:
        x: input, ``(height, width, in_channels)`` or ``(batch, height, width, in_channels)``.
        kernel: ``(kernel_h, kernel_w, out_channels, in_channels)`` (Keras layout).
        strides: an int or ``(stride_h, stride_w)``; 2 doubles the size.
        padding: ``"valid"`` or ``"same"``, as in Keras.
        bias: optional ``(out_channels,)`` added to every pixel.

    Returns:
        float64 array ``(out_h, out_w, out_channels)`` (with the batch axis if ``x`` had one),
        sized and valued like ``keras.layers.Conv2DTranspose`` (see
        :func:`conv2d_transpose_output_size`): with a kernel smaller than the stride the
        last ``stride − kernel`` rows and columns receive no stamp and hold only the bias.

    Example:
        >>> conv2d_transpose(np.ones((3, 3, 1)), np.ones((3, 3, 1, 1)), strides=2).shape
        (7, 7, 1)
        >>> conv2d_transpose(np.array([[1.0, 2.0]])[:, :, None], np.full((1, 1, 1, 1), 3.0), strides=2)[:, :, 0]
        array([[3., 0., 6., 0.],
               [0., 0., 0., 0.]])
    """
    x, kernel, (sh, sw), batched = _prepare(x, kernel, strides, padding)
    batch, height, width, _ = x.shape
    kh, kw, out_channels, _ = kernel.shape
    # Keras's "valid" size: room for the last stamp ((n − 1)·s + k), and when the
    # kernel is smaller than the stride, the s − k empty pixels after it as well.
    out_h = conv2d_transpose_output_size(height, kh, sh, "valid")
    out_w = conv2d_transpose_output_size(width, kw, sw, "valid")
    full = np.zeros((batch, out_h, out_w, out_channels))
    for i in range(height):
        for j in range(width):
            # (batch, in) · (kh, kw, out, in) → (batch, kh, kw, out): a scaled copy of the kernel
            stamp = np.einsum("bc,hwoc->bhwo", x[:, i, j, :], kernel)
            full[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :] += stamp
    out = _same_crop(full, (kh, kw), (sh, sw)) if padding == "same" else full
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out if batched else out[0]


def conv2d_transpose_by_zero_insertion(x, kernel, strides=2, padding: str = "valid", bias=None) -> np.ndarray:
    """The same result as :func:`conv2d_transpose`, seen as an ordinary convolution.

    Steps: insert ``stride − 1`` zeros between neighbouring input pixels, pad
    ``kernel − 1`` zeros on every border, then slide the kernel — flipped in
    height and width, with its channel axes swapped — over the result
    (stride 1, no padding). When the kernel is smaller than the stride, Keras's
    output is ``stride − kernel`` pixels longer than that (see
    :func:`conv2d_transpose_output_size`): we pad that many more zeros at the end,
    after the last input pixel, so the output there is only the bias.

    Args:
        x: input, ``(height, width, in_channels)`` or ``(batch, height, width, in_channels)``.
        kernel: ``(kernel_h, kernel_w, out_channels, in_channels)`` (Keras layout).
        strides: an int or ``(stride_h, stride_w)``.
        padding: ``"valid"`` or ``"same"``.
        bias: optional ``(out_channels,)``.

    Returns:
        float64 array, same shape as :func:`conv2d_transpose` returns.

    Example:
        >>> x, k = np.random.rand(3, 3, 2), np.random.rand(3, 3, 4, 2)
        >>> np.allclose(conv2d_transpose_by_zero_insertion(x, k), conv2d_transpose(x, k))
        True
    """
    x, kernel, (sh, sw), batched = _prepare(x, kernel, strides, padding)
    batch, height, width, in_channels = x.shape
    kh, kw, out_channels, _ = kernel.shape
    # 1. zero insertion: stride − 1 zeros between pixels
    dilated = np.zeros((batch, (height - 1) * sh + 1, (width - 1) * sw + 1, in_channels))
    dilated[:, ::sh, ::sw, :] = x
    # 2. kernel − 1 zeros around the border; when kernel < stride, Keras keeps the
    #    stride − kernel positions after the last pixel too: that many more zeros at the end
    extra_h, extra_w = max(sh - kh, 0), max(sw - kw, 0)
    padded = np.pad(dilated, ((0, 0), (kh - 1, kh - 1 + extra_h), (kw - 1, kw - 1 + extra_w), (0, 0)))
    # 3. ordinary (cross-)correlation with the flipped kernel, in → out channels
    flipped = kernel[::-1, ::-1, :, :]
    out_h, out_w = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    full = np.zeros((batch, out_h, out_w, out_channels))
    for a in range(kh):
        for b in range(kw):
            window = padded[:, a : a + out_h, b : b + out_w, :]
            full += np.einsum("bhwc,oc->bhwo", window, flipped[a, b])
    out = _same_crop(full, (kh, kw), (sh, sw)) if padding == "same" else full
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out if batched else out[0]
