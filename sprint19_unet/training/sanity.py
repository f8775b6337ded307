"""Guards against the classic U-Net failure: predictions that come out all black.

The most common complaint about U-Net repositories (zhixuhao/unet,
milesial/Pytorch-UNet) is an all-black or all-white prediction. The usual
causes are masks binarised wrongly, masks nearly all one value, and a model that
learnt "predict nothing" because that already scores well. These checks warn
early and say what to look at.

Example:
    >>> import numpy as np
    >>> predict_nothing_score(np.zeros((4, 8, 8, 1)))
    1.0
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from sprint19_unet.errors import bad_input



class AllBlackWarning(UserWarning):
    """Training data or predictions look like the "all-black prediction" failure."""


def check_training_masks(masks: np.ndarray, min_fraction: float = 0.005) -> float:
    """Warn when the training masks are (nearly) all one value.

    Args:
        masks: (N, H, W, 1) binary masks.
        min_fraction: warn when the foreground fraction is below this, or above
            ``1 − min_fraction``.

    Returns:
        The foreground fraction over all pixels.

    Example:
        >>> check_training_masks(np.ones((2, 4, 4, 1)) * (np.arange(16).reshape(4, 4, 1) < 8))
        0.5
    """
    fraction = float(np.mean(numeric_masks(masks) > 0))
    if fraction < min_fraction or fraction > 1 - min_fraction:
        warnings.warn(
            f"training masks are {fraction:.2%} foreground: a model can score well by predicting "
            "one value everywhere (all-black predictions). Check that masks are 0/1 or 0/255 with the "
            "right foreground value (sprint19_unet.data.datasets.describe_dataset shows the histogram).",
            AllBlackWarning,
            stacklevel=2,
        )
    return fraction


def check_predictions(probabilities: np.ndarray, threshold: float = 0.5) -> None:
    """Warn when predicted probabilities are constant or never cross the threshold.

    Args:
        probabilities: (N, H, W, 1) sigmoid outputs.
        threshold: the binarisation threshold.

    Example:
        >>> check_predictions(np.linspace(0, 1, 32).reshape(2, 4, 4, 1))
    """
    probabilities = np.asarray(probabilities)
    if probabilities.dtype.kind not in "biuf" or probabilities.size == 0:
        raise bad_input("probabilities", f"an array of {probabilities.dtype.type.__name__} values, shape "
                        f"{probabilities.shape}", "a model's probabilities (numbers in [0, 1])",
                        "Pass s19.predict_probabilities(model, images).")
    probabilities = probabilities.astype(np.float64)
    if probabilities.std() < 1e-4:
        warnings.warn(
            f"predictions are constant ({probabilities.mean():.3g} everywhere): the model has not learnt. "
            "Train longer, lower the learning rate, or check the masks.",
            AllBlackWarning,
            stacklevel=2,
        )
    elif (probabilities > threshold).sum() == 0:
        warnings.warn(
            f"no pixel is above the threshold {threshold} (max {probabilities.max():.3g}): every mask is empty. "
            "Tune the threshold on validation data (sprint19_unet.estimation.predict.tune_threshold).",
            AllBlackWarning,
            stacklevel=2,
        )


def numeric_masks(masks: object, name: str = "masks") -> np.ndarray:
    """``masks`` as a NumPy array of numbers, one mask per item (N, ...), or one clear error.

    Args:
        masks: what was passed (array-like of bool, int or float).
        name: the argument's name, for the message.

    Returns:
        The array.

    Raises:
        Sprint19Error: for text, objects, a scalar or an empty batch.

    Example:
        >>> numeric_masks(["a", "b"])
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: masks: expected a batch of masks (N, H, W[, 1]) of 0/1 numbers; received an array of str_ values, shape (2,). Pass the true masks, e.g. load_tgs(root).masks.
    """
    try:
        array = np.asarray(masks)
    except Exception as error:  # ragged nested lists, objects whose __array__ raises
        raise bad_input(name, f"a value NumPy cannot read as an array ({type(error).__name__})",
                        "a batch of masks (N, H, W[, 1]) of 0/1 numbers", "Pass the true masks, e.g. load_tgs(root).masks.") from None
    if array.dtype.kind not in "biuf" or array.ndim < 2 or len(array) == 0:
        raise bad_input(name, f"an array of {array.dtype.type.__name__} values, shape {array.shape}",
                        "a batch of masks (N, H, W[, 1]) of 0/1 numbers", "Pass the true masks, e.g. load_tgs(root).masks.")
    return array


def predict_nothing_score(true_masks: np.ndarray) -> float:
    """The Kaggle TGS score of predicting an empty mask everywhere (= fraction of empty masks).

    Args:
        true_masks: (N, H, W, 1) binary masks.

    Returns:
        The baseline score a trained model must beat.

    Example:
        >>> predict_nothing_score(np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))]))
        0.5
    """
    true_masks = numeric_masks(true_masks, "true_masks") > 0
    # an empty prediction scores 1 on an empty mask (no object, none predicted) and 0 on any other
    return float(np.mean(~true_masks.reshape(len(true_masks), -1).any(axis=1)))


def warn_if_no_better_than_empty(score: float, true_masks: np.ndarray, margin: float = 0.01) -> None:
    """Warn when a validation score does not beat the predict-nothing baseline.

    Args:
        score: the model's Kaggle TGS score on ``true_masks``.
        true_masks: the validation masks.
        margin: how much better than the baseline counts as learning.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_if_no_better_than_empty(0.9, np.zeros((2, 4, 4, 1)))  # baseline 1.0: warns
        >>> [warning.category.__name__ for warning in caught]
        ['AllBlackWarning']
    """
    baseline = predict_nothing_score(true_masks)
    if score <= baseline + margin:
        warnings.warn(
            f"validation TGS score {score:.3f} is no better than predicting empty masks everywhere "
            f"({baseline:.3f}): the model may be predicting all black. Train longer or check the data.",
            AllBlackWarning,
            stacklevel=2,
        )


def overfit_one_batch(model: keras.Model, images: np.ndarray, masks: np.ndarray, steps: int = 60) -> dict:
    """Smoke check: a working model and loss can memorise one small batch.

    Args:
        model: a compiled model.
        images: one batch of inputs.
        masks: its targets.
        steps: training steps on that batch.

    Returns:
        ``{"first_loss": ..., "last_loss": ..., "ratio": last / first}``; a ratio
        well below 1 (e.g. < 0.5) means the pipeline can learn.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> model = build_unet((32, 32, 1), base_filters=4, depth=2)
        >>> model.compile("adam", "binary_crossentropy")
        >>> x = np.random.default_rng(0).random((4, 32, 32, 1), dtype="float32")
        >>> overfit_one_batch(model, x, (x > 0.5).astype("float32"), steps=5)["ratio"] < 1.5
        True
    """
    losses = []
    for _ in range(steps):
        result = model.train_on_batch(images, masks)
        losses.append(float(np.ravel(result)[0]))
    return {"first_loss": losses[0], "last_loss": losses[-1], "ratio": losses[-1] / max(losses[0], 1e-12)}
