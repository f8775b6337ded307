"""Estimation: probabilities and masks for images of any size, TTA, overlap-tile, threshold.

* :func:`predict_probabilities` brings images to the model as training did — the
  same :class:`~sprint19_unet.data.input_spec.InputSpec`: an image that fits one tile is
  mirrored out to it and the prediction cropped back to the image's size; a larger
  image (or any image for a valid-padding model) goes through the paper's
  **overlap-tile** strategy (:func:`predict_overlap_tile`) at the same scale; with
  ``scale`` != 1 images are resized first and the probabilities resized back.
* ``tta=True`` (``"flip"``) averages the prediction with that of the horizontally flipped image;
  ``tta="dihedral"`` over the 8 rotations and mirror images (:mod:`sprint19_unet.estimation.tta`).
* :func:`tune_threshold` picks the probability threshold that maximises the
  Kaggle TGS metric on validation data.

Example:
    >>> from sprint19_unet.unet.model import build_unet
    >>> model = build_unet((128, 128, 1), base_filters=4, depth=2)
    >>> images = np.random.default_rng(0).random((2, 101, 101, 1), dtype="float32")
    >>> predict_masks(model, images).shape
    (2, 101, 101, 1)
"""

from __future__ import annotations

import math

import keras
import numpy as np

from sprint19_unet.errors import bad_input, check_finite, check_int, check_threshold
from sprint19_unet.data.input_spec import InputSpec, check_segmentation_model, downsampling_factor
from sprint19_unet.estimation.scoring import isbi_rand_error, kaggle_tgs_score, misclassified_fraction
from sprint19_unet.data.prepare import crop_to_size, mirror_pad, pad_to_size
from sprint19_unet.training.sanity import check_predictions
from sprint19_unet.estimation.tta import tta_average, tta_mode


def _check_images(images) -> np.ndarray:
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise bad_input(
            "images", f"an array of shape {images.shape}", "(N, height, width, channels) with N ≥ 1",
            "Stack the images into one array, e.g. data.images from sprint19_unet.load_tgs.",
        )
    return check_finite("images", images, "Replace them (e.g. np.nan_to_num) or fix the code that made the array.")


def predict_overlap_tile(
    model: keras.Model, images, batch_size: int = 8, trim: int | None = None, verbose: int = 0
) -> np.ndarray:
    """Predict images of any size by mirroring the borders and stitching tiles (paper, Fig. 2).

    Each tile of the model's input size predicts its centre; tiles are placed so
    that the used centres abut. The used centre is a multiple of ``2**depth``
    pixels wide: max pooling sees a different pixel grid after any other shift,
    so only then is the stitched result exactly what one big tile would give.
    For the paper's 572 → 388 tile that is the central 384 pixels.

    Args:
        model: a model with a fixed input size.
        images: (N, H, W, C) float32.
        batch_size: tiles per prediction batch.
        trim: at least this many output pixels are dropped on each side of a
            tile (default 0 for valid-padding models, whose whole output saw real
            context; input/8 for 'same' models, whose borders saw zero padding).
        verbose: 1 shows a Keras progress bar.

    Returns:
        float32 (N, H, W, classes) probabilities.

    Raises:
        Sprint19Error: when the model has no fixed size or its output is too
            small to give a centre of ``2**depth`` pixels.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> model = build_unet((204, 204, 1), base_filters=2, padding="valid")   # output 20×20
        >>> predict_overlap_tile(model, np.zeros((1, 40, 30, 1), "float32")).shape
        (1, 40, 30, 1)
    """
    check_segmentation_model(model)
    images = _check_images(images)
    in_h, in_w = model.input_shape[1:3]
    out_h, out_w = model.output_shape[1:3]
    if None in (in_h, in_w, out_h, out_w):
        raise bad_input("model", "a model without a fixed input size", "a fixed-size model for overlap-tile",
                        "Use predict_probabilities, which pads for size-free models.")
    if trim is None:
        trim = 0 if out_h < in_h else in_h // 8
    factor = downsampling_factor(model)
    core_h, core_w = ((out_h - 2 * trim) // factor) * factor, ((out_w - 2 * trim) // factor) * factor
    if core_h < 1 or core_w < 1:
        raise bad_input(
            "model", f"an output of {out_h}×{out_w} pixels (less than {factor} after trimming {trim})",
            f"an output with a centre of at least 2**depth = {factor} pixels", "Use a larger input tile.",
        )
    # context on each side: the valid convolutions' margin plus the trimmed output border
    before_h = (in_h - out_h) // 2 + (out_h - core_h) // 2
    before_w = (in_w - out_w) // 2 + (out_w - core_w) // 2
    count, height, width, _ = images.shape
    tiles_y, tiles_x = math.ceil(height / core_h), math.ceil(width / core_w)
    padded = mirror_pad(
        images,
        (before_h, in_h - before_h - core_h + tiles_y * core_h - height),
        (before_w, in_w - before_w - core_w + tiles_x * core_w - width),
    )
    corners = [(y * core_h, x * core_w) for y in range(tiles_y) for x in range(tiles_x)]
    tiles = np.stack([padded[:, y : y + in_h, x : x + in_w] for y, x in corners], axis=1)
    tiles = tiles.reshape(-1, in_h, in_w, images.shape[-1])
    predictions = model.predict(tiles, batch_size=batch_size, verbose=verbose)
    predictions = predictions.reshape(count, len(corners), out_h, out_w, -1)
    top, left = (out_h - core_h) // 2, (out_w - core_w) // 2
    stitched = np.zeros((count, tiles_y * core_h, tiles_x * core_w, predictions.shape[-1]), "float32")
    for index, (y, x) in enumerate(corners):
        stitched[:, y : y + core_h, x : x + core_w] = predictions[:, index, top : top + core_h, left : left + core_w]
    return stitched[:, :height, :width]


def predict_probabilities(
    model: keras.Model, images, batch_size: int = 16, tta: bool | str = False, verbose: int = 0, scale: float = 1.0
) -> np.ndarray:
    """Per-pixel probabilities at each image's own size, the images meeting the model as in training.

    Args:
        model: a U-Net (sigmoid or softmax output).
        images: (N, H, W, C) or (N, H, W) float32 in [0, 1].
        batch_size: images (or tiles) per prediction batch.
        tta: test-time augmentation (:func:`~sprint19_unet.estimation.tta.tta_average`):
            False, True or ``"flip"`` (average with the left-right mirrored images), or
            ``"dihedral"`` (the 8 rotations by 90° and their mirror images, as the paper
            did for ISBI).
        verbose: 1 shows a Keras progress bar per prediction pass.
        scale: the ``scale`` the model was trained at (``TrainConfig.scale``; 1 =
            native resolution): images are resized by it first and the
            probabilities resized back.

    Returns:
        float32 (N, H, W, classes).

    Raises:
        Sprint19Error: for images of the wrong rank or channel count, a bad scale, or a
            ``batch_size`` that is not an integer ≥ 1.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> model = build_unet((None, None, 1), base_filters=4, depth=2)
        >>> predict_probabilities(model, np.zeros((1, 30, 50, 1)), tta=True).shape
        (1, 30, 50, 1)
    """
    batch_size = check_int("batch_size", batch_size, 1, "Use e.g. --batch-size 16.")
    mode = tta_mode(tta)
    spec = InputSpec.for_model(model, scale)  # refuses what is not a segmentation model
    images = _check_images(images)
    channels = model.input_shape[-1]
    if images.shape[-1] != channels:
        raise bad_input(
            "images", f"{images.shape[-1]} channel(s)", f"{channels} channel(s), as the model was trained on",
            "Load the images with the same channel count (grayscale: channels=1).",
        )
    size = images.shape[1:3]

    def predict(x):
        if spec.fits_one_tile(*x.shape[1:3]):  # mirror out to one tile, crop back
            padded = pad_to_size(x, spec.one_tile_size(*x.shape[1:3]))
            return crop_to_size(model.predict(padded, batch_size=batch_size, verbose=verbose), x.shape[1:3])
        return predict_overlap_tile(model, x, batch_size=batch_size, verbose=verbose)

    scaled = spec.rescale_images(images)
    probabilities = tta_average(predict, scaled, mode)
    return spec.restore_size(probabilities, size).astype("float32")


def probabilities_to_masks(probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Masks from probabilities: ``p > threshold`` for one channel, argmax over classes otherwise.

    Args:
        probabilities: (N, H, W, classes).
        threshold: binarisation threshold (one-channel outputs only).

    Returns:
        uint8 (N, H, W, 1).

    Example:
        >>> probabilities_to_masks(np.array([[[[0.2], [0.7]]]]))[..., 0]
        array([[[0, 1]]], dtype=uint8)
    """
    probabilities = np.asarray(probabilities)
    if probabilities.shape[-1] == 1:
        return (probabilities > threshold).astype("uint8")
    return np.argmax(probabilities, axis=-1)[..., None].astype("uint8")


def predict_masks(
    model: keras.Model,
    images,
    threshold: float = 0.5,
    batch_size: int = 16,
    tta: bool | str = False,
    verbose: int = 0,
    scale: float = 1.0,
):
    """Masks for images of any size (see :func:`predict_probabilities`).

    Args:
        model: a U-Net.
        images: (N, H, W, C) float32.
        threshold: probability threshold for binary models (tune it with :func:`tune_threshold`).
        batch_size: images per prediction batch.
        tta: test-time augmentation: False, True or "flip", or "dihedral" (see predict_probabilities).
        verbose: 1 shows a progress bar.
        scale: the ``scale`` the model was trained at (1 = native resolution).

    Returns:
        uint8 (N, H, W, 1): 0/1 for binary models, class indices otherwise.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> model = build_unet((64, 64, 1), num_classes=3, base_filters=4, depth=2)
        >>> int(predict_masks(model, np.zeros((1, 64, 64, 1))).max()) < 3
        True
    """
    check_threshold(threshold, allow_none=False)  # before the prediction work: NaN would give empty masks
    probabilities = predict_probabilities(model, images, batch_size, tta, verbose, scale)
    if probabilities.shape[-1] == 1:
        check_predictions(probabilities, threshold)
    return probabilities_to_masks(probabilities, threshold)


# Candidate thresholds for tune_threshold: 0.10, 0.15, …, 0.90.
DEFAULT_THRESHOLDS = np.round(np.arange(0.10, 0.901, 0.05), 2)


# What tune_threshold can optimise: the score function and whether higher is better.
THRESHOLD_METRICS = {
    "kaggle_tgs": (kaggle_tgs_score, True),
    "isbi_rand_error": (lambda truth, masks: isbi_rand_error(truth, masks, membrane=1), False),
    "misclassified_fraction": (misclassified_fraction, False),
}


def tune_threshold(true_masks, probabilities, thresholds=DEFAULT_THRESHOLDS, metric: str = "kaggle_tgs"):
    """Choose the probability threshold that scores best on validation data.

    Args:
        true_masks: (N, H, W, 1) binary validation masks.
        probabilities: (N, H, W, 1) predicted probabilities for them.
        thresholds: candidates (default :data:`DEFAULT_THRESHOLDS`: 0.10, 0.15, …, 0.90).
        metric: ``"kaggle_tgs"`` (the TGS competition metric, maximised),
            ``"isbi_rand_error"`` (the ISBI 2012 Rand error at the threshold, masks with
            1 = membrane, minimised) or ``"misclassified_fraction"`` (minimised).

    Returns:
        ``(best_threshold, best_score, scores)``; ``scores`` has one value per candidate.

    Raises:
        Sprint19Error: for an unknown metric.

    Example:
        >>> truth = np.zeros((2, 4, 4, 1), "uint8"); truth[0, :2] = 1
        >>> probabilities = truth * 0.4 + 0.05
        >>> tune_threshold(truth, probabilities)[:2]
        (0.1, 1.0)
        >>> tune_threshold(truth, probabilities, metric="misclassified_fraction")[:2]
        (0.1, 0.0)
    """
    if metric not in THRESHOLD_METRICS:
        raise bad_input(
            "metric", repr(metric), f"one of {', '.join(THRESHOLD_METRICS)}",
            "Use 'kaggle_tgs' for TGS Salt, 'isbi_rand_error' for ISBI 2012 membranes.",
        )
    score, higher_is_better = THRESHOLD_METRICS[metric]
    thresholds = np.asarray(thresholds)
    true_masks = (np.asarray(true_masks) > 0).astype("uint8")
    probabilities = np.asarray(probabilities)
    scores = np.array([score(true_masks, (probabilities > t).astype("uint8")) for t in thresholds])
    best = int(np.argmax(scores) if higher_is_better else np.argmin(scores))
    return float(thresholds[best]), float(scores[best]), scores
