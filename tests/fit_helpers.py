"""Helpers for tests that train: a callback that makes an epoch's loss NaN."""

import keras
import numpy as np


class PoisonWeightsAtEpoch(keras.callbacks.Callback):
    """Set the output layer's weights to NaN when epoch ``epoch`` (0-based) begins: its loss is NaN."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            layer = self.model.get_layer("output_conv1x1")
            layer.set_weights([np.full_like(w, np.nan) for w in layer.get_weights()])
