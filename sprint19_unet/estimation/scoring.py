"""Scores of finished predictions, in NumPy: the competitions' metrics and whole-set reports.

* **Kaggle TGS Salt** — :func:`kaggle_tgs_score` / :func:`kaggle_tgs_image_scores`,
  exactly the competition metric (per image: IoU against the thresholds 0.50 … 0.95).
* **ISBI 2012 EM segmentation** — :func:`isbi_challenge_errors`: the challenge's pixel and
  Rand errors of a probability map, best of its 11 thresholds (Table 1 of the paper);
  :func:`isbi_rand_error` at one threshold; :func:`misclassified_fraction`, the other pixel
  measure (not the leaderboard's).
* **Reports over a set** — :func:`segmentation_report` (IoU, Dice, pixel accuracy and
  the TGS score, pooled over all images) and :func:`isbi_report`.

The Keras metrics that follow training live in :mod:`sprint19_unet.training.metrics`;
:class:`~sprint19_unet.training.metrics.TgsScore` gives the same numbers as
:func:`kaggle_tgs_score` on the same masks.

Masks follow the package's one binary-mask rule (:func:`sprint19_unet.data.images.binary_mask`):
bool, 0/1 or 0/255; anything else (probabilities, a 0/1/255 mix) is refused.

Example:
    >>> truth = np.array([[[1, 1, 0], [1, 0, 0], [0, 0, 0]]])        # 3 pixels
    >>> pred = np.array([[[1, 1, 0], [0, 0, 0], [0, 0, 0]]])         # 2 of them
    >>> float(kaggle_tgs_score(truth, pred))                         # IoU = 2/3
    0.4
    >>> segmentation_report(truth[..., None], truth[..., None])["iou"]
    1.0
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sprint19_unet.data.images import binary_mask
from sprint19_unet.errors import bad_input, check_threshold
from sprint19_unet.training.metrics import TGS_THRESHOLD_DENOMINATOR, TGS_THRESHOLD_NUMERATORS


# === NumPy evaluation: Kaggle TGS Salt ===


def _as_binary_masks(masks, name: str) -> np.ndarray:
    """Masks as a bool array, by the package's one binary-mask rule (bool, 0/1 or 0/255)."""
    return binary_mask(masks, subject=name, fix="Threshold probabilities first (probabilities > 0.5).")


def _as_mask_batch(masks, name: str) -> np.ndarray:
    array = _as_binary_masks(masks, name)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise bad_input(
            name,
            f"shape {array.shape}",
            "a batch of masks (N, H, W) or (N, H, W, 1)",
            "Stack the masks with np.stack(masks); add a batch axis to one mask with mask[None].",
        )
    return array


def kaggle_tgs_image_scores(true_masks, pred_masks) -> np.ndarray:
    """The Kaggle TGS Salt score of every image (NumPy).

    Per image: IoU of the whole mask (one object per image); for t in 0.50, 0.55,
    …, 0.95 a hit when IoU > t (strictly); precision(t) = TP / (TP + FP + FN),
    which with one object is 1 for a hit and 0 otherwise; the image score is the
    mean over the 10 thresholds. Empty truth + empty prediction = 1; empty truth +
    any predicted pixel = 0; non-empty truth + empty prediction = 0. Hits are
    decided on integers (``20·intersection > k·union`` for k = 10 … 19), so an
    IoU exactly on a threshold is never a hit.

    Args:
        true_masks: ground-truth masks ``(N, H, W)`` or ``(N, H, W, 1)``, bool, 0/1 or 0/255.
        pred_masks: predicted masks of the same shape, bool, 0/1 or 0/255 (threshold
            probabilities first).

    Returns:
        float64 array of shape ``(N,)`` with values in {0.0, 0.1, …, 1.0}.

    Raises:
        Sprint19Error: for non-binary values, a wrong rank or mismatched shapes.

    Example:
        >>> t = np.zeros((3, 2, 2), dtype=bool); t[1:, 0, :] = True
        >>> p = t.copy(); p[0, 1, 1] = True; p[2, 1, 0] = True         # IoU 2/3 on the last
        >>> kaggle_tgs_image_scores(t, p).tolist()
        [0.0, 1.0, 0.4]
    """
    truth = _as_mask_batch(true_masks, "true_masks")
    pred = _as_mask_batch(pred_masks, "pred_masks")
    _same_shape(
        truth, pred, "true_masks", "pred_masks",
        "Predict one mask per true mask, at the true masks' size (crop or resize back to 101×101 for TGS).",
    )
    intersection = np.sum(truth & pred, axis=(1, 2), dtype=np.int64)
    union = np.sum(truth | pred, axis=(1, 2), dtype=np.int64)
    numerators = np.array(TGS_THRESHOLD_NUMERATORS, dtype=np.int64)
    hits = TGS_THRESHOLD_DENOMINATOR * intersection[:, None] > numerators[None, :] * union[:, None]
    precision = hits.sum(axis=1) / len(numerators)
    return np.where(union == 0, 1.0, precision)


def kaggle_tgs_score(true_masks, pred_masks) -> float:
    """The Kaggle TGS Salt Identification Challenge metric: mean of the per-image scores.

    See :func:`kaggle_tgs_image_scores` for the per-image rule.

    Args:
        true_masks: ground-truth masks ``(N, H, W)`` or ``(N, H, W, 1)``, bool, 0/1 or 0/255.
        pred_masks: predicted masks of the same shape, bool, 0/1 or 0/255.

    Returns:
        The score, a float in [0, 1].

    Raises:
        Sprint19Error: for non-binary values, mismatched shapes or an empty batch.

    Example:
        >>> empty = np.zeros((1, 101, 101), dtype=bool)
        >>> kaggle_tgs_score(empty, empty)
        1.0
    """
    scores = kaggle_tgs_image_scores(true_masks, pred_masks)
    if scores.size == 0:
        raise bad_input("true_masks", "0 images", "at least one mask", "Pass a non-empty batch (N, H, W).")
    return float(np.mean(scores))


# === NumPy evaluation: ISBI 2012 EM segmentation challenge ===
#
# Arganda-Carreras et al. 2015, "Crowdsourcing the creation of image segmentation
# algorithms for connectomics", Frontiers in Neuroanatomy 9:142, and the challenge's
# Fiji evaluation scripts (trainableSegmentation.metrics).


def _membrane_stack(masks, name: str, membrane) -> np.ndarray:
    """Binary masks (H, W), (N, H, W) or (N, H, W, 1) → bool (N, H, W), True = membrane."""
    if membrane not in (0, 1) or isinstance(membrane, bool):
        raise bad_input(
            "membrane", repr(membrane), "0 or 1: the mask value that marks membrane",
            "ISBI label files mark membrane 0 (cells 1/255): membrane=0; masks loaded with "
            "foreground=0 (what the model predicts) mark it 1: membrane=1.",
        )
    array = _as_binary_masks(masks, name)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.size == 0:
        raise bad_input(
            name, f"shape {np.shape(masks)}", "(H, W), (N, H, W) or (N, H, W, 1)", "Pass one slice or a stack of slices."
        )
    return array if membrane == 1 else ~array


def _same_shape(
    truth: np.ndarray, prediction: np.ndarray, true_name: str = "true", pred_name: str = "pred",
    fix: str = "Predict one label per true pixel (predict_masks crops back to the images' size).",
) -> None:
    if truth.shape != prediction.shape:
        raise bad_input(
            pred_name, f"shape {prediction.shape} ({true_name} has {truth.shape})", f"the same shape as {true_name}", fix
        )


def misclassified_fraction(true, pred) -> float:
    """The fraction of pixels whose binary label differs: ``mean(true != pred)``.

    Fiji's "squared Euclidean" pixel error at one threshold (``PixelError.getMetricValue``):
    1 − pixel accuracy, the same whichever value marks membrane. It is *not* the ISBI 2012
    leaderboard's pixel error (the paper's Table 1), which is 1 − the maximal F-score of
    pixel similarity: :func:`isbi_challenge_errors`.

    Args:
        true: binary ground truth of any shape (bool, 0/1 or 0/255).
        pred: binary prediction of the same shape (threshold probabilities first).

    Returns:
        The fraction, a float in [0, 1].

    Raises:
        Sprint19Error: for non-binary values or mismatched shapes.

    Example:
        >>> misclassified_fraction(np.array([[1, 0], [0, 0]]), np.array([[1, 1], [0, 0]]))
        0.25
    """
    truth = _as_binary_masks(true, "true")
    prediction = _as_binary_masks(pred, "pred")
    _same_shape(truth, prediction)
    if truth.size == 0:
        raise bad_input("true", "an empty array", "at least one pixel", "Pass one slice or a stack of slices.")
    return float(np.mean(truth != prediction))


def isbi_rand_error(true, pred, *, membrane: int) -> float:
    """ISBI 2012 Rand error, as the challenge scores it: 1 − the foreground-restricted Rand F-score.

    The definition of Arganda-Carreras et al. (2015), Frontiers in Neuroanatomy
    9:142, and the challenge's Fiji scripts:

    1. **Segments.** In every slice the non-membrane pixels split into 4-connected
       components; each component is one segment (cell). Segments of different
       slices are different segments.
    2. **Foreground restriction.** Only pixels that are cell in the *truth* count.
       A pixel the prediction calls membrane inside a true cell belongs to no
       predicted cell: it is a **singleton**, a segment of its own.
    3. **Pair counts, pooled over the stack.** With ``n_ij`` the number of counted
       pixels in true segment i and predicted segment j (singletons included),
       ``t_i = Σ_j n_ij`` and ``s_j = Σ_i n_ij``: Rand precision =
       ``Σ n_ij² / Σ s_j²`` (pairs of pixels together in the prediction that are
       also together in the truth), Rand recall = ``Σ n_ij² / Σ t_i²``. The sums
       run over all slices at once, not slice by slice.
    4. ``V_Rand`` = their harmonic mean (the F-score); the error is ``1 − V_Rand``.

    The squares count ordered pairs including a pixel with itself, so a truth made
    only of one-pixel cells is scored too (error 0 when predicted exactly).
    The challenge thresholded submitted probability maps at 0.0, 0.1, …, 1.0 and
    kept the best score; call this for each threshold to do the same.

    Args:
        true: ground truth ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, 1)``, binary.
        pred: binary prediction of the same shape.
        membrane: the value that marks membrane in both: 0 in the ISBI label files
            (cells are 255 → 1), 1 in masks loaded with ``foreground=0`` — what a
            model trained on them predicts.

    Returns:
        The Rand error, a float in [0, 1] (0 = the same segmentation).

    Raises:
        Sprint19Error: for non-binary values, mismatched shapes, a bad ``membrane``,
            or a truth with no cell pixel at all.

    Example:
        >>> cells = np.array([[1, 1, 0, 1, 1]] * 3)                  # two cells, membrane 0
        >>> isbi_rand_error(cells, cells, membrane=0)
        0.0
        >>> merged = np.ones_like(cells)                              # membrane missed
        >>> round(isbi_rand_error(cells, merged, membrane=0), 4)     # precision 1/2, recall 1
        0.3333
    """
    truth = _membrane_stack(true, "true", membrane)
    prediction = _membrane_stack(pred, "pred", membrane)
    _same_shape(truth, prediction)
    _has_cells(truth, f"Check the label polarity: membrane={membrane} says which value marks membrane.")
    return 1.0 - _rand_f_score(truth, prediction)


def _has_cells(truth: np.ndarray, fix: str) -> None:
    if truth.all():
        raise bad_input("true", "a truth with no cell pixel (all membrane)", "at least one cell pixel", fix)


def _rand_f_score(truth: np.ndarray, prediction: np.ndarray) -> float:
    """The foreground-restricted Rand F-score of two bool membrane stacks (N, H, W) (see :func:`isbi_rand_error`)."""
    together = together_true = together_pred = 0.0
    for true_slice, pred_slice in zip(truth, prediction):
        true_cells, _ = ndimage.label(~true_slice)
        pred_cells, _ = ndimage.label(~pred_slice)
        counted = true_cells > 0
        pairs = np.stack([true_cells[counted], pred_cells[counted]]).astype(np.int64)
        in_pred_cell = pairs[1] > 0
        # singletons: counted pixels predicted as membrane; each pairs only with itself
        singletons = int(np.count_nonzero(~in_pred_cell))
        joint = np.unique(pairs[:, in_pred_cell], axis=1, return_counts=True)[1]
        together += float(np.sum(joint.astype(np.float64) ** 2)) + singletons
        together_true += float(np.sum(np.bincount(pairs[0]).astype(np.float64) ** 2))
        together_pred += float(np.sum(np.bincount(pairs[1][in_pred_cell]).astype(np.float64) ** 2)) + singletons
    precision, recall = together / together_pred, together / together_true
    return float(2.0 * precision * recall / (precision + recall))


def _java_thresholds(start: float = 0.0, stop: float = 1.0, step: float = 0.1) -> tuple[float, ...]:
    """``for (double th = start; th <= stop; th += step)``, accumulated in floating point as Java does."""
    values, threshold = [], start
    while threshold <= stop:
        values.append(threshold)
        threshold += step
    return tuple(values)


# The thresholds the ISBI 2012 challenge binarised a submitted P(cell) map at: 0.0, 0.1, …, with the
# floating-point sums of Java's loop (0.30000000000000004, …, 0.9999999999999999): 11 values.
CHALLENGE_THRESHOLDS = _java_thresholds()


def _pixel_f_score(true_cell: np.ndarray, pred_cell: np.ndarray) -> float:
    """F-score of pixel similarity, the positive class being cell, counts pooled over the stack; NaN at 0/0."""
    true_positives = float(np.count_nonzero(true_cell & pred_cell))
    retrieved, relevant = float(np.count_nonzero(pred_cell)), float(np.count_nonzero(true_cell))
    if not retrieved or not true_positives:
        return float("nan")
    precision, recall = true_positives / retrieved, true_positives / relevant
    return 2.0 * precision * recall / (precision + recall)


def _probability_stack(membrane_probability, truth: np.ndarray) -> np.ndarray:
    """P(membrane) ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, 1)`` → float32 ``(N, H, W)`` in [0, 1], shaped as ``truth``."""
    probability = np.asarray(membrane_probability)
    if probability.dtype.kind not in "biuf":
        raise bad_input("membrane_probability", f"an array of {probability.dtype.type.__name__}",
                        "P(membrane) in [0, 1]", "Pass the model's probabilities (predict_probabilities).")
    probability = probability.astype(np.float32)
    if probability.ndim == 4 and probability.shape[-1] == 1:
        probability = probability[..., 0]
    if probability.ndim == 2:
        probability = probability[None]
    _same_shape(truth, probability, "true_membrane", "membrane_probability")
    if not np.all(np.isfinite(probability)) or probability.min() < 0 or probability.max() > 1:
        raise bad_input("membrane_probability", "values outside [0, 1] or NaN", "P(membrane) in [0, 1]",
                        "Pass the model's sigmoid or softmax probabilities, not logits.")
    return probability


def isbi_challenge_errors(true_membrane, membrane_probability) -> dict:
    """The ISBI 2012 challenge's pixel and Rand errors of a probability map, as its leaderboard computed them.

    The paper's Table 1 (u-net: pixel error 0.0611, Rand error 0.0382) reports these. Read from
    the challenge's own evaluation code, Fiji's Trainable Segmentation
    (``trainableSegmentation/metrics/PixelError.java``: ``getPixelErrorMaximalFScore``,
    ``precisionRecallStats``; ``RandError.java``: ``getForegroundRestrictedRandIndexMaximalFScore``;
    ``ClassificationStatistics.java``), and the organisers' evaluation page:

    1. The submission is a map of **P(cell)** (1 = certainly not membrane); here
       ``1 − membrane_probability``, as 32-bit floats as the TIFF held them.
    2. It is binarised with a strict ``P(cell) > th`` at each of the 11 thresholds of
       Java's loop ``for (th = 0.0; th <= 1.0; th += 0.1)`` (:data:`CHALLENGE_THRESHOLDS`,
       the floating-point sums included: the last is 0.9999999999999999).
    3. **Pixel error** = 1 − the maximal **F-score of pixel similarity** over the
       thresholds, the positive class being *cell*, true/false positives and negatives
       pooled over all slices. Not the misclassified fraction (:func:`misclassified_fraction`).
    4. **Rand error** = 1 − the maximal foreground-restricted Rand F-score
       (:func:`isbi_rand_error`: 4-connected cells, predicted membrane inside a true cell
       counted as singletons, pair counts pooled over the slices).
    5. A threshold whose F-score is 0/0 (no pixel predicted cell) is never the maximum:
       Java's ``fScore > best`` skips it (NaN in the code of 2011, 0 since February 2012,
       commit 2ae6605); it is NaN in ``pixel_f_scores`` here. A tie keeps the first threshold,
       as the strict ``>`` does; with no F-score above 0 the error is 1.

    Args:
        true_membrane: ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, 1)``; bool or 0/1 with
            1 = membrane (masks loaded with ``foreground=0``).
        membrane_probability: the model's P(membrane) in [0, 1], the same shape.

    Returns:
        ``{"pixel_error", "pixel_threshold", "rand_error", "rand_threshold",
        "pixel_f_scores", "rand_f_scores"}``; each threshold is the P(cell) threshold at
        which the error was reached (cell where ``1 − p > th``), the F-score lists follow
        :data:`CHALLENGE_THRESHOLDS`.

    Raises:
        Sprint19Error: for a truth that is not binary or has no cell pixel, probabilities
            outside [0, 1] or NaN, or mismatched shapes.

    Example:
        >>> truth = np.array([[0, 0, 1, 0, 0]] * 3)                     # two cells, membrane 1
        >>> errors = isbi_challenge_errors(truth, truth * 0.8 + 0.1)    # right at every threshold in (0.1, 0.9)
        >>> errors["pixel_error"], errors["rand_error"], errors["pixel_threshold"]
        (0.0, 0.0, 0.2)
    """
    truth = _membrane_stack(true_membrane, "true_membrane", 1)
    probability = _probability_stack(membrane_probability, truth)
    _has_cells(truth, "Pass 1 = membrane (masks loaded with foreground=0).")
    cell = (np.float32(1.0) - probability).astype(np.float32)
    true_cell = ~truth
    pixel_scores, rand_scores = [], []
    for threshold in CHALLENGE_THRESHOLDS:
        pred_cell = cell > threshold  # float32 against a double, as Java compares them
        pixel_scores.append(_pixel_f_score(true_cell, pred_cell))
        rand_scores.append(_rand_f_score(truth, ~pred_cell))

    def best(scores: list[float]) -> tuple[float, float]:
        best_score, best_threshold = 0.0, CHALLENGE_THRESHOLDS[0]
        for threshold, score in zip(CHALLENGE_THRESHOLDS, scores):
            if score > best_score:  # NaN never is
                best_score, best_threshold = score, threshold
        return 1.0 - best_score, best_threshold

    pixel_error, pixel_threshold = best(pixel_scores)
    rand_error, rand_threshold = best(rand_scores)
    return {"pixel_error": pixel_error, "pixel_threshold": pixel_threshold, "rand_error": rand_error,
            "rand_threshold": rand_threshold, "pixel_f_scores": pixel_scores, "rand_f_scores": rand_scores}


# === Reports over a whole set ===


def _pair(true_masks, pred_masks) -> tuple[np.ndarray, np.ndarray]:
    true_masks, pred_masks = np.asarray(true_masks), np.asarray(pred_masks)
    _same_shape(true_masks, pred_masks, "true_masks", "pred_masks")
    return true_masks, pred_masks


def _overlap(truth: np.ndarray, guess: np.ndarray) -> tuple[float, float, float]:
    """Pixel counts of two bool masks: intersection, union, and |truth| + |guess|."""
    intersection = float(np.logical_and(truth, guess).sum())
    return intersection, float(np.logical_or(truth, guess).sum()), float(truth.sum() + guess.sum())


def mask_iou(true_mask, pred_mask) -> float:
    """IoU of binary masks, all pixels pooled; 1.0 when both are empty (nothing to find, nothing found).

    Args:
        true_mask: one mask or a stack, nonzero = foreground.
        pred_mask: the same shape.

    Returns:
        |A ∩ B| / |A ∪ B|, or 1.0 for two empty masks.

    Example:
        >>> mask_iou(np.eye(4), np.eye(4) + np.eye(4, k=1))
        0.5714285714285714
    """
    intersection, union, _ = _overlap(np.asarray(true_mask) > 0, np.asarray(pred_mask) > 0)
    return intersection / union if union else 1.0


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
        intersection, _, total = _overlap(truth, guess)
        return {
            "iou": mask_iou(truth, guess),
            "dice": 2 * intersection / total if total else 1.0,
            "pixel_accuracy": accuracy,
            "tgs_score": kaggle_tgs_score(truth.astype("uint8"), guess.astype("uint8")),
        }
    ious, dices = [], []
    for label in range(num_classes):
        intersection, union, total = _overlap(true_masks == label, pred_masks == label)
        ious.append(intersection / union if union else float("nan"))
        dices.append(2 * intersection / total if total else float("nan"))
    return {
        "iou": float(np.nanmean(ious)),
        "dice": float(np.nanmean(dices)),
        "pixel_accuracy": accuracy,
        "per_class_iou": ious,
    }


def isbi_report(true_masks, membrane_probability, threshold: float = 0.5, membrane: int = 1) -> dict:
    """The ISBI 2012 challenge's errors of a probability map, and what one threshold gives, over a stack.

    Args:
        true_masks: ``(N, H, W, 1)`` (or ``(N, H, W)``) binary truth.
        membrane_probability: the model's P(membrane) in [0, 1], the same shape (binary
            predictions are probabilities too, of 0 and 1).
        threshold: membrane where ``membrane_probability > threshold``, for the figures at
            one threshold (e.g. one chosen on validation slices).
        membrane: the value that marks membrane in ``true_masks``: 1 for masks loaded with
            ``foreground=0`` (what a model trained on them predicts), 0 for the ISBI label
            files as they are.

    Returns:
        ``pixel_error``, ``rand_error`` and the P(cell) threshold of each
        (``pixel_threshold``, ``rand_threshold``): the challenge's errors, best of its 11
        thresholds (:func:`isbi_challenge_errors`, the paper's Table 1); at ``threshold``:
        ``rand_error_at_threshold``, ``misclassified_fraction``, and the membrane's ``iou``
        and ``dice`` pooled over all pixels.

    Example:
        >>> truth = np.array([[1, 1, 0, 1, 1]] * 3)[None, ..., None]      # membrane = 0 here
        >>> report = isbi_report(truth, np.zeros(truth.shape), membrane=0)  # no membrane predicted
        >>> round(report["rand_error"], 4), round(report["misclassified_fraction"], 4)
        (0.3333, 0.2)
    """
    check_threshold(threshold, allow_none=False)
    true_membrane = _membrane_stack(true_masks, "true_masks", membrane)
    probability = _probability_stack(membrane_probability, true_membrane)
    challenge = isbi_challenge_errors(true_membrane, probability)
    pred_membrane = probability > threshold
    overlap = segmentation_report(true_membrane[..., None].astype("uint8"), pred_membrane[..., None].astype("uint8"))
    return {
        "pixel_error": challenge["pixel_error"],
        "rand_error": challenge["rand_error"],
        "pixel_threshold": challenge["pixel_threshold"],
        "rand_threshold": challenge["rand_threshold"],
        "rand_error_at_threshold": 1.0 - _rand_f_score(true_membrane, pred_membrane),
        "misclassified_fraction": float(np.mean(true_membrane != pred_membrane)),
        "iou": overlap["iou"],
        "dice": overlap["dice"],
    }
