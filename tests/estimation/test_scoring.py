"""Scores of finished predictions (estimation/scoring.py): the Kaggle TGS rule on hand-worked cases and
against a slow exact reference, and the ISBI 2012 challenge's errors as Fiji computes them."""

from fractions import Fraction

import keras
import numpy as np
import pytest
from scipy import ndimage

from sprint19_unet.errors import Sprint19Error
from sprint19_unet.estimation import scoring
from sprint19_unet.training import metrics

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral


# === Kaggle TGS: hand-worked cases ===


def test_kaggle_empty_cases():
    empty = np.zeros((1, 3, 3), dtype=bool)
    salt = empty.copy()
    salt[0, 1, 1] = True
    assert scoring.kaggle_tgs_score(empty, empty) == 1.0
    assert scoring.kaggle_tgs_score(empty, salt) == 0.0
    assert scoring.kaggle_tgs_score(salt, empty) == 0.0
    assert scoring.kaggle_tgs_score(salt, salt) == 1.0


def overlap_pair(intersection, union, size=7):
    """Truth = the first `intersection` pixels, prediction = the first `union` pixels."""
    flat_true, flat_pred = np.zeros(size * size, bool), np.zeros(size * size, bool)
    flat_true[:intersection] = True
    flat_pred[:union] = True
    return flat_true.reshape(1, size, size), flat_pred.reshape(1, size, size)


@pytest.mark.parametrize("k", range(10, 20))
def test_kaggle_iou_exactly_at_a_threshold_is_not_a_hit(k):
    truth, pred = overlap_pair(k, 20)  # IoU = k/20 exactly: hits t = 0.50 … (k−1)/20 only
    assert scoring.kaggle_tgs_score(truth, pred) == pytest.approx((k - 10) / 10)
    truth, pred = overlap_pair(2 * k + 1, 40)  # IoU just above k/20: t = k/20 is a hit too
    assert scoring.kaggle_tgs_score(truth, pred) == pytest.approx((k - 9) / 10)


@pytest.mark.parametrize(
    "intersection, union, expected",
    [
        pytest.param(3, 4, 0.5, id="iou-0.75-hits-0.50-to-0.70"),
        pytest.param(1, 2, 0.0, id="iou-0.5-no-hit"),
        pytest.param(2, 3, 0.4, id="iou-2/3"),
        pytest.param(7, 10, 0.4, id="iou-0.7-exact"),
        pytest.param(1, 3, 0.0, id="iou-1/3"),
        pytest.param(9, 9, 1.0, id="perfect"),
    ],
)
def test_kaggle_partial_overlaps(intersection, union, expected):
    truth, pred = overlap_pair(intersection, union)
    assert scoring.kaggle_tgs_image_scores(truth, pred).tolist() == [expected]


def test_kaggle_score_is_mean_over_images_and_accepts_channel_axis_and_dtypes():
    t1, p1 = overlap_pair(3, 4)  # 0.5
    t2, p2 = overlap_pair(0, 0)  # empty/empty: 1
    truth, pred = np.concatenate([t1, t2]), np.concatenate([p1, p2])
    assert scoring.kaggle_tgs_score(truth, pred) == pytest.approx(0.75)
    assert scoring.kaggle_tgs_score(truth[..., None].astype(np.uint8), pred[..., None].astype(np.float32)) == 0.75
    np.testing.assert_array_equal(scoring.kaggle_tgs_image_scores(truth.astype(int), pred), [0.5, 1.0])


@pytest.mark.parametrize(
    "true_masks, pred_masks, argument",
    [
        pytest.param(np.zeros((2, 3, 3)), np.full((2, 3, 3), 0.7), "pred_masks", id="probabilities"),
        pytest.param(np.array([[[0, 1, 255]]]), np.zeros((1, 1, 3)), "true_masks", id="0-1-255-mix"),
        pytest.param(np.zeros((1, 1, 3)), np.array([[[0, 1, 2]]]), "pred_masks", id="class-labels"),
        pytest.param(np.zeros((2, 3, 3)), np.zeros((2, 3, 4)), "pred_masks", id="shape-mismatch"),
        pytest.param(np.zeros((3, 3)), np.zeros((3, 3)), "true_masks", id="no-batch-axis"),
        pytest.param(np.zeros((2, 3, 3, 2)), np.zeros((2, 3, 3, 2)), "true_masks", id="two-channels"),
        pytest.param(np.zeros((0, 3, 3)), np.zeros((0, 3, 3)), "true_masks", id="no-images"),
    ],
)
def test_kaggle_rejects_bad_input_naming_the_argument(true_masks, pred_masks, argument):
    with pytest.raises(Sprint19Error, match=argument):
        scoring.kaggle_tgs_score(true_masks, pred_masks)


def test_scores_read_0_255_masks_as_the_mask_readers_and_encode_rle_do():
    truth = np.zeros((2, 3, 3), np.uint8)
    truth[0, 0] = 1
    pred = np.zeros_like(truth)
    pred[0, :2, 0] = 1
    assert scoring.kaggle_tgs_score(truth * 255, pred) == scoring.kaggle_tgs_score(truth, pred) == 0.5
    assert scoring.misclassified_fraction(truth, pred * 255) == scoring.misclassified_fraction(truth, pred)
    cells = np.array([[255, 255, 0, 255, 255]] * 3, np.uint8)  # an ISBI label file: cells 255, membrane 0
    assert scoring.isbi_rand_error(cells, cells // 255, membrane=0) == 0.0
    membrane_probability = 1.0 - cells[None, ..., None] / 255  # exactly right
    assert scoring.isbi_report(cells[None, ..., None], membrane_probability, membrane=0)["iou"] == 1.0


to_numpy = keras.ops.convert_to_numpy


# === Kaggle TGS: an independent slow reference ===


def slow_kaggle_image_score(truth, pred) -> Fraction:
    """Literally the competition text: pixel loops, exact fractions, TP / (TP + FP + FN)."""
    height, width = len(truth), len(truth[0])
    intersection = union = true_pixels = pred_pixels = 0
    for row in range(height):
        for col in range(width):
            in_truth, in_pred = bool(truth[row][col]), bool(pred[row][col])
            intersection += in_truth and in_pred
            union += in_truth or in_pred
            true_pixels += in_truth
            pred_pixels += in_pred
    if true_pixels == 0 and pred_pixels == 0:
        return Fraction(1)
    precisions = []
    for step in range(10):
        threshold = Fraction(50 + 5 * step, 100)
        if true_pixels and pred_pixels and Fraction(intersection, union) > threshold:
            tp, fp, fn = 1, 0, 0
        else:
            tp, fp, fn = 0, int(pred_pixels > 0), int(true_pixels > 0)
        precisions.append(Fraction(tp, tp + fp + fn))
    return sum(precisions) / len(precisions)


def random_mask_pairs(count=50, size=6, seed=2):
    """Truths of varied density (some empty); predictions = truths with a few pixels flipped."""
    rng = np.random.default_rng(seed)
    truth = rng.random((count, size, size)) < rng.choice([0.0, 0.1, 0.3, 0.6], size=(count, 1, 1))
    flips = rng.random((count, size, size)) < rng.choice([0.0, 0.02, 0.05, 0.15, 0.5], size=(count, 1, 1))
    pred = truth ^ flips
    pred[rng.random(count) < 0.1] = False  # some empty predictions
    return truth, pred


def test_kaggle_matches_slow_reference_on_random_masks():
    truth, pred = random_mask_pairs()
    expected = [slow_kaggle_image_score(t.tolist(), p.tolist()) for t, p in zip(truth, pred)]
    assert len(set(expected)) >= 5  # the random masks exercise many different scores
    np.testing.assert_array_equal(scoring.kaggle_tgs_image_scores(truth, pred), [float(e) for e in expected])
    assert scoring.kaggle_tgs_score(truth, pred) == pytest.approx(float(sum(expected) / len(expected)), abs=1e-12)


def test_tgs_keras_metric_equals_kaggle_score():
    truth, pred = random_mask_pairs(count=48, seed=3)
    rng = np.random.default_rng(3)
    probabilities = np.where(pred, rng.uniform(0.51, 1.0, pred.shape), rng.uniform(0.0, 0.5, pred.shape))
    expected = scoring.kaggle_tgs_score(truth, probabilities > 0.5)

    metric = metrics.TgsScore()
    for start in range(0, 48, 16):
        metric.update_state(truth[start : start + 16, ..., None], probabilities[start : start + 16, ..., None])
    assert float(to_numpy(metric.result())) == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(
        to_numpy(metrics.tgs_image_score(truth, probabilities)),
        scoring.kaggle_tgs_image_scores(truth, probabilities > 0.5),
        atol=1e-6,
    )
    metric.reset_state()
    assert float(to_numpy(metric.result())) == 0.0


def masks_3x3(*rows):
    """One 3×3 mask from three strings such as "110"."""
    return np.array([[int(c) for c in row] for row in rows], dtype=np.float32)


# === ISBI 2012 errors ===


def test_misclassified_fraction():
    truth = masks_3x3("110", "100", "000")
    pred = masks_3x3("111", "000", "000")
    assert scoring.misclassified_fraction(truth, pred) == pytest.approx(2 / 9)
    assert scoring.misclassified_fraction(truth.astype(bool), truth) == 0.0
    with pytest.raises(Sprint19Error, match="pred"):
        scoring.misclassified_fraction(truth, pred * 0.5)
    with pytest.raises(Sprint19Error, match="pred"):
        scoring.misclassified_fraction(truth, pred[:2])


def test_isbi_rand_error_hand_worked():
    two_cells = np.array([[1, 1, 0, 1, 1]] * 3)  # two 6-pixel cells split by a membrane column (membrane = 0)
    assert scoring.isbi_rand_error(two_cells, two_cells, membrane=0) == 0.0
    # membrane missed: the 12 truth-cell pixels form one predicted cell. Squares of the counts:
    # joint 6² + 6² = 72, truth 72, prediction 12² = 144 → precision 1/2, recall 1, F = 2/3
    merged = np.ones_like(two_cells)
    assert scoring.isbi_rand_error(two_cells, merged, membrane=0) == pytest.approx(1 / 3)
    # the same with membrane marked 1 (masks loaded with foreground=0)
    assert scoring.isbi_rand_error(1 - two_cells, 1 - merged, membrane=1) == pytest.approx(1 / 3)
    # a false membrane column splits one 2×3 cell: two predicted cells of 2 and two singletons
    # (predicted membrane inside a true cell): joint 4 + 4 + 1 + 1 = 10, prediction 10, truth 36
    # → precision 1, recall 10/36, F = 20/46
    one_cell = np.ones((2, 3), dtype=int)
    split = one_cell.copy()
    split[:, 1] = 0
    assert scoring.isbi_rand_error(one_cell, split, membrane=0) == pytest.approx(1 - 20 / 46)


def test_isbi_rand_error_one_pixel_cells_are_scored_not_nan():
    # a truth made only of one-pixel cells: the pair formula without self-pairs divides by 0 here
    checker = (np.indices((4, 4)).sum(axis=0) % 2).astype(np.uint8)  # isolated cells, membrane = 0
    assert scoring.isbi_rand_error(checker, checker, membrane=0) == 0.0
    everything = np.ones_like(checker)  # all membrane predicted as cell: the 8 singletons merge
    assert scoring.isbi_rand_error(checker, everything, membrane=0) == pytest.approx(1 - 2 * (8 / 64) / (1 + 8 / 64))


def test_isbi_rand_error_pools_pair_counts_over_the_stack():
    good = np.array([[1] * 6 + [0] + [1] * 6] * 12)  # two big cells, predicted exactly
    small = np.array([[1, 1, 0, 1, 1]] * 3)  # two small cells, predicted merged
    truth = np.stack([good, np.pad(small, ((0, 9), (0, 8)), constant_values=0)])
    pred = np.stack([good, np.pad(np.ones_like(small), ((0, 9), (0, 8)), constant_values=0)])
    pooled = scoring.isbi_rand_error(truth, pred, membrane=0)
    per_slice = [scoring.isbi_rand_error(t, p, membrane=0) for t, p in zip(truth, pred)]
    # pooled: joint 2·72² + 72 = 10440, truth 10440, prediction 2·72² + 144 = 10512
    assert pooled == pytest.approx(1 - 2 * (10440 / 10512) / (1 + 10440 / 10512))
    assert per_slice == pytest.approx([0.0, 1 / 3]) and pooled < np.mean(per_slice) / 10


def _components(cells):
    """4-connected components of a 2-D bool array by flood fill (independent of scipy)."""
    labels, count = np.zeros(cells.shape, int), 0
    for start in zip(*np.nonzero(cells)):
        if labels[start]:
            continue
        count += 1
        stack = [start]
        while stack:
            r, c = stack.pop()
            if 0 <= r < cells.shape[0] and 0 <= c < cells.shape[1] and cells[r, c] and not labels[r, c]:
                labels[r, c] = count
                stack += [(r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)]
    return labels


def reference_rand_error(truth, pred):
    """1 − Rand F-score by counting ordered pixel pairs (self-pairs included) over true-cell pixels."""
    true_ids, pred_ids = [], []
    for index, (t, p) in enumerate(zip(truth, pred)):
        t_labels, p_labels = _components(t == 1), _components(p == 1)
        for r, c in zip(*np.nonzero(t == 1)):
            true_ids.append((index, t_labels[r, c]))
            pred_ids.append((index, p_labels[r, c]) if p_labels[r, c] else ("singleton", index, r, c))
    same_true = np.array([[a == b for b in true_ids] for a in true_ids])
    same_pred = np.array([[a == b for b in pred_ids] for a in pred_ids])
    both = np.sum(same_true & same_pred)
    precision, recall = both / same_pred.sum(), both / same_true.sum()
    return 1 - 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize("seed", range(4))
def test_isbi_rand_error_matches_a_pair_counting_reference(seed):
    rng = np.random.default_rng(seed)
    truth = ndimage.binary_opening(rng.random((3, 9, 9)) < 0.75).astype(int)
    truth[:, 4, :] = 0
    pred = truth.copy()
    flips = rng.random(truth.shape) < 0.12
    pred[flips] = 1 - pred[flips]
    expected = reference_rand_error(truth, pred)
    assert scoring.isbi_rand_error(truth, pred, membrane=0) == pytest.approx(expected, abs=1e-12)
    assert scoring.isbi_rand_error((1 - truth)[..., None], (1 - pred)[..., None], membrane=1) == pytest.approx(expected)


def test_isbi_rand_error_differs_from_skimage_where_the_conventions_differ():
    from skimage.metrics import adapted_rand_error

    one_cell = np.ones((2, 3), dtype=int)
    split = one_cell.copy()
    split[:, 1] = 0  # skimage counts the two predicted-membrane pixels as one segment (label 0) of their own
    ours = scoring.isbi_rand_error(one_cell, split, membrane=0)
    theirs = adapted_rand_error(one_cell, ndimage.label(split)[0])[0]
    assert ours == pytest.approx(1 - 20 / 46) and theirs != pytest.approx(ours)


def test_isbi_rand_error_bad_input():
    truth = np.array([[1, 1, 0, 1, 1]] * 3)
    with pytest.raises(Sprint19Error, match="membrane"):
        scoring.isbi_rand_error(truth, truth, membrane=255)
    with pytest.raises(Sprint19Error, match="no cell pixel"):
        scoring.isbi_rand_error(np.zeros((4, 4)), np.zeros((4, 4)), membrane=0)
    with pytest.raises(Sprint19Error, match="pred"):
        scoring.isbi_rand_error(truth, truth * 0.5, membrane=0)
    with pytest.raises(Sprint19Error, match="shape"):
        scoring.isbi_rand_error(truth, truth[:2], membrane=0)
    with pytest.raises(Sprint19Error, match="true"):
        scoring.isbi_rand_error(np.ones((2, 2, 2, 2, 2)), np.ones((2, 2, 2, 2, 2)), membrane=0)


# === ISBI 2012 as the challenge scored it (Fiji's PixelError / RandError, best of 11 thresholds) ===


def test_the_challenges_thresholds_are_javas_floating_point_loop():
    assert len(scoring.CHALLENGE_THRESHOLDS) == 11
    assert scoring.CHALLENGE_THRESHOLDS[3] == 0.30000000000000004
    assert scoring.CHALLENGE_THRESHOLDS[-1] == 0.9999999999999999 < 1.0


def reference_pixel_error(true_membrane, cell_probability):
    """1 − max over the 11 thresholds of the F-score of pixel similarity, positive = cell, by counting pixels."""
    best, threshold = 0.0, 0.0
    for _ in range(11):
        tp = fp = fn = 0
        for truth_pixel, probability in zip(np.ravel(true_membrane), np.ravel(cell_probability)):
            predicted_cell, true_cell = probability > threshold, not truth_pixel
            tp += predicted_cell and true_cell
            fp += predicted_cell and not true_cell
            fn += true_cell and not predicted_cell
        if tp:
            precision, recall = tp / (tp + fp), tp / (tp + fn)
            best = max(best, 2 * precision * recall / (precision + recall))
        threshold += 0.1
    return 1.0 - best


def test_challenge_errors_hand_worked():
    two_cells = np.array([[0, 0, 1, 0, 0]] * 3)  # membrane 1: two 6-pixel cells
    exact = scoring.isbi_challenge_errors(two_cells, two_cells.astype(float))
    assert exact["pixel_error"] == exact["rand_error"] == 0.0
    assert exact["pixel_threshold"] == 0.0  # the first threshold at the maximum is kept, as Java's strict >

    # merged cells: the membrane column predicted cell (P(membrane) 0.3): the pixel F stays high, Rand drops
    merged = np.where(two_cells == 1, 0.3, 0.0)
    errors = scoring.isbi_challenge_errors(two_cells, merged)
    assert errors["rand_f_scores"][0] == pytest.approx(2 / 3)  # precision 1/2, recall 1 at every threshold < 0.7
    assert errors["rand_error"] == 0.0 and errors["rand_threshold"] == pytest.approx(0.7)  # 1 − 0.3 > 0.7 is false
    # at th ≥ 0.7 the column becomes membrane again: the best of the 11 thresholds finds it

    # all membrane predicted: no pixel is cell at any threshold → every pixel F is 0/0 (NaN), error 1
    everything = scoring.isbi_challenge_errors(two_cells, np.ones(two_cells.shape))
    assert all(np.isnan(everything["pixel_f_scores"])) and everything["pixel_error"] == 1.0
    # empty prediction (nothing is membrane): precision 12/15, recall 1 → F = 8/9 at every threshold below 1
    empty = scoring.isbi_challenge_errors(two_cells, np.zeros(two_cells.shape))
    assert empty["pixel_error"] == pytest.approx(1 - 8 / 9) and empty["rand_error"] == pytest.approx(1 / 3)


def test_a_diagonal_gap_does_not_close_a_membrane_for_4_connectivity():
    staircase = np.zeros((1, 5, 5), int)  # the true membrane: a 4-connected staircase between two cells
    for i in range(5):
        staircase[0, i, i] = 1
        if i < 4:
            staircase[0, i, i + 1] = 1
    diagonal = np.eye(5, dtype=int)[None]  # predicted: its diagonal only; the cells touch at corners across it
    assert ndimage.label(1 - diagonal[0], structure=np.ones((3, 3)))[1] == 1  # 8-connected they would merge
    errors = scoring.isbi_challenge_errors(staircase, diagonal.astype(float))
    assert errors["rand_error"] == 0.0  # 4-connected cells (the challenge's) stay apart: no merge, no error
    gap = staircase.copy()
    gap[0, 2, 2] = gap[0, 2, 3] = 0  # a real gap: the two cells meet edge to edge
    assert scoring.isbi_challenge_errors(staircase, gap.astype(float))["rand_error"] > 0.2


@pytest.mark.parametrize("seed", range(4))
def test_challenge_errors_match_an_independent_reference(seed):
    rng = np.random.default_rng(seed)
    cells = np.stack([ndimage.binary_opening(rng.random((9, 9)) < 0.75) for _ in range(2)])
    truth = (1 - cells).astype(int)  # membrane 1
    truth[:, 4, :] = 1
    probability = np.clip(truth * 0.7 + rng.normal(0.15, 0.2, truth.shape), 0, 1).astype("float32")
    errors = scoring.isbi_challenge_errors(truth, probability)
    cell_probability = (np.float32(1) - probability).astype("float32")
    assert errors["pixel_error"] == pytest.approx(reference_pixel_error(truth, cell_probability), abs=1e-12)
    rand = []
    threshold = 0.0
    for _ in range(11):
        predicted_membrane = (cell_probability <= threshold).astype(int)
        rand.append(reference_rand_error(1 - truth, 1 - predicted_membrane))
        threshold += 0.1
    assert errors["rand_error"] == pytest.approx(min(rand), abs=1e-12)


def test_challenge_errors_refuse_bad_input():
    truth = np.array([[0, 0, 1, 0, 0]] * 3)
    with pytest.raises(Sprint19Error, match=r"membrane_probability: .*\[0, 1\]"):
        scoring.isbi_challenge_errors(truth, truth * 2.0)
    with pytest.raises(Sprint19Error, match=r"membrane_probability: .*shape"):
        scoring.isbi_challenge_errors(truth, truth[:2] * 1.0)
    with pytest.raises(Sprint19Error, match="no cell pixel"):
        scoring.isbi_challenge_errors(np.ones((3, 3)), np.ones((3, 3)))


def test_the_two_pixel_measures_differ():
    truth = np.array([[0, 0, 1, 0, 0]] * 3)
    probability = np.where(truth == 1, 0.3, 0.0)  # the membrane missed at 0.5
    report = scoring.isbi_report(truth[None, ..., None], probability[None, ..., None])
    assert report["misclassified_fraction"] == pytest.approx(3 / 15)  # one threshold, every pixel counted
    assert report["pixel_error"] == 0.0  # best of the 11 thresholds on P(cell) finds the membrane
    assert report["rand_error_at_threshold"] == pytest.approx(1 / 3)


def test_mask_iou_against_hand_counts():
    assert scoring.mask_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0  # nothing to find, nothing found
    assert scoring.mask_iou(np.ones((3, 3)), np.zeros((3, 3))) == 0.0
    assert scoring.mask_iou(np.eye(3), np.ones((3, 3))) == pytest.approx(3 / 9)
