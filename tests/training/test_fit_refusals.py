"""What training (training/fit.py) refuses, in one clear line through the API and the CLI: a model or
data it cannot use, sizes that cannot work, NaN pixels; and a NaN loss stops cleanly, keeping the last
good checkpoint. TensorFlow only (tests/training/test_fit.py runs on every backend)."""

import warnings

import keras
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from fit_helpers import PoisonWeightsAtEpoch
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.training.sanity import AllBlackWarning


# === Models ===


def test_model_file_that_is_not_a_model(tmp_path, sample):
    fake = tmp_path / "model.keras"
    fake.write_text("this is not a model")
    with pytest.raises(Sprint19Error, match=r"model '.*model\.keras': expected a \.keras model file; received a file that is not a \.keras archive"):
        s19.load_model(fake)
    assert_one_line_error(run_cli("evaluate", "--model", fake, "--data", sample), r"not a \.keras archive")


def test_model_of_the_wrong_input_channels(tmp_path, sample):
    rgb_model = s19.build_unet((64, 64, 3), base_filters=2, depth=2)
    rgb_model.save(tmp_path / "rgb.keras")
    pattern = r"images: expected 3 channel\(s\), as the model was trained on; received 1"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.predict_masks(rgb_model, np.zeros((1, 101, 101, 1), "float32"))
    out = tmp_path / "submission.csv"
    assert_one_line_error(run_cli("predict", "--model", tmp_path / "rgb.keras", "--data", sample, "--out", out), pattern)
    assert not out.exists()


def test_impossible_input_size(tmp_path):
    pattern = r"input size 101: expected a multiple of 2\*\*depth = 16 .*Nearest valid sizes: 96 or 112"
    with pytest.raises(Sprint19Error, match="input_shape height: " + pattern):
        s19.build_unet((101, 101, 1))
    with pytest.raises(Sprint19Error, match="config field 'input_size': " + pattern):
        s19.TrainConfig(input_size=101)
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--input-size", "101", "--num-samples", "8", "--output-dir", run_dir), pattern)
    assert not run_dir.exists()


def test_batch_size_larger_than_the_data(tmp_path):
    pattern = r"batch_size: expected at most \d+; received 64 for \d+ training tiles per epoch"
    config = s19.TrainConfig(num_samples=20, batch_size=64, output_dir=str(tmp_path / "api"))
    with pytest.raises(Sprint19Error, match=pattern):
        s19.train(config, verbose=0)
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--num-samples", "20", "--batch-size", "64", "--output-dir", run_dir), pattern)
    assert not run_dir.exists() and not (tmp_path / "api").exists()


def test_nan_pixels_are_refused_before_training_and_prediction(tmp_path):
    images, masks, _ = s19.make_salt_dataset(12, seed=0)
    images = images.astype("float32")
    images[3, 10, 20, 0] = np.nan
    images[5, 0, 0, 0] = np.inf
    data = s19.SegmentationData([f"id{i}" for i in range(12)], images, masks)
    pattern = r"data\.images: expected finite values; received 1 NaN and 1 infinite values \(the first at index \(3, 10, 20, 0\)\)\. Replace them"
    config = s19.TrainConfig(num_samples=12, batch_size=4, base_filters=4, depth=2, input_size=32,
                             output_dir=str(tmp_path / "run"))
    with pytest.raises(Sprint19Error, match=pattern):
        s19.train(config, data, verbose=0)
    assert not (tmp_path / "run").exists()
    model = s19.build_unet((32, 32, 1), base_filters=2, depth=2)
    with pytest.raises(Sprint19Error, match=r"^images: expected finite values; received 1 NaN and 1 infinite"):
        s19.predict_masks(model, images[:, :32, :32])


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("scale", 0.0, r"config field 'scale': expected a number in \(0, 4\]; received 0\.0"),
        ("scale", float("nan"), r"config field 'scale'"),
        ("tiles_per_epoch", 0, r"config field 'tiles_per_epoch': expected None or an integer in \[1, 1,000,000\]"),
        ("border_class", 3, r"config field 'border_class': expected a class id below num_classes; received 3"),
        ("class_balance", "pixel", r"config field 'class_balance': expected 'dataset', 'image' or 'none'"),
    ],
)
def test_bad_tile_and_weight_map_settings(field, value, pattern):
    with pytest.raises(Sprint19Error, match=pattern):
        s19.TrainConfig(**{field: value})


def test_bad_scale_on_the_command_line_and_unlabelled_evaluation(tmp_path):
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--scale", "0", "--output-dir", run_dir), r"config field 'scale'")
    assert not run_dir.exists()
    images = tmp_path / "unlabelled" / "images"
    images.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    model = tmp_path / "model.keras"
    s19.build_unet((8, 8, 1), base_filters=2, depth=1).save(model)
    pattern = r"data '.*unlabelled': expected labelled images: a masks/ folder .*; received image folders without masks"
    assert_one_line_error(run_cli("evaluate", "--model", model, "--data", tmp_path / "unlabelled"), pattern)


def test_config_file_with_an_unknown_field(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"epochs": 2, "learning_rte": 0.01}')
    pattern = r"config file '.*config\.json': field 'learning_rte': .*Did you mean 'learning_rate'\?"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.TrainConfig.from_json(config)
    assert_one_line_error(run_cli("train", "--config", config, "--output-dir", tmp_path / "run"), pattern)


# === NaN in the loss: stop cleanly, keep the last good checkpoint ===


@pytest.mark.slow
def test_nan_loss_stops_cleanly_and_keeps_the_last_good_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    config = s19.TrainConfig(
        num_samples=24, batch_size=8, epochs=4, base_filters=2, depth=2, augment=False, output_dir=str(run_dir)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        with pytest.raises(Sprint19Error, match=r"loss: expected finite values; received NaN or Inf in epoch 2, so training stopped\. The last good checkpoint \(epoch 1\) is kept"):
            s19.train(config, callbacks=[PoisonWeightsAtEpoch(1)], verbose=0)
    from sprint19_unet.training.checkpoints import RunDirectory

    state = RunDirectory(run_dir).load_state()
    assert state["epoch"] == 1
    model = keras.models.load_model(run_dir / "model.keras")
    assert all(np.isfinite(w).all() for w in model.get_weights())
