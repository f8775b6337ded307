"""What each level sees (teaching/levels.py): the levels by name, their maps, the copy dropped."""

import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.teaching.levels import (
    level_outputs, plot_copy_and_crop_effect, plot_levels, unet_levels, without_copy_and_crop,
)
from sprint19_unet.unet.model import build_unet

pytestmark = pytest.mark.backend_neutral


def _unet(depth=2, size=32, **options):
    return build_unet((size, size, 1), base_filters=4, depth=depth, **options)


def test_levels_follow_the_paper_down_and_back_up_on_our_unet_and_the_paper_size_one():
    assert unet_levels(_unet(3, batch_norm=True)) == [
        ("contracting block 1", "contracting1_relu2"), ("contracting block 2", "contracting2_relu2"),
        ("contracting block 3", "contracting3_relu2"), ("bottleneck", "bottleneck_relu2"),
        ("expanding block 3", "expanding3_relu2"), ("expanding block 2", "expanding2_relu2"),
        ("expanding block 1", "expanding1_relu2")]
    valid = build_unet((92, 92, 1), base_filters=2, depth=2, padding="valid")  # the paper's 'valid' convolutions
    shapes = {label: array.shape for label, array in level_outputs(valid, np.zeros((92, 92, 1))).items()}
    assert shapes == {"contracting block 1": (88, 88, 2), "contracting block 2": (40, 40, 4), "bottleneck": (16, 16, 8),
                      "expanding block 2": (28, 28, 4), "expanding block 1": (52, 52, 2)}


def test_the_levels_figure_has_one_row_per_level_labelled_with_size_and_receptive_field():
    figure = plot_levels(_unet(2, size=64), np.random.default_rng(0).random((64, 64, 1)), channels=3)
    labels = [axis.get_ylabel() for axis in figure.axes[::4]]  # receptive fields as in test_receptive_field
    assert labels == ["contracting block 1\n64×64×4\nsees 5 px (cyan)", "contracting block 2\n32×32×8\nsees 14 px (cyan)",
                      "bottleneck\n16×16×16\nsees 32 px (cyan)", "expanding block 2\n32×32×8\nsees 40 px (cyan)",
                      "expanding block 1\n64×64×4\nsees 44 px (cyan)"]
    assert len(figure.axes) == 5 * 4 and all(axis.get_title().startswith("channel ") for axis in figure.axes[1:4])


def test_dropping_a_copy_is_zeroing_the_weights_that_read_it():
    # Independent reference: the same U-Net whose first expanding conv has zero weights on the copied channels
    # (they come first in the concatenation) gives the output without the copy.
    model = _unet(2)
    image = np.random.default_rng(1).random((1, 32, 32, 1)).astype("float32")
    for level, copied in ((1, 4), (2, 8)):
        reference = build_unet((32, 32, 1), base_filters=4, depth=2)
        reference.set_weights(model.get_weights())
        kernel, bias = reference.get_layer(f"expanding{level}_conv1").get_weights()
        kernel[:, :, :copied, :] = 0
        reference.get_layer(f"expanding{level}_conv1").set_weights([kernel, bias])
        dropped = np.asarray(without_copy_and_crop(model, level).predict(image, verbose=0))
        np.testing.assert_allclose(dropped, np.asarray(reference.predict(image, verbose=0)), atol=1e-5)
        assert not np.allclose(dropped, np.asarray(model.predict(image, verbose=0)), atol=1e-5)
    np.testing.assert_allclose(np.asarray(model.predict(image, verbose=0)),  # the original is untouched
                               np.asarray(_copy_of(model).predict(image, verbose=0)), atol=1e-6)


def _copy_of(model):
    twin = build_unet((32, 32, 1), base_filters=4, depth=2)
    twin.set_weights(model.get_weights())
    return twin


def test_the_copy_effect_figure_shows_both_outputs_their_iou_and_the_difference():
    mask = np.zeros((32, 32, 1))
    mask[8:24, 8:24] = 1
    figure = plot_copy_and_crop_effect(_unet(2), mask * 0.8, mask, level=2)
    titles = [axis.get_title() for axis in figure.axes[:5]]
    assert titles[:2] == ["image", "truth"] and titles[4] == "|difference|"
    assert titles[2].startswith("full U-Net\nIoU ") and titles[3].startswith("without copy 2\nIoU ")
    assert figure.axes[5].get_ylabel() == "P(salt), |difference|"  # the colour bar


def test_models_and_levels_it_cannot_read_are_named():
    with pytest.raises(Sprint19Error, match=r"level: expected a level of this U-Net.*received 3"):
        without_copy_and_crop(_unet(2), 3)
    import keras

    plain = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    with pytest.raises(Sprint19Error, match="model: expected a U-Net built by build_unet or paper_unet"):
        unet_levels(plain)


@pytest.mark.slow
def test_on_the_paper_unet_each_level_has_the_size_of_figure_1():
    from sprint19_unet.unet.model import paper_unet

    model = paper_unet()
    shapes = {label: array.shape for label, array in level_outputs(model, np.zeros((572, 572, 1))).items()}
    assert shapes == {  # Figure 1: 568², 280², 136², 64² before each pooling; 28² at the bottom; 52² … 388² back up
        "contracting block 1": (568, 568, 64), "contracting block 2": (280, 280, 128),
        "contracting block 3": (136, 136, 256), "contracting block 4": (64, 64, 512), "bottleneck": (28, 28, 1024),
        "expanding block 4": (52, 52, 512), "expanding block 3": (100, 100, 256), "expanding block 2": (196, 196, 128),
        "expanding block 1": (388, 388, 64)}
    assert type(without_copy_and_crop(model, 4).get_layer("expanding4_copy_concat")).__name__ == "ZeroedCopyAndCrop"
