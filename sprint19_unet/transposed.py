"""Transposed convolution ("up-convolution") in plain NumPy, written to be read.

Two equivalent views of what ``keras.layers.Conv2DTranspose`` computes:

1. **Scatter-add** (:func:`conv2d_transpose`): every input pixel paints a copy of
   the kernel, scaled by its value, onto the output; copies start ``stride``
   pixels apart and overlap where the kernel is larger than the stride.
2. **Zero insertion** (:func:`conv2d_transpose_by_zero_insertion`): put
   ``stride − 1`` zeros between the input pixels, pad ``kernel − 1`` zeros around
   them, and run an ordinary convolution with the kernel flipped.

Output side length: ``(n − 1)·stride + kernel`` for ``"valid"`` and
``n·stride`` for ``"same"`` (:func:`conv2d_transpose_output_size`).

Kernels use the Keras layout ``(kernel_h, kernel_w, out_channels, in_channels)``,
images the channels-last layout ``(height, width, channels)`` or with a batch
axis in front.

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
    """Side length produced by a transposed convolution.

    Args:
        input_size: input height or width ``n``.
        kernel_size: kernel height or width ``k``.
        stride: stride ``s``.
        padding: ``"valid"`` → ``(n − 1)·s + k``; ``"same"`` → ``n·s``.

    Returns:
        The output side length.

    Example:
        >>> conv2d_transpose_output_size(28, 2, 2), conv2d_transpose_output_size(3, 3, 2)
        (56, 7)
    """
    if padding == "valid":
        return (input_size - 1) * stride + kernel_size
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


def _same_crop(full: np.ndarray, input_hw, kernel_hw, strides) -> np.ndarray:
    """Cut the full ('valid') result down to ``n·stride`` the way Keras does.

    Keras takes ``max(k − s, 0)`` pixels off in total, the smaller half at the
    start; when ``k < s`` the result is shorter than ``n·s`` and zeros are added
    at the end.
    """
    out = full
    for axis, (n, k, s) in enumerate(zip(input_hw, kernel_hw, strides), start=1):
        target = n * s
        start = max(k - s, 0) // 2
        out = np.take(out, np.arange(start, min(start + target, out.shape[axis])), axis=axis)
        if out.shape[axis] < target:
            pad = [(0, 0)] * out.ndim
            pad[axis] = (0, target - out.shape[axis])
            out = np.pad(out, pad)
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
        float64 array ``(out_h, out_w, out_channels)`` (with the batch axis if ``x`` had one).

    Example:
        >>> conv2d_transpose(np.ones((3, 3, 1)), np.ones((3, 3, 1, 1)), strides=2).shape
        (7, 7, 1)
    """
    x, kernel, (sh, sw), batched = _prepare(x, kernel, strides, padding)
    batch, height, width, _ = x.shape
    kh, kw, out_channels, _ = kernel.shape
    full = np.zeros((batch, (height - 1) * sh + kh, (width - 1) * sw + kw, out_channels))
    for i in range(height):
        for j in range(width):
            # (batch, in) · (kh, kw, out, in) → (batch, kh, kw, out): a scaled copy of the kernel
            stamp = np.einsum("bc,hwoc->bhwo", x[:, i, j, :], kernel)
            full[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :] += stamp
    out = _same_crop(full, (height, width), (kh, kw), (sh, sw)) if padding == "same" else full
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out if batched else out[0]


def conv2d_transpose_by_zero_insertion(x, kernel, strides=2, padding: str = "valid", bias=None) -> np.ndarray:
    """The same result as :func:`conv2d_transpose`, seen as an ordinary convolution.

    Steps: insert ``stride − 1`` zeros between neighbouring input pixels, pad
    ``kernel − 1`` zeros on every border, then slide the kernel — flipped in
    height and width, with its channel axes swapped — over the result
    (stride 1, no padding).

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
    # 2. kernel − 1 zeros around the border
    padded = np.pad(dilated, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    # 3. ordinary (cross-)correlation with the flipped kernel, in → out channels
    flipped = kernel[::-1, ::-1, :, :]
    out_h, out_w = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    full = np.zeros((batch, out_h, out_w, out_channels))
    for a in range(kh):
        for b in range(kw):
            window = padded[:, a : a + out_h, b : b + out_w, :]
            full += np.einsum("bhwc,oc->bhwo", window, flipped[a, b])
    out = _same_crop(full, (height, width), (kh, kw), (sh, sw)) if padding == "same" else full
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out if batched else out[0]
