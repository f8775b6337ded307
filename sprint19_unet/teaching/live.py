"""The live view for demos: after each epoch, redraw the learning curves and a few validation images.

:class:`LivePredictions` keeps one :class:`~sprint19_unet.teaching.learning_view.LearningFigure` and
redraws it; where each drawing goes is its ``display``:

* in a notebook (default): replaces the previous figure in the cell's output;
* :class:`FigureWindow`: one window on screen, redrawn in place (the live demo, when
  :func:`display_available` says there is a screen);
* :class:`FigureFiles`: one PNG per epoch in a folder (the demo without a screen, or ``--no-show``);
* :class:`FigureSnapshots`: PNGs kept in memory, to show after training (notebook 01).

Example:
    >>> import numpy as np
    >>> view = LivePredictions(np.zeros((2, 16, 16, 1)), np.zeros((2, 16, 16, 1)))
    >>> view.every
    1
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import keras
import numpy as np

from sprint19_unet.atomic import atomic_path
from sprint19_unet.teaching.learning_view import LearningFigure

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


def figure_png(figure, compress_level: int = 1) -> bytes:
    """The figure as PNG bytes at its own size and dpi, drawn once (``savefig`` would draw it again).

    Args:
        figure: a matplotlib Figure (any canvas; drawn with Agg).
        compress_level: zlib level 0–9: 1 encodes fastest short of none (a 1280×720 view: about 20 ms, 300 kB).

    Returns:
        The PNG file's bytes.

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_png(Figure(figsize=(1, 1), dpi=10))[:4]
        b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB").save(buffer, "png", compress_level=compress_level)
    return buffer.getvalue()


class FigureFiles:
    """Save each figure it is given as ``<prefix>_01.png``, ``_02``, … in ``folder``, atomically.

    Args:
        folder: where the PNGs go (created when needed).
        prefix: file name prefix.

    Example:
        >>> import tempfile
        >>> files = FigureFiles(tempfile.mkdtemp())
        >>> files.paths
        []
    """

    def __init__(self, folder, prefix: str = "epoch"):
        self.folder = Path(folder)
        self.prefix = prefix
        self.paths: list[Path] = []

    def __call__(self, figure) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}_{len(self.paths) + 1:02d}.png"
        with atomic_path(path) as temporary:
            temporary.write_bytes(figure_png(figure))
        self.paths.append(path)


class FigureSnapshots:
    """Keep each figure it is given as PNG bytes, to show after training (one cell output, no files).

    Example:
        >>> from matplotlib.figure import Figure
        >>> snapshots = FigureSnapshots()
        >>> snapshots(Figure(figsize=(1, 1), dpi=10))
        >>> len(snapshots.pngs)
        1
    """

    def __init__(self):
        self.pngs: list[bytes] = []

    def __call__(self, figure) -> None:
        self.pngs.append(figure_png(figure))

    def show(self, *which: int) -> None:
        """Display the snapshots numbered ``which`` (0 = the first, -1 = the last) in the notebook."""
        from IPython.display import Image, display

        for index in which:
            display(Image(self.pngs[index]))


class LivePredictions(keras.callbacks.Callback):
    """After every ``every`` epochs: the learning curves so far and a few images with their predictions.

    One :class:`~sprint19_unet.teaching.learning_view.LearningFigure`, built at the first drawing and
    redrawn in place (the planned epochs, Keras's ``params["epochs"]``, as its x-range). In Jupyter
    the previous figure is replaced (``clear_output(wait=True)``); elsewhere ``display`` receives it.
    ``seconds`` lists what each drawing cost (prediction, figure and display), ``epoch_seconds`` what
    each epoch took before it (training steps and validation), ``history`` the logs.

    Args:
        images: a few model-ready validation images (N, H, W, C).
        masks: their masks (N, H, W, 1), binary.
        every: draw after every this many epochs.
        threshold: binarisation of the predicted probabilities (the outline and each image's IoU).
        display: called with the Figure after each drawing; default: IPython's display. E.g. a
            :class:`FigureWindow`, :class:`FigureFiles` or :class:`FigureSnapshots`.
    """

    def __init__(self, images, masks, every: int = 1, threshold: float = 0.5, display=None):
        super().__init__()
        self.images = np.asarray(images, "float32")
        self.masks = np.asarray(masks)
        self.every = every
        self.threshold = threshold
        self.display = display
        self.history: dict[str, list] = {}
        self.seconds: list[float] = []
        self.epoch_seconds: list[float] = []
        self.view: LearningFigure | None = None
        self._epoch_started = None

    def _show(self, figure) -> None:
        if self.display is not None:
            self.display(figure)
            return
        from IPython.display import clear_output, display

        clear_output(wait=True)
        display(figure)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self._epoch_started is not None:
            self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if (epoch + 1) % self.every:
            return
        started = time.perf_counter()
        if self.view is None:
            planned = (self.params or {}).get("epochs") or epoch + 1
            self.view = LearningFigure(self.images, self.masks, planned, self.threshold)
        probabilities = np.asarray(self.model.predict_on_batch(self.images))  # traced once: a few ms for 4 images
        if probabilities.shape[-1] > 1:  # softmax over classes: the foreground's probability
            probabilities = 1 - probabilities[..., :1]
        self._show(self.view.update(self.history, probabilities, epoch + 1))
        self.seconds.append(time.perf_counter() - started)
