"""Segmentation metrics during training: pure tensor functions, and Keras metrics built from them.

Two parts (the NumPy scores of finished predictions are in :mod:`sprint19_unet.estimation.scoring`):

1. **Pure functions on tensors** (``keras.ops`` only, so they run on the
   TensorFlow, JAX and PyTorch backends): :func:`iou_score`,
   :func:`dice_coefficient`, :func:`pixel_accuracy` and :func:`tgs_image_score`
   return one value per image (shape ``(batch,)``); :func:`per_class_iou`,
   :func:`per_class_dice`, :func:`mean_iou` and :func:`mean_dice` pool the whole
   batch for multi-class outputs. Each can be passed to ``model.compile(metrics=[…])``.
2. **Keras metrics** that accumulate over an epoch: :class:`ThresholdedIoU`,
   :class:`Dice` and :class:`TgsScore` (the Kaggle TGS Salt metric, monitored
   during training).

Conventions. Binary masks are ``(batch, height, width, 1)`` (or without the channel
axis); ``y_true`` holds 0/1 and ``y_pred`` holds probabilities, turned into a mask
with ``y_pred > threshold`` (strictly greater). An image where both the truth and
the prediction are empty scores 1. Counts are float32 / int32 whatever the compute dtype.

Example:
    >>> import numpy as np
    >>> truth = np.array([[[1, 1, 0], [1, 0, 0], [0, 0, 0]]], "float32")   # 3 pixels
    >>> pred = np.array([[[0.9, 0.8, 0], [0, 0, 0], [0, 0, 0]]], "float32")  # 2 of them
    >>> [round(float(v), 4) for v in iou_score(truth, pred)]                 # IoU = 2/3
    [0.6667]
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from sprint19_unet.errors import bad_input, check_threshold

# The Kaggle TGS IoU thresholds t = k / 20 for k = 10 … 19, i.e. 0.50, 0.55, …, 0.95.
# Comparisons use the integers k (hit when 20·intersection > k·union), so no
# floating-point rounding can move an IoU across a threshold.
TGS_THRESHOLD_NUMERATORS = tuple(range(10, 20))
TGS_THRESHOLD_DENOMINATOR = 20
TGS_IOU_THRESHOLDS = tuple(k / TGS_THRESHOLD_DENOMINATOR for k in TGS_THRESHOLD_NUMERATORS)

REGISTER = keras.saving.register_keras_serializable(package="sprint19_unet")


# === Helpers shared by the tensor functions ===


def binary_pair(y_true, y_pred, threshold):
    """Bring a binary mask and a prediction to float32 tensors of the same shape (metrics and losses share it).

    Args:
        y_true: 0/1 masks, ``(batch, …)`` with or without a trailing channel axis of size 1.
        y_pred: probabilities of the same shape (the channel axis may differ in the same way).
        threshold: ``y_pred > threshold`` becomes the 0/1 prediction; None keeps the probabilities.

    Returns:
        ``(y_true, y_pred)`` as float32 tensors of one rank.

    Raises:
        Sprint19Error: for shapes that do not match, or fewer than 2 axes.

    Example:
        >>> import numpy as np
        >>> t, p = binary_pair(np.ones((2, 4, 4)), np.full((2, 4, 4, 1), 0.7), threshold=0.5)
        >>> tuple(t.shape), float(ops.sum(p))
        ((2, 4, 4, 1), 32.0)
    """
    y_true = ops.cast(ops.convert_to_tensor(y_true), "float32")
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    if len(y_true.shape) == len(y_pred.shape) - 1:
        y_true = ops.expand_dims(y_true, -1)
    elif len(y_pred.shape) == len(y_true.shape) - 1:
        y_pred = ops.expand_dims(y_pred, -1)
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if len(true_shape) != len(pred_shape) or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, pred_shape)
    ):
        raise bad_input(
            "y_pred",
            f"shape {pred_shape} for y_true of shape {true_shape}",
            "the same shape as y_true (a missing trailing channel axis of size 1 is allowed)",
            "Binary metrics compare a (batch, height, width, 1) mask with a sigmoid output; "
            "for softmax outputs use per_class_iou / mean_iou.",
        )
    if len(pred_shape) < 2:
        raise bad_input(
            "y_pred",
            f"shape {pred_shape}",
            "a batch of masks with at least 2 axes, (batch, …)",
            "Add the batch axis, e.g. mask[None].",
        )
    if threshold is not None:
        y_pred = ops.cast(ops.greater(y_pred, threshold), "float32")
    return y_true, y_pred


def _per_image_axes(x) -> tuple:
    return tuple(range(1, len(x.shape)))


def _ratio_or(numerator, denominator, empty_value):
    """numerator / denominator, and ``empty_value`` where the denominator is 0.

    Per-image scores give 1 there (empty truth vs empty prediction), per-class
    scores NaN (a class absent from both). The inner ``where`` keeps the division
    finite so gradients never see NaN.
    """
    safe = ops.where(denominator > 0, denominator, ops.ones_like(denominator))
    return ops.where(denominator > 0, numerator / safe, ops.full_like(numerator, empty_value))


# === Pure functions: binary masks, one value per image ===


@REGISTER
def iou_score(y_true, y_pred, threshold=0.5, smooth=0.0):
    """Intersection over union (Jaccard index) of each image's mask.

    ``IoU = (|T ∩ P| + smooth) / (|T ∪ P| + smooth)`` summed over all pixels (and
    channels) of one image; an image whose truth and prediction are both empty
    scores 1.

    Args:
        y_true: 0/1 masks, ``(batch, height, width, 1)`` or ``(batch, height, width)``.
        y_pred: probabilities of the same shape.
        threshold: binarise ``y_pred > threshold``; ``None`` keeps the
            probabilities (soft IoU, differentiable).
        smooth: added to numerator and denominator (``0`` gives the exact IoU).

    Returns:
        Tensor of shape ``(batch,)``, float32.

    Raises:
        Sprint19Error: when the shapes do not match or ``threshold`` is out of range.

    Example:
        >>> import numpy as np
        >>> t = np.array([[[1, 1], [0, 0]]]); p = np.array([[[0.9, 0.2], [0.7, 0.1]]])
        >>> keras.ops.convert_to_numpy(iou_score(t, p)).astype(float).round(4).tolist()   # 1 / 3
        [0.3333]
    """
    check_threshold(threshold, allow_none=True)
    y_true, y_pred = binary_pair(y_true, y_pred, threshold)
    axes = _per_image_axes(y_true)
    intersection = ops.sum(y_true * y_pred, axis=axes)
    union = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes) - intersection
    return _ratio_or(intersection + smooth, union + smooth, 1.0)


@REGISTER
def dice_coefficient(y_true, y_pred, threshold=0.5, smooth=0.0):
    """Dice coefficient (F1 score) of each image's mask.

    ``Dice = (2·|T ∩ P| + smooth) / (|T| + |P| + smooth)``; an image whose truth and
    prediction are both empty scores 1. With ``threshold=None`` the probabilities
    are used as they are (the soft Dice that :func:`~sprint19_unet.training.losses.dice_loss`
    minimises).

    Args:
        y_true: 0/1 masks, ``(batch, height, width, 1)`` or ``(batch, height, width)``.
        y_pred: probabilities of the same shape.
        threshold: binarise ``y_pred > threshold``; ``None`` for the soft Dice.
        smooth: added to numerator and denominator.

    Returns:
        Tensor of shape ``(batch,)``, float32.

    Raises:
        Sprint19Error: when the shapes do not match or ``threshold`` is out of range.

    Example:
        >>> import numpy as np
        >>> t = np.array([[[1, 1], [0, 0]]]); p = np.array([[[0.9, 0.2], [0.7, 0.1]]])
        >>> keras.ops.convert_to_numpy(dice_coefficient(t, p)).astype(float).round(4).tolist()   # 2·1 / (2 + 2)
        [0.5]
    """
    check_threshold(threshold, allow_none=True)
    y_true, y_pred = binary_pair(y_true, y_pred, threshold)
    axes = _per_image_axes(y_true)
    intersection = ops.sum(y_true * y_pred, axis=axes)
    total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
    return _ratio_or(2.0 * intersection + smooth, total + smooth, 1.0)


@REGISTER
def tgs_image_score(y_true, y_pred, threshold=0.5):
    """The Kaggle TGS Salt score of each image, in ``keras.ops`` (usable while training).

    Per image: IoU of the whole mask; for t in 0.50, 0.55, …, 0.95 a hit when
    IoU > t (strictly); the score is the fraction of the 10 thresholds hit. Empty
    truth and empty prediction score 1; an empty truth with any predicted pixel, or
    a non-empty truth with an empty prediction, score 0. The comparison is made on
    integer pixel counts (``20·intersection > k·union``), so an IoU of exactly 0.75
    hits t = 0.50 … 0.70 only. Same numbers as :func:`kaggle_tgs_image_scores`.

    Args:
        y_true: 0/1 masks, ``(batch, height, width, 1)`` or ``(batch, height, width)``.
        y_pred: probabilities of the same shape.
        threshold: binarise ``y_pred > threshold`` (and ``y_true > 0.5``).

    Returns:
        Tensor of shape ``(batch,)``, float32, values in {0, 0.1, …, 1}.

    Example:
        >>> import numpy as np
        >>> t = np.zeros((2, 3, 3)); t[:, 0, :] = 1                    # 3 salt pixels
        >>> p = t.copy(); p[1, 1, 0] = 1                               # 2nd: IoU = 3/4
        >>> keras.ops.convert_to_numpy(tgs_image_score(t, p)).tolist()
        [1.0, 0.5]
    """
    check_threshold(threshold, allow_none=False)
    y_true, y_pred = binary_pair(y_true, y_pred, threshold)
    truth = ops.cast(ops.greater(y_true, 0.5), "int32")
    pred = ops.cast(y_pred, "int32")
    axes = _per_image_axes(truth)
    intersection = ops.sum(truth * pred, axis=axes)
    union = ops.sum(truth, axis=axes) + ops.sum(pred, axis=axes) - intersection
    numerators = ops.convert_to_tensor(np.array(TGS_THRESHOLD_NUMERATORS, dtype="int32"))
    hits = ops.greater(
        TGS_THRESHOLD_DENOMINATOR * ops.expand_dims(intersection, -1),
        ops.expand_dims(union, -1) * numerators,
    )
    precision = ops.mean(ops.cast(hits, "float32"), axis=-1)
    return ops.where(union == 0, ops.ones_like(precision), precision)


# === Pure functions: multi-class (and binary) label maps ===


def _class_maps(y_true, y_pred, threshold=0.5):
    """Integer class maps (batch, …) for truth and prediction, and the number of classes.

    ``y_pred`` with one channel is a sigmoid output (2 classes, ``> threshold``);
    with C > 1 channels a softmax output (argmax). ``y_true`` is sparse (one rank
    less, or a trailing axis of 1) or one-hot (same shape as ``y_pred``).
    """
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    channels = y_pred.shape[-1]
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if channels is None:
        raise bad_input(
            "y_pred",
            f"shape {tuple(y_pred.shape)}",
            "a known number of channels in the last axis",
            "Give the model output a static channel count.",
        )
    if channels == 1:
        num_classes = 2
        pred_classes = ops.cast(ops.greater(ops.cast(y_pred[..., 0], "float32"), threshold), "int32")
    else:
        num_classes = channels
        pred_classes = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
    if true_rank == pred_rank - 1:
        true_classes = y_true
    elif true_rank == pred_rank and y_true.shape[-1] == 1:
        true_classes = y_true[..., 0]
    elif true_rank == pred_rank and y_true.shape[-1] == channels:
        true_classes = ops.argmax(y_true, axis=-1)
    else:
        raise bad_input(
            "y_true",
            f"shape {tuple(y_true.shape)} for y_pred of shape {tuple(y_pred.shape)}",
            "sparse labels (batch, height, width) or (batch, height, width, 1), "
            "or one-hot labels of the same shape as y_pred",
            "Pass class indices or keras.utils.to_categorical(labels, num_classes).",
        )
    true_classes = ops.cast(ops.round(ops.cast(true_classes, "float32")), "int32")
    return true_classes, pred_classes, num_classes


@REGISTER
def pixel_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of pixels whose predicted class equals the true class, per image.

    Binary (one-channel sigmoid output): class = ``y_pred > threshold``.
    Multi-class (softmax output with C channels): class = argmax; ``y_true`` may
    be sparse or one-hot.

    Args:
        y_true: labels, sparse ``(batch, h, w)`` / ``(batch, h, w, 1)`` or one-hot.
        y_pred: probabilities ``(batch, h, w, channels)``.
        threshold: binarisation threshold for one-channel outputs.

    Returns:
        Tensor of shape ``(batch,)``, float32.

    Example:
        >>> import numpy as np
        >>> t = np.array([[[1, 0], [0, 0]]]); p = np.array([[[0.8, 0.6], [0.1, 0.2]]])[..., None]
        >>> keras.ops.convert_to_numpy(pixel_accuracy(t, p)).tolist()
        [0.75]
    """
    check_threshold(threshold, allow_none=False)
    true_classes, pred_classes, _ = _class_maps(y_true, y_pred, threshold)
    correct = ops.cast(ops.equal(true_classes, pred_classes), "float32")
    return ops.mean(correct, axis=_per_image_axes(correct))


def _class_counts(y_true, y_pred, threshold):
    true_classes, pred_classes, num_classes = _class_maps(y_true, y_pred, threshold)
    true_one_hot = ops.one_hot(ops.reshape(true_classes, (-1,)), num_classes, dtype="float32")
    pred_one_hot = ops.one_hot(ops.reshape(pred_classes, (-1,)), num_classes, dtype="float32")
    intersection = ops.sum(true_one_hot * pred_one_hot, axis=0)
    return intersection, ops.sum(true_one_hot, axis=0), ops.sum(pred_one_hot, axis=0)


def _nanmean(values):
    valid = ops.logical_not(ops.isnan(values))
    total = ops.sum(ops.where(valid, values, ops.zeros_like(values)))
    return total / ops.maximum(ops.sum(ops.cast(valid, "float32")), 1.0)


@REGISTER
def per_class_iou(y_true, y_pred, threshold=0.5):
    """IoU of every class over the whole batch (pixels of all images pooled).

    Args:
        y_true: labels, sparse ``(batch, h, w)`` / ``(batch, h, w, 1)`` or one-hot.
        y_pred: probabilities ``(batch, h, w, C)`` (softmax, argmax taken) or
            ``(batch, h, w, 1)`` (sigmoid; classes 0 = background, 1 = foreground).
        threshold: binarisation threshold for one-channel outputs.

    Returns:
        Tensor of shape ``(C,)`` (``(2,)`` for a sigmoid output); NaN for a class
        absent from both truth and prediction (its IoU is undefined).

    Example:
        >>> import numpy as np
        >>> t = np.array([[0, 1, 2, 2]]); p = np.eye(3)[[[0, 1, 2, 1]]]
        >>> keras.ops.convert_to_numpy(per_class_iou(t, p)).astype(float).round(3).tolist()
        [1.0, 0.5, 0.5]
    """
    check_threshold(threshold, allow_none=False)
    intersection, true_count, pred_count = _class_counts(y_true, y_pred, threshold)
    return _ratio_or(intersection, true_count + pred_count - intersection, float("nan"))


@REGISTER
def per_class_dice(y_true, y_pred, threshold=0.5):
    """Dice coefficient of every class over the whole batch.

    Args:
        y_true: labels, sparse or one-hot (see :func:`per_class_iou`).
        y_pred: probabilities ``(batch, h, w, C)`` or ``(batch, h, w, 1)``.
        threshold: binarisation threshold for one-channel outputs.

    Returns:
        Tensor of shape ``(C,)``; NaN for a class absent from truth and prediction.

    Example:
        >>> import numpy as np
        >>> t = np.array([[0, 1, 2, 2]]); p = np.eye(3)[[[0, 1, 2, 1]]]
        >>> keras.ops.convert_to_numpy(per_class_dice(t, p)).astype(float).round(3).tolist()
        [1.0, 0.667, 0.667]
    """
    check_threshold(threshold, allow_none=False)
    intersection, true_count, pred_count = _class_counts(y_true, y_pred, threshold)
    return _ratio_or(2.0 * intersection, true_count + pred_count, float("nan"))


@REGISTER
def mean_iou(y_true, y_pred, threshold=0.5):
    """Mean of :func:`per_class_iou` over the classes present in truth or prediction.

    Args:
        y_true: labels, sparse or one-hot.
        y_pred: probabilities ``(batch, h, w, C)`` or ``(batch, h, w, 1)``.
        threshold: binarisation threshold for one-channel outputs.

    Returns:
        Scalar tensor, float32.

    Example:
        >>> import numpy as np
        >>> t = np.array([[0, 1, 2, 2]]); p = np.eye(3)[[[0, 1, 2, 1]]]
        >>> round(float(keras.ops.convert_to_numpy(mean_iou(t, p))), 4)
        0.6667
    """
    return _nanmean(per_class_iou(y_true, y_pred, threshold))


@REGISTER
def mean_dice(y_true, y_pred, threshold=0.5):
    """Mean of :func:`per_class_dice` over the classes present in truth or prediction.

    Args:
        y_true: labels, sparse or one-hot.
        y_pred: probabilities ``(batch, h, w, C)`` or ``(batch, h, w, 1)``.
        threshold: binarisation threshold for one-channel outputs.

    Returns:
        Scalar tensor, float32.

    Example:
        >>> import numpy as np
        >>> t = np.array([[0, 1, 2, 2]]); p = np.eye(3)[[[0, 1, 2, 1]]]
        >>> round(float(keras.ops.convert_to_numpy(mean_dice(t, p))), 4)
        0.7778
    """
    return _nanmean(per_class_dice(y_true, y_pred, threshold))


# === Keras metrics: accumulate over an epoch ===


class _PerImageMean(keras.metrics.Metric):
    """Mean over all images seen of a per-image score (sum of scores / image count).

    ``sample_weight`` of shape ``(batch,)`` weights the images; per-pixel weights
    ``(batch, h, w[, 1])`` are averaged per image first.
    """

    score_fn = None

    def __init__(self, threshold=0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        check_threshold(threshold, allow_none=False)
        self.threshold = float(threshold)
        self.score_sum = self.add_variable(shape=(), initializer="zeros", name="score_sum", dtype="float32")
        self.image_count = self.add_variable(shape=(), initializer="zeros", name="image_count", dtype="float32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        scores = type(self).score_fn(y_true, y_pred, threshold=self.threshold)
        if sample_weight is None:
            weights = ops.ones_like(scores)
        else:
            weights = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
            if len(weights.shape) > 1:  # per-pixel weights (e.g. weight maps): one mean per image
                weights = ops.mean(weights, axis=_per_image_axes(weights))
            weights = ops.broadcast_to(weights, ops.shape(scores))
        self.score_sum.assign_add(ops.sum(scores * weights))
        self.image_count.assign_add(ops.sum(weights))

    def result(self):
        return ops.divide_no_nan(self.score_sum, self.image_count)

    def reset_state(self):
        self.score_sum.assign(0.0)
        self.image_count.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@REGISTER
class ThresholdedIoU(_PerImageMean):
    """Mean per-image IoU of ``y_pred > threshold`` against a binary mask.

    Accumulates the sum of :func:`iou_score` over images and the number of images,
    so the epoch value is the mean IoU of the images seen (empty truth + empty
    prediction counts as 1). Compare ``keras.metrics.BinaryIoU``, which pools all
    pixels of the epoch instead.

    Args:
        threshold: binarise ``y_pred > threshold``.
        name: metric name shown in the training logs.
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> metric = ThresholdedIoU()
        >>> metric.update_state(np.array([[[1, 1], [0, 0]]]), np.array([[[0.9, 0.2], [0.7, 0.1]]]))
        >>> round(float(metric.result()), 4)
        0.3333
    """

    score_fn = staticmethod(iou_score)

    def __init__(self, threshold=0.5, name="iou", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)


@REGISTER
class Dice(_PerImageMean):
    """Mean per-image Dice coefficient of ``y_pred > threshold`` against a binary mask.

    Args:
        threshold: binarise ``y_pred > threshold``.
        name: metric name shown in the training logs.
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> metric = Dice()
        >>> metric.update_state(np.array([[[1, 1], [0, 0]]]), np.array([[[0.9, 0.2], [0.7, 0.1]]]))
        >>> float(metric.result())
        0.5
    """

    score_fn = staticmethod(dice_coefficient)

    def __init__(self, threshold=0.5, name="dice", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)


@REGISTER
class TgsScore(_PerImageMean):
    """The Kaggle TGS Salt metric, monitored during training.

    Accumulates the sum of :func:`tgs_image_score` over images and the number of
    images; the result equals :func:`kaggle_tgs_score` on the same masks
    (predictions thresholded at ``threshold``).

    Args:
        threshold: binarise ``y_pred > threshold``.
        name: metric name shown in the training logs.
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> truth = np.zeros((2, 3, 3, 1)); truth[1, 0] = 1
        >>> metric = TgsScore()
        >>> metric.update_state(truth, np.zeros((2, 3, 3, 1)))   # 1 for the empty, 0 for the other
        >>> float(metric.result())
        0.5
    """

    score_fn = staticmethod(tgs_image_score)

    def __init__(self, threshold=0.5, name="tgs_score", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)
