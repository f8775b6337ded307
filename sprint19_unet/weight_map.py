"""The U-Net paper's pixel-wise weight map (Eq. 2), a NumPy/SciPy preprocessing step.

Ronneberger et al. weight the cross-entropy of every pixel x by

    w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))

* ``w_c`` balances the class frequencies (background vs foreground);
* ``d1`` / ``d2`` are the distances to the nearest and the second-nearest object
  (cell), so the second term is large in the thin background gaps that separate
  touching objects — the network is pushed to learn those borders;
* the paper uses ``w0 = 10`` and ``σ ≈ 5`` pixels.

The border term is added on background pixels only (inside an object the weight
is exactly ``w_c``), and it is 0 when an image holds fewer than two objects.

To train with a weight map, stack it with the labels (:func:`stack_label_and_weight`)
and use :class:`sprint19_unet.losses.WeightedCrossentropy`.

Example:
    >>> import numpy as np
    >>> mask = np.zeros((9, 9), dtype=int); mask[:, :4] = 1; mask[:, 5:] = 1   # gap in column 4
    >>> weights = unet_weight_map(mask, class_weights=None)
    >>> round(float(weights[4, 4]), 3)                     # 1 + 10·exp(−(1 + 1)² / 50)
    10.231
    >>> float(weights[4, 0])                               # inside an object: w_c only
    1.0
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sprint19_unet.errors import bad_input

# Paper defaults (Section 3): w0 = 10, σ ≈ 5 pixels.
PAPER_W0 = 10.0
PAPER_SIGMA = 5.0


# === Class-balancing weights w_c ===


def class_balance_weights(masks) -> dict[int, float]:
    """Inverse-frequency class weights for background (0) and foreground (1).

    ``w_k ∝ 1 / frequency_k``, normalised so that the two weights average to 1,
    which gives ``w_background = 2·f_foreground`` and ``w_foreground = 2·f_background``.
    When one class is absent the weights are both 1 (nothing to balance).

    Args:
        masks: one label image or a batch of them, any shape; pixels > 0 are foreground.

    Returns:
        ``{0: background_weight, 1: foreground_weight}``.

    Example:
        >>> class_balance_weights(np.array([[1, 0], [0, 0]]))    # 25 % foreground
        {0: 0.5, 1: 1.5}
    """
    foreground = np.asarray(masks) > 0
    if foreground.size == 0:
        raise bad_input("masks", "an empty array", "at least one pixel", "Pass a label image (H, W).")
    foreground_fraction = float(np.mean(foreground))
    if foreground_fraction in (0.0, 1.0):
        return {0: 1.0, 1: 1.0}
    return {0: 2.0 * foreground_fraction, 1: 2.0 * (1.0 - foreground_fraction)}


def _class_weight_dict(class_weights, labels: np.ndarray) -> dict[int, float]:
    if class_weights is None:
        return {0: 1.0, 1: 1.0}
    if isinstance(class_weights, str) and class_weights == "balanced":
        return class_balance_weights(labels)
    if isinstance(class_weights, dict) and set(class_weights) == {0, 1}:
        values = {key: float(value) for key, value in class_weights.items()}
        if all(np.isfinite(v) and v >= 0 for v in values.values()):
            return values
    raise bad_input(
        "class_weights",
        repr(class_weights),
        '"balanced", None (all 1) or a dict {0: background_weight, 1: foreground_weight} of non-negative numbers',
        'Use class_weights="balanced" for inverse-frequency weights, or class_balance_weights(all_masks) '
        "to balance over the whole data set.",
    )


# === Objects and their distances ===


def _object_labels(labels) -> np.ndarray:
    """(H, W) integer objects: connected components of a binary mask, or instance labels as given."""
    array = np.asarray(labels)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or array.size == 0:
        raise bad_input(
            "labels",
            f"shape {np.asarray(labels).shape}",
            "one label image (H, W) or (H, W, 1)",
            "Use weight_maps(masks) for a batch (N, H, W, 1).",
        )
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if not np.issubdtype(array.dtype, np.number) or array.min() < 0 or not np.all(np.mod(array, 1) == 0):
        raise bad_input(
            "labels",
            f"values such as {np.unique(array)[:5].tolist()} (dtype {array.dtype})",
            "a binary mask (0/1) or non-negative integer instance labels (0 = background)",
            "Threshold soft masks first (mask > 0.5); for 0/255 PNG masks use mask > 127.",
        )
    if array.max() <= 1:
        objects, _ = ndimage.label(array > 0)  # binary mask: connected components (4-connectivity)
        return objects
    return array.astype(np.int64)  # instance labels: touching instances stay separate objects


def _two_nearest_distances(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d1, d2: Euclidean distance of every pixel to the nearest / second-nearest object.

    One distance transform per object, keeping a running minimum and second minimum
    (memory stays O(H·W) however many objects there are).
    """
    d1 = np.full(objects.shape, np.inf)
    d2 = np.full(objects.shape, np.inf)
    for object_id in np.unique(objects[objects > 0]):
        distance = ndimage.distance_transform_edt(objects != object_id)
        d2 = np.minimum(d2, np.maximum(d1, distance))
        d1 = np.minimum(d1, distance)
    return d1, d2


# === Eq. 2 ===


def unet_weight_map(labels, w0: float = PAPER_W0, sigma: float = PAPER_SIGMA, class_weights="balanced") -> np.ndarray:
    """The weight map of Eq. 2 of the U-Net paper for one label image.

    ``w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))``, the second term on
    background pixels only and only when the image holds at least two objects.

    Objects: for a binary mask (bool or 0/1) the 4-connected components of the
    foreground (``scipy.ndimage.label``); for an instance label image (integers,
    0 = background) each non-zero label is one object, so touching instances are
    kept apart. d1/d2 are Euclidean distances (``scipy.ndimage.distance_transform_edt``,
    one transform per object) from a pixel to the nearest pixel of the nearest and
    second-nearest object: 1 for a background pixel next to an object. The cost
    grows with the number of objects (one distance transform each).

    Args:
        labels: ``(H, W)`` or ``(H, W, 1)`` binary mask or instance labels.
        w0: weight of the border term (paper: 10).
        sigma: width σ of the border term in pixels (paper: ≈ 5).
        class_weights: ``"balanced"`` (inverse frequency in this image, the two
            weights averaging to 1 — see :func:`class_balance_weights`), ``None``
            (w_c = 1), or ``{0: background_weight, 1: foreground_weight}``.

    Returns:
        float32 array of the same shape as ``labels``.

    Raises:
        Sprint19Error: for a wrong shape, negative or fractional labels, w0 < 0,
            sigma <= 0 or bad class_weights.

    Example:
        >>> mask = np.zeros((5, 7), dtype=int); mask[1:4, 1:3] = 1; mask[1:4, 4:6] = 1
        >>> w = unet_weight_map(mask, class_weights={0: 1.0, 1: 2.0})
        >>> float(w[2, 1]), round(float(w[2, 3]), 3)      # inside; in the 1-pixel gap
        (2.0, 10.231)
    """
    if isinstance(w0, bool) or not isinstance(w0, (int, float)) or not np.isfinite(w0) or w0 < 0:
        raise bad_input(
            "w0", repr(w0), "a finite number >= 0", "Use w0=10.0 as in the paper (0 disables the border term)."
        )
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma <= 0:
        raise bad_input("sigma", repr(sigma), "a finite number > 0 (pixels)", "Use sigma=5.0 as in the paper.")
    objects = _object_labels(labels)
    weights_by_class = _class_weight_dict(class_weights, objects)
    foreground = objects > 0
    weights = np.where(foreground, weights_by_class[1], weights_by_class[0]).astype(np.float64)

    if w0 > 0 and len(np.unique(objects[foreground])) >= 2:
        d1, d2 = _two_nearest_distances(objects)
        border = w0 * np.exp(-((d1 + d2) ** 2) / (2.0 * sigma**2))
        weights = weights + np.where(foreground, 0.0, border)
    return weights.astype(np.float32).reshape(np.shape(labels))


def weight_maps(masks, w0: float = PAPER_W0, sigma: float = PAPER_SIGMA, class_weights="balanced") -> np.ndarray:
    """:func:`unet_weight_map` for every image of a batch.

    Args:
        masks: ``(N, H, W, 1)`` or ``(N, H, W)`` binary masks or instance labels.
        w0: weight of the border term (paper: 10).
        sigma: width of the border term in pixels (paper: ≈ 5).
        class_weights: as in :func:`unet_weight_map`; ``"balanced"`` balances each
            image on its own — pass ``class_balance_weights(masks)`` to balance over
            the whole batch instead.

    Returns:
        float32 array of the same shape as ``masks``.

    Example:
        >>> weight_maps(np.zeros((2, 4, 4, 1))).shape
        (2, 4, 4, 1)
    """
    array = np.asarray(masks)
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] != 1):
        raise bad_input(
            "masks",
            f"shape {array.shape}",
            "a batch of label images (N, H, W) or (N, H, W, 1)",
            "Use unet_weight_map(mask) for a single image.",
        )
    maps = [unet_weight_map(image, w0=w0, sigma=sigma, class_weights=class_weights) for image in array]
    return np.stack(maps).reshape(array.shape).astype(np.float32) if maps else np.zeros(array.shape, np.float32)


def stack_label_and_weight(labels, weights) -> np.ndarray:
    """Pack labels and per-pixel weights into one ``y_true`` for the weighted cross-entropy.

    ``y_true[..., 0]`` is the label (0/1 for a sigmoid output, the class index for a
    softmax output) and ``y_true[..., 1]`` the weight. This is the format
    :class:`sprint19_unet.losses.WeightedCrossentropy` reads, so the weights travel
    with the masks through ``model.fit`` on every backend.

    Args:
        labels: ``(N, H, W)`` or ``(N, H, W, 1)`` labels.
        weights: weights of the same shape (e.g. from :func:`weight_maps`).

    Returns:
        float32 array ``(N, H, W, 2)``.

    Example:
        >>> masks = np.zeros((2, 4, 4, 1))
        >>> stack_label_and_weight(masks, weight_maps(masks)).shape
        (2, 4, 4, 2)
    """
    label_array, weight_array = np.asarray(labels), np.asarray(weights)
    if label_array.shape != weight_array.shape:
        raise bad_input(
            "weights",
            f"shape {weight_array.shape} (labels has {label_array.shape})",
            "the same shape as labels",
            "Compute them with weight_maps(labels).",
        )
    if label_array.ndim == 4 and label_array.shape[-1] == 1:
        label_array, weight_array = label_array[..., 0], weight_array[..., 0]
    if label_array.ndim != 3:
        raise bad_input(
            "labels",
            f"shape {np.asarray(labels).shape}",
            "(N, H, W) or (N, H, W, 1)",
            "Add the batch axis with labels[None].",
        )
    return np.stack([label_array, weight_array], axis=-1).astype(np.float32)
