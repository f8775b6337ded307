"""From detection to segmentation: sliding windows, region proposals, per-pixel labels.

Before U-Net, "where is the object?" was answered with boxes. A sliding-window
detector runs a classifier on every window of every size and shape; R-CNN
(Girshick et al., 2014) runs it only on ~2,000 *region proposals* found by
selective search (Uijlings et al., 2013), which groups an over-segmentation of the
image bottom-up. Semantic segmentation answers with a class for every pixel instead. The pieces
notebook 00 tells that story with (NumPy and scikit-image only):

* :func:`sliding_window_count`, :func:`sliding_windows`, :func:`sliding_window_table`:
  how many windows a sliding-window detector must classify;
* :func:`over_segment` (Felzenszwalb and Huttenlocher's graph segmentation) and
  :func:`region_proposals` (a readable selective search: merge the most similar
  adjacent regions, keep every region's box);
* :func:`boxes_iou`: how well a proposal overlaps an object;
* :func:`colour_class_map`: an unsupervised per-pixel labelling that only
  illustrates the *output format* of semantic segmentation.

Boxes are ``(y0, x0, y1, x1)`` in pixels, ``y1`` and ``x1`` exclusive: ``image[y0:y1, x0:x1]``.

Example:
    >>> sliding_window_count((300, 451), window=(64, 64), stride=32)
    104
    >>> boxes_iou((0, 0, 2, 2), [[0, 0, 2, 2], [1, 1, 3, 3]]).tolist()
    [1.0, 0.14285714285714285]
"""

from __future__ import annotations

import numpy as np
from skimage import color, segmentation, util

from sprint19_unet.errors import bad_input, is_integer, is_real

# Selective search's colour histogram: 25 bins per channel (Uijlings et al., 2013, Section 3.2).
COLOUR_BINS = 25


# === Argument checks ===


def _positive_pair(value, name: str, example: str) -> tuple[int, int]:
    """An int or a (height, width) pair of positive ints, as a pair."""
    pair = (value, value) if is_integer(value) else value
    try:
        height, width = pair
        ok = all(is_integer(v) and v >= 1 for v in (height, width))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input(
            name, repr(value), "a positive integer or a (height, width) pair of them", f"Pass e.g. {example}."
        )
    return int(height), int(width)


def _image_hw(image_shape) -> tuple[int, int]:
    """(height, width) from an image shape (H, W) or (H, W, C)."""
    try:
        shape = tuple(int(v) for v in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise bad_input(
            "image_shape",
            repr(image_shape),
            "(height, width) or (height, width, channels) with positive sizes",
            "Pass image.shape, e.g. (300, 451, 3).",
        )
    return shape[0], shape[1]


def _check_image(image) -> np.ndarray:
    """A non-empty (H, W) or (H, W, C) numeric image as an array."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise bad_input(
            "image",
            f"an array of shape {array.shape} and dtype {array.dtype}",
            "a non-empty numeric image of shape (height, width) or (height, width, channels)",
            "Pass one image, e.g. skimage.data.chelsea().",
        )
    return array


def _check_boxes(boxes, name: str) -> np.ndarray:
    """Boxes as a float array of shape (N, 4)."""
    array = np.asarray(boxes, dtype=float)
    if array.ndim != 2 or array.shape[1] != 4:
        raise bad_input(
            name,
            f"an array of shape {array.shape}",
            "boxes of shape (N, 4) as (y0, x0, y1, x1)",
            "Stack the boxes as rows, e.g. np.array([[y0, x0, y1, x1], ...]).",
        )
    return array


# === Sliding windows ===


def sliding_window_count(image_shape, window, stride) -> int:
    """Number of positions of one window slid over an image.

    Along each axis a window of size ``h`` with stride ``s`` fits
    ``floor((H - h) / s) + 1`` times in an image of size ``H`` (0 times when
    ``h > H``); the count is the product over height and width.

    Args:
        image_shape: ``(height, width)`` or ``(height, width, channels)``.
        window: window size, an int (square) or ``(height, width)``.
        stride: step between windows in pixels, an int or ``(step_y, step_x)``.

    Returns:
        The number of windows, an ``int`` (0 when the window is larger than the image).

    Raises:
        Sprint19Error: for a bad shape, window or stride.

    Example:
        >>> sliding_window_count((300, 451), window=64, stride=32)  # 8 rows × 13 columns
        104
    """
    height, width = _image_hw(image_shape)
    window_h, window_w = _positive_pair(window, "window", "window=(64, 64)")
    stride_y, stride_x = _positive_pair(stride, "stride", "stride=32")
    if window_h > height or window_w > width:
        return 0
    return ((height - window_h) // stride_y + 1) * ((width - window_w) // stride_x + 1)


def _window_specs(image_shape, windows, stride_fraction, scales):
    """Yield (scale, window_h, window_w, stride_y, stride_x) for every scale and base window."""
    _image_hw(image_shape)
    is_number = is_real(stride_fraction)
    if not is_number or not 0 < stride_fraction <= 1:
        raise bad_input(
            "stride_fraction",
            repr(stride_fraction),
            "a number in (0, 1], the stride as a fraction of the window size",
            "Use stride_fraction=0.5 (windows overlap by half).",
        )
    scale_list = list(scales) if np.ndim(scales) == 1 else []
    if not scale_list or not all(is_real(s) and s > 0 for s in scale_list):
        raise bad_input(
            "scales", repr(scales), "a non-empty sequence of positive numbers", "Pass e.g. scales=(0.5, 1, 2)."
        )
    window_list = list(windows) if isinstance(windows, (list, tuple)) else []
    if not window_list:
        raise bad_input(
            "windows", repr(windows), "a non-empty sequence of (height, width) base windows",
            "Pass e.g. windows=((64, 64), (64, 128), (128, 64)).",
        )
    base_windows = [_positive_pair(w, "windows", "windows=((64, 64), (64, 128))") for w in window_list]
    for scale in scale_list:
        for base_h, base_w in base_windows:
            window_h, window_w = max(1, round(base_h * scale)), max(1, round(base_w * scale))
            stride_y = max(1, round(window_h * stride_fraction))
            stride_x = max(1, round(window_w * stride_fraction))
            yield scale, window_h, window_w, stride_y, stride_x


def sliding_window_table(
    image_shape, windows=((64, 64), (64, 128), (128, 64)), stride_fraction=0.5, scales=(0.5, 1.0, 2.0)
) -> list[dict]:
    """How many windows each scale and aspect ratio gives, one row per (scale, window).

    Each base window ``(h, w)`` is multiplied by each scale (and rounded); the stride
    along each axis is ``stride_fraction`` times the window's side (at least 1 pixel).

    Args:
        image_shape: ``(height, width)`` or ``(height, width, channels)``.
        windows: base window sizes ``(height, width)``; different shapes are different
            aspect ratios (e.g. 1:1, 1:2, 2:1).
        stride_fraction: stride as a fraction of the window size, in (0, 1];
            0.5 means neighbouring windows overlap by half.
        scales: factors applied to every base window.

    Returns:
        A list of dicts with keys ``scale``, ``window`` ``(h, w)``, ``stride``
        ``(sy, sx)`` and ``count``, in the order scales × windows.

    Raises:
        Sprint19Error: for a bad shape, window list, stride fraction or scale list.

    Example:
        >>> rows = sliding_window_table((300, 451), windows=((64, 64),), scales=(1,))
        >>> rows[0]["window"], rows[0]["stride"], rows[0]["count"]
        ((64, 64), (32, 32), 104)
    """
    specs = _window_specs(image_shape, windows, stride_fraction, scales)
    return [
        {
            "scale": scale,
            "window": (window_h, window_w),
            "stride": (stride_y, stride_x),
            "count": sliding_window_count(image_shape, (window_h, window_w), (stride_y, stride_x)),
        }
        for scale, window_h, window_w, stride_y, stride_x in specs
    ]


def sliding_windows(
    image_shape, windows=((64, 64), (64, 128), (128, 64)), stride_fraction=0.5, scales=(0.5, 1.0, 2.0)
) -> np.ndarray:
    """Every window a sliding-window detector would classify, as boxes.

    The windows are those counted by :func:`sliding_window_table` (same arguments),
    so ``len(sliding_windows(...)) == sum(row["count"] for row in sliding_window_table(...))``.

    Args:
        image_shape: ``(height, width)`` or ``(height, width, channels)``.
        windows: base window sizes ``(height, width)``.
        stride_fraction: stride as a fraction of the window size, in (0, 1].
        scales: factors applied to every base window.

    Returns:
        An int array of shape ``(N, 4)``: ``(y0, x0, y1, x1)`` with exclusive ends,
        grouped by scale and window, each group in row-major order.

    Raises:
        Sprint19Error: for a bad shape, window list, stride fraction or scale list.

    Example:
        >>> sliding_windows((4, 6), windows=((4, 4),), stride_fraction=0.5, scales=(1,)).tolist()
        [[0, 0, 4, 4], [0, 2, 4, 6]]
    """
    height, width = _image_hw(image_shape)
    groups = [np.zeros((0, 4), dtype=np.int64)]
    for _, window_h, window_w, stride_y, stride_x in _window_specs(image_shape, windows, stride_fraction, scales):
        if window_h > height or window_w > width:
            continue
        y0, x0 = np.meshgrid(
            np.arange(0, height - window_h + 1, stride_y), np.arange(0, width - window_w + 1, stride_x), indexing="ij"
        )
        y0, x0 = y0.ravel(), x0.ravel()
        groups.append(np.stack([y0, x0, y0 + window_h, x0 + window_w], axis=1).astype(np.int64))
    return np.concatenate(groups)


# === Region proposals (selective search) ===


def over_segment(image, scale: float = 100.0, sigma: float = 0.8, min_size: int = 50) -> np.ndarray:
    """Felzenszwalb–Huttenlocher graph segmentation: many small, colour-coherent segments.

    A thin wrapper around :func:`skimage.segmentation.felzenszwalb` that checks its
    arguments and handles grey and colour images alike.

    Args:
        image: ``(H, W)`` grey or ``(H, W, C)`` colour image.
        scale: larger values give larger segments.
        sigma: width of the Gaussian smoothing applied first.
        min_size: smallest segment, in pixels (smaller ones are merged into a neighbour).

    Returns:
        An int array ``(H, W)`` of segment labels ``0 … n - 1``.

    Raises:
        Sprint19Error: for a bad image or parameter.

    Example:
        >>> image = np.zeros((20, 20)); image[:, 10:] = 1.0
        >>> np.unique(over_segment(image, scale=1, sigma=0, min_size=5)).tolist()
        [0, 1]
    """
    array = _check_image(image)
    if not is_real(scale) or scale <= 0:
        raise bad_input("scale", repr(scale), "a positive number", "Use scale=100 (larger → fewer, larger segments).")
    if not is_real(sigma) or sigma < 0:
        raise bad_input("sigma", repr(sigma), "a number >= 0", "Use sigma=0.8.")
    if not is_integer(min_size) or min_size < 0:
        raise bad_input("min_size", repr(min_size), "an integer >= 0 (pixels)", "Use min_size=50.")
    channel_axis = None if array.ndim == 2 else -1
    labels = segmentation.felzenszwalb(
        util.img_as_float(array),
        scale=float(scale),
        sigma=float(sigma),
        min_size=int(min_size),
        channel_axis=channel_axis,
    )
    return labels.astype(np.int64)


def _colour_histograms(image: np.ndarray, labels: np.ndarray, num_regions: int) -> np.ndarray:
    """One L1-normalised colour histogram per region: COLOUR_BINS bins per channel, concatenated."""
    channels = image[..., None] if image.ndim == 2 else image
    bins = np.minimum((channels * COLOUR_BINS).astype(np.int64), COLOUR_BINS - 1)  # image in [0, 1]
    flat_labels = labels.ravel()
    histograms = np.concatenate(
        [
            np.bincount(flat_labels * COLOUR_BINS + bins[..., c].ravel(), minlength=num_regions * COLOUR_BINS).reshape(
                num_regions, COLOUR_BINS
            )
            for c in range(channels.shape[-1])
        ],
        axis=1,
    ).astype(float)
    return histograms / histograms.sum(axis=1, keepdims=True)


def _region_boxes(labels: np.ndarray, num_regions: int) -> np.ndarray:
    """Bounding box (y0, x0, y1, x1), ends exclusive, of every label."""
    rows, cols = np.indices(labels.shape)
    flat = labels.ravel()
    boxes = np.empty((num_regions, 4), dtype=np.int64)
    boxes[:, 0] = np.iinfo(np.int64).max
    boxes[:, 1] = np.iinfo(np.int64).max
    boxes[:, 2] = -1
    boxes[:, 3] = -1
    np.minimum.at(boxes[:, 0], flat, rows.ravel())
    np.minimum.at(boxes[:, 1], flat, cols.ravel())
    np.maximum.at(boxes[:, 2], flat, rows.ravel() + 1)
    np.maximum.at(boxes[:, 3], flat, cols.ravel() + 1)
    return boxes


def _adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of labels that touch horizontally or vertically."""
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        touching = a != b
        pairs.append(np.stack([np.minimum(a[touching], b[touching]), np.maximum(a[touching], b[touching])], axis=1))
    unique = np.unique(np.concatenate(pairs), axis=0)
    return {(int(i), int(j)) for i, j in unique}


def region_proposals(image, scale: float = 100.0, sigma: float = 0.8, min_size: int = 50) -> np.ndarray:
    """Selective-search-style region proposals: boxes of a hierarchy of merged segments.

    1. Over-segment the image with :func:`over_segment` (Felzenszwalb).
    2. Repeatedly merge the most similar pair of *adjacent* regions into a new
       region, until one region covers the image. Similarity is the sum of three
       terms in [0, 1], as in selective search (Uijlings et al., 2013):

       * colour: histogram intersection ``sum(min(h_i, h_j))`` of the regions'
         colour histograms (25 bins per channel);
       * size: ``1 - (size_i + size_j) / image_size`` — small regions merge first;
       * fill: ``1 - (box_size_ij - size_i - size_j) / image_size`` — regions whose
         joint bounding box they fill well merge first.

       The merged region's histogram is the size-weighted mean of its parts'.
    3. Return the bounding box of every region, initial and merged, without
       duplicates, in the order the regions were created (small ones first).

    ``n`` segments give ``2n - 1`` regions (any label image's regions form a connected
    adjacency graph), fewer boxes after duplicates are removed. Deterministic: ties
    are broken by the lower region numbers.

    Args:
        image: ``(H, W)`` grey or ``(H, W, C)`` colour image.
        scale: Felzenszwalb scale; larger values give fewer initial segments.
        sigma: Felzenszwalb Gaussian smoothing.
        min_size: Felzenszwalb smallest segment, in pixels.

    Returns:
        An int array of shape ``(N, 4)``: ``(y0, x0, y1, x1)`` with exclusive ends.

    Raises:
        Sprint19Error: for a bad image or parameter.

    Example:
        >>> image = np.zeros((20, 20)); image[:, 10:] = 1.0
        >>> region_proposals(image, scale=1, sigma=0, min_size=5).tolist()
        [[0, 0, 20, 10], [0, 10, 20, 20], [0, 0, 20, 20]]
    """
    labels = over_segment(image, scale=scale, sigma=sigma, min_size=min_size)
    pixels = util.img_as_float(_check_image(image))
    num_segments = int(labels.max()) + 1
    image_size = labels.size

    # Regions 0 … n-1 are the segments; each merge appends a new region.
    histograms = list(_colour_histograms(pixels, labels, num_segments))
    boxes = [tuple(box) for box in _region_boxes(labels, num_segments).tolist()]
    sizes = np.bincount(labels.ravel(), minlength=num_segments).tolist()
    neighbours = {region: set() for region in range(num_segments)}
    for i, j in _adjacent_pairs(labels):
        neighbours[i].add(j)
        neighbours[j].add(i)

    def similarity(i: int, j: int) -> float:
        y0, x0 = min(boxes[i][0], boxes[j][0]), min(boxes[i][1], boxes[j][1])
        y1, x1 = max(boxes[i][2], boxes[j][2]), max(boxes[i][3], boxes[j][3])
        colour = float(np.minimum(histograms[i], histograms[j]).sum())
        size = 1.0 - (sizes[i] + sizes[j]) / image_size
        fill = 1.0 - ((y1 - y0) * (x1 - x0) - sizes[i] - sizes[j]) / image_size
        return colour + size + fill

    similarities = {(i, j): similarity(i, j) for i in neighbours for j in neighbours[i] if i < j}
    while similarities:
        # Most similar pair; on a tie, the pair with the lowest region numbers.
        i, j = max(similarities, key=lambda pair: (similarities[pair], -pair[0], -pair[1]))
        new = len(sizes)
        sizes.append(sizes[i] + sizes[j])
        histograms.append((sizes[i] * histograms[i] + sizes[j] * histograms[j]) / sizes[new])
        boxes.append(
            (min(boxes[i][0], boxes[j][0]), min(boxes[i][1], boxes[j][1]),
             max(boxes[i][2], boxes[j][2]), max(boxes[i][3], boxes[j][3]))
        )
        neighbours[new] = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}
        for other in neighbours[new]:
            neighbours[other] -= {i, j}
            neighbours[other].add(new)
        similarities = {pair: s for pair, s in similarities.items() if i not in pair and j not in pair}
        for other in sorted(neighbours[new]):
            similarities[(other, new)] = similarity(other, new)

    unique_boxes, first_index = np.unique(np.array(boxes, dtype=np.int64), axis=0, return_index=True)
    return unique_boxes[np.argsort(first_index)]


# === Overlap ===


def boxes_iou(box, boxes) -> np.ndarray:
    """Intersection over union of one box with each of many boxes.

    Args:
        box: one box ``(y0, x0, y1, x1)``, ends exclusive.
        boxes: boxes of shape ``(N, 4)`` in the same layout.

    Returns:
        A float array of shape ``(N,)`` with values in [0, 1] (0 where the union is empty).

    Raises:
        Sprint19Error: when ``box`` is not 4 numbers or ``boxes`` not of shape (N, 4).

    Example:
        >>> boxes_iou((0, 0, 2, 2), [[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6]]).tolist()  # 1/7 for the second
        [1.0, 0.14285714285714285, 0.0]
    """
    one = np.asarray(box, dtype=float)
    if one.shape != (4,):
        raise bad_input(
            "box", f"an array of shape {one.shape}", "one box (y0, x0, y1, x1)", "Pass e.g. box=(10, 20, 110, 220)."
        )
    many = _check_boxes(boxes, "boxes")
    inter_h = np.clip(np.minimum(one[2], many[:, 2]) - np.maximum(one[0], many[:, 0]), 0, None)
    inter_w = np.clip(np.minimum(one[3], many[:, 3]) - np.maximum(one[1], many[:, 1]), 0, None)
    intersection = inter_h * inter_w
    area_one = max(one[2] - one[0], 0) * max(one[3] - one[1], 0)
    areas = np.clip(many[:, 2] - many[:, 0], 0, None) * np.clip(many[:, 3] - many[:, 1], 0, None)
    union = area_one + areas - intersection
    return np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)


# === Per-pixel labels (output format only) ===


def colour_class_map(image, segments, num_classes: int = 4, max_iterations: int = 50) -> np.ndarray:
    """Group segments into a few colour classes: one class id per pixel.

    This is *not* semantic segmentation: nothing here knows what a cat or a cup is.
    It only produces an array in the output format of semantic segmentation — an
    ``(H, W)`` map with one integer class per pixel — by k-means on the segments'
    mean CIE Lab colours (weighted by segment size). A U-Net learns the mapping
    from pixels to *meaningful* classes from labelled examples.

    Deterministic: the initial centres are the segments at evenly spaced quantiles
    of lightness, and classes are numbered from darkest (0) to lightest.

    Args:
        image: ``(H, W, 3)`` RGB image (or ``(H, W)`` grey).
        segments: ``(H, W)`` int labels, e.g. from :func:`over_segment`.
        num_classes: number of colour classes (k of k-means).
        max_iterations: cap on k-means iterations.

    Returns:
        An int array ``(H, W)`` with values in ``0 … num_classes - 1``.

    Raises:
        Sprint19Error: for a bad image, mismatched segments or a bad ``num_classes``.

    Example:
        >>> image = np.zeros((4, 4, 3)); image[:, 2:] = 1.0
        >>> segments = np.repeat([[0, 0, 1, 1]], 4, axis=0)
        >>> colour_class_map(image, segments, num_classes=2)[0].tolist()
        [0, 0, 1, 1]
    """
    array = util.img_as_float(_check_image(image))
    labels = np.asarray(segments)
    if labels.shape != array.shape[:2] or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise bad_input(
            "segments",
            f"an array of shape {labels.shape} and dtype {labels.dtype}",
            f"non-negative integer labels of shape {array.shape[:2]} (the image's height and width)",
            "Pass over_segment(image).",
        )
    num_segments = int(labels.max()) + 1
    present = np.bincount(labels.ravel(), minlength=num_segments)
    if not is_integer(num_classes) or not 1 <= num_classes:
        raise bad_input("num_classes", repr(num_classes), "an integer >= 1", "Use num_classes=4.")
    if num_classes > np.count_nonzero(present):
        raise bad_input(
            "num_classes", repr(num_classes), f"at most the number of segments ({np.count_nonzero(present)})",
            "Ask for fewer classes or use a smaller Felzenszwalb scale.",
        )

    lab = color.rgb2lab(array if array.ndim == 3 else color.gray2rgb(array))
    used = np.flatnonzero(present)
    weights = present[used].astype(float)
    means = np.stack([np.bincount(labels.ravel(), lab[..., c].ravel(), num_segments) for c in range(3)], axis=1)
    means = means[used] / weights[:, None]

    by_lightness = np.argsort(means[:, 0], kind="stable")
    picks = by_lightness[np.round(np.linspace(0, len(used) - 1, num_classes)).astype(int)]
    centres = means[picks]
    assignment = np.zeros(len(used), dtype=np.int64)
    for _ in range(max_iterations):
        distances = ((means[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new_assignment = distances.argmin(axis=1)
        for k in range(num_classes):
            members = new_assignment == k
            if members.any():  # an empty cluster keeps its centre
                centres[k] = (weights[members, None] * means[members]).sum(axis=0) / weights[members].sum()
        if np.array_equal(new_assignment, assignment):
            break
        assignment = new_assignment

    rank = np.argsort(np.argsort(centres[:, 0], kind="stable"), kind="stable")  # darkest class → 0
    segment_class = np.zeros(num_segments, dtype=np.int64)
    segment_class[used] = rank[assignment]
    return segment_class[labels]
