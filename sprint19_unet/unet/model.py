"""The U-Net of Ronneberger, Fischer and Brox (2015), assembled from its parts.

:func:`build_unet` stacks the parts of :mod:`sprint19_unet.unet.parts` — ``depth``
contracting blocks, the bottleneck, ``depth`` expanding blocks and the 1×1 output
convolution — and :func:`paper_unet` returns exactly the paper's network
(572×572×1 → 388×388×2, 31,030,658 parameters). Read it next to Figure 1 of the
paper (arXiv 1505.04597).

Example:
    >>> model = build_unet((128, 128, 1), base_filters=8, depth=3)
    >>> model.output_shape
    (None, 128, 128, 1)
"""

from __future__ import annotations

import keras
from keras import layers

from sprint19_unet.errors import Sprint19Error, bad_input, check_int, is_real
from sprint19_unet.unet.encoders import build_encoder_unet
from sprint19_unet.unet.parts import (
    UP_MODES, bottleneck, built_channels_last, contracting_block, expanding_block, output_head, unpack_input_shape,
)
from sprint19_unet.unet.sizes import check_depth, check_padding, unet_output_size


# === Argument checks ===


def _check_input_shape(input_shape, depth: int, padding: str) -> tuple:
    height, width, channels = unpack_input_shape(input_shape)
    check_int(
        "input_shape channels", channels, 1, "Use 1 for grayscale (TGS, ISBI) or 3 for RGB images."
    )
    for axis_name, size in (("height", height), ("width", width)):
        if size is None:
            if padding == "valid":
                raise bad_input(
                    f"input_shape {axis_name}",
                    "None",
                    "a fixed size with padding='valid' (the crops in copy and crop depend on it)",
                    "Pass a size such as 572, or use padding='same' for any size.",
                )
            continue
        check_int(f"input_shape {axis_name}", size, 1, "Pass a positive image size.")
        try:
            unet_output_size(size, depth, padding)
        except Sprint19Error as error:
            raise Sprint19Error(f"input_shape {axis_name}: {error}") from None
    return tuple(input_shape)


# === The network ===


@built_channels_last
def build_unet(
    input_shape=(128, 128, 1),
    num_classes: int = 1,
    base_filters: int = 64,
    depth: int = 4,
    padding: str = "same",
    batch_norm: bool = False,
    dropout: float = 0.0,
    up_mode: str = "transpose",
    input_standardization: tuple[float, float] | None = None,
    name: str = "unet",
    encoder: str | None = None,
    encoder_weights=None,
    freeze_encoder: bool = False,
) -> keras.Model:
    """Build a U-Net as a functional ``keras.Model``.

    Args:
        input_shape: ``(height, width, channels)``; height and width must pass
            :func:`sprint19_unet.unet.sizes.is_valid_input_size` (e.g. 128 for 'same',
            572 for 'valid'); None allows any size with 'same' padding.
        num_classes: 1 → sigmoid output (binary mask); ≥ 2 → softmax over classes.
        base_filters: channels of the first level (64 in the paper); doubled at
            each level down.
        depth: number of max poolings (4 in the paper).
        padding: ``"same"`` (output size = input size; our default for TGS) or
            ``"valid"`` (the paper: output smaller than input, copy and crop).
        batch_norm: BatchNormalization after every 3×3 convolution (not in the paper).
        dropout: rate of the dropout layers "at the end of the contracting path"
            (after the deepest contracting level and the bottleneck); 0 for none.
        up_mode: ``"transpose"`` (paper's 2×2 up-conv) or ``"resize"``.
        input_standardization: ``(mean, std)`` of the training images; the model
            then starts with a parameter-free ``Rescaling`` layer computing
            ``(x − mean) / std``, so it takes raw [0, 1] images at predict time too.
        name: model name.
        encoder: None (the paper's contracting path), or ``"vgg16"`` /
            ``"resnet50"``: a keras.applications encoder, built by
            :func:`sprint19_unet.unet.encoders.build_encoder_unet` (which then ignores
            ``base_filters`` and ``depth``; it needs ``padding="same"`` and no
            ``input_standardization``: it has the encoder's ImageNet preprocessing).
        encoder_weights: with an encoder: None, ``"imagenet"`` or a weights file path.
        freeze_encoder: with an encoder: make its layers non-trainable.

    Returns:
        The model; its output is (batch, out_height, out_width, num_classes) probabilities.
        It is channels-last whatever Keras's global image data format says
        (:func:`built_channels_last`).

    Raises:
        Sprint19Error: for a bad argument or an impossible input size (the
            message names the nearest valid sizes).

    Example:
        >>> model = build_unet((128, 128, 1), num_classes=3, base_filters=8)
        >>> model.output_shape
        (None, 128, 128, 3)
    """
    if encoder is not None:  # a pretrained contracting path
        if padding != "same" or input_standardization is not None:
            raise bad_input(
                "encoder", f"{encoder!r} with padding={padding!r}, input_standardization={input_standardization!r}",
                "padding='same' and input_standardization=None (the encoder brings its own ImageNet preprocessing)",
                "Drop those arguments, or use encoder=None.",
            )
        return build_encoder_unet(
            input_shape, encoder, num_classes, encoder_weights, freeze_encoder,
            batch_norm=batch_norm, dropout=dropout, up_mode=up_mode, name=name,
        )
    if encoder_weights is not None or freeze_encoder:
        raise bad_input("encoder_weights / freeze_encoder", "a value without an encoder", "encoder='vgg16' or 'resnet50'",
                        "Pass encoder=..., or leave encoder_weights=None and freeze_encoder=False.")
    check_depth(depth)
    check_padding(padding)
    check_int("num_classes", num_classes, 1, "Use 1 for a binary mask, or the number of classes.")
    check_int("base_filters", base_filters, 1, "Use 64 as in the paper, or 16 for a fast CPU model.")
    if not is_real(dropout) or not 0.0 <= dropout < 1.0:
        raise bad_input("dropout", repr(dropout), "a rate in [0, 1)", "Use 0.0 for none or 0.5 as in the paper.")
    if up_mode not in UP_MODES:
        raise bad_input("up_mode", repr(up_mode), f"one of {UP_MODES}", "Use 'transpose' as in the paper.")
    if not isinstance(batch_norm, bool):
        raise bad_input("batch_norm", repr(batch_norm), "True or False", "Pass batch_norm=True or False.")
    input_shape = _check_input_shape(input_shape, depth, padding)

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if input_standardization is not None:
        mean, std = (float(value) for value in input_standardization)
        if not std > 0:
            raise bad_input("input_standardization", repr(input_standardization), "(mean, std) with std > 0",
                            "Pass the mean and standard deviation of the training images.")
        x = layers.Rescaling(1.0 / std, offset=-mean / std, name="input_standardization")(x)

    # === Contracting path ===
    copied_features = []
    for level in range(1, depth + 1):
        level_dropout = dropout if level == depth else 0.0
        features, x = contracting_block(
            x, base_filters * 2 ** (level - 1), level, padding, batch_norm, level_dropout
        )
        copied_features.append(features)

    # === Bottleneck ===
    x = bottleneck(x, base_filters * 2**depth, padding, batch_norm, dropout)

    # === Expanding path ===
    for level in range(depth, 0, -1):
        x = expanding_block(
            x, copied_features[level - 1], base_filters * 2 ** (level - 1), level, padding, batch_norm, up_mode
        )

    # === 1×1 output convolution ===
    outputs = output_head(x, num_classes)
    return keras.Model(inputs, outputs, name=name)


def paper_unet() -> keras.Model:
    """Exactly the network of Figure 1 of the paper.

    572×572×1 input tile, unpadded convolutions, 64 → 1024 channels, dropout 0.5
    at the end of the contracting path, 2×2 up-convolutions, a 1×1 convolution to
    2 classes with softmax: output 388×388×2, 23 convolutional layers and
    31,030,658 parameters.

    Returns:
        The model.

    Example:
        >>> m = paper_unet()
        >>> m.output_shape, m.count_params()
        ((None, 388, 388, 2), 31030658)
    """
    return build_unet(
        (572, 572, 1),
        num_classes=2,
        base_filters=64,
        depth=4,
        padding="valid",
        dropout=0.5,
        name="paper_unet",
    )


def count_conv_layers(model: keras.Model) -> int:
    """Count the convolutional layers (3×3, 1×1 and 2×2 up-convolutions).

    The paper's count is 23: 18 3×3 convolutions, 4 up-convolutions, 1 1×1.

    Args:
        model: a Keras model.

    Returns:
        The number of ``Conv2D`` and ``Conv2DTranspose`` layers.

    Example:
        >>> count_conv_layers(paper_unet())
        23
    """
    return sum(isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)) for layer in model.layers)
