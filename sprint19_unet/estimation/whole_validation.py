"""Validation on whole images, scored as the ISBI 2012 challenge scores them, after every epoch.

``TrainConfig(monitor="val_rand_f")`` (issue 25) picks the best epoch by what the challenge
rewards instead of a tile metric: after each epoch the held-out images are predicted whole
(overlap-tile, :func:`~sprint19_unet.estimation.predict.predict_probabilities`, no test-time
augmentation) and :func:`~sprint19_unet.estimation.scoring.isbi_challenge_errors` scores
them; the callback adds ``val_rand_f`` (1 − the challenge's Rand error, best of its 11
thresholds) and ``val_pixel_f`` (1 − its pixel error) to the epoch's logs, before the
learning-rate schedule and the checkpoint read them.

It predicts and scores as the estimation stage does, so it lives here, and registers itself with
:func:`sprint19_unet.training.fit.register_whole_image_validation` when this module is imported
(``import sprint19_unet`` does): the training stage never imports estimation.

Example:
    >>> WHOLE_IMAGE_MONITORS
    ('val_rand_f', 'val_pixel_f')
"""

from __future__ import annotations

import keras
import numpy as np

from sprint19_unet.estimation.predict import predict_probabilities
from sprint19_unet.estimation.scoring import isbi_challenge_errors
from sprint19_unet.training.config import WHOLE_IMAGE_MONITORS  # the monitors this callback provides
from sprint19_unet.training.fit import register_whole_image_validation


def membrane_probability(probabilities: np.ndarray) -> np.ndarray:
    """P(class 1) from a model's output: the sigmoid, or the softmax's class 1 of two.

    Args:
        probabilities: ``(N, H, W, 1)`` or ``(N, H, W, 2)``.

    Returns:
        ``(N, H, W, 1)`` float32.

    Example:
        >>> membrane_probability(np.array([[[[0.25, 0.75]]]])).tolist()
        [[[[0.75]]]]
    """
    return np.asarray(probabilities[..., -1:], dtype="float32")


class WholeImageValidation(keras.callbacks.Callback):
    """Add the challenge's F-scores of the whole validation images to each epoch's logs.

    Args:
        images: ``(N, H, W, C)`` validation images at the working scale.
        masks: ``(N, H, W, 1)`` their 0/1 truth, 1 = the class the Rand error's
            boundaries are (membrane, for masks loaded with ``foreground=0``).
        batch_size: tiles per prediction batch.

    Example:
        >>> callback = WholeImageValidation(np.zeros((1, 8, 8, 1)), np.eye(8)[None, ..., None])
        >>> callback.masks.shape
        (1, 8, 8, 1)
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray, batch_size: int = 16):
        super().__init__()
        self.images, self.masks, self.batch_size = images, masks, batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        probabilities = predict_probabilities(self.model, self.images, batch_size=self.batch_size)
        errors = isbi_challenge_errors(self.masks, membrane_probability(probabilities))
        logs["val_rand_f"] = 1.0 - errors["rand_error"]
        logs["val_pixel_f"] = 1.0 - errors["pixel_error"]


register_whole_image_validation(WholeImageValidation)
