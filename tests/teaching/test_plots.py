"""The figures students look at (teaching/plots.py): panels, titles, curves and colours, drawn headless."""

import matplotlib
import numpy as np
import pytest

from sprint19_unet.teaching.plots import overlay, plot_ablation, plot_history, plot_predictions

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_plot_predictions_draws_one_row_per_example_with_the_columns_titled():
    images = np.linspace(0, 1, 5 * 8 * 8).reshape(5, 8, 8, 1)
    truth = (images > 0.5).astype("uint8")
    figure = plot_predictions(images, truth, 1 - truth, count=3)
    assert len(figure.axes) == 3 * 3
    assert [axis.get_title() for axis in figure.axes[:3]] == ["image", "truth", "prediction"]
    assert all(axis.get_title() == "" for axis in figure.axes[3:])  # titles on the first row only
    shown = figure.axes[1].images[0].get_array()
    np.testing.assert_array_equal(shown, truth[0, ..., 0])
    assert figure.axes[0].images[0].get_clim() == (0, 1)


def test_plot_predictions_without_truth_leaves_the_column_out_and_scales_labels():
    labels = np.arange(2 * 4 * 4).reshape(2, 4, 4, 1) % 3  # three classes
    figure = plot_predictions(np.zeros((2, 4, 4, 1)), None, labels, count=5)
    assert len(figure.axes) == 2 * 2  # rows = the examples there are, not `count`
    assert [axis.get_title() for axis in figure.axes[:2]] == ["image", "prediction"]
    assert figure.axes[1].images[0].get_clim() == (0, 2)  # the largest label is white


def test_plot_history_draws_train_and_validation_curves_of_each_key_present():
    history = {"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.5], "iou": [0.2, 0.5, 0.6]}
    figure = plot_history(history)  # tgs_score is missing: skipped
    assert [axis.get_title() for axis in figure.axes] == ["loss", "iou"]
    loss_lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in loss_lines] == ["train", "validation"]
    assert list(loss_lines[1].get_ydata()) == [1.0, 0.6, 0.5] and list(loss_lines[0].get_xdata()) == [1, 2, 3]
    assert [line.get_label() for line in figure.axes[1].get_lines()] == ["train"]


def test_plot_ablation_draws_a_bar_per_row_and_the_papers_line():
    rows = [{"row": "all", "test": {"pixel_error": 0.06, "rand_error": 0.12}},
            {"row": "no elastic", "test": {"pixel_error": 0.05, "rand_error": 0.07}}]
    figure = plot_ablation({"rows": rows, "minutes": 8}, paper={"pixel_error": 0.0611, "rand_error": 0.0382})
    pixel, rand = figure.axes
    assert [bar.get_width() for bar in rand.patches] == [0.12, 0.07]
    assert [label.get_text() for label in pixel.get_yticklabels()] == ["all", "no elastic"]
    assert "dashed: paper, Table 1 (0.0382)" in rand.get_xlabel()
    assert any(line.get_xdata()[0] == 0.0611 for line in pixel.get_lines())


def test_overlay_tints_only_the_mask_and_keeps_the_rest():
    image = np.full((2, 2, 1), 0.5)
    mask = np.array([[1, 0], [0, 0]])
    picture = overlay(image, mask, color=(1.0, 0.0, 0.0), alpha=0.5)
    assert picture.shape == (2, 2, 3) and picture.min() >= 0 and picture.max() <= 1
    np.testing.assert_allclose(picture[0, 0], [0.75, 0.25, 0.25])
    np.testing.assert_allclose(picture[1, 1], [0.5, 0.5, 0.5])
