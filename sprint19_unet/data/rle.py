"""Run-length encoding of binary masks in the Kaggle TGS Salt format.

Kaggle numbers the pixels of an H×W mask from 1 to H·W, **top to bottom, then left
to right** (column-major, NumPy ``order="F"``). A mask is written as space-separated
``"start length"`` pairs, one pair per run of foreground pixels, with the starts
sorted and the runs not overlapping. An empty mask is the empty string.

For the 3×3 mask below, pixel numbers run down the columns::

    mask        pixel numbers
    0 1 0       1 4 7
    0 1 0       2 5 8
    1 1 0       3 6 9

the foreground pixels are 3, 4, 5, 6: one run starting at 3 of length 4, RLE ``"3 4"``.

NumPy and :mod:`sprint19_unet.data.images` (the binary-mask rule) only: no Keras, it imports fast.

Example:
    >>> import numpy as np
    >>> mask = np.array([[0, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=np.uint8)
    >>> encode_rle(mask)
    '3 4'
    >>> decode_rle("3 4", (3, 3)).tolist()
    [[0, 1, 0], [0, 1, 0], [1, 1, 0]]
"""

from __future__ import annotations

import math
import re

import numpy as np

from sprint19_unet.data.images import binary_mask, one_image
from sprint19_unet.errors import Sprint19Error, bad_input

# How much of a long RLE string an error message quotes.
_QUOTE_CHARS = 60
# One RLE value: ASCII digits, with an optional minus so that negative starts and
# lengths get their own message below. int() alone also takes '+1', '1_0' and
# other scripts' digits such as '١'.
_INTEGER_TOKEN = re.compile(r"-?[0-9]+")


# === Encoding ===


def _binary_mask(mask: object, name: str) -> np.ndarray:
    """Check a mask for encoding and return it as a 2-D bool array (the rule of :func:`binary_mask`)."""
    array = one_image(mask, name, "a mask",
                      "Encode one mask at a time; squeeze extra axes, e.g. mask[..., 0] for (H, W, 1).")
    fix = "Threshold predicted probabilities first, e.g. encode_rle(probabilities > 0.5)."
    return binary_mask(array, subject=name, fix=fix)


def encode_rle(mask: object, *, name: str = "mask") -> str:
    """Encode a binary mask as a Kaggle run-length string.

    Args:
        mask: array of shape (H, W) or (H, W, 1); bool, or values 0/1, or values 0/255
            (integers, or floats that are exactly those values; see
            :func:`sprint19_unet.data.images.binary_mask`).
        name: how error messages refer to the mask (e.g. the image id).

    Returns:
        ``"start length start length ..."`` with 1-indexed, column-major pixel numbers,
        sorted and non-overlapping; ``""`` for an empty mask.

    Raises:
        Sprint19Error: when the mask is not 2-D (or (H, W, 1)) or not binary.

    Example:
        >>> import numpy as np
        >>> encode_rle(np.array([[1, 0], [1, 1]], dtype=bool))
        '1 2 4 1'
        >>> encode_rle(np.zeros((101, 101), dtype=np.uint8))
        ''
    """
    foreground = _binary_mask(mask, name)
    pixels = foreground.flatten(order="F").astype(np.int8)
    # A run starts where 0 → 1 and ends where 1 → 0; padding both ends with 0 makes
    # every run have both edges.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], pixels, [0]))))
    starts = edges[0::2] + 1  # 1-indexed
    lengths = edges[1::2] - edges[0::2]
    pairs = np.empty(starts.size * 2, dtype=np.int64)
    pairs[0::2] = starts
    pairs[1::2] = lengths
    return " ".join(str(value) for value in pairs.tolist())


# === Decoding ===


def _is_empty_rle(rle: object) -> bool:
    """True for the spellings of "no mask": None, NaN (pandas) and blank strings."""
    if rle is None:
        return True
    if isinstance(rle, (float, np.floating)) and math.isnan(float(rle)):
        return True
    return isinstance(rle, str) and rle.strip() == ""


def _check_shape(shape: object) -> tuple[int, int]:
    """Validate an (H, W) shape for decoding."""
    try:
        height, width = (int(side) for side in shape)  # type: ignore[union-attr]
        ok = height >= 1 and width >= 1 and all(int(side) == side for side in shape)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input(
            "shape",
            repr(shape),
            "(height, width) with two positive integers",
            "Pass the image size, e.g. shape=(101, 101) for TGS Salt.",
        )
    return height, width


def _quote(rle: str) -> str:
    """Quote an RLE string for an error message, shortened when long."""
    text = rle.strip()
    if len(text) > _QUOTE_CHARS:
        text = text[:_QUOTE_CHARS] + "..."
    return repr(text)


def _out_of_range(name: str, run: int, what: str, shape) -> Sprint19Error:
    """The error for run number ``run`` (``what`` describes it) not fitting an image of ``shape``."""
    return bad_input(
        name,
        f"run #{run} {what}, out of range for shape {tuple(shape)} (pixels 1..{shape[0] * shape[1]})",
        "every run inside the image",
        "Check that shape is the image size the RLE was made for (TGS: (101, 101)).",
    )


def _parse_pairs(rle: str, shape: tuple[int, int], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Split an RLE string into (starts, lengths) integer arrays, checking tokens.

    Every value is checked against the image size before it becomes an int64, so a
    huge number (or start + length) cannot overflow.
    """
    num_pixels = shape[0] * shape[1]
    values = []
    for position, token in enumerate(rle.split(), start=1):
        if not _INTEGER_TOKEN.fullmatch(token):
            raise bad_input(
                name,
                f"the non-numeric token {token!r} (value #{position}) in {_quote(rle)}",
                "whole numbers only, written with the digits 0-9: 'start length start length ...'",
                "Check the CSV for stray characters (signs, '_', other scripts' digits) or a shifted column.",
            )
        # Count the digits first: int() of a very long token is slow or refused.
        short = len(token.lstrip("-").lstrip("0")) <= len(str(num_pixels))
        value = int(token) if short else None
        if value is None or abs(value) > num_pixels:
            shown = token if len(token) <= 20 else token[:20] + "..."
            field = "start" if position % 2 else "length"
            raise _out_of_range(name, (position + 1) // 2, f"with {field} {shown}", shape)
        values.append(value)
    if len(values) % 2:
        raise bad_input(
            name,
            f"an odd number of values ({len(values)}) in {_quote(rle)}",
            "'start length' pairs, so an even number of values",
            "The string is probably cut off; re-export it or re-download the CSV.",
        )
    pairs = np.asarray(values, dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _check_runs(starts: np.ndarray, lengths: np.ndarray, num_pixels: int, shape, rle: str, name: str) -> None:
    """Check the Kaggle rules on parsed runs; raise on the first broken one."""
    bad = np.flatnonzero(lengths <= 0)
    if bad.size:
        i = bad[0]
        raise bad_input(
            name,
            f"run #{i + 1} with length {lengths[i]} (start {starts[i]}) in {_quote(rle)}",
            "every length >= 1",
            "Drop empty runs; a mask with no pixels is the empty string.",
        )
    bad = np.flatnonzero(starts < 1)
    if bad.size:
        i = bad[0]
        raise bad_input(
            name,
            f"run #{i + 1} with start {starts[i]} in {_quote(rle)}",
            "starts >= 1 (Kaggle numbers pixels from 1)",
            "If the encoder counted from 0, add 1 to every start.",
        )
    ends = starts + lengths - 1
    bad = np.flatnonzero(ends > num_pixels)
    if bad.size:
        i = bad[0]
        raise _out_of_range(name, i + 1, f"covering pixels {starts[i]}..{ends[i]}", shape)
    bad = np.flatnonzero(starts[1:] < starts[:-1])
    if bad.size:
        i = bad[0] + 1
        raise bad_input(
            name,
            f"unsorted starts: run #{i + 1} starts at {starts[i]}, before run #{i} at {starts[i - 1]}",
            "starts in increasing order",
            "Sort the runs by start, or re-encode the mask with encode_rle.",
        )
    bad = np.flatnonzero(starts[1:] <= ends[:-1])
    if bad.size:
        i = bad[0] + 1
        raise bad_input(
            name,
            f"overlapping runs: run #{i + 1} starts at {starts[i]} inside run #{i} "
            f"(pixels {starts[i - 1]}..{ends[i - 1]})",
            "non-overlapping runs",
            "Merge the overlapping runs, or re-encode the mask with encode_rle.",
        )


def decode_rle(rle: object, shape: tuple[int, int], *, name: str = "rle") -> np.ndarray:
    """Decode a Kaggle run-length string into a binary mask.

    Args:
        rle: ``"start length ..."`` string (1-indexed, column-major). ``""``, ``None``
            and NaN (what pandas reads for an empty cell) mean an empty mask.
        shape: (height, width) of the image, e.g. (101, 101).
        name: how error messages refer to the string (e.g. ``"train.csv, id 'a1b2'"``).

    Returns:
        uint8 array of shape ``shape`` with values 0 and 1.

    Raises:
        Sprint19Error: for a bad shape, a non-string value, an odd number of values,
            a token that is not written with the digits 0-9 (``+1``, ``1_0``, ``١``),
            a length <= 0, a start < 1, a number or run beyond the image,
            unsorted starts or overlapping runs — each with its own message.

    Example:
        >>> decode_rle("1 2 4 1", (2, 2)).tolist()
        [[1, 0], [1, 1]]
        >>> int(decode_rle("", (101, 101)).sum())
        0
    """
    height, width = _check_shape(shape)
    num_pixels = height * width
    if _is_empty_rle(rle):
        return np.zeros((height, width), dtype=np.uint8)
    if not isinstance(rle, str):
        raise bad_input(
            name,
            f"{type(rle).__name__} {rle!r}",
            "a string of 'start length' pairs, or '' / None / NaN for an empty mask",
            "Read the rle_mask column as text.",
        )
    starts, lengths = _parse_pairs(rle, (height, width), name)
    _check_runs(starts, lengths, num_pixels, (height, width), rle, name)
    # +1 where a run starts, -1 just after it ends; the running sum marks the runs.
    change = np.zeros(num_pixels + 1, dtype=np.int32)
    np.add.at(change, starts - 1, 1)
    np.add.at(change, starts - 1 + lengths, -1)
    flat = np.cumsum(change[:-1]) > 0
    return flat.reshape((height, width), order="F").astype(np.uint8)
