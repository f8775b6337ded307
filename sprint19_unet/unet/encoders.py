"""U-Nets with a pretrained encoder: VGG16 or ResNet50 from ``keras.applications``.

The contracting path of our U-Net is replaced by an image-classification network
(include_top=False); the expanding path is ours: the same :func:`~sprint19_unet.unet.parts.up_conv`,
:func:`~sprint19_unet.unet.parts.copy_and_crop` and :func:`~sprint19_unet.unet.parts.conv_block`,
with the same layer names (``expanding4_up_conv``, ``expanding4_copy_concat``, …). The copied
feature maps come from NAMED encoder layers, one per resolution: :data:`ENCODERS` lists them
(VGG16: ``block1_conv2`` … ``block4_conv3``, bottleneck ``block5_conv3``, total stride 16;
ResNet50: ``conv1_relu`` … ``conv4_block6_out``, bottleneck ``conv5_block3_out``, total stride 32,
so its expanding path ends with one more up-convolution, ``expanding0_…``). Input height and
width are multiples of the total stride, at least 32.

The model takes images in [0, 1], grayscale or RGB, like every model here, and does ImageNet's
preprocessing with parameter-free layers (:func:`build_encoder_unet` says how); ImageNet weights
load offline from Keras's cache or a file, and a file that does not fit is refused
(:func:`_load_encoder_weights`); :func:`unfreeze_encoder` and :func:`fine_tune_learning_rate`
are the fine-tuning recipe. Only ``keras`` layers are used (no ``tf.*``, no Lambda layers), so a
saved model loads with ``keras.models.load_model`` and no ``custom_objects``.

Example:
    >>> model = build_encoder_unet((64, 64, 1), encoder="vgg16")
    >>> model.output_shape
    (None, 64, 64, 1)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import warnings
from pathlib import Path

import keras
from keras import layers

from sprint19_unet.errors import bad_input, check_int, is_integer, is_real
from sprint19_unet.unet.parts import (
    UP_MODES, built_channels_last, conv_block, expanding_block, output_head, unpack_input_shape, up_conv,
)
from sprint19_unet.unet.sizes import nearest_valid_input_sizes

# ImageNet mean in RGB order, on the 0–255 scale ("caffe" mode of keras.applications,
# which lists it in BGR order: 103.939, 116.779, 123.68).
IMAGENET_MEAN_RGB = (123.68, 116.779, 103.939)

# keras.applications refuses inputs smaller than this.
MIN_INPUT_SIZE = 32

WEIGHTS_FORMATS = (".h5",)  # also matches ".weights.h5"


# === The encoders ===


@dataclasses.dataclass(frozen=True)
class EncoderSpec:
    """Where a keras.applications network plugs into the U-Net.

    Args:
        application: name of the constructor in ``keras.applications``.
        skip_layers: layers copied to the expanding path, level 1 (finest) first.
        bottleneck_layer: the deepest feature map (bottom of the "U").
        total_stride: input side / bottleneck side; inputs must be multiples of it.
        first_skip_stride: input side / side of ``skip_layers[0]`` (2: one more
            up-convolution back to full resolution).
        blocks: layer-name prefixes of each block (stage), block 1 first; used
            to find, freeze and unfreeze the encoder's layers.
        first_conv: the first convolution (its input channels are flipped RGB → BGR).
        decoder_filters: default channels of the expanding levels, deepest first.
        weights_file: the ImageNet weights file name in ``~/.keras/models/``.
        weights_url: where keras.applications downloads it from.
        weights_hash: its MD5 hash, as keras.applications checks it.
    """

    application: str
    skip_layers: tuple
    bottleneck_layer: str
    total_stride: int
    first_skip_stride: int
    blocks: tuple
    first_conv: str
    decoder_filters: tuple
    weights_file: str
    weights_url: str
    weights_hash: str


_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

ENCODERS = {
    "vgg16": EncoderSpec(
        application="VGG16",
        skip_layers=("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"),
        bottleneck_layer="block5_conv3",
        total_stride=16,
        first_skip_stride=1,
        blocks=(("block1_",), ("block2_",), ("block3_",), ("block4_",), ("block5_",)),
        first_conv="block1_conv1",
        decoder_filters=(256, 128, 64, 32),
        weights_file="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_url=_KERAS_WEIGHTS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_hash="6d6bbae143d832006294945121d1f1fc",
    ),
    "resnet50": EncoderSpec(
        application="ResNet50",
        skip_layers=("conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out"),
        bottleneck_layer="conv5_block3_out",
        total_stride=32,
        first_skip_stride=2,
        blocks=(("conv1_", "pool1_"), ("conv2_",), ("conv3_",), ("conv4_",), ("conv5_",)),
        first_conv="conv1_conv",
        decoder_filters=(256, 128, 64, 32, 16),
        weights_file="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_url=_KERAS_WEIGHTS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_hash="4d473c1dd8becc155b73f8504c6f6626",
    ),
}
ENCODER_NAMES = tuple(ENCODERS)


# === Argument checks ===


def _check_encoder(encoder) -> EncoderSpec:
    if encoder not in ENCODERS:
        close = difflib.get_close_matches(str(encoder).lower(), ENCODER_NAMES, n=1)
        hint = f"Did you mean '{close[0]}'?" if close else "Use encoder='vgg16' or encoder='resnet50'."
        raise bad_input("encoder", repr(encoder), f"one of {', '.join(repr(n) for n in ENCODER_NAMES)}", hint)
    return ENCODERS[encoder]


def _check_input_shape(input_shape, encoder: str, spec: EncoderSpec) -> tuple:
    height, width, channels = unpack_input_shape(input_shape)
    if channels not in (1, 3) or isinstance(channels, bool):
        raise bad_input(
            "input_shape channels",
            repr(channels),
            f"1 (grayscale, repeated to 3 channels) or 3 (RGB) for the {encoder} encoder",
            "Convert the images to grayscale or RGB.",
        )
    depth = int(math.log2(spec.total_stride))
    for axis_name, size in (("height", height), ("width", width)):
        if size is None:
            continue
        if not is_integer(size) or size < 1:
            raise bad_input(f"input_shape {axis_name}", repr(size), "a positive integer", "Pass a positive image size.")
        if size % spec.total_stride == 0 and size >= MIN_INPUT_SIZE:
            continue
        below, above = nearest_valid_input_sizes(size, depth=depth, padding="same")
        above = max(above, MIN_INPUT_SIZE)
        nearest = f"{below} or {above}" if below and below >= MIN_INPUT_SIZE else f"{above}"
        raise bad_input(
            f"input_shape {axis_name}",
            size,
            f"a multiple of {spec.total_stride} (the total stride of the {encoder} encoder) and at least "
            f"{MIN_INPUT_SIZE}",
            f"Nearest valid sizes: {nearest}. Pad the images to {above}×{above} with "
            "sprint19_unet.data.prepare.pad_to_size (TGS 101×101 → 128×128 fits both encoders), or resize them.",
        )
    return tuple(input_shape)


def _check_decoder_filters(decoder_filters, spec: EncoderSpec) -> tuple:
    if decoder_filters is None:
        return spec.decoder_filters
    count = len(spec.decoder_filters)
    valid = isinstance(decoder_filters, (tuple, list)) and len(decoder_filters) == count
    if valid:
        valid = all(is_integer(f) and f >= 1 for f in decoder_filters)
    if not valid:
        raise bad_input(
            "decoder_filters",
            repr(decoder_filters),
            f"{count} positive integers, one per up-convolution, deepest first",
            f"Use e.g. decoder_filters={spec.decoder_filters}, or None for that default.",
        )
    return tuple(decoder_filters)


# === Weights ===


def _weights_path(encoder: str, spec: EncoderSpec, encoder_weights) -> Path | None:
    """The local file holding the encoder's weights, downloading ImageNet weights once."""
    if encoder_weights is None:
        return None
    if encoder_weights == "imagenet":
        try:
            return Path(
                keras.utils.get_file(
                    spec.weights_file, spec.weights_url, cache_subdir="models", file_hash=spec.weights_hash
                )
            )
        except Exception as error:  # keras raises a bare Exception for a failed URL fetch
            reason = " ".join(str(error).split())[:300]
            raise bad_input(
                "encoder_weights='imagenet'",
                f"a failed download of the {encoder} ImageNet weights ({reason})",
                f"network access once, or the cached file ~/.keras/models/{spec.weights_file}",
                f"Run build_encoder_unet(..., encoder='{encoder}', encoder_weights='imagenet') once on a machine "
                f"with network access (Keras caches {spec.weights_file} in ~/.keras/models/), or download "
                f"{spec.weights_url} yourself and pass encoder_weights='/path/to/{spec.weights_file}'; "
                "or use encoder_weights=None (random encoder) offline.",
            ) from None
    if not isinstance(encoder_weights, (str, os.PathLike)):
        raise bad_input(
            "encoder_weights",
            repr(encoder_weights),
            "None, 'imagenet' or the path to a .h5 / .weights.h5 file",
            "Pass encoder_weights=None offline, or 'imagenet'.",
        )
    path = Path(encoder_weights)
    if not str(path).endswith(WEIGHTS_FORMATS):
        raise bad_input(
            "encoder_weights",
            repr(str(encoder_weights)),
            "None, 'imagenet' or the path to a .h5 / .weights.h5 weights file",
            f"Pass the path of {spec.weights_file} (as Keras caches it in ~/.keras/models/).",
        )
    if not path.is_file():
        raise bad_input(
            "encoder_weights",
            f"'{path}', a path that does not exist",
            "an existing .h5 / .weights.h5 weights file",
            f"Check the path; Keras caches the ImageNet file as ~/.keras/models/{spec.weights_file}.",
        )
    return path


def _load_encoder_weights(model: keras.Model, encoder: str, spec: EncoderSpec, path: Path) -> None:
    """Load a keras.applications weights file into the encoder layers of ``model``.

    ``encoder_weights="imagenet"`` fetches the file keras.applications uses, with
    ``keras.utils.get_file`` into the same cache (``~/.keras/models/``; URL and hash of Keras 3.15):
    offline and without that cached file, one :class:`Sprint19Error` says what to do. A path (that file
    copied from a machine with network access, or a ``.weights.h5`` saved from a keras.applications
    model with ``include_top=False``) is loaded here. A file that does not fit every encoder layer is
    refused, never loaded in part (no ``skip_mismatch``): a half-random encoder would fail silently,
    much later.

    The file is loaded into a stand-alone copy of the application (exactly the
    model it was saved from), then copied layer by layer by name. The first
    convolution's input channels are reversed: the weights expect BGR input,
    our model is fed RGB (see :func:`build_encoder_unet`).
    """
    standalone = getattr(keras.applications, spec.application)(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    problem = None
    with warnings.catch_warnings(record=True) as caught:  # Keras warns, then loads partially, for a wrong file
        warnings.simplefilter("always")
        try:
            standalone.load_weights(str(path))
        except Exception as error:  # h5py / Keras raise several types for a wrong file
            problem = error
    user_warnings = [warning for warning in caught if issubclass(warning.category, UserWarning)]
    if problem is None and user_warnings:
        problem = user_warnings[0].message
    if problem is not None:
        reason = " ".join(str(problem).split())[:300]
        raise bad_input(
            f"encoder_weights file '{path}'",
            f"a file that does not fit keras.applications.{spec.application}(include_top=False) ({reason})",
            f"the {encoder} weights without the classifier top",
            f"Pass {spec.weights_file} as keras.applications downloads it (~/.keras/models/).",
        ) from None
    for layer in standalone.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if layer.name == spec.first_conv:
            weights[0] = weights[0][:, :, ::-1, :]  # BGR → RGB input channels
        model.get_layer(layer.name).set_weights(weights)


# === The network ===


@built_channels_last
def build_encoder_unet(
    input_shape=(128, 128, 1),
    encoder: str = "vgg16",
    num_classes: int = 1,
    encoder_weights=None,
    freeze_encoder: bool = False,
    decoder_filters=None,
    batch_norm: bool = False,
    dropout: float = 0.0,
    up_mode: str = "transpose",
    name: str | None = None,
) -> keras.Model:
    """Build a U-Net whose contracting path is a VGG16 or ResNet50 (keras.applications).

    **Input and preprocessing.** A grayscale image is repeated to 3 channels by a parameter-free
    ``Concatenate`` (layer ``grayscale_to_rgb``). The ImageNet weights expect "caffe" preprocessing
    (``keras.applications.vgg16.preprocess_input``): values 0–255, channels in BGR order, the ImageNet
    mean subtracted per channel. Done with layers only: ``imagenet_preprocessing`` is one
    ``Rescaling(255, offset=-mean)`` (the mean in RGB order, 123.68, 116.779, 103.939), and the
    RGB → BGR flip is folded into the weights: when ImageNet weights are loaded, the input-channel axis
    of the first convolution (``block1_conv1`` / ``conv1_conv``) is reversed — mathematically the same,
    with no fixed-weight layer. The same preprocessing is used with ``encoder_weights=None``, so a
    model's input convention never depends on where its weights came from.

    VGG16's blocks 1–4 plus block 5's convolutions are the U-Net's contracting path almost exactly
    (2–3 convolutions per level, 64 → 512 channels; block5_pool unused). ResNet50's first feature map
    is already at half resolution, hence its extra up-convolution (``expanding0_up_conv`` and
    ``expanding0_conv1/2``, nothing to copy) back to the input size.

    Args:
        input_shape: ``(height, width, channels)``: images in [0, 1] with 1
            (grayscale) or 3 (RGB) channels; height and width multiples of the
            encoder's total stride (16 for vgg16, 32 for resnet50), at least 32,
            or None for any such size.
        encoder: ``"vgg16"`` or ``"resnet50"``.
        num_classes: 1 → sigmoid output (binary mask); ≥ 2 → softmax over classes.
        encoder_weights: None (random encoder, works offline), ``"imagenet"``
            (downloaded once into ``~/.keras/models/``), or the path to a
            ``.h5`` / ``.weights.h5`` file of the encoder without its top.
        freeze_encoder: make every encoder layer non-trainable (train only the
            expanding path; BatchNorm layers then run in inference mode).
        decoder_filters: channels of each expanding level, deepest first (4
            numbers for vgg16, 5 for resnet50); None for
            ``ENCODERS[encoder].decoder_filters``.
        batch_norm: BatchNormalization in the expanding path's convolutions.
        dropout: dropout rate on the bottleneck features, "at the end of the
            contracting path"; 0 for none.
        up_mode: ``"transpose"`` (2×2 up-convolution) or ``"resize"``; see
            :func:`~sprint19_unet.unet.parts.up_conv`.
        name: model name; default ``"{encoder}_unet"``.

    Returns:
        A functional ``keras.Model`` (batch, height, width, num_classes). The
        encoder's layers keep their keras.applications names (``block3_conv3``,
        ``conv4_block6_out``, …).

    Raises:
        Sprint19Error: for a bad argument, an input size the encoder cannot
            take (naming the nearest valid sizes), ImageNet weights that cannot
            be downloaded, or a weights file that is missing or does not fit.

    Example:
        >>> model = build_encoder_unet((128, 128, 1), encoder="resnet50", num_classes=3)
        >>> model.output_shape, model.get_layer("conv4_block6_out").output.shape
        ((None, 128, 128, 3), (None, 8, 8, 1024))
    """
    spec = _check_encoder(encoder)
    input_shape = _check_input_shape(input_shape, encoder, spec)
    check_int("num_classes", num_classes, 1, "Use 1 for a binary mask, or the number of classes.")
    decoder_filters = _check_decoder_filters(decoder_filters, spec)
    for flag_name, flag in (("freeze_encoder", freeze_encoder), ("batch_norm", batch_norm)):
        if not isinstance(flag, bool):
            raise bad_input(flag_name, repr(flag), "True or False", f"Pass {flag_name}=True or False.")
    if not is_real(dropout) or not 0.0 <= dropout < 1.0:
        raise bad_input("dropout", repr(dropout), "a rate in [0, 1)", "Use 0.0 for none or 0.5 as in the paper.")
    if up_mode not in UP_MODES:
        raise bad_input("up_mode", repr(up_mode), f"one of {UP_MODES}", "Use 'transpose' as in the paper.")
    weights_path = _weights_path(encoder, spec, encoder_weights)  # before building: fail fast

    # === Encoder input: grayscale → 3 channels, ImageNet ("caffe") preprocessing ===
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if input_shape[-1] == 1:
        x = layers.Concatenate(axis=-1, name="grayscale_to_rgb")([x, x, x])
    x = layers.Rescaling(255.0, offset=[-mean for mean in IMAGENET_MEAN_RGB], name="imagenet_preprocessing")(x)

    # === Contracting path: the pretrained encoder ===
    application = getattr(keras.applications, spec.application)(include_top=False, weights=None, input_tensor=x)
    copied_features = [application.get_layer(layer_name).output for layer_name in spec.skip_layers]

    # === Bottleneck ===
    x = application.get_layer(spec.bottleneck_layer).output
    if dropout > 0:
        x = layers.Dropout(dropout, name="bottleneck_dropout")(x)

    # === Expanding path ===
    levels = len(spec.skip_layers)
    for level, filters in zip(range(levels, 0, -1), decoder_filters):
        x = expanding_block(x, copied_features[level - 1], filters, level, "same", batch_norm, up_mode)
    if spec.first_skip_stride == 2:  # ResNet50: the finest copied map is at 1/2; one more up-conv, nothing to copy
        x = up_conv(x, decoder_filters[-1], 0, up_mode)
        x = conv_block(x, decoder_filters[-1], "expanding0", "same", batch_norm)

    # === 1×1 output convolution ===
    outputs = output_head(x, num_classes)
    model = keras.Model(inputs, outputs, name=name or f"{encoder}_unet")

    if weights_path is not None:
        _load_encoder_weights(model, encoder, spec, weights_path)
    if freeze_encoder:
        for layer in encoder_layers(model):
            layer.trainable = False
    return model


# === Freezing and fine-tuning ===


def encoder_of(model: keras.Model) -> str:
    """Which encoder a model built by :func:`build_encoder_unet` has (also after loading it).

    Args:
        model: the model.

    Returns:
        ``"vgg16"`` or ``"resnet50"``.

    Raises:
        Sprint19Error: when the model has neither encoder's layers.

    Example:
        >>> encoder_of(build_encoder_unet((64, 64, 1), encoder="vgg16"))
        'vgg16'
    """
    names = {layer.name for layer in model.layers}
    for encoder, spec in ENCODERS.items():
        if {*spec.skip_layers, spec.bottleneck_layer} <= names:
            return encoder
    raise bad_input(
        f"model '{model.name}'",
        "a model without a vgg16 or resnet50 encoder",
        "a model built by build_encoder_unet (or build_unet(encoder=...))",
        "Build it with sprint19_unet.build_encoder_unet(input_shape, encoder='vgg16').",
    )


def encoder_layers(model: keras.Model, blocks: int | None = None) -> list:
    """The encoder's layers of a model, all of them or those of the top (deepest) blocks.

    Args:
        model: a model built by :func:`build_encoder_unet`.
        blocks: None for the whole encoder, or N for the deepest N blocks
            (VGG16 blocks block1 … block5; ResNet50 stages conv1 … conv5).

    Returns:
        The layers, in model order.

    Example:
        >>> [layer.name for layer in encoder_layers(build_encoder_unet((64, 64, 1)), blocks=1)]
        ['block5_conv1', 'block5_conv2', 'block5_conv3']
    """
    spec = ENCODERS[encoder_of(model)]
    total = len(spec.blocks)
    if blocks is not None and (not is_integer(blocks) or not 1 <= blocks <= total):
        raise bad_input(
            "blocks", repr(blocks), f"None (the whole encoder) or an integer from 1 to {total}",
            "Pass blocks=1 to unfreeze only the deepest block, or None for all.",
        )
    chosen = spec.blocks if blocks is None else spec.blocks[total - blocks:]
    prefixes = tuple(prefix for block in chosen for prefix in block)
    return [layer for layer in model.layers if layer.name.startswith(prefixes)]


def unfreeze_encoder(model: keras.Model, blocks: int | None = None, keep_batch_norm_frozen: bool = True) -> int:
    """Make the encoder (or its deepest ``blocks`` blocks) trainable again, for fine-tuning.

    ``freeze_encoder=True`` made its layers non-trainable; they are found by their keras.applications
    names (:func:`encoder_layers`), so this also works on a model loaded from a ``.keras`` file.

    The usual recipe: train the expanding path with a frozen encoder
    (``freeze_encoder=True``) until the validation score levels off, then
    unfreeze, **compile again** (Keras fixes the trainable weights at compile
    time) with a learning rate about 10× lower (:func:`fine_tune_learning_rate`),
    and train a few more epochs. A large learning rate would wreck the
    pretrained filters in the first steps.

    Args:
        model: a model built by :func:`build_encoder_unet`.
        blocks: None for the whole encoder; N for the deepest N blocks (VGG16:
            block5, block4, …; ResNet50: conv5, conv4, …). Shallower blocks stay
            as they are.
        keep_batch_norm_frozen: leave BatchNormalization layers (ResNet50) in
            inference mode, as the Keras transfer-learning guide advises: their
            ImageNet statistics survive small fine-tuning batches.

    Returns:
        The number of trainable weight tensors of the whole model afterwards
        (``len(model.trainable_weights)``).

    Example:
        >>> model = build_encoder_unet((64, 64, 1), freeze_encoder=True)
        >>> len(model.trainable_weights), unfreeze_encoder(model, blocks=1)
        (26, 32)
    """
    for layer in encoder_layers(model, blocks):
        if keep_batch_norm_frozen and isinstance(layer, layers.BatchNormalization):
            continue
        layer.trainable = True
    return len(model.trainable_weights)


def fine_tune_learning_rate(learning_rate: float, factor: float = 10.0) -> float:
    """The learning rate for fine-tuning an unfrozen encoder: ``factor`` times lower.

    Example:
        >>> fine_tune_learning_rate(1e-3)
        0.0001
    """
    if not is_real(learning_rate) or learning_rate <= 0:
        raise bad_input("learning_rate", repr(learning_rate), "a positive number", "Pass e.g. 1e-3.")
    if not is_real(factor) or factor < 1:
        raise bad_input("factor", repr(factor), "a number >= 1", "Use factor=10.")
    return learning_rate / factor
