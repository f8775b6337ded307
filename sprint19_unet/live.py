"""The live view for demos: after each epoch, redraw a few validation images with predictions.

Off by default in scripts; a notebook passes it to ``train(..., callbacks=[...])``.

Example:
    >>> import numpy as np
    >>> view = LivePredictions(np.zeros((2, 16, 16, 1)), np.zeros((2, 16, 16, 1)))
    >>> view.every
    1
"""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np

from sprint19_unet.plots import plot_predictions


class LivePredictions(keras.callbacks.Callback):
    """Show images, true masks and current predictions every ``every`` epochs.

    In Jupyter the previous figure is replaced (``clear_output(wait=True)``);
    elsewhere, pass ``display`` to receive each Figure (e.g. to save it).

    Args:
        images: a few model-ready validation images (N, H, W, C).
        masks: their masks.
        every: draw after every this many epochs.
        threshold: binarisation of the predicted probabilities.
        display: called with each Figure; default: IPython's display.
    """

    def __init__(self, images, masks, every: int = 1, threshold: float = 0.5, display=None):
        super().__init__()
        self.images = np.asarray(images, "float32")
        self.masks = np.asarray(masks)
        self.every = every
        self.threshold = threshold
        self.display = display

    def _show(self, figure) -> None:
        if self.display is not None:
            self.display(figure)
            return
        from IPython.display import clear_output, display

        clear_output(wait=True)
        display(figure)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        probabilities = self.model.predict(self.images, verbose=0)
        predictions = (probabilities > self.threshold) if probabilities.shape[-1] == 1 else probabilities.argmax(-1)[..., None]
        figure = plot_predictions(self.images, self.masks, predictions, count=len(self.images))
        figure.suptitle(f"epoch {epoch + 1}")
        figure.tight_layout(rect=(0, 0, 1, 0.93))  # keep the title clear of the column titles
        self._show(figure)
        plt.close(figure)
