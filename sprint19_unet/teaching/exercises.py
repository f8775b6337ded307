"""Self-checks for the exercise notebooks: run the student's function on cases of our own, and teach.

After each exercise a notebook cell calls one check, e.g.
``s19.exercises.check_rle(encode_rle)``. The check runs the student's function on
its own small cases, compares with the package's reference implementation and
prints **one line**::

    ✅ check_rle: 8/8 cases
    ❌ check_rle: 4/8 cases; case 1 (the 3×3 example of the notebook): expected 1 run, got 2 — hint: a run goes on …

What a check promises:

* **deterministic** — fixed cases (seeded generators), the same line every run;
* **it teaches, it does not tell** — the failing case is named, with what differed
  (a shape, a count, one run, a score) and a hint about the idea behind it, never
  the full expected answer where that would hand over the solution;
* **it never stops the notebook** — an exception raised by the student's function
  is a ❌ naming its type and message (``raise NotImplementedError``, the untouched
  template, reads "not done yet"), never a traceback;
* **it lives in the package** — nothing needs to sit beside the notebook (Colab).

Every check returns a :class:`CheckResult` (``passed``, ``exercise``, ``message``),
and when the environment variable ``SPRINT19_GRADING_RESULTS`` names a file it also
appends the result there as one JSON line: that is how ``python -m sprint19_unet
grade`` (:mod:`sprint19_unet.teaching.grading`) learns what each notebook achieved.

The exercises (:data:`EXERCISES`, by name; :data:`ASSIGNMENTS` groups them by notebook):

=====================  ==============================================================
Problem 1              ``tgs_image_score``, ``pad_and_crop``, ``threshold_choice``,
                       ``beats_empty_baseline``, ``rle``
Problem 2              ``valid_output_size``, ``copy_and_crop``, ``parameter_count``,
                       ``transposed_conv``, ``answer_weight_map``,
                       ``answer_augmentation``, ``answer_overlap_tile``
=====================  ==============================================================

Written answers (:func:`check_answer`) are recorded for the teacher and pass when they
are a real answer (at least ``min_words`` words, not the template's placeholder); no
keyword matching, so a right answer in one's own words is never refused.

Example:
    >>> from sprint19_unet.data.rle import encode_rle
    >>> result = check_rle(encode_rle)
    ✅ check_rle: 8/8 cases
    >>> result.passed, result.exercise
    (True, 'rle')
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import os
from typing import Callable

import numpy as np

from sprint19_unet.data.prepare import crop_to_size, pad_to_size
from sprint19_unet.data.rle import encode_rle
from sprint19_unet.errors import bad_input, one_line
from sprint19_unet.estimation.predict import DEFAULT_THRESHOLDS
from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores, kaggle_tgs_score
from sprint19_unet.training.sanity import predict_nothing_score
from sprint19_unet.unet.sizes import unet_output_size
from sprint19_unet.unet.transposed import conv2d_transpose

# The file the checks append their results to (one JSON object per line) when set; the grader sets it.
RESULTS_VARIABLE = "SPRINT19_GRADING_RESULTS"

PASS_MARK, FAIL_MARK = "✅", "❌"
_SHOWN_CHARS = 120  # how much of a student's exception message or string a line quotes

# The paper's network (Figure 1): 572×572×1 → 388×388×2.
PAPER_PARAMETERS = 31_030_658


# === The result and how it is reported ===


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """What one check found: the line it printed, and whether the exercise passed.

    Args:
        exercise: the exercise's name in :data:`EXERCISES` (e.g. ``"rle"``).
        passed: True when every case passed.
        message: the line printed in the notebook (starts with ✅ or ❌).
        cases_passed: how many cases passed.
        cases_total: how many cases the check ran.
        answer: a written answer's text (:func:`check_answer`), else ``""``.

    Example:
        >>> CheckResult("rle", True, "✅ check_rle: 8/8 cases", 8, 8).passed
        True
    """

    exercise: str
    passed: bool
    message: str
    cases_passed: int = 0
    cases_total: int = 0
    answer: str = ""

    def to_json(self) -> str:
        """The result as one JSON line (what the grader reads).

        Returns:
            A JSON object without newlines.

        Example:
            >>> CheckResult("rle", False, "❌ check_rle: …").to_json()[:36]
            '{"exercise": "rle", "passed": false,'
        """
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: the check has printed its line already."""


def _record(result: CheckResult) -> CheckResult:
    """Print the result's line and, under the grader, append it to the results file."""
    print(result.message)
    path = os.environ.get(RESULTS_VARIABLE)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as file:
                file.write(result.to_json() + "\n")
        except OSError as error:
            print(f"(the grader's results file {path!r} could not be written: {error.strerror or error})")
    return result


# === Running cases ===


class _Mismatch(Exception):
    """A case's answer differs from the reference: what differed, and a hint."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


@dataclasses.dataclass(frozen=True)
class _Case:
    description: str
    run: Callable[[], None]  # raises _Mismatch when the answer is wrong


def _crash_text(error: Exception) -> str:
    """How a student's exception reads in a check's line."""
    detail = one_line(error, _SHOWN_CHARS)
    return f"your function raised {type(error).__name__}" + (f": {detail}" if detail else "")


def _run_cases(exercise: str, label: str, cases: list[_Case], crash_hint: str = "") -> CheckResult:
    """Run every case; the line names the first failing one (or says ✅ with the count)."""
    passed, first_failure = 0, None
    for number, case in enumerate(cases, start=1):
        try:
            case.run()
        except _Mismatch as mismatch:
            problem = mismatch.what + (f" — hint: {mismatch.hint}" if mismatch.hint else "")
        except NotImplementedError:
            problem = "not done yet (the function raises NotImplementedError) — hint: replace that line with your code"
        except Exception as error:  # the student's code may raise anything; report it, never stop the notebook
            problem = _crash_text(error) + (f" — hint: {crash_hint}" if crash_hint else "")
        else:
            passed += 1
            continue
        if first_failure is None:
            first_failure = f"case {number} ({case.description}): {problem}"
    total = len(cases)
    if first_failure is None:
        return _record(CheckResult(exercise, True, f"{PASS_MARK} {label}: {total}/{total} cases", passed, total))
    return _record(
        CheckResult(exercise, False, f"{FAIL_MARK} {label}: {passed}/{total} cases; {first_failure}", passed, total)
    )


def _not_callable(exercise: str, label: str, value: object, what: str) -> CheckResult | None:
    """A ❌ result when the student passed something that is not a function."""
    if callable(value):
        return None
    message = (f"{FAIL_MARK} {label}: expected {what}; received {one_line(repr(value), 60)} — "
               "hint: pass the function itself, without calling it (no parentheses)")
    return _record(CheckResult(exercise, False, message, 0, 0))


def _as_array(value: object, name: str = "your function") -> np.ndarray:
    """The student's answer as a NumPy array (Keras tensors of any backend too)."""
    if value is None:
        raise _Mismatch(f"{name} returned None", "end the function with a return statement")
    try:
        return np.asarray(value)
    except Exception:  # e.g. a tensor on a device NumPy cannot read directly
        import keras

        return np.asarray(keras.ops.convert_to_numpy(value))


def _expect_shape(got: np.ndarray, expected: tuple, hint: str) -> None:
    if got.ndim == 0:
        raise _Mismatch(f"expected an array of shape {tuple(expected)}, got {one_line(repr(got.item()), 40)}",
                        "return the array itself")
    if tuple(got.shape) != tuple(expected):
        raise _Mismatch(f"expected shape {tuple(expected)}, got {tuple(got.shape)}", hint)


def _first_difference(got: np.ndarray, expected: np.ndarray) -> tuple[int, ...]:
    wrong = ~np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-6)
    return tuple(int(i) for i in np.argwhere(wrong)[0])


def _expect_values(got: np.ndarray, expected: np.ndarray, what: str, hint: str) -> None:
    if got.dtype.kind not in "biuf":
        raise _Mismatch(f"expected numbers, got an array of dtype {got.dtype}", hint)
    if not np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-6):
        raise _Mismatch(f"{what} differ from the expected ones, first at index {_first_difference(got, expected)}",
                        hint)


def _number(value: object, name: str = "your function") -> float:
    """The student's answer as a float (NumPy scalars and 0-d arrays too)."""
    if value is None:
        raise _Mismatch(f"{name} returned None", "end the function with a return statement")
    if isinstance(value, bool):
        raise _Mismatch(f"expected a number, got the bool {value}")
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise _Mismatch(f"expected one number, got {one_line(repr(value), 60)}")
    return float(array.reshape(()))


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _call(function, *args, **kwargs):
    """Call the student's function on copies, so that a function that edits its input cannot spoil later cases."""
    return function(*(_copy(arg) for arg in args), **{key: _copy(value) for key, value in kwargs.items()})


# === Problem 1: pad 101 → 128 and crop back ===


def _image(height: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((height, width, 1)).astype(np.float32)


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
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.data.prepare import crop_to_size, pad_to_size
        >>> check_pad_and_crop(pad_to_size, crop_to_size).passed
        ✅ check_pad_and_crop: 7/7 cases
        True
    """
    label = "check_pad_and_crop"
    for function, what in ((pad_fn, "pad_fn(image, size), a function"), (crop_fn, "crop_fn(padded, size), a function")):
        refused = _not_callable("pad_and_crop", label, function, what)
        if refused is not None:
            return refused
    tgs, small = _image(101, 101, 0), _image(64, 64, 1)
    split_hint = "pad (size − 101) pixels in all: half of it (rounded down) before, the rest after"

    def padded_shape():
        _expect_shape(_as_array(_call(pad_fn, tgs, 128)), (128, 128, 1),
                      "pad height and width only, and keep the channel axis")

    def where_the_image_sits():
        padded = _as_array(_call(pad_fn, tgs, 128))
        _expect_shape(padded, (128, 128, 1), "pad height and width only, and keep the channel axis")
        if not np.allclose(padded[13:114, 13:114], tgs):
            raise _Mismatch("the image is not where it should be inside the padded one", split_hint)

    def mirrored_border():
        padded = _as_array(_call(pad_fn, tgs, 128))
        _expect_shape(padded, (128, 128, 1), "pad height and width only, and keep the channel axis")
        _expect_values(padded, pad_to_size(tgs, 128), "the padded pixels",
                       "mirror the border without repeating the edge pixel (d c b | a b c d): np.pad mode='reflect'")

    def crop_back():
        cropped = _as_array(_call(crop_fn, pad_to_size(tgs, 128), 101))
        _expect_shape(cropped, (101, 101, 1), "cut height and width only, and keep the channel axis")
        _expect_values(cropped, tgs, "the cropped pixels", "cut the centre out: the same offsets the padding used")

    def round_trip():
        result = _as_array(_call(crop_fn, _as_array(_call(pad_fn, tgs, 128), "pad_fn"), 101), "crop_fn")
        _expect_shape(result, (101, 101, 1), "crop back to the original size")
        _expect_values(result, tgs, "the pixels after padding and cropping", "cropping must undo the padding exactly")

    def other_size():
        padded = _as_array(_call(pad_fn, small, 80))
        _expect_shape(padded, (80, 80, 1), "use the size argument, not a fixed 128")
        _expect_values(padded, pad_to_size(small, 80), "the padded pixels",
                       "work out the padding from the sizes you are given, not from 101 and 128")

    def odd_total():
        padded = _as_array(_call(pad_fn, tgs, 112))
        _expect_shape(padded, (112, 112, 1), "use the size argument, not a fixed 128")
        _expect_values(padded, pad_to_size(tgs, 112), "the padded pixels", split_hint)
        cropped = _as_array(_call(crop_fn, pad_to_size(tgs, 112), 101), "crop_fn")
        _expect_shape(cropped, (101, 101, 1), "cut height and width only")
        _expect_values(cropped, tgs, "the cropped pixels", "the odd pixel was padded after, so cut it after too")

    cases = [
        _Case("padding a 101×101×1 image to 128: the shape", padded_shape),
        _Case("padding 101 → 128: where the image sits", where_the_image_sits),
        _Case("padding 101 → 128: the mirrored border", mirrored_border),
        _Case("cropping a 128×128×1 prediction back to 101", crop_back),
        _Case("pad, then crop: the image comes back unchanged", round_trip),
        _Case("another size: 64 → 80", other_size),
        _Case("an odd total, 101 → 112 and back", odd_total),
    ]
    return _run_cases("pad_and_crop", label, cases)


# === Problem 1: the Kaggle metric for one image ===


def _square(size: int, pixels: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    for row, column in pixels:
        mask[row, column] = True
    return mask


def _first(count: int, size: int = 12) -> list[tuple[int, int]]:
    """The first ``count`` pixels of a ``size``×``size`` mask, row by row."""
    return [divmod(index, size) for index in range(count)]


def _tgs_cases() -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(description, truth, prediction, hint) for the one-image Kaggle score."""
    threshold_hint = ("the score is the fraction of the thresholds 0.50, 0.55, …, 0.95 that the IoU "
                      "(intersection / union) beats")
    return [
        ("no salt, none predicted", _square(12, []), _square(12, []),
         "no salt and nothing predicted is a perfect answer: score 1 (careful: the union is 0)"),
        ("no salt, 3 pixels predicted", _square(12, []), _square(12, _first(3)),
         "any predicted pixel on an image without salt is a false positive: score 0"),
        ("salt, nothing predicted", _square(12, _first(20)), _square(12, []),
         "missing all the salt is a false negative: score 0"),
        ("a perfect prediction", _square(12, _first(30)), _square(12, _first(30)), threshold_hint),
        ("IoU 2/3", _square(12, _first(3)).astype(np.uint8), _square(12, _first(2)).astype(np.uint8),
         threshold_hint + "; masks may come as 0/1 integers as well as booleans"),
        ("IoU exactly 0.5", _square(12, _first(8)), _square(12, _first(4)),
         "a threshold counts as a hit only when the IoU is strictly above it"),
        ("IoU exactly 0.75", _square(12, _first(4)), _square(12, _first(3)),
         "a threshold counts as a hit only when the IoU is strictly above it"),
        ("IoU 0.97", _square(12, _first(100)), _square(12, _first(97)), threshold_hint),
    ]


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
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores
        >>> def one_image(truth, pred):
        ...     return kaggle_tgs_image_scores(truth[None], pred[None])[0]
        >>> check_tgs_image_score(one_image).passed
        ✅ check_tgs_image_score: 8/8 cases
        True
    """
    label = "check_tgs_image_score"
    refused = _not_callable("tgs_image_score", label, fn, "fn(true_mask, pred_mask), a function")
    if refused is not None:
        return refused

    def case(truth, pred, hint):
        def run():
            expected = float(kaggle_tgs_image_scores(truth[None], pred[None])[0])
            got = _number(_call(fn, truth, pred))
            if not np.isclose(got, expected, atol=1e-6):
                raise _Mismatch(f"expected {expected:.2f}, got {got:.4g}", hint)
        return run

    cases = [_Case(description, case(truth, pred, hint)) for description, truth, pred, hint in _tgs_cases()]
    return _run_cases("tgs_image_score", label, cases)


# === Problem 1: run-length encoding ===


def _rle_masks() -> list[tuple[str, np.ndarray]]:
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
    return [
        ("the 3×3 example of the notebook", docstring_example),
        ("an empty mask", np.zeros((4, 4), dtype=np.uint8)),
        ("a full 4×5 mask", np.ones((4, 5), dtype=np.uint8)),
        ("one pixel in the top-left corner", corner),
        ("a run from the bottom of one column to the top of the next", bottom_edge),
        ("a 3×5 mask (not square)", non_square),
        ("a mask whose last run reaches the last pixel", right_edge),
        ("a 101×101 mask", tgs_like),
    ]


def _pairs(tokens: list[str]) -> np.ndarray:
    return np.asarray([int(token) for token in tokens], dtype=np.int64).reshape(-1, 2)


def _rle_mismatch(got: object, mask: np.ndarray) -> None:
    """Raise a :class:`_Mismatch` saying how ``got`` differs from the mask's RLE (without giving it away)."""
    if got is None:
        raise _Mismatch("your function returned None", "end the function with a return statement")
    if not isinstance(got, str):
        raise _Mismatch(f"expected a string, got {type(got).__name__} {one_line(repr(got), 40)}",
                        "join the numbers with spaces, e.g. ' '.join(str(n) for n in numbers)")
    expected = encode_rle(mask).split()
    tokens = got.split()
    if tokens == expected:
        return
    if not expected:
        raise _Mismatch(f"expected the empty string, got {one_line(repr(got), 40)}",
                        "a mask without salt is written as '' (no runs at all)")
    mine = _pairs(expected)
    closing_hint = ("a run that reaches the last pixel has no 1 → 0 step after it: close it too "
                    "(pad the pixels with a 0 at both ends)")
    reaches_last_pixel = mine[-1].sum() - 1 == mask.size
    if not tokens:
        raise _Mismatch("got the empty string for a mask with salt",
                        closing_hint if len(mine) == 1 and reaches_last_pixel else "write one 'start length' pair per run")
    if not all(token.isdigit() for token in tokens) or len(tokens) % 2:
        raise _Mismatch(f"expected 'start length' pairs of whole numbers, got {one_line(repr(got), 40)}",
                        "two numbers per run, separated by spaces, no brackets or commas")
    theirs = _pairs(tokens)
    order_hint = ("number the pixels from 1, top to bottom, then left to right: down each column first "
                  "(column-major, mask.flatten(order='F') or mask.T.flatten())")
    if tokens == encode_rle(mask.T).split():
        raise _Mismatch("the pixels are numbered row by row", order_hint)
    if theirs.shape == mine.shape:
        if np.array_equal(theirs[:, 0] + 1, mine[:, 0]) and np.array_equal(theirs[:, 1], mine[:, 1]):
            raise _Mismatch("every start is one pixel too early", "Kaggle numbers the pixels from 1, not from 0")
        if np.array_equal(theirs[:, 0], mine[:, 0]) and (
            np.array_equal(theirs[:, 1], mine.sum(axis=1) - 1) or np.array_equal(theirs[:, 1], mine.sum(axis=1))
        ):
            raise _Mismatch("the second number of each pair is where the run ends",
                            "the second number is the run's length (how many pixels)")
    if len(theirs) != len(mine):
        if len(theirs) < len(mine) and reaches_last_pixel:
            hint = closing_hint
        elif len(theirs) > len(mine):
            hint = "a run goes on from the bottom of a column to the top of the next; do not split it there"
        else:
            hint = order_hint
        raise _Mismatch(f"expected {len(mine)} run{'' if len(mine) == 1 else 's'}, got {len(theirs)}", hint)
    index = int(np.flatnonzero((theirs != mine).any(axis=1))[0])
    raise _Mismatch(
        f"run {index + 1}: expected start {mine[index, 0]} and length {mine[index, 1]}, "
        f"got start {theirs[index, 0]} and length {theirs[index, 1]}",
        order_hint,
    )


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
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> check_rle(lambda mask: "1 1").passed
        ❌ check_rle: 1/8 cases; case 1 (the 3×3 example of the notebook): run 1: expected start 3 and length 4, got start 1 and length 1 — hint: ...
        False
    """
    label = "check_rle"
    refused = _not_callable("rle", label, encode_fn, "encode_fn(mask), a function")
    if refused is not None:
        return refused

    def case(mask):
        return lambda: _rle_mismatch(_call(encode_fn, mask), mask)

    cases = [_Case(description, case(mask)) for description, mask in _rle_masks()]
    return _run_cases("rle", label, cases)


# === Problem 1: choosing the threshold ===


def _threshold_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(description, true masks, probabilities, candidate thresholds)."""
    rng = np.random.default_rng(7)
    masks = np.zeros((10, 16, 16, 1), dtype=np.uint8)
    for index in range(4):
        masks[index, 2 + index : 10 + index, 3:12] = 1
    # over-confident: false alarms at 0.6 on the empty images
    over = np.where(masks == 1, 0.9, 0.1)
    over[4:, 5:9, 5:9] = 0.6
    # under-confident: the salt only reaches 0.3
    salt = np.zeros((8, 16, 16, 1), dtype=np.uint8)
    for index in range(8):
        salt[index, index : index + 7, 2:14] = 1
    under = np.where(salt == 1, 0.3, 0.05)
    # noisy: blurred salt plus noise; the candidates leave 0.5 out
    noisy = np.clip(0.55 * masks + rng.normal(0.2, 0.12, masks.shape), 0.0, 1.0)
    return [
        ("an over-confident model: false alarms at 0.6 on empty images", masks, over, np.asarray(DEFAULT_THRESHOLDS)),
        ("an under-confident model: salt at probability 0.3", salt, under, np.asarray(DEFAULT_THRESHOLDS)),
        ("a noisy model, candidates 0.2, 0.35, 0.45, 0.6, 0.8", masks, noisy, np.array([0.2, 0.35, 0.45, 0.6, 0.8])),
    ]


def check_threshold_choice(fn) -> CheckResult:
    """Check a function that picks the probability threshold with the best validation score.

    ``fn(true_masks, probabilities, thresholds)`` gets validation masks
    ``(N, H, W, 1)`` (0/1), the model's probabilities for them and a 1-D array of
    candidate thresholds, and returns the candidate whose masks
    (``probabilities > t``) score best with the Kaggle TGS metric. Any candidate
    that ties for the best score is accepted; a tuple whose first element is the
    threshold (as :func:`~sprint19_unet.estimation.predict.tune_threshold` returns)
    is accepted too.

    Args:
        fn: the student's function.

    Returns:
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.estimation.predict import tune_threshold
        >>> check_threshold_choice(tune_threshold).passed
        ✅ check_threshold_choice: 3/3 cases
        True
    """
    label = "check_threshold_choice"
    refused = _not_callable("threshold_choice", label, fn, "fn(true_masks, probabilities, thresholds), a function")
    if refused is not None:
        return refused

    def case(masks, probabilities, thresholds):
        def run():
            answer = _call(fn, masks, probabilities, thresholds)
            if isinstance(answer, tuple) and answer:
                answer = answer[0]
            got = _number(answer)
            if not np.isclose(thresholds, got).any():
                raise _Mismatch(f"expected one of the candidate thresholds, got {got:.4g}",
                                "return the threshold itself (one of `thresholds`), not its score")
            scores = [kaggle_tgs_score(masks, probabilities > t) for t in thresholds]
            mine = kaggle_tgs_score(masks, probabilities > got)
            if mine < max(scores) - 1e-12:
                raise _Mismatch(f"threshold {got:.2f} scores {mine:.3f}, but another candidate scores {max(scores):.3f}",
                                "score the masks `probabilities > t` of every candidate t with the Kaggle metric "
                                "on these masks, and keep the best (np.argmax)")
        return run

    cases = [_Case(description, case(*arrays)) for description, *arrays in _threshold_cases()]
    return _run_cases("threshold_choice", label, cases)


# === Problem 1: beating the predict-empty baseline ===


def check_beats_empty_baseline(score, masks, margin: float = 0.0) -> CheckResult:
    """Check that a trained model beats predicting an empty mask everywhere.

    An all-black prediction already scores the fraction of empty masks (about
    0.39 on TGS Salt): a model has learnt something only when it does better.

    Args:
        score: the model's Kaggle TGS score on the validation masks, or its
            predicted binary masks for them (then the score is computed here).
        masks: the validation masks ``(N, H, W, 1)`` (0/1).
        margin: how much better than the baseline counts (default 0: strictly better).

    Returns:
        The :class:`CheckResult` (the line is printed).

    Raises:
        Sprint19Error: when ``masks`` is not a batch of binary masks (the notebook's
            own data, not the student's answer).

    Example:
        >>> import numpy as np
        >>> masks = np.zeros((4, 8, 8, 1), np.uint8); masks[:2, :4] = 1
        >>> check_beats_empty_baseline(0.75, masks).passed
        ✅ check_beats_empty_baseline: your score 0.750 beats the predict-empty baseline 0.500
        True
    """
    exercise, label = "beats_empty_baseline", "check_beats_empty_baseline"
    masks = np.asarray(masks)
    if masks.ndim not in (3, 4) or len(masks) == 0:
        raise bad_input("masks", f"an array of shape {masks.shape}", "validation masks (N, H, W, 1)",
                        "Pass the true masks of the images the score was measured on.")
    baseline = predict_nothing_score(masks)
    try:
        array = np.asarray(score)
        if array.shape == masks.shape:
            score = kaggle_tgs_score(masks, array)
        value = _number(score, "the score")
    except _Mismatch as mismatch:
        return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: {mismatch.what} — hint: pass the "
                                   "validation score (a number) or the predicted masks", 0, 1))
    except Exception as error:  # e.g. predicted masks that are probabilities
        return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: {one_line(error, _SHOWN_CHARS)}", 0, 1))
    if value > baseline + margin:
        return _record(CheckResult(exercise, True, f"{PASS_MARK} {label}: your score {value:.3f} beats the "
                                   f"predict-empty baseline {baseline:.3f}", 1, 1))
    return _record(CheckResult(
        exercise, False,
        f"{FAIL_MARK} {label}: your score {value:.3f} does not beat the predict-empty baseline {baseline:.3f}"
        + (f" by {margin:g}" if margin else "")
        + " — hint: a model that predicts all black scores exactly the fraction of empty masks; train longer, "
        "tune the threshold, and check that the masks are 0/1", 0, 1))


# === Problem 2: the output size of a valid-padding U-Net ===


def check_valid_output_size(fn) -> CheckResult:
    """Check a function that gives the output side length of the paper's U-Net.

    ``fn(input_size)`` returns the output side length of the depth-4 U-Net with
    unpadded ("valid") 3×3 convolutions for an input tile of ``input_size`` pixels
    (572 → 388 in Figure 1). The cases are sizes that fit the network; the
    reference is :func:`~sprint19_unet.unet.sizes.unet_output_size`.

    Args:
        fn: the student's function.

    Returns:
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.unet.sizes import unet_output_size
        >>> check_valid_output_size(unet_output_size).passed
        ✅ check_valid_output_size: 5/5 cases
        True
    """
    label = "check_valid_output_size"
    refused = _not_callable("valid_output_size", label, fn, "fn(input_size), a function")
    if refused is not None:
        return refused
    hint = ("follow one side down and up again: each unpadded 3×3 convolution loses 2 pixels (two per level), "
            "each 2×2 pooling halves, the bottleneck's two convolutions, then per level ×2 for the up-convolution "
            "and −4 for its two convolutions")

    def case(size):
        def run():
            expected = unet_output_size(size, depth=4, padding="valid")
            got = _number(_call(fn, size))
            if got != expected:
                raise _Mismatch(f"expected a different size than {got:g}", hint)
        return run

    sizes = [("the paper's tile, 572", 572), ("the smallest tile that fits, 188", 188), ("252", 252),
             ("428", 428), ("a large tile, 1020", 1020)]
    return _run_cases("valid_output_size", label, [_Case(description, case(size)) for description, size in sizes])


# === Problem 2: copy and crop ===


def _reference_copy_and_crop(features: np.ndarray, upsampled: np.ndarray) -> np.ndarray:
    """NumPy copy and crop: the centre of ``features`` at ``upsampled``'s size, concatenated first.

    The same crop as :func:`sprint19_unet.unet.parts.copy_and_crop` (the odd pixel, if any, is cut after).
    """
    return np.concatenate([crop_to_size(features, upsampled.shape[1:3]), upsampled], axis=-1)


def _ramp(shape: tuple[int, ...], start: float = 0.0) -> np.ndarray:
    return (np.arange(np.prod(shape), dtype=np.float32) + start).reshape(shape)


def check_copy_and_crop(fn) -> CheckResult:
    """Check the paper's "copy and crop": the contracting map's centre, concatenated onto the upsampled map.

    ``fn(features, upsampled)`` takes two channels-last arrays
    ``(batch, H, W, C1)`` and ``(batch, h, w, C2)`` with ``H ≥ h`` and ``W ≥ w``
    and returns ``(batch, h, w, C1 + C2)``: the centre ``h × w`` of ``features``
    (as much cut on each side; the differences are even in a valid U-Net),
    followed along the channel axis by ``upsampled`` — the copied features come
    first, as in the paper and :func:`sprint19_unet.unet.parts.copy_and_crop`.
    NumPy arrays or Keras tensors may come back.

    Args:
        fn: the student's function.

    Returns:
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> import numpy as np
        >>> def copy_and_crop(features, upsampled):
        ...     dh = (features.shape[1] - upsampled.shape[1]) // 2
        ...     dw = (features.shape[2] - upsampled.shape[2]) // 2
        ...     centre = features[:, dh:dh + upsampled.shape[1], dw:dw + upsampled.shape[2]]
        ...     return np.concatenate([centre, upsampled], axis=-1)
        >>> check_copy_and_crop(copy_and_crop).passed
        ✅ check_copy_and_crop: 5/5 cases
        True
    """
    label = "check_copy_and_crop"
    refused = _not_callable("copy_and_crop", label, fn, "fn(features, upsampled), a function")
    if refused is not None:
        return refused

    def case(features_shape, upsampled_shape, hint):
        def run():
            features, upsampled = _ramp(features_shape), _ramp(upsampled_shape, start=-1000.0)
            expected = _reference_copy_and_crop(features, upsampled)
            got = _as_array(_call(fn, features, upsampled))
            _expect_shape(got, expected.shape, "crop the features to the upsampled map's height and width, then "
                          "concatenate along the last (channel) axis")
            channels = features_shape[-1]
            swapped = np.concatenate([expected[..., channels:], expected[..., :channels]], axis=-1)
            if np.allclose(got, swapped) and not np.allclose(got, expected):
                raise _Mismatch("the upsampled map comes first", "the paper copies the features first: "
                                "concatenate [cropped features, upsampled]")
            _expect_values(got, expected, "the values", hint)
        return run

    centre = "cut the same number of pixels on both sides: (H − h) // 2 at the top, (W − w) // 2 on the left"
    cases = [
        _Case("64×64×8 features onto a 56×56×8 map (the paper's bottom level)",
              case((1, 64, 64, 8), (1, 56, 56, 8), centre)),
        _Case("the crop is centred: 136×136 onto 104×104", case((1, 136, 136, 2), (1, 104, 104, 2), centre)),
        _Case("height and width crop differently: 30×20 onto 26×12",
              case((1, 30, 20, 3), (1, 26, 12, 5), centre + "; height and width each have their own offset")),
        _Case("nothing to crop ('same' padding): 8×8 onto 8×8", case((1, 8, 8, 2), (1, 8, 8, 3), centre)),
        _Case("a batch of 2 images", case((2, 20, 20, 2), (2, 16, 16, 2), "crop every image of the batch the same way")),
    ]
    return _run_cases("copy_and_crop", label, cases)


# === Problem 2: transposed convolution by zero insertion ===


def _reference_transposed(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    return conv2d_transpose(x[:, :, None], kernel[:, :, None, None], strides=stride)[:, :, 0]


def check_transposed_conv(fn) -> CheckResult:
    """Check a transposed convolution (one channel, "valid"), e.g. written as zero insertion.

    ``fn(x, kernel, stride)`` takes a 2-D input ``(n_h, n_w)``, a 2-D kernel
    ``(k, k)`` and an integer stride, and returns what
    ``keras.layers.Conv2DTranspose`` (no bias, valid padding) computes:
    ``((n_h − 1)·s + k, (n_w − 1)·s + k)`` values. One way: put ``stride − 1``
    zeros between the input pixels, ``k − 1`` zeros around the border, and slide
    the kernel, flipped in both axes, over the result. Another: every input pixel
    stamps ``pixel × kernel`` onto the output, stamps ``stride`` apart. The cases
    have ``k ≥ stride`` (where Keras and PyTorch agree); the reference is
    :func:`~sprint19_unet.unet.transposed.conv2d_transpose`.

    Args:
        fn: the student's function.

    Returns:
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> from sprint19_unet.unet.transposed import conv2d_transpose_by_zero_insertion
        >>> def transposed(x, kernel, stride):
        ...     return conv2d_transpose_by_zero_insertion(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]
        >>> check_transposed_conv(transposed).passed
        ✅ check_transposed_conv: 5/5 cases
        True
    """
    label = "check_transposed_conv"
    refused = _not_callable("transposed_conv", label, fn, "fn(x, kernel, stride), a function")
    if refused is not None:
        return refused
    size_hint = ("stride − 1 zeros go between neighbouring pixels and kernel − 1 zeros around the border, "
                 "so a side of n pixels becomes (n − 1)·stride + kernel")

    def case(x, kernel, stride):
        def run():
            expected = _reference_transposed(x, kernel, stride)
            got = _as_array(_call(fn, x, kernel, stride))
            _expect_shape(got, expected.shape, size_hint)
            if got.dtype.kind in "biuf" and not np.allclose(got, expected) and \
                    np.allclose(got, _reference_transposed(x, kernel[::-1, ::-1], stride)):
                raise _Mismatch("the values are those of the kernel turned by 180°",
                                "sliding over the zero-inserted input is a convolution with the flipped kernel "
                                "(kernel[::-1, ::-1]); or stamp pixel × kernel at stride steps")
            _expect_values(got, expected, "the values",
                           "each input pixel contributes pixel × kernel to the output window that starts at "
                           "(row·stride, column·stride); overlapping contributions add up")
        return run

    rng = np.random.default_rng(5)
    cases = [
        _Case("the U-Net's up-convolution: 2×2 kernel, stride 2",
              case(_ramp((3, 3), 1.0), np.array([[1.0, 2.0], [3.0, 4.0]]), 2)),
        _Case("a 3×3 kernel with stride 2 (the stamps overlap)", case(rng.random((3, 3)), rng.random((3, 3)), 2)),
        _Case("stride 1", case(rng.random((4, 4)), rng.random((3, 3)), 1)),
        _Case("a kernel that is not symmetric", case(_ramp((2, 2), 1.0), np.array([[0.0, 1.0, 0.0],
                                                                                  [0.0, 0.0, 0.0],
                                                                                  [0.0, 0.0, 2.0]]), 2)),
        _Case("a 2×4 input, 3×3 kernel, stride 3", case(rng.random((2, 4)), rng.random((3, 3)), 3)),
    ]
    return _run_cases("transposed_conv", label, cases)


# === Problem 2: the paper network's parameters ===


def unet_parameter_count(
    input_channels: int = 1,
    base_filters: int = 64,
    depth: int = 4,
    num_classes: int = 2,
    *,
    biases: bool = True,
    up_kernel: int = 2,
    halve_up_channels: bool = True,
    concatenate: bool = True,
) -> int:
    """Count a U-Net's parameters by hand (:func:`~sprint19_unet.unet.model.build_unet`, no batch norm).

    Per convolution: ``k·k·c_in·c_out`` weights plus ``c_out`` biases. Each
    contracting level has two 3×3 convolutions (channels double from level to
    level), the bottleneck two more, each expanding level a 2×2 up-convolution
    that halves the channels, then two 3×3 convolutions whose first one reads the
    concatenation (twice the channels), and a 1×1 convolution to ``num_classes``
    ends the network. The keyword-only switches count common mistakes instead,
    which :func:`check_parameter_count` uses for its hints.

    Args:
        input_channels: channels of the input image (1 in the paper).
        base_filters: channels of the first level (64).
        depth: number of poolings (4).
        num_classes: output channels (2: softmax over background and cell).
        biases: count the biases.
        up_kernel: the up-convolution's kernel side (2).
        halve_up_channels: the up-convolution halves the channels.
        concatenate: the first expanding convolution reads the concatenation.

    Returns:
        The number of parameters.

    Example:
        >>> unet_parameter_count()
        31030658
    """
    def conv(kernel: int, c_in: int, c_out: int) -> int:
        return kernel * kernel * c_in * c_out + (c_out if biases else 0)

    channels = [base_filters * 2**level for level in range(depth + 1)]  # levels 1 … depth, then the bottleneck
    total, c_in = 0, input_channels
    for c_out in channels:
        total += conv(3, c_in, c_out) + conv(3, c_out, c_out)
        c_in = c_out
    for level in range(depth - 1, -1, -1):
        c_out = channels[level]
        up_out = c_out if halve_up_channels else c_in
        total += conv(up_kernel, c_in, up_out)
        total += conv(3, (c_out + up_out) if concatenate else up_out, c_out) + conv(3, c_out, c_out)
        c_in = c_out
    return total + conv(1, c_in, num_classes)


_PARAMETER_MISTAKES = (
    ({"biases": False}, "you counted the weights only: every filter has a bias too (one per output channel)"),
    ({"up_kernel": 3}, "the up-convolutions are 2×2, not 3×3"),
    ({"halve_up_channels": False}, "each up-convolution halves the number of channels"),
    ({"concatenate": False}, "after copy and crop, the first convolution of an expanding level reads the "
                             "concatenation: twice the channels"),
)


def _parameter_hint(got: int, config: dict) -> str:
    for switches, hint in _PARAMETER_MISTAKES:
        if got == unet_parameter_count(**config, **switches):
            return hint
    if got == unet_parameter_count(**{**config, "num_classes": 1}):
        return "the paper's 1×1 output convolution has 2 output channels (softmax over two classes)"
    if got == unet_parameter_count(**config) - unet_parameter_count(**{**config, "num_classes": 0}):
        return "count every layer, not just the output"
    return ("count every convolution: k·k·c_in·c_out weights + c_out biases; 2 × 3×3 per level and in the "
            "bottleneck, the 2×2 up-convolutions (halving the channels), the concatenation doubling the input "
            "of the first expanding convolution, and the final 1×1")


def check_parameter_count(value_or_fn) -> CheckResult:
    """Check the parameter count of the paper's U-Net, or a function that counts any U-Net's.

    Give either the number for the paper's network (572×572×1 in, 2 classes out,
    64 → 1024 channels; without building the model) or a function
    ``fn(input_channels, base_filters, depth, num_classes)`` (called with those
    keywords), which is then checked on the paper's network and on four others.
    The reference is :func:`unet_parameter_count`, itself checked against
    ``keras.Model.count_params()`` in the tests.

    Args:
        value_or_fn: an integer, or the student's counting function.

    Returns:
        The :class:`CheckResult` (the line is printed).

    Example:
        >>> check_parameter_count(unet_parameter_count).passed
        ✅ check_parameter_count: 5/5 cases
        True
    """
    exercise, label = "parameter_count", "check_parameter_count"
    paper = {"input_channels": 1, "base_filters": 64, "depth": 4, "num_classes": 2}

    def compare(got_value, config):
        got = _number(got_value, "your count")
        if got != int(got):
            raise _Mismatch(f"expected a whole number, got {got:g}")
        if int(got) != unet_parameter_count(**config):
            raise _Mismatch(f"{int(got):,} is not the count", _parameter_hint(int(got), config))

    if not callable(value_or_fn):
        if value_or_fn is None or value_or_fn is Ellipsis:
            return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: no answer yet — hint: put your count "
                                       "(an integer) or your counting function in the call", 0, 1))
        return _run_cases(exercise, label, [_Case("the paper's network", lambda: compare(value_or_fn, paper))])
    configs = [
        ("the paper's network", paper),
        ("RGB input", {**paper, "input_channels": 3}),
        ("base_filters=32", {**paper, "base_filters": 32}),
        ("depth 3", {**paper, "depth": 3}),
        ("a small network: 16 filters, depth 2, 1 class", {"input_channels": 1, "base_filters": 16, "depth": 2,
                                                          "num_classes": 1}),
    ]
    cases = [_Case(description, functools.partial(lambda config: compare(_call(value_or_fn, **config), config),
                                                  config))
             for description, config in configs]
    return _run_cases(exercise, label, cases,
                      crash_hint="the function is called with the keywords input_channels, base_filters, depth, "
                                 "num_classes")


# === Problem 2: written answers about the paper ===

QUESTIONS = {
    "overlap_tile": "The paper's U-Net uses unpadded ('valid') convolutions. What does that do to the output "
                    "size, and how does the overlap-tile strategy still segment a whole large image seamlessly?",
    "weight_map": "What is the weight map of Eq. 2 for? Why do the thin borders between touching cells get a "
                  "large weight?",
    "augmentation": "The paper trains on only 30 images. Which data augmentation does it rely on most, and why "
                    "does it suit these biomedical images?",
}
PLACEHOLDER = "YOUR ANSWER"  # the exercise notebooks' template text; an answer still holding it is not done
MIN_WORDS = 20


def check_answer(question: str, text, min_words: int = MIN_WORDS) -> CheckResult:
    """Record a short written answer about the paper.

    The answer passes when it is a real answer: at least ``min_words`` words and
    no longer the template's ``YOUR ANSWER`` placeholder. It is not matched
    against keywords (a right answer in one's own words must not fail); the
    grader writes its text into the grades file for the teacher to read.

    Args:
        question: a key of :data:`QUESTIONS` (``"overlap_tile"``, ``"weight_map"``, ``"augmentation"``).
        text: the student's answer.
        min_words: the fewest words that count as an answer.

    Returns:
        The :class:`CheckResult` (exercise ``"answer_<question>"``; the line is printed).

    Raises:
        Sprint19Error: for an unknown question (the notebook's mistake, not the student's).

    Example:
        >>> check_answer("weight_map", "YOUR ANSWER HERE").passed
        ❌ check_answer('weight_map'): still the template's placeholder — hint: write your answer in your own words (at least 20 words)
        False
    """
    if question not in QUESTIONS:
        raise bad_input("question", repr(question), f"one of {', '.join(map(repr, QUESTIONS))}",
                        "Use the question name given in the notebook.")
    exercise, label = f"answer_{question}", f"check_answer({question!r})"
    hint = f"write your answer in your own words (at least {min_words} words)"
    if not isinstance(text, str) or not text.strip():
        return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: no answer yet — hint: {hint}", 0, 1))
    answer = text.strip()
    if PLACEHOLDER.lower() in answer.lower():
        return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: still the template's placeholder — "
                                   f"hint: {hint}", 0, 1, answer))
    words = len(answer.split())
    if words < min_words:
        return _record(CheckResult(exercise, False, f"{FAIL_MARK} {label}: {words} words — hint: {hint}; say why, "
                                   "not only what", 0, 1, answer))
    return _record(CheckResult(exercise, True, f"{PASS_MARK} {label}: recorded ({words} words); your teacher "
                               "reads it", 1, 1, answer))


# === The registry ===

EXERCISES: dict[str, Callable[..., CheckResult]] = {
    "pad_and_crop": check_pad_and_crop,
    "tgs_image_score": check_tgs_image_score,
    "rle": check_rle,
    "threshold_choice": check_threshold_choice,
    "beats_empty_baseline": check_beats_empty_baseline,
    "valid_output_size": check_valid_output_size,
    "copy_and_crop": check_copy_and_crop,
    "transposed_conv": check_transposed_conv,
    "parameter_count": check_parameter_count,
    **{f"answer_{question}": functools.partial(check_answer, question) for question in QUESTIONS},
}
"""Exercise name → its check. The name is what results and the grades file call the exercise."""

ASSIGNMENTS: dict[str, tuple[str, ...]] = {
    "problem1": ("tgs_image_score", "pad_and_crop", "threshold_choice", "beats_empty_baseline", "rle"),
    "problem2": ("valid_output_size", "copy_and_crop", "parameter_count", "transposed_conv", "answer_weight_map",
                 "answer_augmentation", "answer_overlap_tile"),
}
"""Assignment → the exercises its notebook holds, in the order of their checks in the notebook.
A notebook names its assignment in its metadata (``{"sprint19": {"assignment": "problem1"}}``) or in
its file name (``…problem1….ipynb``); see :func:`sprint19_unet.teaching.grading.expected_exercises`."""


def _signature(check) -> str:
    """``(name, name=default)``: a check's parameters as a notebook calls them."""
    parameters = inspect.signature(check).parameters.values()
    return "(" + ", ".join(
        parameter.name + ("" if parameter.default is parameter.empty else f"={parameter.default!r}")
        for parameter in parameters
    ) + ")"


def list_exercises() -> str:
    """The exercises, one line each: assignment, name, and how its check is called.

    Returns:
        A table as text.

    Example:
        >>> print(list_exercises().splitlines()[0])
        problem1  tgs_image_score        check_tgs_image_score(fn)
    """
    lines = []
    for assignment, names in ASSIGNMENTS.items():
        for name in names:
            check = EXERCISES[name]
            call = (f"check_answer({check.args[0]!r}, text)" if isinstance(check, functools.partial)
                    else f"{check.__name__}{_signature(check)}")
            lines.append(f"{assignment:<9} {name:<22} {call}")
    return "\n".join(lines)
