"""Metrics during training (training/metrics.py): hand-worked 3×3 masks, multi-class pooling, and the
Keras metrics against the NumPy scorers (the scorers themselves: tests/estimation/test_scoring.py)."""


import keras
import numpy as np
import pytest

from sprint19_unet.training import metrics
from sprint19_unet.errors import Sprint19Error

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

to_numpy = keras.ops.convert_to_numpy


def masks_3x3(*rows):
    """One 3×3 mask from three strings such as "110"."""
    return np.array([[int(c) for c in row] for row in rows], dtype=np.float32)


# === Pure functions on hand-worked 3×3 masks ===

# truth, prediction, intersection, |truth|, |prediction|
HAND_CASES = [
    pytest.param(("110", "100", "000"), ("110", "100", "000"), 3, 3, 3, id="identical"),
    pytest.param(("110", "100", "000"), ("110", "000", "000"), 2, 3, 2, id="prediction-subset"),
    pytest.param(("111", "000", "000"), ("000", "111", "000"), 0, 3, 3, id="disjoint"),
    pytest.param(("111", "111", "000"), ("011", "011", "011"), 4, 6, 6, id="shifted"),
    pytest.param(("100", "000", "000"), ("111", "111", "111"), 1, 1, 9, id="everything-predicted"),
    pytest.param(("000", "000", "000"), ("000", "000", "000"), 0, 0, 0, id="both-empty"),
    pytest.param(("000", "000", "000"), ("010", "000", "000"), 0, 0, 1, id="empty-truth"),
]


@pytest.mark.parametrize("truth_rows, pred_rows, intersection, n_true, n_pred", HAND_CASES)
def test_iou_and_dice_on_hand_worked_masks(truth_rows, pred_rows, intersection, n_true, n_pred):
    truth = masks_3x3(*truth_rows)[None, ..., None]
    probabilities = masks_3x3(*pred_rows)[None, ..., None] * 0.8 + 0.1  # 0.9 / 0.1
    union = n_true + n_pred - intersection
    expected_iou = intersection / union if union else 1.0
    expected_dice = 2 * intersection / (n_true + n_pred) if n_true + n_pred else 1.0

    np.testing.assert_allclose(to_numpy(metrics.iou_score(truth, probabilities)), [expected_iou], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(metrics.dice_coefficient(truth, probabilities)), [expected_dice], rtol=1e-6)


def test_threshold_is_strict_and_none_gives_soft_scores():
    truth = np.array([[1.0, 1.0, 0.0, 0.0]])
    at_threshold = np.array([[0.5, 0.9, 0.5, 0.1]])  # 0.5 is *not* foreground
    assert to_numpy(metrics.iou_score(truth, at_threshold))[0] == pytest.approx(0.5)
    # soft: intersection 1.4, |T| + |P| = 2 + 2.0
    assert to_numpy(metrics.dice_coefficient(truth, at_threshold, threshold=None))[0] == pytest.approx(2.8 / 4.0)
    assert to_numpy(metrics.iou_score(truth, at_threshold, threshold=None))[0] == pytest.approx(1.4 / 2.6)


def test_scores_are_per_image_and_accept_missing_channel_axis():
    truth = np.zeros((3, 4, 4))
    truth[1, :2] = 1
    pred = np.zeros((3, 4, 4, 1))
    pred[1, :1] = 1.0
    pred[2, 0, 0] = 1.0
    np.testing.assert_allclose(to_numpy(metrics.iou_score(truth, pred)), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(to_numpy(metrics.dice_coefficient(truth, pred)), [1.0, 2 * 4 / 12, 0.0], rtol=1e-6)


def test_binary_metrics_reject_mismatched_shapes_and_bad_threshold():
    with pytest.raises(Sprint19Error, match="y_pred"):
        metrics.iou_score(np.zeros((2, 4, 4, 1)), np.zeros((2, 5, 4, 1)))
    with pytest.raises(Sprint19Error, match="threshold"):
        metrics.dice_coefficient(np.zeros((1, 2)), np.zeros((1, 2)), threshold=1.5)


def numpy_binary_scores(truth, pred):
    """Per-image IoU and Dice in NumPy (both empty → 1)."""
    truth, pred = truth.reshape(len(truth), -1) > 0.5, pred.reshape(len(pred), -1) > 0.5
    intersection = (truth & pred).sum(1)
    union = (truth | pred).sum(1)
    total = truth.sum(1) + pred.sum(1)
    iou = np.where(union == 0, 1.0, intersection / np.maximum(union, 1))
    dice = np.where(total == 0, 1.0, 2 * intersection / np.maximum(total, 1))
    return iou, dice


def test_iou_and_dice_match_numpy_on_random_masks():
    rng = np.random.default_rng(0)
    truth = (rng.random((20, 8, 8, 1)) < rng.random((20, 1, 1, 1))).astype("float32")
    probabilities = rng.random((20, 8, 8, 1)).astype("float32")
    iou, dice = numpy_binary_scores(truth, probabilities)
    np.testing.assert_allclose(to_numpy(metrics.iou_score(truth, probabilities)), iou, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(metrics.dice_coefficient(truth, probabilities)), dice, rtol=1e-6)


# === Multi-class ===


def test_pixel_accuracy_binary_and_multiclass():
    truth = masks_3x3("110", "100", "000")[None]
    probabilities = masks_3x3("100", "110", "000")[None, ..., None]  # 2 pixels wrong of 9
    assert to_numpy(metrics.pixel_accuracy(truth, probabilities))[0] == pytest.approx(7 / 9)

    classes = np.array([[[0, 1, 2], [2, 2, 1], [0, 0, 0]]])
    predicted = np.array([[[0, 1, 2], [2, 1, 1], [0, 0, 1]]])
    softmax = np.eye(3)[predicted] * 0.6 + 0.1
    assert to_numpy(metrics.pixel_accuracy(classes, softmax))[0] == pytest.approx(7 / 9)
    assert to_numpy(metrics.pixel_accuracy(np.eye(3)[classes], softmax))[0] == pytest.approx(7 / 9)


def test_per_class_iou_and_dice_hand_worked():
    classes = np.array([[[0, 1, 2], [2, 2, 1], [0, 0, 0]]])
    predicted = np.array([[[0, 1, 2], [2, 1, 1], [0, 0, 1]]])
    softmax = np.eye(4)[predicted] * 0.6 + 0.1  # a 4th class that never occurs
    # class 0: T={0,6,7,8} P={0,6,7} → 3/4; class 1: T={1,5} P={1,4,5,8} → 2/4; class 2: T={2,3,4} P={2,3} → 2/3
    expected_iou = [3 / 4, 2 / 4, 2 / 3]
    expected_dice = [6 / 7, 4 / 6, 4 / 5]
    for labels in (classes, classes[..., None], np.eye(4)[classes]):
        iou = to_numpy(metrics.per_class_iou(labels, softmax))
        dice = to_numpy(metrics.per_class_dice(labels, softmax))
        np.testing.assert_allclose(iou[:3], expected_iou, rtol=1e-6)
        np.testing.assert_allclose(dice[:3], expected_dice, rtol=1e-6)
        assert np.isnan(iou[3]) and np.isnan(dice[3])  # absent class: undefined
        assert float(to_numpy(metrics.mean_iou(labels, softmax))) == pytest.approx(np.mean(expected_iou))
        assert float(to_numpy(metrics.mean_dice(labels, softmax))) == pytest.approx(np.mean(expected_dice))


def test_per_class_iou_of_sigmoid_output_has_two_classes():
    truth = masks_3x3("110", "100", "000")[None, ..., None]
    probabilities = masks_3x3("110", "000", "000")[None, ..., None] * 0.9
    np.testing.assert_allclose(to_numpy(metrics.per_class_iou(truth, probabilities)), [6 / 7, 2 / 3], rtol=1e-6)


def test_per_class_iou_matches_numpy_on_random_labels():
    rng = np.random.default_rng(1)
    classes = rng.integers(0, 3, size=(4, 6, 6))
    logits = rng.normal(size=(4, 6, 6, 3)).astype("float32")
    predicted = logits.argmax(-1)
    expected = [
        np.sum((classes == c) & (predicted == c)) / np.sum((classes == c) | (predicted == c)) for c in range(3)
    ]
    np.testing.assert_allclose(to_numpy(metrics.per_class_iou(classes, logits)), expected, rtol=1e-6)


def test_multiclass_rejects_incompatible_labels():
    with pytest.raises(Sprint19Error, match="y_true"):
        metrics.per_class_iou(np.zeros((1, 3, 3, 2)), np.zeros((1, 3, 3, 4)))


# === Keras metric classes ===


@pytest.mark.parametrize("metric_class, column", [(metrics.ThresholdedIoU, 0), (metrics.Dice, 1)])
def test_metric_classes_average_per_image_scores_over_batches(metric_class, column):
    rng = np.random.default_rng(4)
    truth = (rng.random((12, 5, 5, 1)) < 0.4).astype("float32")
    probabilities = rng.random((12, 5, 5, 1)).astype("float32")
    expected = numpy_binary_scores(truth, probabilities)[column]
    metric = metric_class()
    metric.update_state(truth[:5], probabilities[:5])
    metric.update_state(truth[5:], probabilities[5:])
    assert float(to_numpy(metric.result())) == pytest.approx(expected.mean(), rel=1e-5)

    weights = np.arange(12, dtype="float32")
    metric.reset_state()
    metric.update_state(truth, probabilities, sample_weight=weights)
    assert float(to_numpy(metric.result())) == pytest.approx(np.average(expected, weights=weights), rel=1e-5)
    metric.reset_state()  # per-pixel weights count through their mean per image
    metric.update_state(truth, probabilities, sample_weight=np.broadcast_to(weights[:, None, None], (12, 5, 5)))
    assert float(to_numpy(metric.result())) == pytest.approx(np.average(expected, weights=weights), rel=1e-5)


@pytest.mark.parametrize("metric_class", [metrics.ThresholdedIoU, metrics.Dice, metrics.TgsScore])
def test_metric_classes_round_trip_through_config(metric_class):
    metric = metric_class(threshold=0.3, name="custom")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is metric_class
    assert restored.get_config() == metric.get_config()
    assert restored.threshold == 0.3 and restored.name == "custom"
    with pytest.raises(Sprint19Error, match="threshold"):
        metric_class(threshold=2)
