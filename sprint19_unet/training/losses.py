"""Losses for binary and multi-class segmentation, in ``keras.ops`` only.

Every loss runs on every backend and is registered with Keras (package ``"sprint19_unet"``): a model
compiled with it loads with plain ``keras.models.load_model(path)``.

Each loss is first a pure function of ``(y_true, y_pred)`` returning one value
per pixel or per image (Keras averages them), then a ``keras.losses.Loss`` class
that stores its options in ``get_config()`` and registers itself under a short name
(:func:`~sprint19_unet.training.loss_registry.register_loss`): :data:`LOSSES` is the
one list of them, :func:`get_loss` gives one by name.

**Weight maps (paper Eq. 2).** :class:`WeightedCrossentropy` is the cross-entropy
of every pixel (binary for a one-channel sigmoid output, sparse categorical for a
C-channel softmax output); Keras multiplies it by the weight map passed as
``sample_weight`` of shape ``(N, H, W)``:
``model.fit(x, masks, sample_weight=weight_maps(masks)[..., 0])``. Training does
this for you (:class:`sprint19_unet.training.fit.WeightMapBatches` yields
``(images, masks, weights)``); the metrics stay unweighted.

Example:
    >>> import numpy as np
    >>> loss = get_loss("bce_dice")
    >>> y = np.array([[[1.0], [0.0]]])
    >>> round(float(loss(y, y * 0.98 + 0.01)), 3)       # almost perfect: near 0
    0.017
"""

from __future__ import annotations

import math

import keras
from keras import ops

from sprint19_unet.training import metrics
from sprint19_unet.errors import bad_input, is_real
from sprint19_unet.training.loss_registry import (  # noqa: F401  (LOSSES, get_loss, loss_names: used from here)
    BINARY, LOSSES, MULTI_CLASS, get_loss, loss_names, register_loss,
)

REGISTER = keras.saving.register_keras_serializable(package="sprint19_unet")

# Probabilities are clipped to [EPSILON, 1 − EPSILON] before a log (as Keras does).
EPSILON = 1e-7


# === Helpers ===


def _binary_probabilities(y_true, y_pred, from_logits):
    """Aligned float32 (y_true, probabilities, logits-or-None)."""
    y_true, y_pred = metrics.binary_pair(y_true, y_pred, threshold=None)
    if from_logits:
        return y_true, ops.sigmoid(y_pred), y_pred
    return y_true, y_pred, None


def _flatten_images(x):
    """(batch, …) → (batch, pixels)."""
    return ops.reshape(x, (ops.shape(x)[0], -1))


def _categorical_crossentropy_per_pixel(class_indices, y_pred, from_logits):
    """−log p[label] of every pixel; ``class_indices`` is ``y_pred`` without its class axis.

    Keras's ``sparse_categorical_crossentropy`` on TensorFlow and JAX (on TensorFlow
    it reads the logits behind a softmax layer, which is more exact). On PyTorch,
    Keras's version (``nll_loss``) fails its backward pass on non-contiguous
    tensors, so there it is written with ``take_along_axis``.
    """
    class_indices = ops.cast(class_indices, "int32")
    if keras.backend.backend() != "torch":
        return keras.losses.sparse_categorical_crossentropy(class_indices, y_pred, from_logits=from_logits)
    y_pred = ops.cast(y_pred, "float32")
    if from_logits:
        log_probabilities = ops.log_softmax(y_pred, axis=-1)
    else:  # renormalised over the classes and clipped before the log, as Keras does
        probabilities = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        log_probabilities = ops.log(ops.clip(probabilities, EPSILON, 1.0 - EPSILON))
    return -ops.take_along_axis(log_probabilities, ops.expand_dims(class_indices, -1), axis=-1)[..., 0]


def _check_non_negative(name, value, fix):
    if not is_real(value) or not 0 <= value < math.inf:
        raise bad_input(name, repr(value), "a finite number >= 0", fix)


# === Pure loss functions ===


@REGISTER
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Binary cross-entropy of every pixel (``keras.losses.binary_crossentropy``, NaN-safe on PyTorch).

    ``−[y·log p + (1 − y)·log(1 − p)]`` with p clipped to [1e-7, 1 − 1e-7].
    On TensorFlow and JAX this is Keras's function. On PyTorch, Keras calls
    ``torch.nn.functional.binary_cross_entropy``, which raises a RuntimeError on a
    NaN probability instead of returning NaN, so a diverged run would crash
    rather than be stopped cleanly by the training's NaN guard; there the same
    formula is written in ``keras.ops``.

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: sigmoid probabilities (or logits with ``from_logits=True``), ``(batch, h, w, 1)``.
        from_logits: ``y_pred`` holds logits.
        label_smoothing: squeeze the labels towards 0.5 by this amount.

    Returns:
        Tensor ``(batch, h, w)``: the loss of each pixel, averaged over channels.

    Example:
        >>> import numpy as np
        >>> value = binary_crossentropy(np.array([[[1.0], [0.0]]]), np.array([[[0.5], [0.5]]]))
        >>> keras.ops.convert_to_numpy(value).astype(float).round(4).tolist()        # log 2 each
        [[0.6931, 0.6931]]
    """
    y_true, y_pred = metrics.binary_pair(y_true, y_pred, threshold=None)
    if keras.backend.backend() != "torch" or from_logits:
        return keras.losses.binary_crossentropy(
            y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p), axis=-1)


@REGISTER
def dice_loss(y_true, y_pred, smooth=1.0, from_logits=False):
    """Soft Dice loss of each image: ``1 − soft Dice``.

    ``1 − (2·Σ y·p + smooth) / (Σ y + Σ p + smooth)`` over the pixels of one image,
    built from :func:`sprint19_unet.training.metrics.dice_coefficient` with ``threshold=None``.
    ``smooth`` keeps empty masks finite (empty truth, empty prediction → 0).

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        smooth: added to numerator and denominator.
        from_logits: apply a sigmoid to ``y_pred`` first.

    Returns:
        Tensor ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> y = np.array([[[1.0], [1.0], [0.0]]])
        >>> keras.ops.convert_to_numpy(dice_loss(y, y)).tolist()
        [0.0]
    """
    y_true, probabilities, _ = _binary_probabilities(y_true, y_pred, from_logits)
    return 1.0 - metrics.dice_coefficient(y_true, probabilities, threshold=None, smooth=smooth)


@REGISTER
def bce_dice_loss(y_true, y_pred, bce_weight=1.0, dice_weight=1.0, smooth=1.0, from_logits=False):
    """``bce_weight · mean BCE + dice_weight · soft Dice loss``, per image.

    The BCE term trains every pixel; the Dice term rewards overlap whatever the
    size of the object, which helps with TGS images holding little salt.

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        bce_weight: weight of the cross-entropy term.
        dice_weight: weight of the Dice term.
        smooth: Dice smoothing.
        from_logits: ``y_pred`` holds logits.

    Returns:
        Tensor ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> y = np.array([[[1.0], [0.0]]])
        >>> keras.ops.convert_to_numpy(bce_dice_loss(y, y * 0.98 + 0.01)).astype(float).round(3).tolist()
        [0.017]
    """
    per_pixel = binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    bce = ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))
    return bce_weight * bce + dice_weight * dice_loss(y_true, y_pred, smooth=smooth, from_logits=from_logits)


@REGISTER
def binary_focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25, from_logits=False):
    """Binary focal loss (Lin et al., 2017) of every pixel.

    ``FL = −α_t · (1 − p_t)^γ · log p_t`` with ``p_t = p`` where y = 1 and
    ``1 − p`` where y = 0, and ``α_t = α`` / ``1 − α`` likewise. γ = 0 and
    α = None give the plain cross-entropy; larger γ down-weights easy pixels.

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        gamma: focusing parameter γ >= 0 (paper: 2).
        alpha: weight of the foreground class in [0, 1] (paper: 0.25), or None for no weighting.
        from_logits: ``y_pred`` holds logits (computed with log-sigmoid, stable).

    Returns:
        Tensor ``(batch, h, w)``: the loss of each pixel, averaged over channels.

    Example:
        >>> import numpy as np
        >>> value = binary_focal_loss(np.array([[[1.0]]]), np.array([[[0.5]]]), gamma=2.0, alpha=None)
        >>> keras.ops.convert_to_numpy(value).astype(float).round(4).tolist()       # 0.5² · log 2
        [[0.1733]]
    """
    y_true, probabilities, logits = _binary_probabilities(y_true, y_pred, from_logits)
    if logits is not None:
        log_p, log_not_p = ops.log_sigmoid(logits), ops.log_sigmoid(-logits)
    else:
        probabilities = ops.clip(probabilities, EPSILON, 1.0 - EPSILON)
        log_p, log_not_p = ops.log(probabilities), ops.log(1.0 - probabilities)
    cross_entropy = -(y_true * log_p + (1.0 - y_true) * log_not_p)
    p_t = y_true * probabilities + (1.0 - y_true) * (1.0 - probabilities)
    # maximum(·, 1e-7): a finite gradient at p_t = 1 for any γ (changes the loss by < 1e-14).
    modulating = ops.power(ops.maximum(1.0 - p_t, EPSILON), gamma)
    focal = modulating * cross_entropy
    if alpha is not None:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=-1)


def _lovasz_gradient(labels_sorted):
    """Gradient of the Lovász extension of the Jaccard loss at sorted labels (batch, pixels).

    With the pixels sorted by decreasing error and ``g`` the number of foreground
    pixels: ``J_i = 1 − (g − cumsum(labels)_i) / (g + cumsum(1 − labels)_i)``, and
    the gradient is ``J_1, J_2 − J_1, J_3 − J_2, …``. The union is never 0.
    """
    foreground = ops.sum(labels_sorted, axis=-1, keepdims=True)
    intersection = foreground - ops.cumsum(labels_sorted, axis=-1)
    union = foreground + ops.cumsum(1.0 - labels_sorted, axis=-1)
    jaccard = 1.0 - intersection / union
    return ops.concatenate([jaccard[:, :1], jaccard[:, 1:] - jaccard[:, :-1]], axis=-1)


@REGISTER
def lovasz_hinge(y_true, y_pred, from_logits=False):
    """Lovász hinge loss (Berman, Triki, Blaschko, CVPR 2018), one value per image.

    A convex surrogate of 1 − IoU that the TGS Salt winners fine-tuned with. Per
    image, on logits ``z`` (from probabilities ``z = log p − log(1 − p)`` unless
    ``from_logits``): hinge errors ``e = 1 − z·(2y − 1)``; sort them in decreasing
    order (``keras.ops.argsort``); the loss is ``Σ relu(e_sorted) · ∇J`` with ∇J
    the Lovász gradient of the Jaccard loss (``keras.ops.cumsum``, see
    :func:`_lovasz_gradient`). An empty truth gives ``relu(max error)``.

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        from_logits: ``y_pred`` holds logits.

    Returns:
        Tensor ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> y = np.array([[[1.0], [0.0]]])
        >>> logits = np.array([[[2.0], [-2.0]]])        # right side of the margin: loss 0
        >>> keras.ops.convert_to_numpy(lovasz_hinge(y, logits, from_logits=True)).tolist()
        [0.0]
    """
    y_true, y_pred = metrics.binary_pair(y_true, y_pred, threshold=None)
    if from_logits:
        logits = y_pred
    else:
        probabilities = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        logits = ops.log(probabilities) - ops.log(1.0 - probabilities)
    labels = _flatten_images(ops.cast(ops.greater(y_true, 0.5), logits.dtype))
    logits = _flatten_images(logits)
    errors = 1.0 - logits * (2.0 * labels - 1.0)
    order = ops.argsort(-errors, axis=-1)
    errors_sorted = ops.take_along_axis(errors, order, axis=-1)
    labels_sorted = ops.take_along_axis(labels, order, axis=-1)
    gradient = ops.stop_gradient(_lovasz_gradient(labels_sorted))
    return ops.sum(ops.relu(errors_sorted) * gradient, axis=-1)


@REGISTER
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Softmax cross-entropy of every pixel with class-index labels: ``−log p[label]``.

    The multi-class loss: ``y_pred`` holds one softmax probability per class and
    pixel, ``y_true`` the index of the true class (not one-hot). Probabilities
    are renormalised over the class axis and clipped to [1e-7, 1 − 1e-7] before
    the log; with ``from_logits=True`` it is ``−log_softmax(y_pred)[label]``.
    This is Keras's ``sparse_categorical_crossentropy``, except on PyTorch, where
    Keras's version cannot be trained (its backward pass fails) and the same
    formula is written in ``keras.ops``.

    Args:
        y_true: class indices ``(batch, h, w)`` or ``(batch, h, w, 1)``.
        y_pred: softmax probabilities ``(batch, h, w, C)`` (logits with ``from_logits=True``).
        from_logits: ``y_pred`` holds logits.

    Returns:
        Tensor ``(batch, h, w)``: the loss of each pixel.

    Example:
        >>> import numpy as np
        >>> y_pred = np.array([[[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]])
        >>> value = sparse_categorical_crossentropy(np.array([[0, 2]]), y_pred)
        >>> keras.ops.convert_to_numpy(value).astype(float).round(4).tolist()     # −log 0.5, −log 0.8
        [[0.6931, 0.2231]]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if len(y_true.shape) != len(y_pred.shape) - 1:
        raise bad_input(
            "y_true",
            f"shape {tuple(y_true.shape)} for y_pred of shape {tuple(y_pred.shape)}",
            "class indices (batch, h, w) or (batch, h, w, 1)",
            "Pass the class index of every pixel, not one-hot labels (np.argmax(one_hot, axis=-1)).",
        )
    return _categorical_crossentropy_per_pixel(y_true, y_pred, from_logits)


@REGISTER
def weighted_crossentropy(y_true, y_pred, from_logits=False):
    """The cross-entropy ``CE(x)`` of every pixel that the U-Net paper weights by ``w(x)``.

    The output decides the cross-entropy: one channel → sigmoid / binary
    cross-entropy (labels 0/1); C > 1 channels → softmax / sparse categorical
    cross-entropy (labels = class indices, not one-hot). The weight map (Eq. 2)
    comes in as Keras's ``sample_weight`` of shape ``(batch, h, w)``, which
    :class:`WeightedCrossentropy` multiplies in.

    Args:
        y_true: labels ``(batch, h, w)`` / ``(batch, h, w, 1)``.
        y_pred: ``(batch, h, w, 1)`` sigmoid probabilities or ``(batch, h, w, C)``
            softmax probabilities (logits with ``from_logits=True``).
        from_logits: ``y_pred`` holds logits.

    Returns:
        Tensor ``(batch, h, w)``: the loss of each pixel.

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[[[1.0], [0.0]]]])
        >>> y_pred = np.array([[[[0.5], [0.5]]]])
        >>> keras.ops.convert_to_numpy(weighted_crossentropy(y_true, y_pred)).astype(float).round(3).tolist()
        [[[0.693, 0.693]]]
    """
    y_true = ops.cast(ops.convert_to_tensor(y_true), "float32")
    y_pred = ops.convert_to_tensor(y_pred)
    channels = y_pred.shape[-1]
    if channels is None:
        raise bad_input(
            "y_pred",
            f"shape {tuple(y_pred.shape)}",
            "a known number of channels",
            "Give the model output a static channel count.",
        )
    if channels == 1:
        return binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    return sparse_categorical_crossentropy(ops.round(y_true), y_pred, from_logits=from_logits)


@REGISTER
def tversky_loss(y_true, y_pred, alpha=0.3, beta=0.7, smooth=1.0, from_logits=False):
    """Tversky loss of each image (Salehi, Erdogmus, Gholipour 2017, arXiv 1706.05721): ``1 − T``.

    ``T = (TP + smooth) / (TP + α·FP + β·FN + smooth)`` with soft counts over the pixels of one
    image: ``TP = Σ y·p``, ``FP = Σ (1 − y)·p``, ``FN = Σ y·(1 − p)``. α weighs false positives and
    β false negatives: β > α trades precision for recall (the paper's best: α = 0.3, β = 0.7, the
    defaults). With α = β = ½ it is the soft Dice loss with twice the smoothing.

    Args:
        y_true: 0/1 masks ``(batch, h, w, 1)`` or ``(batch, h, w)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        alpha: weight of the false positives.
        beta: weight of the false negatives.
        smooth: added to numerator and denominator (an empty truth predicted empty → 0).
        from_logits: apply a sigmoid to ``y_pred`` first.

    Returns:
        Tensor ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> y, p = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 1.0, 0.0]])  # TP 1, FP 1, FN 1
        >>> round(float(tversky_loss(y, p, smooth=0.0)[0]), 4), round(float(tversky_loss(y, p, 0.9, 0.1, 0.0)[0]), 4)
        (0.5, 0.5)
    """
    y_true, probabilities, _ = _binary_probabilities(y_true, y_pred, from_logits)
    y_true, probabilities = _flatten_images(y_true), _flatten_images(probabilities)
    true_positive = ops.sum(y_true * probabilities, axis=1)
    false_positive = ops.sum((1.0 - y_true) * probabilities, axis=1)
    false_negative = ops.sum(y_true * (1.0 - probabilities), axis=1)
    return 1.0 - (true_positive + smooth) / (true_positive + alpha * false_positive + beta * false_negative + smooth)


# === Loss classes: options stored in get_config(), so saved models reload ===


class _OptionsLoss(keras.losses.Loss):
    """A ``keras.losses.Loss`` calling a pure loss function with stored keyword options."""

    loss_fn = None

    def __init__(self, name, reduction, dtype, **options):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.options = options

    def call(self, y_true, y_pred):
        return type(self).loss_fn(y_true, y_pred, **self.options)

    def get_config(self):
        return {**super().get_config(), **self.options}


@register_loss("bce", outputs=(BINARY,), summary="binary cross-entropy, per pixel")
@REGISTER
class BinaryCrossentropy(_OptionsLoss):
    """Binary cross-entropy per pixel (see :func:`binary_crossentropy`).

    Same values as ``keras.losses.BinaryCrossentropy``; on PyTorch a NaN
    prediction gives a NaN loss (which the training's NaN guard stops) instead of
    a RuntimeError.

    Args:
        from_logits: ``y_pred`` holds logits.
        label_smoothing: squeeze the labels towards 0.5 by this amount.
        reduction: Keras reduction over the per-pixel values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> round(float(BinaryCrossentropy()(np.ones((1, 2, 2, 1)), np.full((1, 2, 2, 1), 0.5))), 4)   # log 2
        0.6931
    """

    loss_fn = staticmethod(binary_crossentropy)

    def __init__(
        self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name="binary_crossentropy",
        dtype=None,
    ):
        _check_non_negative("label_smoothing", label_smoothing, "Use a value in [0, 1], e.g. 0.1.")
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits), label_smoothing=float(label_smoothing))


@register_loss("dice", outputs=(BINARY,), summary="soft Dice loss, 1 − soft Dice, per image")
@REGISTER
class DiceLoss(_OptionsLoss):
    """Soft Dice loss, ``1 − soft Dice`` per image (see :func:`dice_loss`).

    Args:
        smooth: added to the Dice numerator and denominator.
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-image values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> round(float(DiceLoss()(np.ones((1, 2, 2, 1)), np.ones((1, 2, 2, 1)))), 6)
        0.0
    """

    loss_fn = staticmethod(dice_loss)

    def __init__(self, smooth=1.0, from_logits=False, reduction="sum_over_batch_size", name="dice_loss", dtype=None):
        _check_non_negative("smooth", smooth, "Use smooth=1.0.")
        super().__init__(name, reduction, dtype, smooth=float(smooth), from_logits=bool(from_logits))


@register_loss("bce_dice", outputs=(BINARY,), summary="binary cross-entropy + soft Dice, per image")
@REGISTER
class BCEDiceLoss(_OptionsLoss):
    """Binary cross-entropy + soft Dice loss, per image (see :func:`bce_dice_loss`).

    Args:
        bce_weight: weight of the cross-entropy term.
        dice_weight: weight of the Dice term.
        smooth: Dice smoothing.
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-image values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> y = np.array([[[1.0], [0.0]]])
        >>> float(BCEDiceLoss()(y, 1.0 - y)) > float(BCEDiceLoss()(y, 0.9 * y + 0.05))
        True
    """

    loss_fn = staticmethod(bce_dice_loss)

    def __init__(
        self,
        bce_weight=1.0,
        dice_weight=1.0,
        smooth=1.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="bce_dice_loss",
        dtype=None,
    ):
        _check_non_negative("bce_weight", bce_weight, "Use bce_weight=1.0.")
        _check_non_negative("dice_weight", dice_weight, "Use dice_weight=1.0.")
        _check_non_negative("smooth", smooth, "Use smooth=1.0.")
        super().__init__(
            name,
            reduction,
            dtype,
            bce_weight=float(bce_weight),
            dice_weight=float(dice_weight),
            smooth=float(smooth),
            from_logits=bool(from_logits),
        )


@register_loss("focal", outputs=(BINARY,), summary="binary focal loss (Lin et al. 2017), per pixel")
@REGISTER
class BinaryFocalLoss(_OptionsLoss):
    """Binary focal loss per pixel (see :func:`binary_focal_loss`).

    Args:
        gamma: focusing parameter γ >= 0 (Lin et al.: 2).
        alpha: foreground weight in [0, 1] (Lin et al.: 0.25), or None.
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-pixel values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> BinaryFocalLoss(gamma=2.0, alpha=0.25).get_config()["gamma"]
        2.0
    """

    loss_fn = staticmethod(binary_focal_loss)

    def __init__(
        self, gamma=2.0, alpha=0.25, from_logits=False, reduction="sum_over_batch_size", name="focal_loss", dtype=None
    ):
        _check_non_negative("gamma", gamma, "Use gamma=2.0 as in Lin et al. (2017); gamma=0 is plain cross-entropy.")
        alpha_is_number = is_real(alpha)
        if alpha is not None and not (alpha_is_number and 0 <= alpha <= 1):
            raise bad_input(
                "alpha", repr(alpha), "a number in [0, 1] or None", "Use alpha=0.25, or None for no class weighting."
            )
        super().__init__(
            name,
            reduction,
            dtype,
            gamma=float(gamma),
            alpha=None if alpha is None else float(alpha),
            from_logits=bool(from_logits),
        )


@register_loss("lovasz", outputs=(BINARY,), summary="Lovász hinge (Berman et al. 2018), per image")
@REGISTER
class LovaszHinge(_OptionsLoss):
    """Lovász hinge loss per image (see :func:`lovasz_hinge`).

    Args:
        from_logits: ``y_pred`` holds logits (recommended: a model without the final
            sigmoid); otherwise logits are recovered from the probabilities.
        reduction: Keras reduction over the per-image values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> float(LovaszHinge(from_logits=True)(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])))
        1.0
    """

    loss_fn = staticmethod(lovasz_hinge)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="lovasz_hinge", dtype=None):
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits))


@register_loss("sparse_cce", outputs=(MULTI_CLASS,),
               summary="softmax cross-entropy with class-index labels, per pixel")
@REGISTER
class SparseCategoricalCrossentropy(_OptionsLoss):
    """Softmax cross-entropy per pixel with class-index labels (see :func:`sparse_categorical_crossentropy`).

    Same values as ``keras.losses.SparseCategoricalCrossentropy``; ours also trains
    on the PyTorch backend, where Keras's version fails in the backward pass.

    Args:
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-pixel values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> round(float(SparseCategoricalCrossentropy()(np.array([[1]]), np.array([[[0.5, 0.5]]]))), 4)   # log 2
        0.6931
    """

    loss_fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(
        self, from_logits=False, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy", dtype=None
    ):
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits))


@register_loss("weighted_cce", outputs=(BINARY, MULTI_CLASS), weight_map=True,
               summary="the paper's weighted cross-entropy (Eq. 1), per pixel")
@REGISTER
class WeightedCrossentropy(_OptionsLoss):
    """The paper's weight-map cross-entropy, per pixel (see :func:`weighted_crossentropy`).

    ``y_true`` = label (0/1 for a sigmoid output, class index for softmax); the
    weights (Eq. 2, from :func:`sprint19_unet.data.weight_map.weight_maps`) come as
    ``sample_weight`` of shape ``(batch, h, w)``.

    Args:
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-pixel values (the default averages
            ``w(x)·CE(x)`` over all pixels).
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> import numpy as np
        >>> masks, weights = np.ones((1, 2, 2, 1)), np.full((1, 2, 2), 3.0)
        >>> round(float(WeightedCrossentropy()(masks, np.full((1, 2, 2, 1), 0.5), sample_weight=weights)), 4)  # 3·log 2
        2.0794
    """

    loss_fn = staticmethod(weighted_crossentropy)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="weighted_crossentropy", dtype=None):
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits))


@register_loss("tversky", outputs=(BINARY,), summary="Tversky loss (Salehi et al. 2017): FP and FN weighed apart")
@REGISTER
class TverskyLoss(_OptionsLoss):
    """Tversky loss per image (see :func:`tversky_loss`).

    Args:
        alpha: weight of the false positives (≥ 0).
        beta: weight of the false negatives (≥ 0); ``alpha = beta = 0.5`` is the Dice loss.
        smooth: added to numerator and denominator.
        from_logits: ``y_pred`` holds logits.
        reduction: Keras reduction over the per-image values.
        name: loss name.
        dtype: computation dtype.

    Example:
        >>> TverskyLoss(alpha=0.7, beta=0.3).get_config()["alpha"]
        0.7
    """

    loss_fn = staticmethod(tversky_loss)

    def __init__(self, alpha=0.3, beta=0.7, smooth=1.0, from_logits=False, reduction="sum_over_batch_size",
                 name="tversky_loss", dtype=None):
        _check_non_negative("alpha", alpha, "Use alpha=0.3 (Salehi et al.).")
        _check_non_negative("beta", beta, "Use beta=0.7 (Salehi et al.).")
        _check_non_negative("smooth", smooth, "Use smooth=1.0.")
        if alpha + beta == 0:
            raise bad_input("alpha and beta", f"alpha={alpha}, beta={beta}", "not both 0",
                            "Use alpha=0.3, beta=0.7, or 0.5 and 0.5 for the Dice loss.")
        super().__init__(name, reduction, dtype, alpha=float(alpha), beta=float(beta), smooth=float(smooth),
                         from_logits=bool(from_logits))
