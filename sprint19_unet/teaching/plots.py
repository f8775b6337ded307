"""Figures for notebooks and the demo. Functions return a Figure; callers decide to show or save.

Images are drawn with ``interpolation="nearest"`` (smaller notebooks, honest pixels)
and masks with a fixed 0–1 colour range, so an empty mask is black, not "auto-scaled".

Example:
    >>> import numpy as np
    >>> figure = plot_predictions(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)))
    >>> len(figure.axes)
    6
"""

from __future__ import annotations

import numpy as np


def _gray(image):
    image = np.asarray(image)
    return image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image


def plot_predictions(images, true_masks, pred_masks, count: int = 4, titles=("image", "truth", "prediction")):
    """A grid: one row per example with the image, its true mask and the predicted mask.

    Args:
        images: (N, H, W, C) in [0, 1].
        true_masks: (N, H, W, 1) binary or label masks (None to leave the column out).
        pred_masks: (N, H, W, 1) predictions (or probabilities).
        count: how many examples (rows).
        titles: column titles.

    Returns:
        A matplotlib Figure.
    """
    columns = [images] + ([true_masks] if true_masks is not None else []) + [pred_masks]
    names = titles if true_masks is not None else (titles[0], titles[2])
    rows = min(count, len(images))
    vmax = max(1, int(np.max(true_masks)) if true_masks is not None else 1, int(np.ceil(np.max(pred_masks))))
    import matplotlib.pyplot as plt  # on first use: `import sprint19_unet` needs no matplotlib

    figure, axes = plt.subplots(rows, len(columns), figsize=(2.2 * len(columns), 2.2 * rows), squeeze=False)
    for row in range(rows):
        for column, (array, name) in enumerate(zip(columns, names)):
            axis = axes[row, column]
            is_image = column == 0
            axis.imshow(_gray(array[row]), cmap="gray", interpolation="nearest",
                        vmin=0, vmax=1 if is_image else vmax)
            axis.set_axis_off()
            if row == 0:
                axis.set_title(name)
    figure.tight_layout()
    return figure


def plot_history(history: dict, keys=("loss", "iou", "tgs_score")):
    """Training curves: one panel per metric, training and validation together.

    Args:
        history: dict of lists, as returned by :func:`sprint19_unet.training.fit.train`.
        keys: metric names to plot (those missing from ``history`` are skipped).

    Returns:
        A matplotlib Figure.
    """
    keys = [key for key in keys if key in history]
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    epochs = history.get("epoch", list(range(1, len(history[keys[0]]) + 1)))
    for axis, key in zip(axes[0], keys):
        axis.plot(epochs, history[key], label="train")
        if f"val_{key}" in history:
            axis.plot(epochs, history[f"val_{key}"], label="validation")
        axis.set_title(key)
        axis.set_xlabel("epoch")
        axis.legend()
    figure.tight_layout()
    return figure


def plot_ablation(results: dict, paper: dict | None = None):
    """Bar chart of an ablation: the challenge's pixel and Rand errors of each row, lower is better.

    Args:
        results: what ``benchmarks/isbi_ablation.py`` writes: ``{"rows": [{"row": name,
            "test": {"pixel_error", "rand_error"}, ...}, ...], "minutes": budget, ...}``;
            the first row is the reference (blue), the others orange.
        paper: ``{"pixel_error", "rand_error"}`` to draw as dashed lines (the paper's Table 1).

    Returns:
        A matplotlib Figure with two panels (pixel error, Rand error), one bar per row.

    Example:
        >>> rows = [{"row": "all", "test": {"pixel_error": 0.06, "rand_error": 0.1}}]
        >>> [axis.get_title() for axis in plot_ablation({"rows": rows, "minutes": 8}).axes]
        ['pixel error (slices 25–29)', 'Rand error (slices 25–29)']
    """
    rows = results["rows"]
    names = [row["row"] for row in rows]
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 0.45 * len(rows) + 1.6), sharey=True)
    for axis, key, label in zip(axes, ("pixel_error", "rand_error"), ("pixel error", "Rand error")):
        values = [row["test"][key] for row in rows]
        bars = axis.barh(names, values, color=["tab:blue"] + ["tab:orange"] * (len(rows) - 1))
        axis.bar_label(bars, fmt="%.4f", padding=2, fontsize=8)
        axis.set_title(f"{label} (slices 25–29)")
        axis.set_xlim(0, max(values + [paper[key] if paper else 0]) * 1.3)
        axis.set_xlabel(f"{label}, lower is better")
        if paper:  # named under the axis: a legend would cover a bar's label
            axis.axvline(paper[key], color="black", linestyle="--")
            axis.set_xlabel(f"{label}, lower is better; dashed: paper, Table 1 ({paper[key]})")
    axes[0].invert_yaxis()  # the first row on top
    figure.suptitle(f"What each idea buys: one switched off per row, {results['minutes']:g} min of training each")
    figure.tight_layout()
    return figure


def overlay(image, mask, color=(1.0, 0.2, 0.2), alpha: float = 0.4) -> np.ndarray:
    """An RGB picture of an image with its mask tinted on top.

    Args:
        image: grayscale (H, W) or (H, W, 1), or RGB (H, W, 3) — e.g. another
            overlay, to tint a second mask in another colour — in [0, 1].
        mask: (H, W) or (H, W, 1) binary.
        color: RGB tint of the mask.
        alpha: opacity of the tint.

    Returns:
        float (H, W, 3) in [0, 1].

    Example:
        >>> overlay(np.zeros((2, 2)), np.eye(2)).shape
        (2, 2, 3)
        >>> overlay(overlay(np.zeros((2, 2)), np.eye(2)), 1 - np.eye(2), (0, 0, 1), 1.0)[0, 1].tolist()
        [0.0, 0.0, 1.0]
    """
    image = _gray(image)
    rgb = (image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)).astype("float64")
    tint = _gray(mask).astype(bool)
    rgb[tint] = (1 - alpha) * rgb[tint] + alpha * np.asarray(color)
    return rgb
