"""Problem 1's exercises (notebook 01): the Kaggle score of one image, padding and cropping, training,
choosing the threshold, run-length encoding.

Each exercise is registered with its check cell's visible cases, the grader's case generator and one
``compare`` for both (see :mod:`sprint19_unet.teaching.exercises.registry`). The references are the
package's own functions: :func:`~sprint19_unet.estimation.scoring.kaggle_tgs_image_scores`,
:func:`~sprint19_unet.data.prepare.pad_to_size` / :func:`~sprint19_unet.data.prepare.crop_to_size`,
:func:`~sprint19_unet.training.sanity.predict_nothing_score`,
:func:`~sprint19_unet.estimation.predict.tune_threshold` (the Kaggle metric over candidates) and
:func:`~sprint19_unet.data.rle.encode_rle`.

Example:
    >>> from sprint19_unet.data.rle import encode_rle
    >>> check_rle(encode_rle).passed
    ✅ check_rle: 8/8 cases
    True
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.data.prepare import pad_to_size
from sprint19_unet.data.rle import encode_rle
from sprint19_unet.data.synthetic_salt import make_salt_dataset
from sprint19_unet.errors import bad_input, one_line
from sprint19_unet.estimation.predict import DEFAULT_THRESHOLDS, predict_probabilities
from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores, kaggle_tgs_score
from sprint19_unet.teaching.exercises.comparing import as_array, as_number, expect_shape, expect_values
from sprint19_unet.teaching.exercises.registry import EXERCISES, Case, Mismatch, exercise
from sprint19_unet.teaching.exercises.self_check import CheckResult, call_student, report, run_check, tally
from sprint19_unet.training.sanity import numeric_masks, predict_nothing_score

KAGGLE_THRESHOLDS = np.round(np.arange(0.50, 0.951, 0.05), 2)  # the IoU thresholds of the TGS metric
TRAINING_THRESHOLD = 0.5  # the training exercise is judged at this probability threshold, fixed in advance
TRAINING_IMAGES = 128  # new synthetic images the grader shows the trained model
UNTRAINED_HINT = ("this model was never trained: the training cell of Exercise 3 must run "
                  "model, history = train(config, data=train_data, callbacks=[live], verbose=2)")


def _random_pixels(rng: np.random.Generator, shape: tuple, count: int, inside: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask with ``count`` pixels drawn at random (among ``inside``'s pixels when given)."""
    pool = np.flatnonzero(inside) if inside is not None else np.arange(int(np.prod(shape)))
    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    mask[rng.choice(pool, size=count, replace=False)] = True
    return mask.reshape(shape)


def _rectangle(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    height, width = shape
    top, left = int(rng.integers(0, height - 1)), int(rng.integers(0, width - 1))
    mask = np.zeros(shape, dtype=bool)
    mask[top : int(rng.integers(top + 1, height + 1)), left : int(rng.integers(left + 1, width + 1))] = True
    return mask


# === Exercise 1: the Kaggle metric for one image ===


def _square(size: int, pixels: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    for row, column in pixels:
        mask[row, column] = True
    return mask


def _first(count: int, size: int = 12) -> list[tuple[int, int]]:
    """The first ``count`` pixels of a ``size``×``size`` mask, row by row."""
    return [divmod(index, size) for index in range(count)]


def _tgs_case(description: str, truth: np.ndarray, pred: np.ndarray, hint: str = "") -> Case:
    expected = float(kaggle_tgs_image_scores(truth[None], pred[None])[0])
    return Case(description, (truth, pred), expected=expected, hint=hint)


_THRESHOLD_HINT = ("the score is the fraction of the thresholds 0.50, 0.55, …, 0.95 that the IoU "
                   "(intersection / union) beats")
_STRICT_HINT = "a threshold counts as a hit only when the IoU is strictly above it"


def _tgs_visible() -> list[Case]:
    return [
        _tgs_case("no salt, none predicted", _square(12, []), _square(12, []),
                  "no salt and nothing predicted is a perfect answer: score 1 (careful: the union is 0)"),
        _tgs_case("no salt, 3 pixels predicted", _square(12, []), _square(12, _first(3)),
                  "any predicted pixel on an image without salt is a false positive: score 0"),
        _tgs_case("salt, nothing predicted", _square(12, _first(20)), _square(12, []),
                  "missing all the salt is a false negative: score 0"),
        _tgs_case("a perfect prediction", _square(12, _first(30)), _square(12, _first(30)), _THRESHOLD_HINT),
        _tgs_case("IoU 2/3", _square(12, _first(3)).astype(np.uint8), _square(12, _first(2)).astype(np.uint8),
                  _THRESHOLD_HINT + "; masks may come as 0/1 integers as well as booleans"),
        _tgs_case("IoU exactly 0.5", _square(12, _first(8)), _square(12, _first(4)), _STRICT_HINT),
        _tgs_case("IoU exactly 0.75", _square(12, _first(4)), _square(12, _first(3)), _STRICT_HINT),
        _tgs_case("IoU 0.97", _square(12, _first(100)), _square(12, _first(97)), _THRESHOLD_HINT),
    ]


def _tgs_grade(rng: np.random.Generator) -> list[Case]:
    def shape() -> tuple[int, int]:
        return int(rng.integers(6, 30)), int(rng.integers(6, 30))

    def typed(mask: np.ndarray) -> np.ndarray:
        return mask.astype(np.uint8) if rng.random() < 0.5 else mask

    cases = []
    size = shape()
    cases.append(_tgs_case(f"{size[0]}×{size[1]}, no salt, none predicted", typed(np.zeros(size, bool)),
                           typed(np.zeros(size, bool))))
    size = shape()
    count = int(rng.integers(1, 12))
    cases.append(_tgs_case(f"{size[0]}×{size[1]}, no salt, {count} pixels predicted", typed(np.zeros(size, bool)),
                           typed(_random_pixels(rng, size, count))))
    size = shape()
    cases.append(_tgs_case(f"{size[0]}×{size[1]}, salt, nothing predicted", typed(_rectangle(rng, size)),
                           typed(np.zeros(size, bool))))
    size = shape()
    truth = _rectangle(rng, size)
    cases.append(_tgs_case(f"{size[0]}×{size[1]}, a perfect prediction", typed(truth), typed(truth.copy())))
    for threshold in rng.choice(KAGGLE_THRESHOLDS, size=3, replace=False):  # IoU exactly on a threshold
        per_twenty = int(round(float(threshold) * 20))
        times = int(rng.integers(1, 4))
        size = (int(rng.integers(10, 30)), int(rng.integers(10, 30)))
        truth = _random_pixels(rng, size, 20 * times)
        pred = _random_pixels(rng, size, per_twenty * times, inside=truth)
        cases.append(_tgs_case(f"{size[0]}×{size[1]}, IoU exactly {threshold:.2f}", typed(truth), typed(pred)))
    for _ in range(2):
        size = shape()
        cases.append(_tgs_case(f"{size[0]}×{size[1]}, two overlapping regions", typed(_rectangle(rng, size)),
                               typed(_rectangle(rng, size))))
    return cases


def _tgs_compare(case: Case, answer) -> None:
    got = as_number(answer)
    if not np.isclose(got, case.expected, atol=1e-6):
        raise Mismatch(f"expected {case.expected:.2f}, got {got:.4g}", case.hint)


@exercise(name="tgs_image_score", assignment="problem1", title="the Kaggle score of one image",
          answers=("tgs_image_score(true_mask, pred_mask)",), visible_cases=_tgs_visible, grade_cases=_tgs_grade,
          compare=_tgs_compare, rewrites=("kaggle_tgs_image_scores",),
          references=("kaggle_tgs_score", "segmentation_report"))
def check_tgs_image_score(fn) -> CheckResult:
    """Check a function that scores one image with the Kaggle TGS Salt metric.

    ``fn(true_mask, pred_mask)`` takes two binary ``(H, W)`` masks (bool or 0/1)
    and returns the image's score: the IoU of the two masks is compared with the
    thresholds 0.50, 0.55, …, 0.95 (a hit when strictly above), and the score is
    the fraction of hits; an image with no salt scores 1 when nothing is predicted
    and 0 otherwise. The reference is
    :func:`~sprint19_unet.estimation.scoring.kaggle_tgs_image_scores`.

    Args:
        fn: the student's function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores
        >>> def one_image(truth, pred):
        ...     return kaggle_tgs_image_scores(truth[None], pred[None])[0]
        >>> check_tgs_image_score(one_image).passed
        ✅ check_tgs_image_score: 8/8 cases
        True
    """
    return run_check("tgs_image_score", fn)


# === Exercise 2: pad 101 → 128 and crop back ===

_SPLIT_HINT = "pad (size − 101) pixels in all: half of it (rounded down) before, the rest after"
_MIRROR_HINT = "mirror the border without repeating the edge pixel (d c b | a b c d): np.pad mode='reflect'"


def _image(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((height, width, 1)).astype(np.float32)


def _pad_case(description: str, image: np.ndarray, size: int, hint: str = "") -> Case:
    return Case(description, (image, size), expected=pad_to_size(image, size), call="pad_image", hint=hint)


def _crop_case(description: str, original: np.ndarray, size: int, hint: str = "") -> Case:
    padded = pad_to_size(original, size)
    return Case(description, (padded, original.shape[0]), expected=original, call="crop_image", hint=hint)


def _pad_and_crop_visible() -> list[Case]:
    rng = np.random.default_rng(0)
    tgs, small = _image(101, 101, rng), _image(64, 64, rng)
    return [
        _pad_case("padding a 101×101×1 image to 128", tgs, 128),
        _pad_case("another size: 64 → 80", small, 80,
                  "work out the padding from the sizes you are given, not from 101 and 128"),
        _pad_case("an odd total: 101 → 112", tgs, 112, _SPLIT_HINT),
        _crop_case("cropping a 128×128×1 prediction back to 101", tgs, 128),
        _crop_case("cropping 112 → 101", tgs, 112, "the odd pixel was padded after, so cut it after too"),
    ]


def _pad_and_crop_grade(rng: np.random.Generator) -> list[Case]:
    cases = []
    for index in range(3):
        height = int(rng.integers(12, 100))
        width = height if index < 2 else max(12, height + int(rng.integers(-5, 6)))
        size = max(height, width) + int(rng.integers(1, min(height, width) // 2))
        if index == 0 and (size - height) % 2 == 0:
            size += 1  # one odd total: the odd pixel goes after
        cases.append(_pad_case(f"padding a {height}×{width}×1 image to {size}", _image(height, width, rng), size))
    for _ in range(3):
        side = int(rng.integers(12, 100))
        size = side + int(rng.integers(1, side // 2))
        cases.append(_crop_case(f"cropping a {size}×{size}×1 prediction back to {side}", _image(side, side, rng), size))
    return cases


def _pad_and_crop_compare(case: Case, answer) -> None:
    if case.call == "pad_image":
        image, size = case.args
        padded = as_array(answer)
        keeps_channels = padded.ndim == 3 and padded.shape[-1] == image.shape[-1]
        expect_shape(padded, case.expected.shape, "use the size argument, not a fixed 128" if keeps_channels
                     else "pad height and width only, and keep the channel axis")
        top, left = (size - image.shape[0]) // 2, (size - image.shape[1]) // 2
        if not np.allclose(padded[top : top + image.shape[0], left : left + image.shape[1]], image):
            raise Mismatch("the image is not where it should be inside the padded one", _SPLIT_HINT)
        expect_values(padded, case.expected, "the padded pixels", case.hint or _MIRROR_HINT)
        return
    cropped = as_array(answer)
    expect_shape(cropped, case.expected.shape, "cut height and width only, and keep the channel axis")
    expect_values(cropped, case.expected, "the cropped pixels",
                  case.hint or "cut the centre out: the same offsets the padding used")


@exercise(name="pad_and_crop", assignment="problem1", title="padding 101 → 128 and cropping back",
          answers=("pad_image(image, size)", "crop_image(padded, size)"), visible_cases=_pad_and_crop_visible,
          grade_cases=_pad_and_crop_grade, compare=_pad_and_crop_compare,
          rewrites=("pad_to_size", "crop_to_size", "mirror_pad"), references=("mirror_pad_for_valid",))
def check_pad_and_crop(pad_fn, crop_fn) -> CheckResult:
    """Check padding an image to the model's size and cropping the prediction back.

    ``pad_fn(image, size)`` mirrors an ``(H, W, 1)`` image out to ``(size, size, 1)``:
    the padding is split evenly, the odd pixel after (101 → 128: 13 before, 14
    after), and the border is mirrored without repeating the edge pixel
    (``np.pad(..., mode="reflect")``, the paper's Figure 2). ``crop_fn(padded, size)``
    cuts the centre ``(size, size, 1)`` back out, so ``crop_fn(pad_fn(x, 128), 101)``
    is ``x`` again. The reference is :func:`~sprint19_unet.data.prepare.pad_to_size`
    and :func:`~sprint19_unet.data.prepare.crop_to_size`.

    Args:
        pad_fn: the student's padding function.
        crop_fn: the student's cropping function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.data.prepare import crop_to_size, pad_to_size
        >>> check_pad_and_crop(pad_to_size, crop_to_size).passed
        ✅ check_pad_and_crop: 5/5 cases
        True
    """
    return run_check("pad_and_crop", pad_fn, crop_fn)


# === Exercise 3: training with the given config ===


def _training_grade(rng: np.random.Generator) -> list[Case]:
    images, masks, _ = make_salt_dataset(TRAINING_IMAGES, seed=int(rng.integers(2**62)))
    return [Case(f"{TRAINING_IMAGES} new synthetic images", (images,), expected=masks)]


def _training_compare(case: Case, answer) -> str:
    masks = case.expected
    probabilities = as_array(answer, "the model")
    if probabilities.ndim == masks.ndim - 1:
        probabilities = probabilities[..., None]
    expect_shape(probabilities, masks.shape, "the model must give one probability per pixel (a sigmoid output)")
    if not np.all(np.isfinite(probabilities)) or probabilities.min() < 0 or probabilities.max() > 1:
        raise Mismatch("the model's outputs are not probabilities in [0, 1]", "end the model with a sigmoid")
    score = kaggle_tgs_score(masks, probabilities > TRAINING_THRESHOLD)
    baseline = predict_nothing_score(masks)
    if not score > baseline:
        raise Mismatch(f"your model scores {score:.3f} (threshold {TRAINING_THRESHOLD}) and does not beat the "
                       f"predict-empty baseline {baseline:.3f}",
                       case.hint or "a model that predicts all black scores exactly the fraction of empty masks: "
                       "train longer, and check that the masks are 0/1")
    return f"your model scores {score:.3f} (threshold {TRAINING_THRESHOLD}) and beats the predict-empty baseline " \
           f"{baseline:.3f}"


@exercise(name="training", assignment="problem1", title="training with the given config", answers=("model",),
          kind="model", grade_cases=_training_grade, compare=_training_compare, seconds_per_call=120.0)
def check_training(model, images, masks) -> CheckResult:
    """Check that a trained model beats predicting an empty mask everywhere.

    An all-black prediction already scores the fraction of empty masks (about 0.39
    on TGS Salt): a model has learnt something only when it does better. The model
    predicts ``images`` (:func:`~sprint19_unet.estimation.predict.predict_probabilities`),
    its probabilities are thresholded at 0.5 — the threshold fixed in advance — and
    scored with the Kaggle metric against ``masks``. The grader does the same on new
    synthetic images it draws when grading starts.

    Args:
        model: the student's trained model.
        images: validation images ``(N, H, W, 1)``.
        masks: their true masks ``(N, H, W, 1)`` (0/1).

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Raises:
        Sprint19Error: when ``masks`` is not a batch of masks (the notebook's own data,
            not the student's answer).

    Example:
        >>> import numpy as np
        >>> from sprint19_unet.unet.model import build_unet
        >>> masks = np.zeros((4, 16, 16, 1), np.uint8); masks[:2, 4:12, 4:12] = 1
        >>> untrained = build_unet((16, 16, 1), base_filters=2, depth=1)
        >>> check_training(untrained, masks.astype("float32"), masks).passed  # doctest: +ELLIPSIS
        ❌ check_training: 0/1 cases; case 1 (the 4 validation images): your model scores ... — hint: ...
        False
    """
    masks = numeric_masks(masks)
    if masks.ndim not in (3, 4):
        raise bad_input("masks", f"an array of shape {masks.shape}", "validation masks (N, H, W, 1)",
                        "Pass the true masks of the images the model predicts.")
    item = EXERCISES["training"]
    optimizer = getattr(model, "optimizer", None)
    untrained = optimizer is None or int(getattr(optimizer, "iterations", 1)) == 0
    case = Case(f"the {len(masks)} validation images", (images,), expected=masks if masks.ndim == 4 else masks[..., None],
                hint=UNTRAINED_HINT if untrained else "")
    outcome = call_student(lambda batch: predict_probabilities(model, batch), case)
    return report(item, "check_training", tally(item, [case], [outcome]))


# === Exercise 4: choosing the threshold ===


def _pixel_iou(masks: np.ndarray, predicted: np.ndarray) -> float:
    union = np.logical_or(masks > 0, predicted).sum()
    return float(np.logical_and(masks > 0, predicted).sum() / union) if union else 1.0


def _threshold_case(description: str, masks, probabilities, thresholds) -> Case:
    scores = np.array([kaggle_tgs_score(masks, probabilities > t) for t in thresholds])
    return Case(description, (masks, probabilities, np.asarray(thresholds)), expected=scores)


def _threshold_visible() -> list[Case]:
    rng = np.random.default_rng(7)
    masks = np.zeros((10, 16, 16, 1), dtype=np.uint8)
    for index in range(4):
        masks[index, 2 + index : 10 + index, 3:12] = 1
    over = np.where(masks == 1, 0.9, 0.1)  # over-confident: false alarms at 0.6 on the empty images
    over[4:, 5:9, 5:9] = 0.6
    salt = np.zeros((8, 16, 16, 1), dtype=np.uint8)  # under-confident: the salt only reaches 0.3
    for index in range(8):
        salt[index, index : index + 7, 2:14] = 1
    under = np.where(salt == 1, 0.3, 0.05)
    noisy = np.clip(0.55 * masks + rng.normal(0.2, 0.12, masks.shape), 0.0, 1.0)  # the candidates leave 0.5 out
    return [
        _threshold_case("an over-confident model: false alarms at 0.6 on empty images", masks, over,
                        DEFAULT_THRESHOLDS),
        _threshold_case("an under-confident model: salt at probability 0.3", salt, under, DEFAULT_THRESHOLDS),
        _threshold_case("a noisy model, candidates 0.2, 0.35, 0.45, 0.6, 0.8", masks, noisy,
                        np.array([0.2, 0.35, 0.45, 0.6, 0.8])),
        _threshold_disagreement(),
    ]


def _threshold_disagreement() -> Case:
    """Thin weak edges on the salt and a few stray pixels on empty images: pixel IoU and pixel accuracy prefer
    0.2 or 0.4 (they keep the edges), the Kaggle metric 0.5 (an image with one stray pixel scores 0)."""
    masks = np.zeros((4, 10, 10, 1), dtype=np.uint8)
    masks[:2, :4] = 1  # two images with 40 salt pixels, two empty
    probabilities = np.full(masks.shape, 0.05)
    probabilities[:2, :3] = 0.9
    probabilities[:2, 3] = 0.45  # the salt's weak edge
    probabilities[2:, 7, 2:5] = 0.45  # three stray pixels on each empty image
    return _threshold_case("thin edges and stray pixels: pixel IoU would choose another threshold", masks,
                           probabilities, np.array([0.2, 0.4, 0.5, 0.95]))


def _random_threshold_case(rng: np.random.Generator, family: str):
    count, side = int(rng.integers(8, 15)), int(rng.integers(12, 25))
    masks = np.zeros((count, side, side, 1), dtype=np.uint8)
    for index in range(count):
        if rng.random() > 0.4:
            masks[index, ..., 0] = _rectangle(rng, (side, side))
    noise = rng.normal(0.0, float(rng.uniform(0.02, 0.12)), masks.shape)
    if family == "over-confident":  # false alarms on the empty images
        probabilities = np.where(masks == 1, rng.uniform(0.7, 0.95), rng.uniform(0.02, 0.2)) + noise
        for index in np.flatnonzero(masks.reshape(count, -1).max(axis=1) == 0):
            probabilities[index, ..., 0][_rectangle(rng, (side, side))] = rng.uniform(0.35, 0.7)
    elif family == "under-confident":
        probabilities = np.where(masks == 1, rng.uniform(0.15, 0.45), rng.uniform(0.01, 0.1)) + noise
    else:  # each image its own confidence
        levels = rng.uniform(0.25, 0.95, size=(count, 1, 1, 1))
        probabilities = np.where(masks == 1, levels, rng.uniform(0.0, 0.3, size=(count, 1, 1, 1))) + 2 * noise
    thresholds = np.sort(rng.choice(np.round(np.arange(0.05, 0.951, 0.05), 2), size=int(rng.integers(5, 10)),
                                    replace=False))
    return masks, np.clip(probabilities, 0.0, 1.0).astype(np.float32), thresholds


def _threshold_grade(rng: np.random.Generator) -> list[Case]:
    """Cases where the Kaggle metric's best threshold is not pixel IoU's or pixel accuracy's (when one is found)."""
    cases = []
    for family in ("over-confident", "under-confident", "mixed", "over-confident"):
        for _ in range(60):
            masks, probabilities, thresholds = _random_threshold_case(rng, family)
            case = _threshold_case(f"model {family}, {len(masks)} images, {len(thresholds)} candidates", masks,
                                   probabilities, thresholds)
            kaggle = set(np.flatnonzero(case.expected == case.expected.max()))
            iou = [_pixel_iou(masks, probabilities > t) for t in thresholds]
            accuracy = [float(np.mean((probabilities > t) == (masks > 0))) for t in thresholds]
            others = set(np.flatnonzero(np.isclose(iou, max(iou)))) | set(
                np.flatnonzero(np.isclose(accuracy, max(accuracy))))
            if kaggle.isdisjoint(others):
                break
        cases.append(case)
    return cases


def _threshold_compare(case: Case, answer) -> None:
    masks, probabilities, thresholds = case.args
    if isinstance(answer, list) and answer:  # (threshold, score, scores), as tune_threshold returns
        answer = answer[0]
    got = as_number(answer)
    candidates = np.flatnonzero(np.isclose(thresholds, got))
    if not len(candidates):
        raise Mismatch(f"expected one of the candidate thresholds, got {got:.4g}",
                       "return the threshold itself (one of `thresholds`), not its score")
    scores = case.expected
    if scores[candidates[0]] < scores.max() - 1e-12:
        raise Mismatch(f"threshold {got:.2f} scores {scores[candidates[0]]:.3f}, but another candidate scores "
                       f"{scores.max():.3f}",
                       "score the masks `probabilities > t` of every candidate t with the Kaggle metric on these "
                       "masks, and keep the best (np.argmax)")


@exercise(name="threshold_choice", assignment="problem1", title="choosing the threshold",
          answers=("choose_threshold(true_masks, probabilities, thresholds)",), visible_cases=_threshold_visible,
          grade_cases=_threshold_grade, compare=_threshold_compare, rewrites=("tune_threshold",))
def check_threshold_choice(fn) -> CheckResult:
    """Check a function that picks the probability threshold with the best validation score.

    ``fn(true_masks, probabilities, thresholds)`` gets validation masks
    ``(N, H, W, 1)`` (0/1), the model's probabilities for them and a 1-D array of
    candidate thresholds, and returns the candidate whose masks
    (``probabilities > t``) score best with the Kaggle TGS metric. Any candidate
    that ties for the best score is accepted; a tuple whose first element is the
    threshold (as :func:`~sprint19_unet.estimation.predict.tune_threshold` returns)
    is accepted too. The grader's cases are chosen so that pixel IoU or pixel
    accuracy would pick another threshold.

    Args:
        fn: the student's function.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.estimation.predict import tune_threshold
        >>> check_threshold_choice(tune_threshold).passed
        ✅ check_threshold_choice: 4/4 cases
        True
    """
    return run_check("threshold_choice", fn)


# === Exercise 5: run-length encoding ===


def _rle_visible() -> list[Case]:
    docstring_example = np.array([[0, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=np.uint8)
    bottom_edge = np.zeros((4, 3), dtype=np.uint8)
    bottom_edge[2:, 0] = 1
    bottom_edge[:2, 1] = 1  # one run from the bottom of column 1 to the top of column 2
    right_edge = np.zeros((4, 4), dtype=np.uint8)
    right_edge[1, 0] = 1
    right_edge[1:, 3] = 1  # the last run ends on the last pixel
    non_square = np.zeros((3, 5), dtype=np.uint8)
    non_square[0, 1:4] = 1
    non_square[2, 4] = 1
    corner = np.zeros((5, 5), dtype=np.uint8)
    corner[0, 0] = 1
    rng = np.random.default_rng(19)
    tgs_like = (rng.random((101, 101)) < 0.5).astype(np.uint8)
    tgs_like[:, 60:] = 0
    tgs_like[40:, 70:] = 1
    masks = [
        ("the 3×3 example of the notebook", docstring_example),
        ("an empty mask", np.zeros((4, 4), dtype=np.uint8)),
        ("a full 4×5 mask", np.ones((4, 5), dtype=np.uint8)),
        ("one pixel in the top-left corner", corner),
        ("a run from the bottom of one column to the top of the next", bottom_edge),
        ("a 3×5 mask (not square)", non_square),
        ("a mask whose last run reaches the last pixel", right_edge),
        ("a 101×101 mask", tgs_like),
    ]
    return [Case(description, (mask,), expected=encode_rle(mask)) for description, mask in masks]


def _rle_grade(rng: np.random.Generator) -> list[Case]:
    def shape() -> tuple[int, int]:
        return int(rng.integers(2, 40)), int(rng.integers(2, 40))

    masks = []
    size = shape()
    masks.append((f"an empty {size[0]}×{size[1]} mask", np.zeros(size, np.uint8)))
    size = shape()
    masks.append((f"a full {size[0]}×{size[1]} mask", np.ones(size, np.uint8)))
    size = shape()
    masks.append((f"{size[0]}×{size[1]} random pixels", (rng.random(size) < rng.uniform(0.2, 0.8)).astype(np.uint8)))
    size = (int(rng.integers(8, 40)), int(rng.integers(8, 40)))
    blobs = _rectangle(rng, size) | _rectangle(rng, size) | _rectangle(rng, size)
    masks.append((f"three rectangles in {size[0]}×{size[1]}", blobs.astype(np.uint8)))
    size = (int(rng.integers(3, 40)), int(rng.integers(3, 40)))
    last = (rng.random(size) < 0.3).astype(np.uint8)
    last[-int(rng.integers(1, size[0] + 1)):, -1] = 1
    masks.append((f"a {size[0]}×{size[1]} mask whose last run reaches the last pixel", last))
    size = (int(rng.integers(3, 40)), int(rng.integers(3, 40)))
    wrap = np.zeros(size, np.uint8)
    column = int(rng.integers(0, size[1] - 1))
    wrap[-int(rng.integers(1, size[0])):, column] = 1
    wrap[: int(rng.integers(1, size[0])), column + 1] = 1
    masks.append((f"a {size[0]}×{size[1]} mask with a run from one column into the next", wrap))
    size = shape()
    single = np.zeros(size, np.uint8)
    single[int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))] = 1
    masks.append((f"one pixel in a {size[0]}×{size[1]} mask", single))
    tgs = (rng.random((101, 101)) < 0.5).astype(np.uint8) * _rectangle(rng, (101, 101))
    tgs[_rectangle(rng, (101, 101))] = 1
    masks.append(("a 101×101 mask", tgs))
    return [Case(description, (mask,), expected=encode_rle(mask)) for description, mask in masks]


def _pairs(tokens: list[str]) -> np.ndarray:
    return np.asarray([int(token) for token in tokens], dtype=np.int64).reshape(-1, 2)


def _rle_compare(case: Case, got) -> None:
    """Raise a :class:`Mismatch` saying how ``got`` differs from the mask's RLE (without giving it away)."""
    mask = case.args[0]
    if got is None:
        raise Mismatch("your function returned None", "end the function with a return statement")
    if not isinstance(got, str):
        shown = got.what if hasattr(got, "what") else f"{type(got).__name__} {one_line(repr(got), 40)}"
        raise Mismatch(f"expected a string, got {shown}",
                       "join the numbers with spaces, e.g. ' '.join(str(n) for n in numbers)")
    expected, tokens = case.expected.split(), got.split()
    if tokens == expected:
        return
    if not expected:
        raise Mismatch(f"expected the empty string, got {one_line(repr(got), 40)}",
                       "a mask without salt is written as '' (no runs at all)")
    mine = _pairs(expected)
    closing_hint = ("a run that reaches the last pixel has no 1 → 0 step after it: close it too "
                    "(pad the pixels with a 0 at both ends)")
    reaches_last_pixel = mine[-1].sum() - 1 == mask.size
    if not tokens:
        raise Mismatch("got the empty string for a mask with salt",
                       closing_hint if len(mine) == 1 and reaches_last_pixel else "write one 'start length' pair per run")
    if not all(token.isascii() and token.isdigit() for token in tokens) or len(tokens) % 2:
        raise Mismatch(f"expected 'start length' pairs of whole numbers, got {one_line(repr(got), 40)}",
                       "two numbers per run, separated by spaces, no brackets or commas")
    theirs = _pairs(tokens)
    order_hint = ("number the pixels from 1, top to bottom, then left to right: down each column first "
                  "(column-major, mask.flatten(order='F') or mask.T.flatten())")
    if tokens == encode_rle(mask.T).split():
        raise Mismatch("the pixels are numbered row by row", order_hint)
    if theirs.shape == mine.shape:
        if np.array_equal(theirs[:, 0] + 1, mine[:, 0]) and np.array_equal(theirs[:, 1], mine[:, 1]):
            raise Mismatch("every start is one pixel too early", "Kaggle numbers the pixels from 1, not from 0")
        if np.array_equal(theirs[:, 0], mine[:, 0]) and (
            np.array_equal(theirs[:, 1], mine.sum(axis=1) - 1) or np.array_equal(theirs[:, 1], mine.sum(axis=1))
        ):
            raise Mismatch("the second number of each pair is where the run ends",
                           "the second number is the run's length (how many pixels)")
    if len(theirs) != len(mine):
        if len(theirs) < len(mine) and reaches_last_pixel:
            hint = closing_hint
        elif len(theirs) > len(mine):
            hint = "a run goes on from the bottom of a column to the top of the next; do not split it there"
        else:
            hint = order_hint
        raise Mismatch(f"expected {len(mine)} run{'' if len(mine) == 1 else 's'}, got {len(theirs)}", hint)
    index = int(np.flatnonzero((theirs != mine).any(axis=1))[0])
    raise Mismatch(
        f"run {index + 1}: expected start {mine[index, 0]} and length {mine[index, 1]}, "
        f"got start {theirs[index, 0]} and length {theirs[index, 1]}",
        order_hint,
    )


@exercise(name="rle", assignment="problem1", title="run-length encoding", answers=("rle_encode(mask)",),
          visible_cases=_rle_visible, grade_cases=_rle_grade, compare=_rle_compare, rewrites=("encode_rle",))
def check_rle(encode_fn) -> CheckResult:
    """Check a run-length encoder in the Kaggle TGS format.

    ``encode_fn(mask)`` takes a binary ``(H, W)`` mask (0/1 integers) and returns
    the string ``"start length start length …"``: pixels numbered from 1, top to
    bottom then left to right (column-major), one pair per run of salt pixels,
    ``""`` for an empty mask. The reference is
    :func:`~sprint19_unet.data.rle.encode_rle`. Extra spaces are forgiven.

    Args:
        encode_fn: the student's encoder.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (the line is printed).

    Example:
        >>> check_rle(lambda mask: "1 1").passed
        ❌ check_rle: 1/8 cases; case 1 (the 3×3 example of the notebook): run 1: expected start 3 and length 4, got start 1 and length 1 — hint: ...
        False
    """
    return run_check("rle", encode_fn)
