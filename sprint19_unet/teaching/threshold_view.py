"""A threshold you can move: the masks and Kaggle scores of a few images at chosen thresholds.

:func:`plot_thresholds` draws them at fixed thresholds (what a terminal, nbval and a printed
notebook see); :func:`threshold_slider` adds an ipywidgets slider that redraws them at any threshold.
ipywidgets comes with the ``notebooks`` extra (``pip install -e ".[notebooks]"``) and is imported only
inside :func:`threshold_slider`, never by ``import sprint19_unet``.

Example:
    >>> import numpy as np
    >>> figure = plot_thresholds(np.zeros((1, 8, 8, 1)), np.zeros((1, 8, 8, 1)), np.full((1, 8, 8, 1), 0.4))
    >>> [axis.get_title() for axis in figure.axes]
    ['image', 'truth (white = salt)', '> 0.3\\nscore 0.0', '> 0.5\\nscore 1.0', '> 0.7\\nscore 1.0']
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.estimation.scoring import kaggle_tgs_image_scores
from sprint19_unet.teaching.learning_view import picture_stack

THRESHOLDS = (0.3, 0.5, 0.7)


def plot_thresholds(images, masks, probabilities, thresholds=THRESHOLDS):
    """One row per image: the image, its truth, and the mask at each threshold with its Kaggle score.

    Args:
        images: (N, H, W, C) in [0, 1] (channel 0 drawn); masks: their true masks (N, H, W, 1).
        probabilities: the model's P(salt), (N, H, W, 1).
        thresholds: the columns; a pixel is salt when its probability is above the threshold.

    Returns:
        A matplotlib Figure; the suptitle gives each threshold's mean score over the images shown.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)[..., 0]
    truth, probabilities = picture_stack(masks, images.shape, "masks"), picture_stack(probabilities, images.shape, "probabilities")
    scores = {t: kaggle_tgs_image_scores(truth, probabilities > t) for t in thresholds}
    columns = 2 + len(thresholds)
    figure, axes = plt.subplots(len(images), columns, figsize=(2.1 * columns, 2.1 * len(images) + 0.5), squeeze=False)
    for row in range(len(images)):
        pictures = [(images[row], "image"), (truth[row], "truth (white = salt)")]
        pictures += [(probabilities[row] > t, f"> {t:g}\nscore {scores[t][row]:.1f}") for t in thresholds]
        for axis, (picture, title) in zip(axes[row], pictures):
            axis.imshow(picture, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axis.set_title(title if row == 0 or "\n" in title else "")
            axis.set_axis_off()
    figure.suptitle("Kaggle score, mean of these images: " +
                    ", ".join(f"{scores[t].mean():.2f} at > {t:g}" for t in thresholds))
    figure.tight_layout()
    return figure


def threshold_slider(images, masks, probabilities, start: float = 0.5):
    """A slider (ipywidgets) that redraws :func:`plot_thresholds` at the threshold it is set to.

    Args:
        images, masks, probabilities: as for :func:`plot_thresholds`.
        start: the slider's first position.

    Returns:
        The ipywidgets widget (a notebook shows it when it is the cell's value), or None — with one
        line saying how to install ipywidgets — where it is not installed.
    """
    try:
        import ipywidgets
    except ImportError:
        print('no slider: ipywidgets is not installed here (pip install -e ".[notebooks]", or pip install ipywidgets)')
        return None
    import matplotlib.pyplot as plt
    from IPython.display import display

    def redraw(threshold):
        figure = plot_thresholds(images, masks, probabilities, (threshold,))
        display(figure)
        plt.close(figure)

    slider = ipywidgets.FloatSlider(value=start, min=0.05, max=0.95, step=0.05, description="threshold",
                                    continuous_update=False)
    return ipywidgets.interactive(redraw, threshold=slider)
