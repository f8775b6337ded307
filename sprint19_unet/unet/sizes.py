"""Crop arithmetic: which input sizes a U-Net accepts and what size comes out.

In the paper every 3×3 convolution is unpadded ("valid") and shaves 2 pixels off
each side length, and every 2×2 max pooling halves it, so only some input sizes
work: a pooling must never see an odd size. The paper's tile is 572×572, its
output 388×388 (572 − 184 for depth 4). With 'same' padding the convolutions keep
the size, and the only rule left is "divisible by 2**depth".

This module walks that arithmetic level by level, so the model builder, the
overlap-tile predictor and the error messages all share one source of truth.

Example:
    >>> unet_output_size(572, depth=4, padding="valid")
    388
    >>> nearest_valid_input_sizes(101, depth=4, padding="same")
    (96, 112)
"""

from __future__ import annotations

from sprint19_unet.errors import Sprint19Error, bad_input, is_integer

PADDINGS = ("same", "valid")

# How many pixels two unpadded 3×3 convolutions take off a side length.
VALID_CONV_PAIR_SHRINK = 4


def check_padding(padding: str) -> str:
    """Validate a padding mode.

    Args:
        padding: ``"same"`` or ``"valid"``.

    Returns:
        The padding, unchanged.

    Raises:
        Sprint19Error: for any other value.

    Example:
        >>> check_padding("valid")
        'valid'
    """
    if padding not in PADDINGS:
        raise bad_input(
            "padding",
            repr(padding),
            "'same' (keeps sizes, our default) or 'valid' (the paper's unpadded convolutions)",
            "Pass padding='same' or padding='valid'.",
        )
    return padding


def check_depth(depth: int) -> int:
    """Validate the number of poolings (levels of the contracting path).

    Args:
        depth: number of 2×2 max poolings; the paper uses 4.

    Returns:
        The depth, unchanged.

    Raises:
        Sprint19Error: when depth is not an integer >= 1.

    Example:
        >>> check_depth(4)
        4
    """
    if not is_integer(depth) or depth < 1:
        raise bad_input("depth", repr(depth), "an integer >= 1", "Use depth=4 as in the paper.")
    return depth


def _walk(input_size: int, depth: int, padding: str) -> tuple[int | None, str]:
    """Follow a side length through the network; return (output size, problem)."""
    shrink = VALID_CONV_PAIR_SHRINK if padding == "valid" else 0
    size = input_size
    for level in range(1, depth + 1):
        size -= shrink
        if size < 1:
            return None, f"the convolutions of contracting level {level} leave nothing"
        if size % 2:
            return None, f"the 2×2 max pooling after contracting level {level} would see an odd size {size}"
        size //= 2
    size -= shrink
    if size < 1:
        return None, "the bottleneck convolutions leave nothing"
    for level in range(depth, 0, -1):
        size = 2 * size - shrink
        if size < 1:
            return None, f"the convolutions of expanding level {level} leave nothing"
    return size, ""


def is_valid_input_size(input_size: int, depth: int = 4, padding: str = "valid") -> bool:
    """Tell whether a side length passes through the U-Net without odd poolings.

    Args:
        input_size: height or width of the input tile.
        depth: number of poolings (4 in the paper).
        padding: ``"valid"`` (paper) or ``"same"``.

    Returns:
        True when the size works.

    Example:
        >>> is_valid_input_size(572), is_valid_input_size(101)
        (True, False)
    """
    check_depth(depth)
    check_padding(padding)
    return input_size >= 1 and _walk(input_size, depth, padding)[0] is not None


def unet_output_size(input_size: int, depth: int = 4, padding: str = "valid") -> int:
    """Output side length of a U-Net for a given input side length.

    Args:
        input_size: height or width of the input tile.
        depth: number of poolings (4 in the paper).
        padding: ``"valid"`` (each conv pair shrinks by 4) or ``"same"``.

    Returns:
        The output side length (``input_size - 184`` for depth 4, valid mode).

    Raises:
        Sprint19Error: when the size does not work, saying where it breaks and
            which valid sizes are nearest.

    Example:
        >>> unet_output_size(572)
        388
        >>> unet_output_size(128, padding="same")
        128
    """
    check_depth(depth)
    check_padding(padding)
    if not is_integer(input_size) or input_size < 1:
        raise bad_input("input size", repr(input_size), "a positive integer", "Pass the tile's height or width.")
    output_size, problem = _walk(input_size, depth, padding)
    if output_size is None:
        raise Sprint19Error(invalid_size_message(input_size, depth, padding, problem))
    return output_size


def nearest_valid_input_sizes(input_size: int, depth: int = 4, padding: str = "valid") -> tuple[int | None, int]:
    """The nearest valid side lengths at or below and at or above ``input_size``.

    Valid sizes repeat every ``2**depth`` pixels, so the search is short.

    Args:
        input_size: the side length you have.
        depth: number of poolings.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        ``(below, above)``; ``below`` is None when no valid size is that small.
        Both equal ``input_size`` when it is valid itself.

    Example:
        >>> nearest_valid_input_sizes(101, padding="same")
        (96, 112)
        >>> nearest_valid_input_sizes(570, padding="valid")
        (556, 572)
    """
    check_depth(depth)
    check_padding(padding)
    below = next((s for s in range(input_size, 0, -1) if _walk(s, depth, padding)[0] is not None), None)
    above = max(input_size, 1)
    while _walk(above, depth, padding)[0] is None:
        above += 1
    return below, above


def input_size_for_output(output_size: int, depth: int = 4, padding: str = "valid") -> int:
    """Smallest valid input side length whose output covers ``output_size`` pixels.

    This is the tile size the overlap-tile strategy needs to predict an image of
    a given size in one piece.

    Args:
        output_size: the side length the prediction must cover.
        depth: number of poolings.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        The input side length.

    Example:
        >>> input_size_for_output(388)
        572
        >>> input_size_for_output(101, padding="same")
        112
    """
    check_depth(depth)
    check_padding(padding)
    size = max(output_size, 1)
    while True:
        out, _ = _walk(size, depth, padding)
        if out is not None and out >= output_size:
            return size
        size += 1


def invalid_size_message(input_size: int, depth: int, padding: str, problem: str = "") -> str:
    """Explain why a side length does not work and what to use instead.

    Args:
        input_size: the rejected side length.
        depth: number of poolings.
        padding: ``"valid"`` or ``"same"``.
        problem: where the walk through the network broke (optional).

    Returns:
        A message with received / expected / how to fix.

    Example:
        >>> "112" in invalid_size_message(101, 4, "same")
        True
    """
    below, above = nearest_valid_input_sizes(input_size, depth, padding)
    if padding == "same":
        expected = (
            f"a multiple of 2**depth = {2**depth} for padding='same' "
            f"(each of the {depth} max poolings halves it)"
        )
        nearest = f"Nearest valid sizes: {below} or {above}" if below else f"Smallest valid size: {above}"
        fix = (
            f"{nearest}. Pad the images (TGS 101×101 → 128×128 with "
            f"sprint19_unet.data.prepare.pad_to_size) or lower depth."
        )
    else:
        expected = (
            f"a size where every 2×2 max pooling sees an even size after the unpadded 3×3 convolutions "
            f"(padding='valid', depth={depth}; the paper's 572 → 388)"
        )
        parts = [f"{s} → output {unet_output_size(s, depth, padding)}" for s in (below, above) if s]
        cover = input_size_for_output(input_size, depth, padding)
        fix = (
            f"Nearest valid input sizes: {', '.join(parts)}. To predict a whole {input_size}-pixel image, "
            f"mirror-pad it to {cover} (overlap-tile) or use padding='same'."
        )
    where = f" ({problem})" if problem else ""
    return f"input size {input_size}: expected {expected}; received {input_size}{where}. {fix}"
