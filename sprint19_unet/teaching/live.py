"""The live view for demos: after each epoch, redraw a few validation images with predictions.

:class:`LivePredictions` draws the figure; where it goes is its ``display``:

* in a notebook (default): replaces the previous figure in the cell's output;
* :class:`FigureWindow`: one window on screen, redrawn in place (the live demo, when
  :func:`display_available` says there is a screen);
* :class:`FigureFiles`: one PNG per epoch in a folder (the demo without a screen,
  or with ``--no-show``).

Example:
    >>> import numpy as np
    >>> view = LivePredictions(np.zeros((2, 16, 16, 1)), np.zeros((2, 16, 16, 1)))
    >>> view.every
    1
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from sprint19_unet.atomic import atomic_path
from sprint19_unet.teaching.plots import plot_predictions

# Matplotlib backends that draw to files or to a notebook, never to a window on screen.
FILE_BACKENDS = ("agg", "pdf", "pgf", "ps", "svg", "cairo", "template")


def display_available() -> bool:
    """Whether matplotlib can open a window here (a screen and an interactive backend).

    On Linux without ``DISPLAY`` / ``WAYLAND_DISPLAY`` matplotlib falls back to
    Agg, and ``MPLBACKEND=Agg`` forces it; notebooks' inline backend counts as no
    window too.

    Returns:
        True when a figure window would appear on screen.

    Example:
        >>> display_available() in (True, False)
        True
    """
    import matplotlib  # on first use: `import sprint19_unet` needs no matplotlib

    backend = matplotlib.get_backend().lower()
    return backend not in FILE_BACKENDS and "inline" not in backend and "nbagg" not in backend


class FigureWindow:
    """One figure window on screen, redrawn with each figure it is given.

    Each figure is rendered to pixels and shown in the same window, so the window
    stays where the instructor put it. Closing the window just stops the redraws.

    Args:
        title: the window's title.

    Example:
        >>> window = FigureWindow()  # LivePredictions(..., display=window)
        >>> window.updates
        0
    """

    def __init__(self, title: str = "sprint19_unet: live predictions"):
        self.title = title
        self.updates = 0
        self._figure = None
        self._image = None

    def __call__(self, figure) -> None:
        import matplotlib.pyplot as plt

        figure.canvas.draw()
        pixels = np.asarray(figure.canvas.buffer_rgba())
        plt.close(figure)  # only our window shows, not the figure it was drawn on
        if self._figure is None:
            self._figure = plt.figure(self.title, figsize=figure.get_size_inches())
            axis = self._figure.add_axes((0, 0, 1, 1))
            axis.set_axis_off()
            self._image = axis.imshow(pixels)
        elif not plt.fignum_exists(self._figure.number):
            return  # the window was closed
        else:
            self._image.set_data(pixels)
        self.updates += 1
        if display_available():
            self._figure.canvas.draw_idle()
            plt.pause(0.05)  # let the window's event loop draw it

    def close(self) -> None:
        """Close the window (if it is still open)."""
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)


class FigureFiles:
    """Save each figure it is given as ``<prefix>_01.png``, ``_02``, … in ``folder``.

    Args:
        folder: where the PNGs go (created when needed).
        prefix: file name prefix.
        dpi: resolution of the PNGs.

    Example:
        >>> import tempfile
        >>> files = FigureFiles(tempfile.mkdtemp())
        >>> files.paths
        []
    """

    def __init__(self, folder, prefix: str = "epoch", dpi: int = 72):
        self.folder = Path(folder)
        self.prefix = prefix
        self.dpi = dpi
        self.paths: list[Path] = []

    def __call__(self, figure) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}_{len(self.paths) + 1:02d}.png"
        with atomic_path(path) as temporary:
            figure.savefig(temporary, dpi=self.dpi)
        self.paths.append(path)


class LivePredictions(keras.callbacks.Callback):
    """Show images, true masks and current predictions every ``every`` epochs.

    In Jupyter the previous figure is replaced (``clear_output(wait=True)``);
    elsewhere, pass ``display`` to receive each Figure (e.g. to save it).

    Args:
        images: a few model-ready validation images (N, H, W, C).
        masks: their masks.
        every: draw after every this many epochs.
        threshold: binarisation of the predicted probabilities.
        display: called with each Figure; default: IPython's display. E.g. a
            :class:`FigureWindow` or :class:`FigureFiles`.
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
        import matplotlib.pyplot as plt

        plt.close(figure)
