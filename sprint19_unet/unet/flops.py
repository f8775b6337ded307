"""How much arithmetic a U-Net does: forward FLOPs counted from its convolutions.

A convolution's cost is its multiply-adds: every output pixel of every output
channel sums ``kernel_height × kernel_width × input_channels`` products. We count
a multiply-add as **2 FLOPs** (one multiply, one add), the usual convention for
quoting TFLOP/s. Only the convolutions are counted (3×3, 2×2 up-convolutions and
the 1×1 head); ReLU, pooling, concatenation and the softmax add well under 1 %.

Two ways to count, which agree exactly:

* :func:`unet_forward_flops` — the arithmetic alone, from the builder's
  arguments (no Keras needed; used for the PyTorch peer in the benchmark);
* :func:`model_forward_flops` — walks a built ``keras.Model`` and counts every
  ``Conv2D`` and ``Conv2DTranspose`` from its real input and output shapes.

How a 2×2 up-convolution is counted (and the round figures people quote): :func:`unet_forward_flops`.

A training step (forward, backward to the activations, backward to the weights)
costs about 3× the forward pass: :data:`TRAINING_FLOPS_FACTOR`.

Example:
    >>> round(unet_forward_flops(572, padding="valid", num_classes=2) / 1e9, 1)   # the paper's network
    300.9
    >>> round(unet_forward_flops(572, padding="valid", num_classes=2, dense_up_conv=True) / 1e9, 1)
    334.6
"""

from __future__ import annotations

import dataclasses

from sprint19_unet.errors import bad_input
from sprint19_unet.unet.parts import UP_MODES
from sprint19_unet.unet.sizes import check_depth, check_padding, unet_output_size

FLOPS_PER_MULTIPLY_ADD = 2
# forward + gradient w.r.t. activations + gradient w.r.t. weights, each about one forward pass
TRAINING_FLOPS_FACTOR = 3


def conv_multiply_adds(out_height: int, out_width: int, kernel_size: int, in_channels: int, out_channels: int) -> int:
    """Multiply-adds of one 2-D convolution (stride 1): out pixels × kernel area × C_in × C_out.

    Example:
        >>> conv_multiply_adds(4, 4, 3, 2, 8)   # 16 pixels · 9 · 2 · 8
        2304
    """
    return out_height * out_width * kernel_size * kernel_size * in_channels * out_channels


@dataclasses.dataclass(frozen=True)
class ConvShape:
    """One convolution of a U-Net as :func:`unet_conv_shapes` walks it.

    ``height × width × out_channels`` is its output; ``multiply_adds`` its real arithmetic
    (a transposed 2×2 up-convolution: each *input* pixel scatters one 2×2 patch).
    """

    name: str
    height: int
    width: int
    kernel_size: int
    in_channels: int
    out_channels: int
    multiply_adds: int

    @property
    def parameters(self) -> int:
        """Kernel weights and biases."""
        return self.kernel_size**2 * self.in_channels * self.out_channels + self.out_channels

    @property
    def output_elements(self) -> int:
        """Numbers in its output for one image."""
        return self.height * self.width * self.out_channels


def unet_conv_shapes(
    input_size: int | tuple[int, int],
    base_filters: int = 64,
    depth: int = 4,
    padding: str = "same",
    in_channels: int = 1,
    num_classes: int = 1,
    up_mode: str = "transpose",
    dense_up_conv: bool = False,
) -> list[ConvShape]:
    """Every convolution of :func:`~sprint19_unet.unet.model.build_unet`, with its shapes, counted by hand.

    Walks the "U" level by level with the same size arithmetic as the builder:
    each 3×3 convolution loses 2 pixels with ``padding="valid"``, pooling halves,
    each 2×2 up-convolution (stride 2) doubles; ``up_mode="resize"`` is an
    upsampling followed by a 2×2 ``same`` convolution at the doubled size, which
    costs 4× the transposed convolution. No framework is needed, so shapes can be
    known before a model too large for the machine is built.

    Args:
        input_size: height and width (an int for a square tile).
        base_filters: channels of the first level (paper: 64).
        depth: number of max poolings (paper: 4).
        padding: ``"same"`` or ``"valid"``.
        in_channels: image channels (1 for grayscale).
        num_classes: output channels of the 1×1 head.
        up_mode: ``"transpose"`` or ``"resize"``.
        dense_up_conv: count each transposed up-convolution as a dense 2×2
            convolution over its output (4× its real multiply-adds; see the
            module docstring). No effect with ``up_mode="resize"``.

    Returns:
        The convolutions in the order the image meets them.

    Raises:
        Sprint19Error: for an input size the U-Net cannot take, or another bad argument.

    Example:
        >>> shapes = unet_conv_shapes(572, padding="valid", num_classes=2)   # the paper's network
        >>> len(shapes), shapes[0].height, shapes[-1].height, sum(s.parameters for s in shapes)
        (23, 570, 388, 31030658)
    """
    check_depth(depth)
    check_padding(padding)
    if up_mode not in UP_MODES:
        raise bad_input("up_mode", repr(up_mode), f"one of {UP_MODES}", "Use 'transpose' as in the paper.")
    height, width = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    for size in (height, width):
        unet_output_size(size, depth, padding)  # raises a teaching error for a bad size
    shrink = 2 if padding == "valid" else 0
    shapes = []

    def conv(name, h, w, kernel, cin, cout, multiply_adds=None):
        shapes.append(ConvShape(name, h, w, kernel, cin, cout,
                                conv_multiply_adds(h, w, kernel, cin, cout) if multiply_adds is None else multiply_adds))
        return h, w

    def double_conv(name, h, w, cin, cout):
        h, w = conv(f"{name}_conv1", h - shrink, w - shrink, 3, cin, cout)
        return conv(f"{name}_conv2", h - shrink, w - shrink, 3, cout, cout)

    h, w, channels = height, width, in_channels
    # === Contracting path ===
    for level in range(1, depth + 1):
        filters = base_filters * 2 ** (level - 1)
        h, w = double_conv(f"contracting_{level}", h, w, channels, filters)
        h, w, channels = h // 2, w // 2, filters
    # === Bottleneck ===
    h, w = double_conv("bottleneck", h, w, channels, base_filters * 2**depth)
    channels = base_filters * 2**depth
    # === Expanding path ===
    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        sparse = up_mode == "transpose" and not dense_up_conv  # each input pixel scatters one 2×2 patch
        h, w = conv(f"up_conv_{level}", 2 * h, 2 * w, 2, channels, filters,
                    conv_multiply_adds(h, w, 2, channels, filters) if sparse else None)
        h, w = double_conv(f"expanding_{level}", h, w, 2 * filters, filters)  # after copy and crop: twice the channels
        channels = filters
    # === 1×1 output convolution ===
    conv("output", h, w, 1, channels, num_classes)
    return shapes


def unet_forward_flops(
    input_size: int | tuple[int, int],
    base_filters: int = 64,
    depth: int = 4,
    padding: str = "same",
    in_channels: int = 1,
    num_classes: int = 1,
    up_mode: str = "transpose",
    dense_up_conv: bool = False,
) -> int:
    """Forward FLOPs of one image through :func:`~sprint19_unet.unet.model.build_unet`, counted by hand.

    A 2×2 up-convolution with stride 2 does ``input pixels × 4 × C_in × C_out``
    multiply-adds: every output pixel receives exactly one kernel tap per input
    channel. Seen as a dense 2×2 convolution over the zero-inserted, upsampled map
    (:func:`sprint19_unet.unet.transposed.conv2d_transpose_by_zero_insertion`) it would
    charge 4× that, 3 of every 4 products being with zeros. ``dense_up_conv=True``
    counts that way; it is the convention behind the round figures people quote
    (paper U-Net at 572² ≈ 335 GFLOP, base 64 at 128² ≈ 27 GFLOP) and about 11 %
    above the arithmetic the network really needs (301 and 24.0 GFLOP). Rates in
    the benchmarks use the real count, so they never flatter us.

    The sum over :func:`unet_conv_shapes` (same arguments) of each convolution's multiply-adds.

    Returns:
        FLOPs (2 per multiply-add) for one image, forward only.

    Raises:
        Sprint19Error: for an input size the U-Net cannot take, or another bad argument.

    Example:
        >>> unet_forward_flops(64, base_filters=8) / 1e9 < 0.15
        True
    """
    shapes = unet_conv_shapes(input_size, base_filters, depth, padding, in_channels, num_classes, up_mode,
                              dense_up_conv)
    return FLOPS_PER_MULTIPLY_ADD * sum(shape.multiply_adds for shape in shapes)


def model_forward_flops(model, dense_up_conv: bool = False) -> int:
    """Forward FLOPs of one image through a built Keras model, from its convolution layers.

    Counts every ``keras.layers.Conv2D`` (including 1×1) from its output shape,
    and every ``keras.layers.Conv2DTranspose`` from its input shape (each input
    pixel multiplies the whole kernel once). Other layers are not counted.

    Args:
        model: a built ``keras.Model`` with fixed height and width (channels last).
        dense_up_conv: count a ``Conv2DTranspose`` from its output shape, like
            a dense convolution over the zero-inserted map (see the module docstring).

    Returns:
        FLOPs (2 per multiply-add) for one image, forward only.

    Raises:
        Sprint19Error: for a model whose height or width is not fixed.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> model = build_unet((64, 64, 1), base_filters=8)
        >>> model_forward_flops(model) == unet_forward_flops(64, base_filters=8)
        True
    """
    import keras  # only here: the hand count above needs no framework

    multiply_adds = 0
    for layer in model.layers:
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            continue
        if isinstance(layer, keras.layers.Conv2DTranspose) and not dense_up_conv:
            _, height, width, in_channels = layer.input.shape
        else:
            _, height, width, _ = layer.output.shape
            in_channels = layer.input.shape[-1]
        if height is None or width is None:
            raise bad_input(
                f"model layer '{layer.name}'", "a variable height or width (None)",
                "a model built for a fixed input size", "Build it with e.g. input_shape=(128, 128, 1).",
            )
        kernel_height, kernel_width = layer.kernel_size  # a strided Conv2D is counted by its (smaller) output
        multiply_adds += height * width * kernel_height * kernel_width * in_channels * layer.filters
    return FLOPS_PER_MULTIPLY_ADD * multiply_adds


def training_step_flops(forward_flops: int, batch_size: int) -> int:
    """FLOPs of one training step: 3 × forward × batch (see :data:`TRAINING_FLOPS_FACTOR`).

    Example:
        >>> training_step_flops(10, batch_size=4)
        120
    """
    return TRAINING_FLOPS_FACTOR * forward_flops * batch_size
