"""Getting TGS images into shape for a U-Net, and splitting them fairly.

A TGS Salt image is 101×101, and a U-Net with 'same' padding and depth 4 needs a
multiple of 16 (:mod:`sprint19_unet.unet.sizes`). Two ways to get there:

* **Pad** (:func:`pad_to_size`): mirror the borders out to 128×128 (13 pixels
  before, 14 after) and, after predicting, cut the prediction back with
  :func:`crop_to_size`. No pixel is resampled, so the masks stay exact.
* **Resize** (:func:`resize_images`, :func:`resize_masks`): stretch to 128×128,
  bilinear for images, nearest neighbour for masks so they keep their values.

With the paper's unpadded ('valid') convolutions the output is smaller than the input:
:func:`mirror_pad_for_valid` mirror-pads an image so the output covers all of it (overlap-tile, one tile).

About 39 % of the TGS masks are empty, the rest cover a few pixels to all of it: a random split can
be lopsided. :func:`coverage_classes` (0 = empty, then deciles) and :func:`stratified_split` keep the
classes' proportions in both parts, as the TGS kernels did.

Example:
    >>> import numpy as np
    >>> images = np.zeros((2, 101, 101, 1), dtype="float32")
    >>> padded = pad_to_size(images, 128)
    >>> padded.shape, crop_to_size(padded, (101, 101)).shape
    ((2, 128, 128, 1), (2, 101, 101, 1))
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import bad_input, check_int, is_integer
from sprint19_unet.unet.sizes import check_depth, input_size_for_output, unet_output_size

# np.pad modes that make sense around an image; "reflect" mirrors without
# repeating the border pixel (d c b | a b c d), as in the paper's Figure 2.
PAD_MODES = ("reflect", "symmetric", "edge", "constant")


# === Argument checks ===


def _size_pair(value, name: str) -> tuple[int, int]:
    """An int or (height, width) pair of positive ints."""
    if is_integer(value):
        pair = (value, value)
    elif isinstance(value, (tuple, list)):
        pair = tuple(value)
    else:
        pair = ()
    if len(pair) != 2 or any(
        not is_integer(v) or v < 1 for v in pair
    ):
        raise bad_input(
            name, repr(value), "a positive integer or a (height, width) pair of them", f"Pass e.g. {name}=128."
        )
    return int(pair[0]), int(pair[1])


def _image_array(images, name: str) -> np.ndarray:
    """(N, H, W, C) or (H, W, C) array; returns it unchanged."""
    array = np.asarray(images)
    if array.ndim not in (3, 4):
        raise bad_input(
            name,
            f"an array of shape {array.shape}",
            "(batch, height, width, channels) or (height, width, channels)",
            "Add a channel axis, e.g. images[..., None] for grayscale images.",
        )
    return array


def _spatial_shape(array: np.ndarray) -> tuple[int, int]:
    return array.shape[-3], array.shape[-2]


def _pad_widths(array: np.ndarray, top_bottom: tuple[int, int], left_right: tuple[int, int]) -> list:
    widths = [(0, 0)] * array.ndim
    widths[-3] = top_bottom
    widths[-2] = left_right
    return widths


def _split(total: int) -> tuple[int, int]:
    """Split a padding total into (before, after); the extra pixel goes after."""
    return total // 2, total - total // 2


def _check_mode(mode: str) -> str:
    if mode not in PAD_MODES:
        raise bad_input("mode", repr(mode), f"one of {PAD_MODES}", "Use mode='reflect' (mirror the borders).")
    return mode


# === Pad and crop ===


def mirror_pad(images, top_bottom, left_right) -> np.ndarray:
    """Mirror images at their borders: the paper's way to give border pixels context (Figure 2).

    ``d c b | a b c d | c b a``: the border pixel is not repeated (``np.pad``'s
    ``"reflect"``), and widths larger than the image keep reflecting. This is the
    one place the package mirrors: :func:`pad_to_size`, :func:`mirror_pad_for_valid`,
    the training tiles (:mod:`sprint19_unet.data.input_spec`) and overlap-tile prediction
    (:mod:`sprint19_unet.estimation.predict`) all call it.

    Args:
        images: array of shape (batch, height, width, channels) or
            (height, width, channels); images or masks.
        top_bottom: pixels to add above and below, ``(top, bottom)``.
        left_right: pixels to add left and right, ``(left, right)``.

    Returns:
        The mirrored array, same dtype and number of axes.

    Raises:
        Sprint19Error: for a bad shape or a negative width.

    Example:
        >>> import numpy as np
        >>> mirror_pad(np.arange(4).reshape(1, 4, 1), (0, 0), (3, 2))[0, :, 0].tolist()
        [3, 2, 1, 0, 1, 2, 3, 2, 1]
    """
    array = _image_array(images, "images")
    widths = (tuple(top_bottom), tuple(left_right))
    if any(len(pair) != 2 for pair in widths) or any(
        not is_integer(v) or v < 0 for pair in widths for v in pair
    ):
        raise bad_input(
            "pad widths", repr(widths), "two (before, after) pairs of non-negative integers",
            "Pass e.g. mirror_pad(images, (13, 14), (13, 14)).",
        )
    return np.pad(array, _pad_widths(array, *widths), mode="reflect")


def pad_to_size(images, size, mode: str = "reflect") -> np.ndarray:
    """Pad images around their borders to a given height and width.

    The padding is split evenly, the odd pixel going after: TGS 101 → 128 pads
    13 pixels at the top and left and 14 at the bottom and right.
    :func:`crop_to_size` undoes it exactly.

    Args:
        images: array of shape (batch, height, width, channels) or
            (height, width, channels); images or masks.
        size: target side length, or a (height, width) pair; at least the
            current size.
        mode: ``"reflect"`` (mirror, default), ``"symmetric"`` (mirror repeating
            the border pixel), ``"edge"`` or ``"constant"`` (zeros).

    Returns:
        The padded array, same dtype and number of axes.

    Raises:
        Sprint19Error: for a bad shape, size or mode, or a size smaller than
            the images.

    Example:
        >>> import numpy as np
        >>> pad_to_size(np.ones((101, 101, 1)), 128).shape
        (128, 128, 1)
    """
    array = _image_array(images, "images")
    target_h, target_w = _size_pair(size, "size")
    _check_mode(mode)
    height, width = _spatial_shape(array)
    if target_h < height or target_w < width:
        raise bad_input(
            "size",
            f"{(target_h, target_w)} for images of {height}×{width}",
            "a size at least as large as the images",
            "Use crop_to_size to make images smaller, or resize_images to rescale them.",
        )
    top_bottom, left_right = _split(target_h - height), _split(target_w - width)
    if mode == "reflect":
        return mirror_pad(array, top_bottom, left_right)
    return np.pad(array, _pad_widths(array, top_bottom, left_right), mode=mode)


def crop_to_size(padded, original_hw) -> np.ndarray:
    """Cut the centre out of padded images (or predictions): the inverse of :func:`pad_to_size`.

    The crop offsets follow the same rule as :func:`pad_to_size` (the odd pixel
    is cut after), so ``crop_to_size(pad_to_size(x, 128), x.shape[-3:-1])``
    returns ``x`` exactly. It also cuts predictions of a model whose input was
    padded by :func:`mirror_pad_for_valid` back to the original image.

    Args:
        padded: array of shape (batch, height, width, channels) or
            (height, width, channels).
        original_hw: the side length, or (height, width), to cut out.

    Returns:
        The cropped array (a view, no copy).

    Raises:
        Sprint19Error: for a bad shape, or a size larger than the array.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((101, 101, 1))
        >>> bool(np.array_equal(crop_to_size(pad_to_size(x, 128), (101, 101)), x))
        True
    """
    array = _image_array(padded, "padded")
    height, width = _size_pair(original_hw, "original_hw")
    padded_h, padded_w = _spatial_shape(array)
    if height > padded_h or width > padded_w:
        raise bad_input(
            "original_hw",
            f"{(height, width)} for an array of {padded_h}×{padded_w}",
            "a size no larger than the padded array",
            "Pass the size the images had before pad_to_size, e.g. (101, 101) for TGS.",
        )
    top = (padded_h - height) // 2
    left = (padded_w - width) // 2
    return array[..., top : top + height, left : left + width, :]


def mirror_pad_for_valid(images, depth: int = 4, mode: str = "reflect"):
    """Mirror-pad images so a 'valid'-padding U-Net's output covers all of them.

    The unpadded convolutions of the paper's U-Net make its output smaller than
    its input (572 → 388 for depth 4), and the output sits in the centre of the
    input. This pads each side to the smallest valid input size whose output is
    at least as large as the image
    (:func:`sprint19_unet.unet.sizes.input_size_for_output`), placing the image so
    that it falls inside the output, centred. Cut the prediction back with
    ``crop_to_size(prediction, (height, width))``.

    Args:
        images: array of shape (batch, height, width, channels) or
            (height, width, channels).
        depth: number of poolings of the U-Net (4 in the paper).
        mode: how to fill the border; ``"reflect"`` mirrors, as in the paper.

    Returns:
        ``(padded, pads)``: the padded array and the pad amounts
        ``((top, bottom), (left, right))``.

    Raises:
        Sprint19Error: for a bad shape, depth or mode.

    Example:
        >>> import numpy as np
        >>> padded, pads = mirror_pad_for_valid(np.zeros((101, 101, 1)))
        >>> padded.shape, pads
        ((300, 300, 1), ((99, 100), (99, 100)))
    """
    array = _image_array(images, "images")
    check_depth(depth)
    _check_mode(mode)
    pads = []
    for side in _spatial_shape(array):
        input_size = input_size_for_output(side, depth, "valid")
        output_size = unet_output_size(input_size, depth, "valid")
        margin = (input_size - output_size) // 2  # what the convolutions shave off each side
        before = margin + (output_size - side) // 2
        pads.append((before, input_size - side - before))
    top_bottom, left_right = pads
    if mode == "reflect":
        return mirror_pad(array, top_bottom, left_right), (top_bottom, left_right)
    return np.pad(array, _pad_widths(array, top_bottom, left_right), mode=mode), (top_bottom, left_right)


# === Resize ===


def _bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) weights of 1-D linear interpolation, pixel centres aligned."""
    source = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    source = np.clip(source, 0, size_in - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    fraction = source - low
    weights = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    np.add.at(weights, (rows, low), 1.0 - fraction)
    np.add.at(weights, (rows, high), fraction)
    return weights


def _nearest_indices(size_in: int, size_out: int) -> np.ndarray:
    """Source pixel of each output pixel for nearest-neighbour resizing, pixel centres aligned."""
    return np.minimum(((np.arange(size_out) + 0.5) * (size_in / size_out)).astype(int), size_in - 1)


def resize_images(images, size) -> np.ndarray:
    """Resize images bilinearly (the alternative to padding).

    Pixel centres are aligned (``half_pixel_centers``, like ``keras.ops.image.resize``
    with ``antialias=False``); values keep their scale. Use :func:`resize_masks`
    for masks.

    Args:
        images: array of shape (batch, height, width, channels) or
            (height, width, channels).
        size: target side length, or a (height, width) pair.

    Returns:
        The resized images as float32.

    Raises:
        Sprint19Error: for a bad shape or size.

    Example:
        >>> import numpy as np
        >>> resize_images(np.ones((2, 101, 101, 1)), 128).shape
        (2, 128, 128, 1)
    """
    array = _image_array(images, "images")
    target_h, target_w = _size_pair(size, "size")
    height, width = _spatial_shape(array)
    rows = _bilinear_matrix(height, target_h)
    cols = _bilinear_matrix(width, target_w)
    resized = np.einsum("oh,...hwc,pw->...opc", rows, array.astype(np.float64), cols, optimize=True)
    return resized.astype(np.float32)


def resize_masks(masks, size) -> np.ndarray:
    """Resize masks with nearest neighbour, so every value stays one of the original values.

    Args:
        masks: array of shape (batch, height, width, channels) or
            (height, width, channels); binary masks or integer labels.
        size: target side length, or a (height, width) pair.

    Returns:
        The resized masks, same dtype.

    Raises:
        Sprint19Error: for a bad shape or size.

    Example:
        >>> import numpy as np
        >>> mask = np.array([[0, 1], [2, 3]], dtype="uint8")[:, :, None]
        >>> resize_masks(mask, 4)[:, :, 0]
        array([[0, 0, 1, 1],
               [0, 0, 1, 1],
               [2, 2, 3, 3],
               [2, 2, 3, 3]], dtype=uint8)
    """
    array = _image_array(masks, "masks")
    target_h, target_w = _size_pair(size, "size")
    height, width = _spatial_shape(array)
    rows = _nearest_indices(height, target_h)
    cols = _nearest_indices(width, target_w)
    return np.take(np.take(array, rows, axis=-3), cols, axis=-2)


# === Coverage classes and a stratified split ===


def _mask_batch(masks) -> np.ndarray:
    array = np.asarray(masks)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] == 0:
        raise bad_input(
            "masks",
            f"an array of shape {array.shape}",
            "a non-empty batch of shape (batch, height, width) or (batch, height, width, 1)",
            "Stack the masks along a first axis, e.g. np.stack(masks).",
        )
    return array


def coverage_classes(masks, num_bins: int = 10) -> np.ndarray:
    """Put every mask into a coverage class: 0 = empty, then ``num_bins`` equal bins.

    The coverage is the fraction of non-zero pixels; a mask with coverage ``c > 0``
    gets class ``ceil(c · num_bins)`` (1 … num_bins), as in the TGS kernels
    (computed in integers, so 30 % coverage is exactly class 3).

    Args:
        masks: array of shape (batch, height, width) or (batch, height, width, 1).
        num_bins: number of coverage bins for non-empty masks (10 → deciles).

    Returns:
        int64 array of shape (batch,) with values in 0 … num_bins.

    Raises:
        Sprint19Error: for a bad shape or num_bins.

    Example:
        >>> import numpy as np
        >>> masks = np.zeros((3, 10, 10), dtype="uint8")
        >>> masks[1, :3] = 1      # 30 % coverage
        >>> masks[2] = 1          # full
        >>> coverage_classes(masks).tolist()
        [0, 3, 10]
    """
    array = _mask_batch(masks)
    num_bins = check_int("num_bins", num_bins, 1, "Use num_bins=10 (deciles) as in the TGS kernels.")
    pixels = array.shape[1] * array.shape[2]
    counts = np.count_nonzero(array.reshape(array.shape[0], -1), axis=1).astype(np.int64)
    return (counts * int(num_bins) + pixels - 1) // pixels  # ceil in integers


def stratified_split(masks, val_fraction: float = 0.2, seed: int = 0):
    """Split sample indices into train and validation, stratified by coverage class.

    Within each :func:`coverage_classes` class, ``round(count · val_fraction)``
    members go to validation; every class with at least 2 members keeps at
    least one in each part. A class with a single member goes to training. The
    split depends only on the masks, ``val_fraction`` and ``seed``.

    Args:
        masks: array of shape (batch, height, width) or (batch, height, width, 1).
        val_fraction: share of each class for validation, strictly between 0 and 1.
        seed: non-negative integer seed.

    Returns:
        ``(train_idx, val_idx)``: sorted int64 index arrays, disjoint, together
        covering ``range(batch)``.

    Raises:
        Sprint19Error: for fewer than 2 masks, a bad shape, val_fraction or seed.

    Example:
        >>> import numpy as np
        >>> masks = np.zeros((10, 8, 8), dtype="uint8")
        >>> masks[5:, :4] = 1
        >>> train_idx, val_idx = stratified_split(masks, val_fraction=0.2, seed=0)
        >>> len(train_idx), len(val_idx)
        (8, 2)
    """
    classes = coverage_classes(masks)
    if len(classes) < 2:
        raise bad_input(
            "masks", f"{len(classes)} sample", "at least 2 samples (one for training, one for validation)",
            "Pass all the training masks.",
        )
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, (int, float, np.floating))
        or not 0.0 < val_fraction < 1.0
    ):
        raise bad_input(
            "val_fraction", repr(val_fraction), "a fraction strictly between 0 and 1", "Use val_fraction=0.2."
        )
    seed = check_int("seed", seed, 0, "Pass e.g. seed=0.")

    rng = np.random.default_rng(int(seed))
    train_parts, val_parts = [], []
    for label in np.unique(classes):
        members = rng.permutation(np.flatnonzero(classes == label))
        count = len(members)
        num_val = int(np.floor(count * val_fraction + 0.5))
        num_val = min(max(num_val, 1), count - 1) if count >= 2 else 0
        val_parts.append(members[:num_val])
        train_parts.append(members[num_val:])
    train_idx = np.concatenate(train_parts)
    val_idx = np.concatenate(val_parts)
    if len(val_idx) == 0:  # only single-member classes: move one sample over
        pick = rng.integers(len(train_idx))
        val_idx = train_idx[pick : pick + 1]
        train_idx = np.delete(train_idx, pick)
    return np.sort(train_idx).astype(np.int64), np.sort(val_idx).astype(np.int64)
