"""The live view's figure (teaching/learning_view.py): curves, pictures, colour bar, IoU titles, outline."""

import numpy as np
import pytest

from sprint19_unet.estimation.scoring import mask_iou
from sprint19_unet.teaching.learning_view import LearningFigure, outline, plot_learning


def _images_and_masks(count=3, size=16):
    rows = np.arange(size)[:, None]
    masks = np.stack([(rows < 4 * (index + 1)) & (np.arange(size) < 12) for index in range(count)])[..., None]
    images = (0.3 + 0.5 * masks).astype("float32")
    return images, masks.astype("uint8")


def _curves(figure):
    return {axis.get_title(): {line.get_label(): list(line.get_ydata()) for line in axis.get_lines()}
            for axis in figure.axes[:2]}


def test_the_figure_has_the_curves_the_pictures_and_a_colour_bar_for_the_probability():
    images, masks = _images_and_masks()
    history = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.6], "iou": [0.2, 0.6], "val_iou": [0.1, 0.5]}
    figure = plot_learning(history, images, masks, masks * 0.9, planned_epochs=10)
    assert _curves(figure) == {"loss": {"training": [0.9, 0.5], "validation": [1.0, 0.6]},
                               "IoU (batches)": {"training": [0.2, 0.6], "validation": [0.1, 0.5]}}
    assert [tuple(map(float, axis.get_xlim())) for axis in figure.axes[:2]] == [(0.5, 10.5)] * 2  # the plan
    pictures = figure.axes[2:2 + 4 * len(images)]
    assert [axis.get_title() for axis in pictures[:4]] == [
        "image", "truth (yellow = salt)", "P(salt)", "prediction > 0.5\nIoU 1.00"]
    assert [axis.get_title() for axis in pictures[7::4]] == ["IoU 1.00", "IoU 1.00"]
    colour_bars = [axis for axis in figure.axes if axis.get_ylabel() == "P(salt)"]
    assert len(colour_bars) == 1 and tuple(map(float, colour_bars[0].get_ylim())) == (0.0, 1.0)
    assert figure.get_suptitle() == "epoch 2 of 10"
    assert tuple(figure.get_size_inches() * figure.dpi) == (1280, 720)  # a shared screen


def test_each_image_is_titled_with_its_iou_at_the_threshold_and_the_view_redraws_in_place():
    images, masks = _images_and_masks(2)
    view = LearningFigure(images, masks, planned_epochs=4, threshold=0.3)
    axes_before = list(view.figure.axes)
    probabilities = np.zeros(masks.shape, "float32")
    probabilities[0, :2] = 0.4  # rows 0–1, all 16 columns: 32 pixels, 24 of them salt
    figure = view.update({"loss": [0.5]}, probabilities)
    expected = mask_iou(masks[0], probabilities[0] > 0.3)
    assert expected == pytest.approx(24 / (48 + 8))  # 24 shared pixels; 48 true + 8 predicted outside
    assert figure.axes[5].get_title() == f"prediction > 0.3\nIoU {expected:.2f}"
    assert figure.axes[9].get_title() == "IoU 0.00"  # image 1: nothing predicted where salt is
    view.update({"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]}, probabilities)
    assert view.figure.axes == axes_before  # no new panels: the same figure redrawn
    assert _curves(view.figure)["loss"] == {"training": [0.5, 0.4], "validation": [0.6, 0.5]}
    assert view.figure.get_suptitle() == "epoch 2 of 4"


def test_the_outline_marks_the_masks_boundary_but_not_the_pictures_edge():
    mask = np.zeros((5, 5))
    mask[1:4, 1:4] = 1  # a 3×3 square: its 8 border pixels are the outline, its centre is not
    marked = np.all(outline(np.zeros((5, 5)), mask) == (1.0, 0.25, 0.1), axis=-1)
    assert marked.sum() == 8 and not marked[2, 2]
    assert not outline(np.zeros((4, 4)), np.ones((4, 4))).any()  # salt everywhere: no boundary in view


def test_a_redraw_draws_only_what_changed_and_looks_like_a_full_drawing():
    import io

    from PIL import Image

    from sprint19_unet.teaching.live import figure_png

    images, masks = _images_and_masks(4)
    view = LearningFigure(images, masks, planned_epochs=8)
    history = {"loss": [], "val_loss": [], "iou": [], "val_iou": []}
    rng = np.random.default_rng(0)
    for epoch in range(4):
        for key in history:
            history[key].append(float(rng.random()) * (3 if epoch == 2 else 1))  # epoch 3: the loss axis grows
        view.update(history, rng.random(masks.shape))
        redrawn = np.asarray(Image.open(io.BytesIO(figure_png(view.figure))))  # the incremental draw
        buffer = io.BytesIO()
        view.figure.savefig(buffer, format="png", dpi=100)  # savefig draws everything
        full = np.asarray(Image.open(buffer))[..., :3]
        assert redrawn.shape == full.shape == (720, 1280, 3)
        # the curves are drawn last, over the legend and grid: a few pixels of overlap may differ
        assert (redrawn != full).any(axis=-1).sum() <= 50, epoch


def test_pictures_of_other_images_are_named_with_what_was_expected():
    from sprint19_unet import Sprint19Error
    from sprint19_unet.teaching.threshold_view import plot_thresholds

    images, masks = _images_and_masks(2)
    with pytest.raises(Sprint19Error, match=r"masks: expected one per image: \(2, 16, 16\) .*received shape \(3, 16, 16, 1\)"):
        LearningFigure(images, np.zeros((3, 16, 16, 1)), planned_epochs=2)
    view = LearningFigure(images, masks, planned_epochs=2)
    with pytest.raises(Sprint19Error, match=r"probabilities: expected one per image.*received shape \(2, 8, 8, 1\)"):
        view.update({"loss": [1.0]}, np.zeros((2, 8, 8, 1)))
    with pytest.raises(Sprint19Error, match=r"probabilities: expected one per image"):
        plot_thresholds(images, masks, np.zeros((2, 16, 16, 2)))
