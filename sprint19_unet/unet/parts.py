"""The U-Net's parts, in the paper's words (Ronneberger, Fischer, Brox 2015, Figure 1).

* **contracting path** — :func:`contracting_block`: two 3×3 convolutions, each
  followed by ReLU, then 2×2 max pooling with stride 2; the number of channels
  doubles at every level (64, 128, 256, 512).
* **bottleneck** — :func:`bottleneck`: two 3×3 convolutions with 1024 channels.
* **expanding path** — :func:`expanding_block`: an :func:`up_conv` (2×2
  transposed convolution, stride 2, halving the channels), :func:`copy_and_crop`
  (concatenate the contracting path's feature map, cropped to size when the
  convolutions are unpadded), then two 3×3 convolutions with ReLU.
* **1×1 output convolution** — :func:`output_head`: maps 64 channels to the
  classes; sigmoid for one class, softmax over the class channel otherwise.

Layer names carry the same words (``contracting1_conv1``, ``expanding4_up_conv``,
``expanding4_copy_concat``, ``output_conv1x1``, …) so ``model.summary()`` reads like the figure;
:mod:`sprint19_unet.unet.model` assembles the network. ``keras`` layers only (no ``tf.*``, no
Lambda): every backend, and Keras safe mode.

Example:
    >>> inputs = keras.Input((64, 64, 1))
    >>> features, pooled = contracting_block(inputs, 8, level=1)
    >>> tuple(features.shape), tuple(pooled.shape)
    ((None, 64, 64, 8), (None, 32, 32, 8))
"""

from __future__ import annotations

import functools

import keras
from keras import layers

from sprint19_unet.errors import bad_input

UP_MODES = ("transpose", "resize")

# He initialisation: the paper draws weights from a Gaussian with std sqrt(2/N).
KERNEL_INITIALIZER = "he_normal"


# === Building blocks, in the paper's words ===


def built_channels_last(build):
    """Decorator: build a model with Keras's image data format set to channels-last.

    Our U-Nets index channels last everywhere (inputs ``(h, w, c)``, skip
    concatenation on axis −1), which is also the layout GPU tensor cores prefer.
    A global ``"channels_first"`` (in ``~/.keras/keras.json`` or from
    ``keras.config.set_image_data_format``) would otherwise make every
    convolution read the width as channels. The format is set only while the
    model is built and then restored; the layers store it, so saved models
    stay channels-last wherever they are loaded.

    Args:
        build: a function that builds and returns a model.

    Returns:
        The same function, building channels-last.

    Example:
        >>> @built_channels_last
        ... def tiny():
        ...     return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
        >>> tiny().layers[0].data_format
        'channels_last'
    """

    @functools.wraps(build)
    def build_channels_last(*args, **kwargs):
        previous = keras.config.image_data_format()
        keras.config.set_image_data_format("channels_last")
        try:
            return build(*args, **kwargs)
        finally:
            keras.config.set_image_data_format(previous)

    return build_channels_last


def conv_block(x, filters: int, prefix: str, padding: str = "same", batch_norm: bool = False):
    """Two 3×3 convolutions, each followed by ReLU (optionally BatchNorm before ReLU).

    Args:
        x: input tensor (batch, height, width, channels).
        filters: output channels of both convolutions.
        prefix: layer-name prefix, e.g. ``"contracting1"``.
        padding: ``"valid"`` (paper: each conv shrinks by 2) or ``"same"``.
        batch_norm: insert BatchNormalization between each conv and its ReLU.

    Returns:
        The output tensor.

    Example:
        >>> x = keras.Input((64, 64, 1))
        >>> tuple(conv_block(x, 8, "demo", padding="valid").shape)
        (None, 60, 60, 8)
    """
    for i in (1, 2):
        x = layers.Conv2D(
            filters,
            3,
            padding=padding,
            use_bias=not batch_norm,
            activation=None if batch_norm else "relu",
            kernel_initializer=KERNEL_INITIALIZER,
            name=f"{prefix}_conv{i}",
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{prefix}_bn{i}")(x)
            x = layers.Activation("relu", name=f"{prefix}_relu{i}")(x)
    return x


def contracting_block(
    x, filters: int, level: int, padding: str = "same", batch_norm: bool = False, dropout: float = 0.0
):
    """One level of the contracting path: two 3×3 conv + ReLU, then 2×2 max pooling.

    Args:
        x: input tensor.
        filters: channels at this level (64 · 2**(level − 1) in the paper).
        level: 1 for the top level; used in layer names.
        padding: ``"valid"`` or ``"same"``.
        batch_norm: add BatchNormalization.
        dropout: dropout rate applied before pooling (0 for none); the builder
            uses it only at the deepest level, "at the end of the contracting path".

    Returns:
        ``(features, pooled)``: the feature map copied to the expanding path, and
        the pooled map passed down.

    Example:
        >>> features, pooled = contracting_block(keras.Input((64, 64, 1)), 8, level=1)
        >>> tuple(features.shape), tuple(pooled.shape)
        ((None, 64, 64, 8), (None, 32, 32, 8))
    """
    prefix = f"contracting{level}"
    features = conv_block(x, filters, prefix, padding, batch_norm)
    if dropout > 0:
        features = layers.Dropout(dropout, name=f"{prefix}_dropout")(features)
    pooled = layers.MaxPooling2D(pool_size=2, strides=2, name=f"{prefix}_max_pool")(features)
    return features, pooled


def bottleneck(x, filters: int, padding: str = "same", batch_norm: bool = False, dropout: float = 0.0):
    """The bottom of the "U": two 3×3 conv + ReLU with the most channels (1024 in the paper).

    Args:
        x: input tensor (the last pooled map).
        filters: channels, ``base_filters * 2**depth``.
        padding: ``"valid"`` or ``"same"``.
        batch_norm: add BatchNormalization.
        dropout: dropout rate after the convolutions (0 for none).

    Returns:
        The output tensor.

    Example:
        >>> tuple(bottleneck(keras.Input((8, 8, 16)), 32).shape)
        (None, 8, 8, 32)
    """
    x = conv_block(x, filters, "bottleneck", padding, batch_norm)
    if dropout > 0:
        x = layers.Dropout(dropout, name="bottleneck_dropout")(x)
    return x


def up_conv(x, filters: int, level: int, mode: str = "transpose"):
    """The paper's "up-convolution": doubles height and width, halves the channels.

    Args:
        x: input tensor.
        filters: output channels (half the input's).
        level: expanding level, used in the layer name.
        mode: ``"transpose"`` — a 2×2 ``Conv2DTranspose`` with stride 2 (the
            paper); ``"resize"`` — nearest-neighbour upsampling then a 2×2
            convolution (no checkerboard artifacts; what zhixuhao/unet used).

    Returns:
        The upsampled tensor.

    Example:
        >>> tuple(up_conv(keras.Input((8, 8, 32)), 16, level=1).shape)
        (None, 16, 16, 16)
    """
    name = f"expanding{level}_up_conv"
    if mode == "transpose":
        return layers.Conv2DTranspose(
            filters, 2, strides=2, kernel_initializer=KERNEL_INITIALIZER, name=name
        )(x)
    x = layers.UpSampling2D(2, interpolation="nearest", name=f"expanding{level}_upsample")(x)
    return layers.Conv2D(filters, 2, padding="same", kernel_initializer=KERNEL_INITIALIZER, name=name)(x)


def copy_and_crop(features, upsampled, level: int):
    """Concatenate the contracting path's feature map onto the upsampled one.

    With unpadded convolutions the contracting map is larger ("due to the loss of
    border pixels in every convolution"), so its centre is cropped to the
    upsampled size first (layer ``expanding{level}_crop``). The paper puts the
    copied features first in the concatenation.

    Args:
        features: feature map from contracting level ``level``.
        upsampled: output of :func:`up_conv` at the same level.
        level: level number, used in layer names.

    Returns:
        The concatenated tensor (channels = both inputs' channels).

    Raises:
        Sprint19Error: when the contracting map is smaller than the upsampled one.

    Example:
        >>> f, u = keras.Input((64, 64, 8)), keras.Input((56, 56, 8))
        >>> tuple(copy_and_crop(f, u, level=1).shape)
        (None, 56, 56, 16)
    """
    crop = []
    for axis in (1, 2):
        big, small = features.shape[axis], upsampled.shape[axis]
        if big is None or small is None:
            crop.append((0, 0))
            continue
        if big < small:
            raise bad_input(
                f"copy and crop at level {level}",
                f"a contracting map of {big} pixels and an upsampled map of {small}",
                "the contracting map to be at least as large",
                "Check the input size with sprint19_unet.unet.sizes.unet_output_size.",
            )
        crop.append(((big - small) // 2, big - small - (big - small) // 2))
    if any(sum(pair) for pair in crop):
        features = layers.Cropping2D(tuple(crop), name=f"expanding{level}_crop")(features)
    return layers.Concatenate(axis=-1, name=f"expanding{level}_copy_concat")([features, upsampled])


def expanding_block(
    x,
    features,
    filters: int,
    level: int,
    padding: str = "same",
    batch_norm: bool = False,
    up_mode: str = "transpose",
):
    """One level of the expanding path: up-conv, copy and crop, two 3×3 conv + ReLU.

    Args:
        x: input tensor from the level below.
        features: the feature map of contracting level ``level``.
        filters: channels at this level (half of ``x``'s).
        level: level number; pairs with ``contracting{level}``.
        padding: ``"valid"`` or ``"same"``.
        batch_norm: add BatchNormalization.
        up_mode: see :func:`up_conv`.

    Returns:
        The output tensor.

    Example:
        >>> x, f = keras.Input((8, 8, 32)), keras.Input((16, 16, 16))
        >>> tuple(expanding_block(x, f, 16, level=1).shape)
        (None, 16, 16, 16)
    """
    upsampled = up_conv(x, filters, level, up_mode)
    x = copy_and_crop(features, upsampled, level)
    return conv_block(x, filters, f"expanding{level}", padding, batch_norm)


def output_head(x, num_classes: int):
    """The final 1×1 convolution and the per-pixel activation.

    Sigmoid for ``num_classes == 1`` (binary masks, e.g. TGS salt), softmax over
    the class channel otherwise (probabilities sum to 1 at every pixel). The
    activation runs in float32 so mixed precision keeps a stable output.

    Args:
        x: input tensor (64 channels in the paper).
        num_classes: number of output channels.

    Returns:
        The probability map (batch, height, width, num_classes).

    Example:
        >>> tuple(output_head(keras.Input((16, 16, 8)), 2).shape)
        (None, 16, 16, 2)
    """
    x = layers.Conv2D(num_classes, 1, kernel_initializer="glorot_uniform", name="output_conv1x1")(x)
    activation = "sigmoid" if num_classes == 1 else "softmax"
    return layers.Activation(activation, dtype="float32", name=f"output_{activation}")(x)


# === Argument checks shared with the encoders ===


def unpack_input_shape(input_shape) -> tuple:
    """Split ``(height, width, channels)``, refusing any other length (shared with the encoders).

    Args:
        input_shape: the shape of one image, without the batch axis.

    Returns:
        ``(height, width, channels)``.

    Raises:
        Sprint19Error: for anything that is not a triple.

    Example:
        >>> unpack_input_shape((128, 128, 1))
        (128, 128, 1)
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise bad_input(
            "input_shape",
            repr(input_shape),
            "(height, width, channels) for one image, without the batch axis",
            "Pass e.g. input_shape=(128, 128, 1) for grayscale 128×128 tiles.",
        )
    return tuple(input_shape)
