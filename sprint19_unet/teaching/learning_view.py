"""The live view's figure: learning curves so far, and what the model predicts for a few images.

One figure, sized for a shared screen (12.8 × 7.2 inches: 1280×720 at 100 dpi, fonts of 12 points and
more): on the left the loss and the IoU of the training and validation batches, epoch by epoch, the
x-axis already as long as the planned training, so the audience sees how far along it is; on the right
one row per image: the image, the truth, the predicted probability (a colour map with its colour bar)
and the thresholded prediction outlined over the image, titled with its IoU. :class:`LearningFigure`
builds it once and redraws only what changes (curves, pictures, titles): after every epoch that costs
a fraction of what drawing a new figure would (``benchmarks/live_view.py`` measures it).

Example:
    >>> import numpy as np
    >>> view = LearningFigure(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)), planned_epochs=5)
    >>> _ = view.update({"loss": [0.7]}, np.full((2, 8, 8, 1), 0.2))
    >>> view.figure.axes[0].get_title(), [float(x) for x in view.figure.axes[0].get_xlim()]
    ('loss', [0.5, 5.5])
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import bad_input
from sprint19_unet.estimation.scoring import mask_iou

SCREEN_INCHES = (12.8, 7.2)  # 1280×720 pixels at 100 dpi: a video call's shared screen
SCREEN_DPI = 100
FONT_SIZE = 12  # points; titles 13
SALT_COLOUR_MAP = "viridis"  # P(salt): dark blue = 0 (no salt), yellow = 1 (salt)
OUTLINE_COLOUR = (1.0, 0.25, 0.1)  # the predicted mask's outline, drawn over the image
CURVES = (("loss", "loss"), ("iou", "IoU (batches)"))


def picture_stack(array, shape: tuple, name: str) -> np.ndarray:
    """``array`` as ``shape`` (N, H, W), accepting a channel axis of 1; one clear error otherwise.

    Args:
        array: masks or probabilities, (N, H, W) or (N, H, W, 1).
        shape: the images' (N, H, W).
        name: the argument, for the error.

    Returns:
        The array reshaped to ``shape``.

    Example:
        >>> picture_stack(np.zeros((2, 4, 4, 1)), (2, 4, 4), "masks").shape
        (2, 4, 4)
    """
    array = np.asarray(array)
    if array.shape not in (tuple(shape), (*shape, 1)):
        raise bad_input(name, f"shape {array.shape}", f"one per image: {tuple(shape)} or {(*shape, 1)}",
                        "Pass the masks or probabilities of the same images, at the images' size.")
    return array.reshape(shape)


def outline(image, mask, colour=OUTLINE_COLOUR) -> np.ndarray:
    """An RGB picture of a grayscale image with the boundary pixels of ``mask`` in ``colour``.

    A boundary pixel is a mask pixel with a 4-neighbour outside the mask; the picture's edge is no boundary
    (a mask that runs off the picture stays open there, as the salt does).

    Args:
        image: (H, W) or (H, W, 1) in [0, 1].
        mask: (H, W) or (H, W, 1), nonzero = inside.
        colour: RGB of the outline.

    Returns:
        float (H, W, 3) in [0, 1].

    Example:
        >>> mask = np.zeros((3, 4)); mask[:, :2] = 1
        >>> outline(np.zeros((3, 4)), mask)[..., 0].tolist()
        [[0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    """
    gray = np.clip(np.asarray(image, "float64").reshape(np.shape(image)[:2]), 0, 1)
    inside = np.asarray(mask).reshape(gray.shape) > 0
    padded = np.pad(inside, 1, mode="edge")
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    rgb[inside & ~interior] = colour
    return rgb


class LearningFigure:
    """The live view's figure, built once and redrawn in place by :meth:`update`.

    Args:
        images: a few model-ready images (N, H, W, C) in [0, 1] (channel 0 is drawn).
        masks: their true masks (N, H, W, 1), binary.
        planned_epochs: the x-range of the curves (1 … planned_epochs).
        threshold: binarisation of the probabilities for the outline and the IoU.
        title: the figure's title; ``{epoch}`` and ``{planned}`` are filled in by :meth:`update`.

    Example:
        >>> view = LearningFigure(np.zeros((1, 8, 8, 1)), np.ones((1, 8, 8, 1)), planned_epochs=3)
        >>> [axis.get_title() for axis in view.figure.axes[2:6]]
        ['image', 'truth (yellow = salt)', 'P(salt)', 'prediction > 0.5\\nIoU –']
    """

    def __init__(self, images, masks, planned_epochs: int, threshold: float = 0.5,
                 title: str = "epoch {epoch} of {planned}"):
        import matplotlib  # on first use: `import sprint19_unet` needs no matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.images = np.asarray(images, "float32")[..., 0]
        self.masks = picture_stack(masks, self.images.shape, "masks")
        self.planned_epochs, self.threshold, self.title = int(planned_epochs), float(threshold), title
        self._background = None  # the figure without what update() changes, once drawn
        self._loss_top = None
        # axes.titley fixed: titles are not moved above tick labels at every draw (a third of a redraw's time)
        with matplotlib.rc_context({"font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 1, "axes.titley": 1.0}):
            # Not a pyplot figure: no window of its own, nothing left open; displays draw it themselves.
            self.figure = Figure(figsize=SCREEN_INCHES, dpi=SCREEN_DPI, layout="constrained")
            _incremental_canvas()(self.figure).redraw = self._redraw_what_changed
            left, right = self.figure.add_gridspec(1, 2, width_ratios=(1, 2.2))
            self._curves = self._draw_curve_panels(left)
            self._pictures = self._draw_picture_panels(right)
            self._title = self.figure.suptitle(self.title.format(epoch=0, planned=self.planned_epochs),
                                               fontsize=FONT_SIZE + 3)
            FigureCanvasAgg.draw(self.figure.canvas)  # lay the panels out once, every title in place ...
        self.figure.set_layout_engine("none")  # ... and keep them there: a redraw then costs a third

    def _changing(self) -> list:
        """The artists update() changes: curves, probabilities, outlines, their titles, the figure's title."""
        pictures = [artist for probability, outlined, axis in self._pictures for artist in (probability, outlined, axis.title)]
        return [*self._curves.values(), *pictures, self._title]

    def _redraw_what_changed(self, canvas) -> None:
        """Draw only the changing artists over the rest, drawn once (a full draw when the loss axis changed)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        changing = self._changing()
        if self._background is None:
            for artist in changing:
                artist.set_visible(False)
            FigureCanvasAgg.draw(canvas)
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            for artist in changing:
                artist.set_visible(True)
        canvas.restore_region(self._background)
        for artist in changing:
            (artist.axes or self.figure).draw_artist(artist)

    def _draw_curve_panels(self, cell) -> dict:
        from matplotlib.ticker import MaxNLocator

        left = cell.subgridspec(len(CURVES), 1)
        lines = {}
        for row, (key, label) in enumerate(CURVES):
            axis = self.figure.add_subplot(left[row, 0])
            axis.set_title(label)
            axis.set_xlim(0.5, self.planned_epochs + 0.5)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
            axis.grid(alpha=0.3)
            lines[key] = axis.plot([], [], "o-", color="tab:blue", label="training")[0]
            lines[f"val_{key}"] = axis.plot([], [], "o-", color="tab:orange", label="validation")[0]
            axis.legend(loc="upper right" if key == "loss" else "lower right")
            if key == "iou":
                axis.set_ylim(0, 1)
        return lines

    def _draw_picture_panels(self, cell) -> list:
        rows = len(self.images)
        grid = cell.subgridspec(rows, 4)
        pictures = []
        names = ("image", "truth (yellow = salt)", "P(salt)", "")
        for row in range(rows):
            axes = [self.figure.add_subplot(grid[row, column]) for column in range(4)]
            for axis in axes:
                axis.set_axis_off()
            for axis, name in zip(axes, names if row == 0 else ("", "", "", "")):
                axis.set_title(name)
            axes[3].set_title(self._outline_title(row, "–"))  # the IoU fills it in
            axes[0].imshow(self.images[row], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axes[1].imshow(self.masks[row], cmap=SALT_COLOUR_MAP, vmin=0, vmax=1, interpolation="nearest")
            probability = axes[2].imshow(np.zeros_like(self.images[row]), cmap=SALT_COLOUR_MAP, vmin=0, vmax=1,
                                         interpolation="nearest")
            outlined = axes[3].imshow(outline(self.images[row], np.zeros_like(self.masks[row])), interpolation="nearest")
            pictures.append((probability, outlined, axes[3]))
        colour_bar = self.figure.colorbar(pictures[0][0], ax=[row[0].axes for row in pictures], shrink=0.8)
        colour_bar.set_label("P(salt)")
        return pictures

    def _outline_title(self, row: int, iou: str) -> str:
        return (f"prediction > {self.threshold:g}\n" if row == 0 else "") + f"IoU {iou}"

    def update(self, history: dict, probabilities, epoch: int | None = None):
        """Redraw with the history so far and the current probabilities; returns the figure.

        Args:
            history: lists per metric (``loss``, ``iou``, ``val_loss``, ``val_iou``; missing ones stay empty).
            probabilities: (N, H, W, 1) P(salt) for the images, in [0, 1].
            epoch: the epoch just finished (default: the length of ``history["loss"]``).

        Returns:
            The matplotlib Figure.
        """
        epoch = len(history.get("loss", [])) if epoch is None else epoch
        for key, line in self._curves.items():
            values = list(history.get(key, []))
            line.set_data(range(1, len(values) + 1), values)
            if key == "loss" and values:
                finite = [value for value in values + list(history.get("val_loss", [])) if np.isfinite(value)]
                top = 1.1 * max(finite) if finite else 1.0
                if self._loss_top is None or top > self._loss_top:  # new ticks: the next draw is a full one
                    self._loss_top, self._background = top, None
                    line.axes.set_ylim(0, top)
        probabilities = picture_stack(probabilities, self.images.shape, "probabilities").astype("float32")
        for row, (probability, outlined, axis) in enumerate(self._pictures):
            predicted = probabilities[row] > self.threshold
            probability.set_data(probabilities[row])
            outlined.set_data(outline(self.images[row], predicted))
            axis.title.set_text(self._outline_title(row, f"{mask_iou(self.masks[row], predicted):.2f}"))
        self._title.set_text(self.title.format(epoch=epoch, planned=self.planned_epochs))
        return self.figure


def _incremental_canvas():
    """An Agg canvas whose draw() calls ``redraw(canvas)``: a displayed figure redraws only what changed.

    ``savefig`` still draws everything (it calls the Agg canvas's own draw), so saving stays exact.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    class IncrementalCanvas(FigureCanvasAgg):
        redraw = None

        def draw(self):
            if self.redraw is None:
                super().draw()
            else:
                self.redraw(self)

    return IncrementalCanvas


def plot_learning(history: dict, images, masks, probabilities, planned_epochs: int | None = None,
                  threshold: float = 0.5, title: str = "epoch {epoch} of {planned}"):
    """The live view's figure, drawn once: learning curves and a few images with their predictions.

    Args:
        history: lists per metric, as :func:`sprint19_unet.training.fit.train` returns.
        images, masks: a few images (N, H, W, C) and their true masks.
        probabilities: the model's P(salt) for them, (N, H, W, 1).
        planned_epochs: the curves' x-range (default: the epochs in ``history``).
        threshold: binarisation for the outline and the IoU.
        title: the figure's title (``{epoch}``, ``{planned}`` filled in).

    Returns:
        A matplotlib Figure.

    Example:
        >>> figure = plot_learning({"loss": [0.6, 0.4]}, np.zeros((1, 8, 8, 1)), np.zeros((1, 8, 8, 1)),
        ...                        np.zeros((1, 8, 8, 1)))
        >>> figure.get_suptitle()
        'epoch 2 of 2'
    """
    planned = planned_epochs or max(1, len(history.get("loss", [])))
    return LearningFigure(images, masks, planned, threshold, title).update(history, probabilities)
