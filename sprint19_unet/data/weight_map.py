"""The U-Net paper's pixel-wise weight map (Eq. 2), a NumPy/SciPy preprocessing step.

Ronneberger et al. weight the cross-entropy of every pixel x by

    w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))

* ``w_c`` balances "the different frequency of pixels from a certain class in the
  training data set": :func:`class_balance_weights` over all training masks (what
  :func:`sprint19_unet.training.fit.train` does), or per image when asked for;
* ``d1`` / ``d2`` are the distances to the nearest and second-nearest object (cell): the second
  term is large in the thin gaps between touching objects, pushing the network to learn borders;
* the paper uses ``w0 = 10`` and ``σ ≈ 5`` pixels.

Which regions are objects, and where the border term goes: :func:`unet_weight_map`. To train
with weight maps, use ``TrainConfig(loss="weighted_cce")``: the maps are the per-pixel
``sample_weight`` of the loss, while the metrics stay unweighted.

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

from sprint19_unet.data.images import one_image
from sprint19_unet.errors import bad_input, check_int, is_integer, is_real

# Paper defaults (Section 3): w0 = 10, σ ≈ 5 pixels.
PAPER_W0 = 10.0
PAPER_SIGMA = 5.0


# === Class-balancing weights w_c ===


def _label_array(labels, name: str) -> np.ndarray:
    """Non-negative integer labels (bool allowed) as int64; any shape."""
    array = np.asarray(labels)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if array.size == 0:
        raise bad_input(name, "an empty array", "at least one pixel", "Pass a label image (H, W).")
    if not np.issubdtype(array.dtype, np.number) or array.min() < 0 or not np.all(np.mod(array, 1) == 0):
        raise bad_input(
            name,
            f"values such as {np.unique(array)[:5].tolist()} (dtype {array.dtype})",
            "a binary mask (0/1) or non-negative integer class labels (0 = background)",
            "Threshold soft masks first (mask > 0.5); for 0/255 PNG masks use mask > 127.",
        )
    return array.astype(np.int64)


def class_balance_weights(masks, num_classes: int = 2) -> dict[int, float]:
    """Inverse-frequency class weights ``w_c`` over a set of masks (the paper's "training data set").

    ``w_k ∝ 1 / frequency_k`` for the classes present, normalised so that these
    weights average to 1; for two classes that is ``w_background = 2·f_foreground``
    and ``w_foreground = 2·f_background``. A class with no pixel gets 1 (nothing
    to balance), so one class alone gives all 1.

    Args:
        masks: one label image or a whole batch, any shape; class ids 0, 1, ….
        num_classes: how many classes to return weights for (at least the
            largest label + 1; 2 for a binary mask).

    Returns:
        ``{class: weight}`` for every class ``0 … num_classes − 1``.

    Example:
        >>> class_balance_weights(np.array([[1, 0], [0, 0]]))    # 25 % foreground
        {0: 0.5, 1: 1.5}
    """
    labels = _label_array(masks, "masks")
    num_classes = check_int("num_classes", num_classes, 1, "Use num_classes=2 for binary masks.")
    count = max(num_classes, int(labels.max()) + 1, 2)
    frequencies = np.bincount(labels.ravel(), minlength=count) / labels.size
    present = frequencies > 0
    inverse = np.where(present, 1.0 / np.where(present, frequencies, 1.0), 0.0)
    weights = np.where(present, present.sum() * inverse / inverse.sum(), 1.0)
    return {label: float(weight) for label, weight in enumerate(weights)}


def _class_weight_dict(class_weights, labels: np.ndarray) -> dict[int, float]:
    if class_weights is None:
        return {label: 1.0 for label in range(max(int(labels.max()) + 1, 2))}
    if isinstance(class_weights, str) and class_weights == "balanced":
        return class_balance_weights(labels)
    if isinstance(class_weights, dict) and all(
        is_integer(key) for key in class_weights
    ):
        values = {int(key): value for key, value in class_weights.items()}
        numbers = all(
            is_real(v) and np.isfinite(v) and v >= 0
            for v in values.values()
        )
        if numbers and set(np.unique(labels).tolist()) <= set(values):
            return {key: float(value) for key, value in values.items()}
    raise bad_input(
        "class_weights",
        repr(class_weights),
        '"balanced" (this image), None (all 1) or a dict {class: weight} of non-negative numbers '
        f"for every class in the mask ({sorted(np.unique(labels).tolist())})",
        "Balance over the whole training set with class_balance_weights(all_masks) and pass that dict "
        '(train() does), or use class_weights="balanced" for this image alone.',
    )


# === Objects and their distances ===


def _image_labels(labels, name: str) -> np.ndarray:
    """(H, W) integer labels from an (H, W) or (H, W, 1) array."""
    array = one_image(labels, name, "one label image", "Use weight_maps(masks) for a batch (N, H, W, 1).")
    return _label_array(array, name)


def _objects(classes: np.ndarray, border_class: int, instances: np.ndarray | None) -> np.ndarray:
    """(H, W) object ids, 0 on border-class pixels: the given instances, or one per connected component per class."""
    if instances is not None:
        return np.where(classes == border_class, 0, instances)
    objects = np.zeros(classes.shape, dtype=np.int64)
    next_id = 0
    for label in np.unique(classes):
        if label == border_class:
            continue
        components, count = ndimage.label(classes == label)  # 4-connectivity
        objects[components > 0] = components[components > 0] + next_id
        next_id += count
    return objects


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


def unet_weight_map(
    labels,
    w0: float = PAPER_W0,
    sigma: float = PAPER_SIGMA,
    class_weights="balanced",
    *,
    border_class: int = 0,
    instances=None,
) -> np.ndarray:
    """The weight map of Eq. 2 of the U-Net paper for one label image.

    **Objects.** Every connected component of every class other than the
    ``border_class`` is one object (two separate regions of one class are two
    objects); ``instances`` can name the objects instead, so that touching cells of
    one class stay apart. The border term is added on pixels of the ``border_class``
    only — the background (class 0) by default; for ISBI 2012 membranes loaded as the
    positive class (``foreground=0``) the membranes separate the cells, so
    ``border_class=1``. It is 0 when an image holds fewer than two objects.

    ``w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))``, the second term on
    pixels of ``border_class`` only, and only when the image holds at least two
    objects.

    Objects: every 4-connected component of every class other than
    ``border_class`` (``scipy.ndimage.label``), so two separate regions of one
    class are two objects; or, with ``instances``, each non-zero instance id, so
    that touching cells of one class are kept apart. d1/d2 are Euclidean
    distances (``scipy.ndimage.distance_transform_edt``, one transform per object)
    from a pixel to the nearest pixel of the nearest and second-nearest object:
    1 for a border pixel next to an object. The cost grows with the number of
    objects (one distance transform each).

    Args:
        labels: ``(H, W)`` or ``(H, W, 1)`` class labels: a binary mask or class
            ids 0, 1, … (the training masks).
        w0: weight of the border term (paper: 10).
        sigma: width σ of the border term in pixels (paper: ≈ 5).
        class_weights: ``{class: weight}`` — e.g. :func:`class_balance_weights`
            of the whole training set, as the paper balances — or ``"balanced"``
            (inverse frequency in this image alone), or ``None`` (w_c = 1).
        border_class: the class whose pixels separate the objects and get the
            border term (0 = background; 1 for ISBI membranes loaded with
            ``foreground=0``).
        instances: optional ``(H, W)`` instance ids (0 = none) naming the objects.

    Returns:
        float32 array of the same shape as ``labels``.

    Raises:
        Sprint19Error: for a wrong shape, negative or fractional labels, w0 < 0,
            sigma <= 0, bad class_weights or instances of another shape.

    Example:
        >>> mask = np.zeros((5, 7), dtype=int); mask[1:4, 1:3] = 1; mask[1:4, 4:6] = 1
        >>> w = unet_weight_map(mask, class_weights={0: 1.0, 1: 2.0})
        >>> float(w[2, 1]), round(float(w[2, 3]), 3)      # inside; in the 1-pixel gap
        (2.0, 10.231)
    """
    if not is_real(w0) or not np.isfinite(w0) or w0 < 0:
        raise bad_input(
            "w0", repr(w0), "a finite number >= 0", "Use w0=10.0 as in the paper (0 disables the border term)."
        )
    if not is_real(sigma) or not np.isfinite(sigma) or sigma <= 0:
        raise bad_input("sigma", repr(sigma), "a finite number > 0 (pixels)", "Use sigma=5.0 as in the paper.")
    check_int("border_class", border_class, 0, "Use 0 (background), or 1 for ISBI membranes.")
    classes = _image_labels(labels, "labels")
    if instances is not None:
        instances = _image_labels(instances, "instances")
        if instances.shape != classes.shape:
            raise bad_input(
                "instances", f"shape {instances.shape}", f"the labels' shape {classes.shape}",
                "Pass one instance id per pixel of the label image.",
            )
    weights_by_class = _class_weight_dict(class_weights, classes)
    lookup = np.array([weights_by_class.get(label, 1.0) for label in range(int(classes.max()) + 1)])
    weights = lookup[classes]

    objects = _objects(classes, border_class, instances)
    if w0 > 0 and len(np.unique(objects[objects > 0])) >= 2:
        d1, d2 = _two_nearest_distances(objects)
        border = w0 * np.exp(-((d1 + d2) ** 2) / (2.0 * sigma**2))
        weights = weights + np.where(classes == border_class, border, 0.0)
    return weights.astype(np.float32).reshape(np.shape(labels))


def weight_maps(
    masks, w0: float = PAPER_W0, sigma: float = PAPER_SIGMA, class_weights="balanced", *, border_class: int = 0
) -> np.ndarray:
    """:func:`unet_weight_map` for every image of a batch.

    Args:
        masks: ``(N, H, W, 1)`` or ``(N, H, W)`` binary masks or class ids.
        w0: weight of the border term (paper: 10).
        sigma: width of the border term in pixels (paper: ≈ 5).
        class_weights: as in :func:`unet_weight_map`; pass
            ``class_balance_weights(training_masks)`` to balance over the
            training set (``"balanced"`` balances each image on its own).
        border_class: as in :func:`unet_weight_map`.

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
    maps = [
        unet_weight_map(image, w0=w0, sigma=sigma, class_weights=class_weights, border_class=border_class)
        for image in array
    ]
    return np.stack(maps).reshape(array.shape).astype(np.float32) if maps else np.zeros(array.shape, np.float32)
