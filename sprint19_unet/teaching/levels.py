"""What each level of the U-Net sees: its feature maps, its receptive field, and what the copy carries.

:func:`unet_levels` names the output of every contracting block (before its pooling), of the
bottleneck and of every expanding block, in the paper's words; :func:`plot_levels` draws a few
channels of each for one image, with the level's size and receptive field
(:mod:`~sprint19_unet.teaching.receptive_field`); :func:`without_copy_and_crop` rebuilds a model with one
level's copy-and-crop input replaced by zeros, and :func:`plot_copy_and_crop_effect` shows what the output
loses without it: the fine detail of the boundaries comes up the copy, not up the bottleneck.

Example:
    >>> from sprint19_unet.unet.model import build_unet
    >>> [label for label, _ in unet_levels(build_unet((32, 32, 1), base_filters=2, depth=2))]
    ['contracting block 1', 'contracting block 2', 'bottleneck', 'expanding block 2', 'expanding block 1']
"""

from __future__ import annotations

import keras
import numpy as np

from sprint19_unet.errors import bad_input
from sprint19_unet.estimation.scoring import mask_iou
from sprint19_unet.teaching.learning_view import SALT_COLOUR_MAP
from sprint19_unet.teaching.receptive_field import receptive_field


def _last_layer(model, prefix: str, skip: str = "") -> str | None:
    names = [layer.name for layer in model.layers if layer.name.startswith(prefix) and not layer.name.endswith(skip or "\0")]
    return names[-1] if names else None


def unet_levels(model) -> list[tuple[str, str]]:
    """The levels of a U-Net built by :func:`~sprint19_unet.unet.model.build_unet`, top to bottom and back.

    Args:
        model: a U-Net with the package's layer names (``contracting1_…``, ``bottleneck_…``, ``expanding1_…``).

    Returns:
        ``[(label, layer name), …]``: each contracting block's output before pooling, the bottleneck's
        output, each expanding block's output (deepest first).

    Raises:
        Sprint19Error: for a model without those names (e.g. one with a pretrained encoder).

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> unet_levels(build_unet((32, 32, 1), base_filters=2, depth=1))[0]
        ('contracting block 1', 'contracting1_conv2')
    """
    depth = 0
    while _last_layer(model, f"contracting{depth + 1}_"):
        depth += 1
    bottleneck = _last_layer(model, "bottleneck")
    if not depth or bottleneck is None:
        raise bad_input("model", f"a model without contracting1_… and bottleneck… layers ('{model.name}')",
                        "a U-Net built by build_unet or paper_unet", "Pass s19.build_unet(...) or s19.paper_unet().")
    levels = [(f"contracting block {level}", _last_layer(model, f"contracting{level}_", "_max_pool"))
              for level in range(1, depth + 1)]
    levels.append(("bottleneck", bottleneck))
    levels += [(f"expanding block {level}", _last_layer(model, f"expanding{level}_")) for level in range(depth, 0, -1)]
    return levels


def level_outputs(model, image) -> dict[str, np.ndarray]:
    """Every level's output for one image, by label (see :func:`unet_levels`).

    Args:
        model: a U-Net with the package's layer names.
        image: one model-ready image (H, W, C).

    Returns:
        ``{label: (h, w, channels) array}``.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> outputs = level_outputs(build_unet((32, 32, 1), base_filters=2, depth=1), np.zeros((32, 32, 1)))
        >>> {label: array.shape for label, array in outputs.items()}["bottleneck"]
        (16, 16, 4)
    """
    levels = unet_levels(model)
    probe = keras.Model(model.inputs[0], [model.get_layer(name).output for _, name in levels])
    arrays = probe(np.asarray(image, "float32")[None], training=False)  # called, not .predict: no tracing per model
    return {label: keras.ops.convert_to_numpy(array)[0] for (label, _), array in zip(levels, arrays)}


def plot_levels(model, image, channels: int = 4):
    """For one image, a few channels of every level's feature maps, labelled with size and receptive field.

    The ``channels`` most active channels of each level (largest mean activation) are drawn, each
    scaled to its own range; the row's label gives the paper's name, the map's size and how many
    input pixels one of its positions sees at most (exact: :func:`~sprint19_unet.teaching.receptive_field.receptive_field`).

    Args:
        model: a U-Net with the package's layer names and a fixed input size.
        image: one model-ready image (H, W, C).
        channels: feature maps per level.

    Returns:
        A matplotlib Figure: one row per level, the image first.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> figure = plot_levels(build_unet((32, 32, 1), base_filters=2, depth=1), np.zeros((32, 32, 1)), 2)
        >>> figure.axes[0].get_ylabel().splitlines()[0]
        'contracting block 1'
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    levels, outputs = unet_levels(model), level_outputs(model, image)
    figure, axes = plt.subplots(len(levels), channels + 1, figsize=(1.9 * (channels + 1) + 1.2, 1.9 * len(levels)),
                                squeeze=False)
    for row, (label, name) in enumerate(levels):
        maps = outputs[label]
        strongest = np.argsort(-maps.mean(axis=(0, 1)), kind="stable")[:channels]
        seen = receptive_field(model, name)
        axes[row, 0].imshow(np.asarray(image)[..., 0], cmap="gray", interpolation="nearest")
        centre = (np.asarray(image).shape[1] - seen) / 2 - 0.5, (np.asarray(image).shape[0] - seen) / 2 - 0.5
        axes[row, 0].add_patch(Rectangle(centre, seen, seen, fill=False, color="tab:cyan", linewidth=2))
        axes[row, 0].set_ylabel(f"{label}\n{maps.shape[0]}×{maps.shape[1]}×{maps.shape[2]}\n"
                                f"sees {seen} px (cyan)", fontsize=10)
        for column in range(channels):
            axis = axes[row, column + 1]
            if column < len(strongest):
                axis.imshow(maps[..., strongest[column]], cmap="magma", interpolation="nearest")
                axis.set_title(f"channel {strongest[column]}", fontsize=9)
        for axis in axes[row]:
            axis.set_xticks([])
            axis.set_yticks([])
    figure.suptitle("What each level sees: the most active channels (each on its own scale);\n"
                    "cyan: the input pixels one position of the level sees at most")
    figure.tight_layout()
    return figure


class ZeroedCopyAndCrop(keras.layers.Concatenate):
    """Copy and crop with the copied features replaced by zeros (what the expanding path gets without them)."""

    def call(self, inputs):
        return super().call([keras.ops.zeros_like(inputs[0]), *inputs[1:]])


def without_copy_and_crop(model, level: int):
    """The same U-Net, same weights, with level ``level``'s copy-and-crop input set to zeros.

    Args:
        model: a U-Net with the package's layer names.
        level: the level whose copied features are dropped (1 = the finest).

    Returns:
        A new Keras model.

    Raises:
        Sprint19Error: for a level the model does not have.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> unet = build_unet((16, 16, 1), base_filters=2, depth=1)
        >>> type(without_copy_and_crop(unet, 1).get_layer("expanding1_copy_concat")).__name__
        'ZeroedCopyAndCrop'
    """
    name = f"expanding{level}_copy_concat"
    if name not in [layer.name for layer in model.layers]:
        raise bad_input("level", repr(level), "a level of this U-Net, 1 … its depth",
                        f"Use one of the model's copy-and-crop levels ('{name}' is not in '{model.name}').")

    def clone(layer):
        if layer.name == name:
            return ZeroedCopyAndCrop(axis=-1, name=name)
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def plot_copy_and_crop_effect(model, image, mask, level: int = 1, threshold: float = 0.5):
    """The output with and without one level's copied features, side by side, and where they differ.

    Args:
        model: a trained U-Net (sigmoid output) with the package's layer names.
        image: one model-ready image (H, W, C); mask: its true mask (H, W, 1), the model's output size.
        level: the copy to drop (1 = the finest features, the boundaries' detail).
        threshold: for each output's IoU.

    Returns:
        A matplotlib Figure with five panels: image, truth, full output, without the copy, |difference|.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> figure = plot_copy_and_crop_effect(build_unet((16, 16, 1), base_filters=2, depth=1), np.zeros((16, 16, 1)),
        ...                           np.zeros((16, 16, 1)))
        >>> [axis.get_title().splitlines()[0] for axis in figure.axes[:5]]
        ['image', 'truth', 'full U-Net', 'without copy 1', '|difference|']
    """
    import matplotlib.pyplot as plt

    batch = np.asarray(image, "float32")[None]
    full = keras.ops.convert_to_numpy(model(batch, training=False))[0, ..., 0]
    dropped = keras.ops.convert_to_numpy(without_copy_and_crop(model, level)(batch, training=False))[0, ..., 0]
    truth = np.asarray(mask).reshape(full.shape)
    figure, axes = plt.subplots(1, 5, figsize=(13, 3.2), layout="constrained")
    panels = [(np.asarray(image)[..., 0], "gray", "image"), (truth, SALT_COLOUR_MAP, "truth"),
              (full, SALT_COLOUR_MAP, f"full U-Net\nIoU {mask_iou(truth, full > threshold):.2f}"),
              (dropped, SALT_COLOUR_MAP, f"without copy {level}\nIoU {mask_iou(truth, dropped > threshold):.2f}"),
              (np.abs(full - dropped), "magma", "|difference|")]
    for axis, (picture, colour_map, title) in zip(axes, panels):
        shown = axis.imshow(picture, cmap=colour_map, vmin=0, vmax=1, interpolation="nearest")
        axis.set_title(title)
        axis.set_axis_off()
    figure.colorbar(shown, ax=list(axes), shrink=0.8, label="P(salt), |difference|")
    return figure
