"""Test-time augmentation: predict transformed copies of the images and average, each transformed back.

``"flip"`` averages with the left-right mirror image (2 predictions); ``"dihedral"`` with
all 8 symmetries of the square — the rotations by 0°, 90°, 180° and 270° and their mirror
images — as the paper averaged rotated versions of the input for the ISBI challenge. A
U-Net is not rotation-equivariant, so the average is smoother than any one prediction.

Example:
    >>> import numpy as np
    >>> images = np.arange(12.0).reshape(1, 3, 4, 1)
    >>> bool(np.array_equal(tta_average(lambda x: x, images, "dihedral"), images))  # identity: unchanged
    True
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import bad_input

# Test-time augmentation: "flip" averages with the left-right mirrored image (what --tta did first); "dihedral"
# averages the 8 rotations by 90° and their mirror images, as the paper averaged rotated versions for ISBI.
TTA_MODES = ("none", "flip", "dihedral")


def tta_mode(tta) -> str:
    """``tta`` as one of :data:`TTA_MODES`: False → ``"none"``, True → ``"flip"``, a mode's name → itself.

    Example:
        >>> tta_mode(True), tta_mode("dihedral")
        ('flip', 'dihedral')
    """
    if tta is None or tta is False:
        return "none"
    if tta is True:
        return "flip"
    if isinstance(tta, str) and tta in TTA_MODES:
        return tta
    raise bad_input("tta", repr(tta), f"True, False or one of {', '.join(map(repr, TTA_MODES))}",
                    "Use tta='flip' (2 predictions) or tta='dihedral' (8: rotations and mirror images).")


def tta_average(predict, images: np.ndarray, mode: str) -> np.ndarray:
    """Average ``predict`` over the transformed images, each prediction transformed back.

    Args:
        predict: images ``(N, H, W, C)`` → per-pixel outputs of the same height and width.
        images: the batch.
        mode: one of :data:`TTA_MODES`.

    Returns:
        The average (float).

    Example:
        >>> ramp = np.arange(6.0).reshape(1, 2, 3, 1)
        >>> tta_average(lambda x: x * 0 + x[:, :1, :1], ramp, "flip")[0, :, :, 0]  # top-left pixel, mirrored too
        array([[1., 1., 1.],
               [1., 1., 1.]])
    """
    if mode == "none":
        return predict(images)
    turns = (0,) if mode == "flip" else (0, 1, 2, 3)
    total = 0.0
    for turn in turns:
        for mirrored in (False, True):
            view = np.rot90(images, turn, axes=(1, 2))
            view = view[:, :, ::-1] if mirrored else view
            output = predict(np.ascontiguousarray(view))
            output = output[:, :, ::-1] if mirrored else output
            total = total + np.rot90(output, -turn, axes=(1, 2))
    return total / (2 * len(turns))
