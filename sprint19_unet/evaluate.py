"""Scores of predicted masks against true masks, in NumPy, pooled over a whole set.

Example:
    >>> truth = np.zeros((1, 4, 4, 1), "uint8"); truth[0, :2] = 1
    >>> segmentation_report(truth, truth)["iou"]
    1.0
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import bad_input
from sprint19_unet.metrics import isbi_pixel_error, isbi_rand_error, kaggle_tgs_score


def _pair(true_masks, pred_masks) -> tuple[np.ndarray, np.ndarray]:
    true_masks, pred_masks = np.asarray(true_masks), np.asarray(pred_masks)
    if true_masks.shape != pred_masks.shape:
        raise bad_input(
            "pred_masks", f"shape {pred_masks.shape}", f"the shape of true_masks {true_masks.shape}",
            "Predict at the images' original size (predict_masks crops back).",
        )
    return true_masks, pred_masks


def segmentation_report(true_masks, pred_masks, num_classes: int = 1) -> dict:
    """IoU, Dice, pixel accuracy (and the Kaggle TGS score for binary masks) over a set.

    IoU and Dice pool all pixels of all images (one intersection over one union),
    the usual reading of "validation IoU"; the TGS score averages per image.

    Args:
        true_masks: (N, H, W, 1) labels (0/1, or class indices).
        pred_masks: predictions of the same shape.
        num_classes: 1 for binary masks; otherwise IoU and Dice per class are
            reported and averaged over the classes present.

    Returns:
        A dict of floats: ``iou``, ``dice``, ``pixel_accuracy`` and, for binary
        masks, ``tgs_score``; for several classes also ``per_class_iou`` (a list,
        NaN for a class absent from both).

    Example:
        >>> truth = np.array([[[[1], [1]], [[0], [0]]]]); guess = np.array([[[[1], [0]], [[0], [0]]]])
        >>> segmentation_report(truth, guess)["iou"]
        0.5
    """
    true_masks, pred_masks = _pair(true_masks, pred_masks)
    accuracy = float(np.mean(true_masks == pred_masks))
    if num_classes == 1:
        truth, guess = true_masks > 0, pred_masks > 0
        intersection = float(np.logical_and(truth, guess).sum())
        union = float(np.logical_or(truth, guess).sum())
        total = float(truth.sum() + guess.sum())
        return {
            "iou": intersection / union if union else 1.0,
            "dice": 2 * intersection / total if total else 1.0,
            "pixel_accuracy": accuracy,
            "tgs_score": kaggle_tgs_score(truth.astype("uint8"), guess.astype("uint8")),
        }
    ious, dices = [], []
    for label in range(num_classes):
        truth, guess = true_masks == label, pred_masks == label
        intersection = float(np.logical_and(truth, guess).sum())
        union = float(np.logical_or(truth, guess).sum())
        total = float(truth.sum() + guess.sum())
        ious.append(intersection / union if union else float("nan"))
        dices.append(2 * intersection / total if total else float("nan"))
    return {
        "iou": float(np.nanmean(ious)),
        "dice": float(np.nanmean(dices)),
        "pixel_accuracy": accuracy,
        "per_class_iou": ious,
    }


def isbi_report(true_masks, pred_masks, membrane: int = 1) -> dict:
    """The ISBI 2012 challenge's errors and the membrane's IoU and Dice over a stack of slices.

    Args:
        true_masks: (N, H, W, 1) binary truth.
        pred_masks: binary predictions of the same shape.
        membrane: the value that marks membrane: 1 for masks loaded with
            ``foreground=0`` (what a model trained on them predicts), 0 for the
            ISBI label files as they are.

    Returns:
        ``{"pixel_error", "rand_error", "iou", "dice"}``: the challenge's pixel error
        and Rand error (:func:`~sprint19_unet.metrics.isbi_rand_error`), and IoU and
        Dice of the membrane class pooled over all pixels.

    Example:
        >>> truth = np.array([[1, 1, 0, 1, 1]] * 3)[None, ..., None]      # membrane = 0 here
        >>> round(isbi_report(truth, np.ones_like(truth), membrane=0)["rand_error"], 4)
        0.3333
    """
    true_masks, pred_masks = _pair(true_masks, pred_masks)
    true_membrane, pred_membrane = true_masks == membrane, pred_masks == membrane
    report = segmentation_report(true_membrane.astype("uint8"), pred_membrane.astype("uint8"))
    return {
        "pixel_error": isbi_pixel_error(true_masks, pred_masks),
        "rand_error": isbi_rand_error(true_masks, pred_masks, membrane=membrane),
        "iou": report["iou"],
        "dice": report["dice"],
    }
