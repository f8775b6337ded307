"""One input spec for training and prediction: tiles at native resolution, mirror padding, scale."""

import json

import numpy as np
import pytest

from sprint19_unet.training.batches import SegmentationBatches
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.estimation.files import trained_scale
from sprint19_unet.data.input_spec import InputSpec
from sprint19_unet.unet.model import build_unet
from sprint19_unet.estimation.predict import predict_probabilities
from sprint19_unet.data.prepare import resize_images
from sprint19_unet.training.fit import build_and_compile

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral


def position_image(height, width):
    """Every pixel holds its own index, so a tile tells where it was cut."""
    return np.arange(height * width, dtype=np.float64).reshape(1, height, width, 1)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"input_size": 96, "depth": 3},
        {"input_size": 300, "padding": "valid"},
        {"input_size": 140, "padding": "valid", "depth": 2, "scale": 0.5},
    ],
)
def test_training_and_prediction_agree_on_the_spec(changes):
    config = TrainConfig(base_filters=2, **changes)
    model = build_and_compile(config, channels=1)
    assert InputSpec.for_model(model, config.scale) == InputSpec.from_config(config)


def test_size_free_models_have_one_tile_rounded_to_the_downsampling():
    spec = InputSpec.for_model(build_unet((None, None, 1), base_filters=2, depth=3))
    assert (spec.input_size, spec.pool_factor) == (None, 8)
    assert spec.fits_one_tile(1000, 7) and spec.one_tile_size(101, 30) == (104, 32)


def test_grid_tiles_cover_a_large_image_at_native_resolution():
    spec = InputSpec(input_size=32, output_size=32)
    image = position_image(80, 70)
    masks = (image % 3 == 0).astype(np.uint8)
    tiles, mask_tiles = spec.grid_tiles(image, masks)
    corners = spec.grid_corners(80, 70)
    assert corners == [(top, left) for top in (0, 32, 48) for left in (0, 32, 38)]
    assert len(tiles) == spec.tiles_per_image(80, 70) == 9 and tiles.shape[1:] == (32, 32, 1)
    stitched = np.full((80, 70), -1.0)
    for tile, (top, left) in zip(tiles, corners):
        stitched[top : top + 32, left : left + 32] = tile[..., 0]
    np.testing.assert_array_equal(stitched, image[0, ..., 0])  # no resizing: every pixel as it was
    np.testing.assert_array_equal(mask_tiles[0, ..., 0], masks[0, :32, :32, 0])


def test_valid_padding_tiles_are_output_windows_with_a_mirrored_margin():
    spec = InputSpec(input_size=60, output_size=20)  # margin 20
    image = position_image(50, 50)
    tiles, mask_tiles = spec.grid_tiles(image, image.astype(np.uint8) * 0 + (image % 2 == 0))
    assert spec.margin == 20 and tiles.shape[1:] == (60, 60, 1) and mask_tiles.shape[1:] == (20, 20, 1)
    for tile, mask_tile, (top, left) in zip(tiles, mask_tiles, spec.grid_corners(50, 50)):
        window = image[0, top : top + 20, left : left + 20, 0]
        np.testing.assert_array_equal(tile[20:40, 20:40, 0], window)  # the centre is the output window
        np.testing.assert_array_equal(mask_tile[..., 0], window % 2 == 0)
    # the margin mirrors the image (d c b | a b c d): left of column 0 come columns 1, 2, …
    np.testing.assert_array_equal(tiles[0, 20, 19::-1, 0][:3], image[0, 0, 1:4, 0])


def test_small_images_are_mirrored_out_to_one_tile_as_before():
    spec = InputSpec(128, 128, 16)
    assert spec.fits_one_tile(101, 101) and spec.tiles_per_image(101, 101) == 1
    assert spec.tile_padding(101, 101) == ((13, 14), (13, 14))


def test_batches_cut_random_tiles_from_images_held_once():
    spec = InputSpec(input_size=40, output_size=24)  # a 'valid'-like spec: margin 8
    image = position_image(64, 64)
    mask = (image % 5 == 0).astype(np.uint8)
    batches = SegmentationBatches(np.repeat(image, 2, 0), np.repeat(mask, 2, 0), batch_size=4, spec=spec, seed=3)
    assert batches.samples_per_epoch == 2 * spec.tiles_per_image(64, 64) == 18 and len(batches) == 5
    x, y = batches[0]
    assert x.shape == (4, 40, 40, 1) and y.shape == (4, 24, 24, 1)
    for tile, mask_tile in zip(x, y):
        top, left = np.argwhere(image[0, ..., 0] == tile[8, 8, 0])[0]  # where the output window starts
        window = image[0, top : top + 24, left : left + 24, 0]
        np.testing.assert_array_equal(tile[8:32, 8:32, 0], window)  # native resolution, no resize
        np.testing.assert_array_equal(mask_tile[..., 0], window % 5 == 0)  # masks cut at the same place
    np.testing.assert_array_equal(batches[0][0], x)  # a pure function of (seed, epoch, batch)
    batches.set_epoch(1)
    assert not np.array_equal(batches[0][0], x)


def test_samples_per_epoch_repeats_images_in_new_orders():
    images = np.zeros((3, 8, 8, 1))
    batches = SegmentationBatches(images, images, batch_size=2, samples_per_epoch=7, seed=0)
    order = batches.sample_order(0)
    assert len(order) == 7 and len(batches) == 4
    assert sorted(order[:3]) == [0, 1, 2] and sorted(order[3:6]) == [0, 1, 2]
    with pytest.raises(Sprint19Error, match="samples_per_epoch"):
        SegmentationBatches(images, images, samples_per_epoch=0)


def test_prediction_at_a_trained_scale_resizes_there_and_back():
    model = build_unet((32, 32, 1), base_filters=2, depth=2)
    images = np.random.default_rng(0).random((2, 64, 48, 1)).astype("float32")
    probabilities = predict_probabilities(model, images, scale=0.5)
    assert probabilities.shape == (2, 64, 48, 1)
    half = resize_images(images, (32, 24))
    by_hand = resize_images(predict_probabilities(model, half), (64, 48))
    np.testing.assert_allclose(probabilities, by_hand, atol=1e-6)


def test_trained_scale_comes_from_the_runs_config(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert trained_scale(run / "model.keras") == 1.0  # no config.json beside it: native resolution
    (run / "config.json").write_text(json.dumps({"scale": 0.5}))
    assert trained_scale(run / "model.keras") == 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_size": 0, "output_size": 0}, "input_size"),
        ({"input_size": 32, "output_size": 40}, "output_size"),
        ({"input_size": 32, "output_size": 31}, "output_size"),
        ({"input_size": 32, "output_size": 32, "scale": 0}, "scale"),
        ({"input_size": 32, "output_size": 32, "scale": float("nan")}, "scale"),
    ],
)
def test_bad_specs_are_refused(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        InputSpec(**kwargs)
    with pytest.raises(Sprint19Error, match="scale"):
        TrainConfig(scale=-1.0)
