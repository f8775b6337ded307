"""The exercise registry and its self-checks: the reference passes, a wrong answer fails with the right hint,
a crash is a ❌; every exercise's grade-time cases differ from its visible ones and its reference passes them."""

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
    ASSIGNMENTS, EXERCISES, QUESTIONS, CheckResult, check_answer, check_copy_and_crop, check_pad_and_crop,
    check_parameter_count, check_rle, check_tgs_image_score, check_threshold_choice, check_training,
    check_transposed_conv, check_valid_output_size, unet_parameter_count,
)
from sprint19_unet.teaching.exercises import problem1, problem2
from sprint19_unet.teaching.exercises.registry import Mismatch
from sprint19_unet.teaching.exercises.self_check import Outcome, call_student, tally
from sprint19_unet.unet.sizes import unet_output_size
from sprint19_unet.unet.transposed import conv2d_transpose_by_zero_insertion
from trick_types import AlwaysEqual, Sly, Splitter

ANSWER = ("Unpadded convolutions lose a border of pixels at every layer, so the output is smaller than the "
          "input tile; overlap-tile predicts the image tile by tile, mirroring the missing context at the border.")


def _copy_and_crop(features, upsampled):
    dh = (features.shape[1] - upsampled.shape[1]) // 2
    dw = (features.shape[2] - upsampled.shape[2]) // 2
    centre = features[:, dh : dh + upsampled.shape[1], dw : dw + upsampled.shape[2]]
    return np.concatenate([centre, upsampled], axis=-1)


def _transposed(x, kernel, stride):
    return conv2d_transpose_by_zero_insertion(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]


# The reference solution of every function exercise, in the order of its answers.
REFERENCE = {
    "pad_and_crop": (pad_to_size, crop_to_size),
    "tgs_image_score": (lambda truth, pred: kaggle_tgs_image_scores(truth[None], pred[None])[0],),
    "rle": (encode_rle,),
    "threshold_choice": (lambda masks, probabilities, thresholds: tune_threshold(masks, probabilities, thresholds)[0],),
    "valid_output_size": (unet_output_size,),
    "copy_and_crop": (_copy_and_crop,),
    "transposed_conv": (_transposed,),
    "parameter_count": (unet_parameter_count,),
}
FUNCTION_EXERCISES = sorted(name for name, item in EXERCISES.items() if item.kind == "function")


def _crash(*args, **kwargs):
    raise ValueError("operands could not be broadcast together")


def _todo(*args, **kwargs):
    raise NotImplementedError


def test_the_registry_is_the_one_list_of_exercises():
    assert set(REFERENCE) == set(FUNCTION_EXERCISES)
    assigned = [name for names in ASSIGNMENTS.values() for name in names]
    assert sorted(assigned) == sorted(EXERCISES) and len(assigned) == len(set(assigned))
    assert s19.exercises is exercises and s19.exercises.check_rle is check_rle
    for name, item in EXERCISES.items():
        assert item.name == name and item.assignment in ASSIGNMENTS and item.points > 0
        assert item.grade_cases is not None, name
        assert (item.compare is not None) == (item.kind != "text"), name
    assert [EXERCISES[name].kind for name in ASSIGNMENTS["problem1"]].count("model") == 1
    with pytest.raises(ValueError, match="registered twice"):
        exercises.registry.exercise(name="rle", assignment="problem1", title="again", answers=("f(x)",))(len)


def test_describe_counts_follow_the_registry():
    for assignment, names in ASSIGNMENTS.items():
        lines = exercises.describe(assignment).splitlines()
        assert lines[0] == f"{assignment}: {len(names)} exercises, {sum(EXERCISES[n].points for n in names)} points"
        assert len(lines) == len(names) + 1
        for line, name in zip(lines[1:], names):
            assert EXERCISES[name].answers[0] in line


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_reference_solution_passes_and_the_line_says_so(name, capsys):
    result = EXERCISES[name].check(*REFERENCE[name])
    line = capsys.readouterr().out.strip()
    assert isinstance(result, CheckResult) and result.exercise == name
    assert result.passed, line
    assert line == result.message and line.startswith("✅ ") and "\n" not in line
    assert result.cases_passed == result.cases_total >= 1


@pytest.mark.parametrize("name", FUNCTION_EXERCISES)
def test_grade_time_cases_are_new_random_and_the_reference_passes_them(name):
    item = EXERCISES[name]
    first, again, other = (item.grade_cases(np.random.default_rng(seed)) for seed in (1, 1, 2))
    visible = item.visible_cases()
    assert len(first) >= 4 and [c.description for c in first] == [c.description for c in again]

    def inputs(case):
        return repr([np.asarray(arg).tolist() for arg in case.args]) + repr(sorted(case.kwargs.items()))

    assert {inputs(case) for case in first}.isdisjoint(inputs(case) for case in visible)
    assert [inputs(case) for case in first] != [inputs(case) for case in other]
    by_name = dict(zip(item.names, REFERENCE[name]))
    outcomes = [call_student(by_name[case.call or item.names[0]], case) for case in first]
    result = tally(item, first, outcomes)
    assert result.all_passed, result.first_failure


@pytest.mark.parametrize("name", sorted(n for n in REFERENCE if n != "parameter_count"))
@pytest.mark.parametrize("student", [_crash, _todo], ids=["crash", "not-done"])
def test_a_crashing_or_untouched_function_is_a_cross_not_a_traceback(name, student, capsys):
    arguments = (student,) * len(REFERENCE[name])
    result = EXERCISES[name].check(*arguments)
    line = capsys.readouterr().out.strip()
    assert not result.passed and line.startswith("❌ ") and "\n" not in line
    assert result.cases_passed == 0 and "case 1 (" in line
    if student is _crash:
        assert "your function raised ValueError: operands could not be broadcast together" in line
    else:
        assert "not done yet" in line


def test_a_function_raising_systemexit_or_an_unprintable_exception_is_a_cross(capsys):
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def exits(mask):
        raise SystemExit(3)

    def unprintable(mask):
        raise Unprintable()

    assert "your function raised SystemExit: 3" in check_rle(exits).message
    assert "your function raised Unprintable" in check_rle(unprintable).message


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_checks_are_deterministic(name, capsys):
    arguments = tuple(lambda *a, **k: 0 for _ in REFERENCE[name])
    first = EXERCISES[name].check(*arguments)
    second = EXERCISES[name].check(*arguments)
    assert first == second and not first.passed
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == lines[1]


def test_a_value_instead_of_a_function_is_refused_with_a_hint(capsys):
    result = check_rle(encode_rle(np.ones((2, 2))))
    assert not result.passed
    assert "expected rle_encode(mask), a function" in result.message and "without calling it" in result.message
    bare = check_parameter_count(31_030_658)  # a bare number is no answer any more: the count follows the config
    assert not bare.passed and "a function" in bare.message


def test_answers_are_compared_as_plain_data_so_tricks_do_not_pass(capsys):
    assert not check_rle(lambda mask: AlwaysEqual()).passed
    assert not check_rle(lambda mask: Splitter("1 1")).passed
    assert not check_copy_and_crop(lambda f, u: np.zeros(3).view(Sly)).passed
    assert not check_valid_output_size(lambda size: AlwaysEqual()).passed


def test_the_result_is_not_displayed_twice_in_a_notebook():
    assert CheckResult("rle", True, "✅")._ipython_display_() is None


# === One check at a time: the wrong answers students write, and the hints they get ===


def test_pad_and_crop_hints(capsys):
    zeros = lambda image, size: pad_to_size(image, size, mode="constant")  # noqa: E731
    result = check_pad_and_crop(zeros, crop_to_size)
    assert "case 1 (padding a 101×101×1 image to 128): the padded pixels differ" in result.message
    assert "mode='reflect'" in result.message

    def fixed(image, size):
        return np.pad(image, ((13, 14), (13, 14), (0, 0)), mode="reflect")

    result = check_pad_and_crop(fixed, crop_to_size)
    assert result.cases_passed == 3 and "case 2 (another size: 64 → 80)" in result.message
    assert "use the size argument" in result.message

    def odd_before(image, size):
        extra = size - image.shape[0]
        return np.pad(image, ((extra - extra // 2, extra // 2),) * 2 + ((0, 0),), mode="reflect")

    result = check_pad_and_crop(odd_before, crop_to_size)
    assert "not where it should be" in result.message and "half of it (rounded down) before" in result.message

    def top_left(padded, size):
        return padded[:size, :size]

    result = check_pad_and_crop(pad_to_size, top_left)
    assert "case 4 (cropping" in result.message and "cut the centre out" in result.message

    def squeezed(image, size):  # loses the channel axis
        return pad_to_size(image, size)[..., 0]

    assert "keep the channel axis" in check_pad_and_crop(squeezed, crop_to_size).message


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
    right_edge = [case for case in problem1._rle_visible()
                  if case.description == "a mask whose last run reaches the last pixel"][0]
    with pytest.raises(Mismatch) as mismatch:
        problem1._rle_compare(right_edge, unclosed(right_edge.args[0]))
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
    big = problem1._rle_visible()[-1].args[0]
    assert encode_rle(big) not in result.message


def test_threshold_choice_hints(capsys):
    result = check_threshold_choice(lambda masks, probabilities, thresholds: 0.5)
    assert not result.passed and "case 1 (an over-confident model" in result.message
    assert "threshold 0.50 scores" in result.message and "np.argmax" in result.message
    result = check_threshold_choice(lambda masks, probabilities, thresholds: tune_threshold(
        masks, probabilities, thresholds)[1])
    assert "expected one of the candidate thresholds" in result.message


def test_threshold_cases_are_not_won_by_0_5():
    for case in problem1._threshold_visible()[:2]:
        masks, probabilities, thresholds = case.args
        best, score, _ = tune_threshold(masks, probabilities, thresholds)
        assert score > s19.kaggle_tgs_score(masks, probabilities > 0.5)


def test_pixel_iou_or_accuracy_instead_of_the_kaggle_metric_fails_the_check(capsys):
    for wrong in (_pixel_iou_choice, _accuracy_choice):
        result = check_threshold_choice(wrong)
        assert not result.passed and "thin edges and stray pixels" in result.message
    assert check_threshold_choice(lambda masks, probabilities, thresholds: tune_threshold(
        masks, probabilities, thresholds)[0]).passed


def _pixel_iou_choice(masks, probabilities, thresholds):
    scores = [np.logical_and(masks > 0, probabilities > t).sum() / np.logical_or(masks > 0, probabilities > t).sum()
              for t in thresholds]
    return thresholds[int(np.argmax(scores))]


def _accuracy_choice(masks, probabilities, thresholds):
    return thresholds[int(np.argmax([np.mean((probabilities > t) == (masks > 0)) for t in thresholds]))]


def test_the_graders_threshold_cases_are_not_won_by_pixel_iou_or_accuracy():
    item = EXERCISES["threshold_choice"]
    cases = item.grade_cases(np.random.default_rng(3))
    for wrong in (_pixel_iou_choice, _accuracy_choice):
        outcomes = [call_student(wrong, case) for case in cases]
        assert tally(item, cases, outcomes).passed == 0


def _sigmoid_model(weight: float, bias: float) -> keras.Model:
    """A 1×1-convolution 'U-Net': probability = sigmoid(weight · pixel + bias)."""
    inputs = keras.Input((16, 16, 1))
    conv = keras.layers.Conv2D(1, 1, activation="sigmoid")
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights([np.full((1, 1, 1, 1), weight, "float32"), np.full((1,), bias, "float32")])
    return model


def test_training_check_asks_the_model_and_compares_with_predicting_empty_masks(capsys):
    masks = np.zeros((4, 16, 16, 1), np.uint8)
    masks[:2, 4:12, 4:12] = 1  # two empty masks of four: the baseline is 0.5
    images = masks.astype("float32")
    result = check_training(_sigmoid_model(20.0, -10.0), images, masks)  # sees the salt exactly
    assert result.passed and "scores 1.000 (threshold 0.5) and beats the predict-empty baseline 0.500" in result.message
    result = check_training(_sigmoid_model(0.0, -10.0), images, masks)  # all black: equal is not better
    assert not result.passed and "does not beat the predict-empty baseline 0.500" in result.message
    assert "this model was never trained" in result.message and "model, history = train(" in result.message
    trained = _sigmoid_model(0.0, -10.0)
    trained.compile("adam", "binary_crossentropy")
    trained.fit(images, masks, epochs=1, verbose=0)  # trained, but still all black: the other hint
    assert "never trained" not in check_training(trained, images, masks).message
    assert "raised" in check_training(None, images, masks).message
    with pytest.raises(Sprint19Error, match=r"^masks: expected a batch of masks"):
        check_training(_sigmoid_model(1.0, 0.0), images, np.zeros(3))


def test_the_training_comparison_refuses_what_is_not_probabilities():
    masks = np.zeros((2, 4, 4, 1), np.uint8)
    case = exercises.Case("two", (masks,), expected=masks)
    for answer, what in ((np.full((2, 4, 4, 1), 2.0), "not probabilities"), (np.zeros((2, 3, 3, 1)), "shape"),
                         ("0.9", "expected an array")):
        with pytest.raises(Mismatch, match=what):
            problem1._training_compare(case, answer)


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
    features, upsampled = problem2._ramp((1, 30, 20, 3)), problem2._ramp((1, 26, 12, 5), -1000.0)
    f_in, u_in = keras.Input((30, 20, 3)), keras.Input((26, 12, 5))
    model = keras.Model([f_in, u_in], s19.copy_and_crop(f_in, u_in, level=1))
    np.testing.assert_array_equal(model.predict([features, upsampled], verbose=0),
                                  problem2._reference_copy_and_crop(features, upsampled))


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

    def counting(**switches):
        return lambda **config: unet_parameter_count(**config, **switches)

    no_bias = check_parameter_count(counting(biases=False)).message
    assert "bias" in no_bias and f"{exercises.PAPER_PARAMETERS:,}" not in no_bias
    assert "halves" in check_parameter_count(counting(halve_up_channels=False)).message
    assert "twice the channels" in check_parameter_count(counting(concatenate=False)).message
    assert "expected one number" in check_parameter_count(lambda **config: "31030658").message
    result = check_parameter_count(lambda input_channels, base_filters, depth, num_classes: 31_030_658)
    assert result.cases_passed == 1 and "case 2 (RGB input)" in result.message
    result = check_parameter_count(lambda channels, filters, depth, classes: 0)
    assert "called with the keywords" in result.message


def test_written_answers(capsys):
    assert check_answer("overlap_tile", ANSWER).passed
    assert "no answer yet" in check_answer("overlap_tile", None).message
    assert "placeholder" in check_answer("overlap_tile", "\nYOUR ANSWER HERE\n").message
    own_words = "In your answer here I mean: " + ANSWER  # a real answer may say "your answer"
    assert check_answer("overlap_tile", own_words).passed
    short = check_answer("overlap_tile", "Mirroring.")
    assert not short.passed and "1 words" in short.message and short.answer == "Mirroring."
    with pytest.raises(Sprint19Error, match="question"):
        check_answer("unknown", ANSWER)
    assert [EXERCISES[f"answer_{q}"].names for q in QUESTIONS] == [(f"{q}_answer",) for q in QUESTIONS]


def test_tally_counts_outcomes_the_grader_brings_back():
    item = EXERCISES["valid_output_size"]
    cases = item.visible_cases()[:4]
    outcomes = [Outcome(388), Outcome(timed_out=10.0), Outcome(missing="valid_output_size"), Outcome(error="boom")]
    result = tally(item, cases, outcomes)
    assert (result.passed, result.total) == (1, 4)
    assert result.first_failure == "case 2 (the smallest tile that fits, 188): your function ran past its 10 s"
    assert result.hint == "look for a loop that never ends" and "hint" not in result.first_failure


def test_under_nbgrader_a_failed_check_raises_after_its_line(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check_rle(encode_rle).passed
    with pytest.raises(AssertionError, match="❌ check_rle: 1/8 cases"):
        check_rle(lambda mask: "1 1")
    assert capsys.readouterr().out.splitlines()[-1].startswith("❌ check_rle")
    with pytest.raises(AssertionError, match="a function"):
        check_rle("not a function")
    assert not check_answer("weight_map", "YOUR ANSWER HERE").passed  # the teacher grades written answers
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert not check_rle(lambda mask: "1 1").passed  # in a student's notebook: a line, no traceback
