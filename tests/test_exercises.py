"""The exercise self-checks: the reference passes, a wrong answer fails with the right hint, a crash is a ❌."""

import json

import keras
import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet.data.prepare import crop_to_size, pad_to_size
from sprint19_unet.data.rle import encode_rle
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.estimation.predict import tune_threshold
from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores
from sprint19_unet.teaching import exercises
from sprint19_unet.teaching.exercises import (
    ASSIGNMENTS, EXERCISES, QUESTIONS, RESULTS_VARIABLE, CheckResult, check_answer, check_beats_empty_baseline,
    check_copy_and_crop, check_pad_and_crop, check_parameter_count, check_rle, check_tgs_image_score,
    check_threshold_choice, check_transposed_conv, check_valid_output_size, unet_parameter_count,
)
from sprint19_unet.unet.sizes import unet_output_size
from sprint19_unet.unet.transposed import conv2d_transpose_by_zero_insertion

ANSWER = ("Unpadded convolutions lose a border of pixels at every layer, so the output is smaller than the "
          "input tile; overlap-tile predicts the image tile by tile, mirroring the missing context at the border.")
VALIDATION_MASKS = np.zeros((4, 8, 8, 1), np.uint8)
VALIDATION_MASKS[:2, :4] = 1  # two empty masks of four: the baseline is 0.5


def _copy_and_crop(features, upsampled):
    dh = (features.shape[1] - upsampled.shape[1]) // 2
    dw = (features.shape[2] - upsampled.shape[2]) // 2
    centre = features[:, dh : dh + upsampled.shape[1], dw : dw + upsampled.shape[2]]
    return np.concatenate([centre, upsampled], axis=-1)


def _transposed(x, kernel, stride):
    return conv2d_transpose_by_zero_insertion(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]


# The reference solution of every exercise, as the arguments of its check.
REFERENCE = {
    "pad_and_crop": (pad_to_size, crop_to_size),
    "tgs_image_score": (lambda truth, pred: kaggle_tgs_image_scores(truth[None], pred[None])[0],),
    "rle": (encode_rle,),
    "threshold_choice": (lambda masks, probabilities, thresholds: tune_threshold(masks, probabilities, thresholds)[0],),
    "beats_empty_baseline": (0.75, VALIDATION_MASKS),
    "valid_output_size": (unet_output_size,),
    "copy_and_crop": (_copy_and_crop,),
    "transposed_conv": (_transposed,),
    "parameter_count": (31_030_658,),
    **{f"answer_{question}": (ANSWER,) for question in QUESTIONS},
}


def _crash(*args, **kwargs):
    raise ValueError("operands could not be broadcast together")


def _todo(*args, **kwargs):
    raise NotImplementedError


def test_every_exercise_has_a_reference_and_belongs_to_one_assignment():
    assert set(REFERENCE) == set(EXERCISES)
    assigned = [name for names in ASSIGNMENTS.values() for name in names]
    assert sorted(assigned) == sorted(EXERCISES)
    assert s19.exercises is exercises and s19.exercises.check_rle is check_rle


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_reference_solution_passes_and_the_line_says_so(name, capsys):
    result = EXERCISES[name](*REFERENCE[name])
    line = capsys.readouterr().out.strip()
    assert isinstance(result, CheckResult) and result.exercise == name
    assert result.passed, line
    assert line == result.message and line.startswith("✅ ") and "\n" not in line
    assert result.cases_passed == result.cases_total >= 1


@pytest.mark.parametrize("name", sorted(n for n in REFERENCE if not n.startswith(("answer_", "beats", "parameter"))))
@pytest.mark.parametrize("student", [_crash, _todo], ids=["crash", "not-done"])
def test_a_crashing_or_untouched_function_is_a_cross_not_a_traceback(name, student, capsys):
    arguments = (student,) * len(REFERENCE[name])
    result = EXERCISES[name](*arguments)
    line = capsys.readouterr().out.strip()
    assert not result.passed and line.startswith("❌ ") and "\n" not in line
    assert result.cases_passed == 0 and "case 1 (" in line
    if student is _crash:
        assert "your function raised ValueError: operands could not be broadcast together" in line
    else:
        assert "not done yet" in line


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_checks_are_deterministic(name, capsys):
    wrong = {"beats_empty_baseline": (0.4, VALIDATION_MASKS), "parameter_count": (31_000_000,)}
    arguments = wrong.get(name, REFERENCE[name] if name.startswith("answer_") else
                          tuple(lambda *a, **k: 0 for _ in REFERENCE[name]))
    first = EXERCISES[name](*arguments)
    second = EXERCISES[name](*arguments)
    assert first == second and not first.passed or name.startswith("answer_")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == lines[1]


def test_a_value_instead_of_a_function_is_refused_with_a_hint(capsys):
    result = check_rle(encode_rle(np.ones((2, 2))))
    assert not result.passed
    assert "expected encode_fn(mask), a function" in result.message and "without calling it" in result.message


def test_results_go_to_the_graders_file_as_json_lines(tmp_path, monkeypatch, capsys):
    path = tmp_path / "results.jsonl"
    monkeypatch.setenv(RESULTS_VARIABLE, str(path))
    check_rle(encode_rle)
    check_rle(_crash)
    check_answer("weight_map", ANSWER)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["exercise"], r["passed"]) for r in records] == [("rle", True), ("rle", False),
                                                               ("answer_weight_map", True)]
    assert records[1]["message"].startswith("❌ check_rle") and records[2]["answer"] == ANSWER


def test_the_result_is_not_displayed_twice_in_a_notebook():
    assert CheckResult("rle", True, "✅")._ipython_display_() is None


# === One check at a time: the wrong answers students write, and the hints they get ===


def test_pad_and_crop_hints(capsys):
    zeros = lambda image, size: pad_to_size(image, size, mode="constant")  # noqa: E731
    assert "case 3 (padding 101 → 128: the mirrored border)" in check_pad_and_crop(zeros, crop_to_size).message
    assert "mode='reflect'" in check_pad_and_crop(zeros, crop_to_size).message

    def fixed(image, size):
        return np.pad(image, ((13, 14), (13, 14), (0, 0)), mode="reflect")

    result = check_pad_and_crop(fixed, crop_to_size)
    assert result.cases_passed == 5 and "case 6 (another size: 64 → 80)" in result.message
    assert "use the size argument" in result.message

    def odd_before(image, size):
        extra = size - image.shape[0]
        return np.pad(image, ((extra - extra // 2, extra // 2),) * 2 + ((0, 0),), mode="reflect")

    result = check_pad_and_crop(odd_before, crop_to_size)
    assert "where the image sits" in result.message and "half of it (rounded down) before" in result.message

    def top_left(padded, size):
        return padded[:size, :size]

    result = check_pad_and_crop(pad_to_size, top_left)
    assert "case 4 (cropping" in result.message and "cut the centre out" in result.message


def test_tgs_image_score_hints(capsys):
    def at_least(truth, pred):  # >= instead of >
        union = np.logical_or(truth, pred).sum()
        if union == 0:
            return 1.0
        iou = np.logical_and(truth, pred).sum() / union
        return float(np.mean([iou >= t for t in np.arange(0.5, 1.0, 0.05)]))

    result = check_tgs_image_score(at_least)
    assert "case 6 (IoU exactly 0.5): expected 0.00, got 0.1" in result.message
    assert "strictly above" in result.message

    def divides_by_zero(truth, pred):
        iou = np.logical_and(truth, pred).sum() / np.logical_or(truth, pred).sum()
        return float(np.mean([iou > t for t in np.arange(0.5, 1.0, 0.05)]))

    with np.errstate(invalid="ignore"):
        result = check_tgs_image_score(divides_by_zero)
    assert "case 1 (no salt, none predicted): expected 1.00, got 0" in result.message
    assert "the union is 0" in result.message


def _numbered(mask, order):
    pixels = np.concatenate([[0], mask.flatten(order=order), [0]])
    edges = np.flatnonzero(np.diff(pixels))
    return edges[0::2], edges[1::2] - edges[0::2]


def test_rle_hints(capsys):
    def row_major(mask):
        starts, lengths = _numbered(mask, "C")
        return " ".join(f"{s + 1} {n}" for s, n in zip(starts, lengths))

    assert "numbered row by row" in check_rle(row_major).message

    def from_zero(mask):
        starts, lengths = _numbered(mask, "F")
        return " ".join(f"{s} {n}" for s, n in zip(starts, lengths))

    assert "one pixel too early" in check_rle(from_zero).message

    def unclosed(mask):  # only counts a run when it sees its 1 → 0 step
        pixels = mask.flatten(order="F")
        runs, start = [], None
        for index in range(len(pixels)):
            if pixels[index] and start is None:
                start = index
            if not pixels[index] and start is not None:
                runs += [start + 1, index - start]
                start = None
        return " ".join(map(str, runs))

    result = check_rle(unclosed)
    assert "case 3 (a full 4×5 mask): got the empty string" in result.message and "last pixel" in result.message
    right_edge = [description for description, _ in exercises._rle_masks()].index(
        "a mask whose last run reaches the last pixel")
    mask = exercises._rle_masks()[right_edge][1]
    with pytest.raises(exercises._Mismatch) as mismatch:
        exercises._rle_mismatch(unclosed(mask), mask)
    assert mismatch.value.what == "expected 2 runs, got 1" and "last pixel" in mismatch.value.hint

    def per_column(mask):
        pairs = []
        for column in range(mask.shape[1]):
            starts, lengths = _numbered(mask[:, column], "F")
            pairs += [f"{s + 1 + column * mask.shape[0]} {n}" for s, n in zip(starts, lengths)]
        return " ".join(pairs)

    result = check_rle(per_column)
    assert "expected 1 run, got 2" in result.message and "top of the next" in result.message
    assert "expected a string" in check_rle(lambda mask: [3, 4]).message


def test_the_rle_check_never_prints_the_whole_expected_string(capsys):
    result = check_rle(lambda mask: "1 1")
    big = exercises._rle_masks()[-1][1]
    assert encode_rle(big) not in result.message


def test_threshold_choice_hints(capsys):
    result = check_threshold_choice(lambda masks, probabilities, thresholds: 0.5)
    assert not result.passed and "case 1 (an over-confident model" in result.message
    assert "threshold 0.50 scores" in result.message and "np.argmax" in result.message
    result = check_threshold_choice(lambda masks, probabilities, thresholds: tune_threshold(
        masks, probabilities, thresholds)[1])
    assert "expected one of the candidate thresholds" in result.message


def test_threshold_cases_are_not_won_by_0_5():
    for _, masks, probabilities, thresholds in exercises._threshold_cases()[:2]:
        best, score, _ = tune_threshold(masks, probabilities, thresholds)
        assert score > s19.kaggle_tgs_score(masks, probabilities > 0.5)


def test_beats_empty_baseline(capsys):
    assert not check_beats_empty_baseline(0.5, VALIDATION_MASKS).passed  # equal is not better
    assert "does not beat the predict-empty baseline 0.500" in capsys.readouterr().out
    assert check_beats_empty_baseline(VALIDATION_MASKS, VALIDATION_MASKS).passed  # predicted masks: perfect
    empty = np.zeros_like(VALIDATION_MASKS)
    assert not check_beats_empty_baseline(empty, VALIDATION_MASKS).passed
    assert not check_beats_empty_baseline(0.52, VALIDATION_MASKS, margin=0.05).passed
    assert not check_beats_empty_baseline(None, VALIDATION_MASKS).passed
    with pytest.raises(Sprint19Error, match="validation masks"):
        check_beats_empty_baseline(0.9, np.zeros(3))


def test_valid_output_size_hints(capsys):
    result = check_valid_output_size(lambda size: size - 92)
    assert not result.passed and "expected a different size than 480" in result.message
    assert "388" not in result.message  # the answer is not given away


def test_copy_and_crop_hints(capsys):
    swapped = lambda features, upsampled: _copy_and_crop(features, upsampled)[..., ::-1]  # noqa: E731
    assert not check_copy_and_crop(swapped).passed

    def upsampled_first(features, upsampled):
        return np.concatenate([upsampled, _copy_and_crop(features, upsampled)[..., : features.shape[-1]]], axis=-1)

    assert "the upsampled map comes first" in check_copy_and_crop(upsampled_first).message

    def top_left(features, upsampled):
        return np.concatenate([features[:, : upsampled.shape[1], : upsampled.shape[2]], upsampled], axis=-1)

    result = check_copy_and_crop(top_left)
    assert "case 1 (" in result.message and "both sides" in result.message

    def same_offset(features, upsampled):
        d = (features.shape[1] - upsampled.shape[1]) // 2
        return np.concatenate([features[:, d : d + upsampled.shape[1], d : d + upsampled.shape[2]], upsampled], -1)

    result = check_copy_and_crop(same_offset)
    assert result.cases_passed == 4 and "case 3 (height and width crop differently" in result.message


def test_copy_and_crop_takes_keras_tensors_and_matches_the_model_part(capsys):
    keras_version = lambda f, u: keras.ops.concatenate(  # noqa: E731
        [keras.layers.CenterCrop(u.shape[1], u.shape[2])(f), u], axis=-1)
    assert check_copy_and_crop(keras_version).passed
    features, upsampled = exercises._ramp((1, 30, 20, 3)), exercises._ramp((1, 26, 12, 5), -1000.0)
    f_in, u_in = keras.Input((30, 20, 3)), keras.Input((26, 12, 5))
    model = keras.Model([f_in, u_in], s19.copy_and_crop(f_in, u_in, level=1))
    np.testing.assert_array_equal(model.predict([features, upsampled], verbose=0),
                                  exercises._reference_copy_and_crop(features, upsampled))


def _correlate(padded, kernel):
    k = kernel.shape[0]
    out = np.empty((padded.shape[0] - k + 1, padded.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i : i + k, j : j + k] * kernel)
    return out


def test_transposed_conv_hints(capsys):
    def not_flipped(x, kernel, stride):
        k = kernel.shape[0]
        dilated = np.zeros(((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1))
        dilated[::stride, ::stride] = x
        return _correlate(np.pad(dilated, k - 1), kernel)

    flipped = lambda x, kernel, stride: not_flipped(x, kernel[::-1, ::-1], stride)  # noqa: E731
    assert check_transposed_conv(flipped).passed
    result = check_transposed_conv(not_flipped)
    assert "turned by 180°" in result.message and "kernel[::-1, ::-1]" in result.message

    def too_small(x, kernel, stride):  # no border of kernel − 1 zeros
        dilated = np.zeros(((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1))
        dilated[::stride, ::stride] = x
        return _correlate(dilated, kernel[::-1, ::-1])

    result = check_transposed_conv(too_small)
    assert "expected shape (6, 6), got (4, 4)" in result.message and "(n − 1)·stride + kernel" in result.message


def test_parameter_count_matches_keras_and_explains_mistakes(capsys):
    assert unet_parameter_count() == s19.paper_unet().count_params() == exercises.PAPER_PARAMETERS
    small = s19.build_unet((32, 32, 3), num_classes=3, base_filters=4, depth=2)
    assert unet_parameter_count(3, 4, 2, 3) == small.count_params()
    assert check_parameter_count(unet_parameter_count).passed
    no_bias = unet_parameter_count(biases=False)
    assert "bias" in check_parameter_count(no_bias).message
    assert f"{exercises.PAPER_PARAMETERS:,}" not in check_parameter_count(no_bias).message
    assert "halves" in check_parameter_count(unet_parameter_count(halve_up_channels=False)).message
    assert "twice the channels" in check_parameter_count(unet_parameter_count(concatenate=False)).message
    assert "no answer yet" in check_parameter_count(...).message
    assert "expected one number" in check_parameter_count("31030658").message
    result = check_parameter_count(lambda input_channels, base_filters, depth, num_classes: 31_030_658)
    assert result.cases_passed == 1 and "case 2 (RGB input)" in result.message
    result = check_parameter_count(lambda channels, filters, depth, classes: 0)
    assert "called with the keywords" in result.message


def test_written_answers(capsys):
    assert check_answer("overlap_tile", ANSWER).passed
    assert "no answer yet" in check_answer("overlap_tile", None).message
    assert "placeholder" in check_answer("overlap_tile", "YOUR ANSWER: " + ANSWER).message
    short = check_answer("overlap_tile", "Mirroring.")
    assert not short.passed and "1 words" in short.message and short.answer == "Mirroring."
    with pytest.raises(Sprint19Error, match="question"):
        check_answer("unknown", ANSWER)


def test_list_exercises_names_every_check():
    table = exercises.list_exercises()
    assert len(table.splitlines()) == len(EXERCISES)
    assert "check_answer('weight_map', text)" in table
