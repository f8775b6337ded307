"""Training: a smoke run writes a loadable run directory; a killed run resumes with its history."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.data.datasets import load_dataset
from sprint19_unet.data.weight_map import class_balance_weights
from sprint19_unet.training import fit as training
from sprint19_unet.training import metrics
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.fit import split_data, train
from sprint19_unet.training.sanity import (
    AllBlackWarning,
    check_training_masks,
    overfit_one_batch,
    predict_nothing_score,
)

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral


TINY = {"num_samples": 40, "base_filters": 4, "depth": 2, "batch_size": 8, "augment": False}


@pytest.mark.slow
def test_smoke_run_writes_a_loadable_run_directory(tmp_path):
    config = TrainConfig(epochs=2, output_dir=str(tmp_path / "run"), **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)  # two tiny epochs do not beat the baseline
        model, history = train(config, verbose=0)
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "history.csv", "model.keras", "resume"]
    assert history["epoch"] == [1, 2] and len(history["val_tgs_score"]) == 2
    assert TrainConfig.from_json(run / "config.json") == config
    lines = (run / "history.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,") and len(lines) == 3
    loaded = keras.models.load_model(run / "model.keras")  # no custom_objects needed
    x = np.zeros((1, 128, 128, 1), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    state = json.loads((run / "resume" / "state.json").read_text())
    assert state["epoch"] == 2 and (run / "resume" / state["checkpoint"]).is_file()
    assert len(list((run / "resume").glob("*.keras"))) == 1  # the previous epoch's checkpoint was removed


@pytest.mark.slow
def test_a_loss_with_options_trains_and_its_options_are_saved_with_the_config_and_the_model(tmp_path):
    config = TrainConfig(epochs=1, loss="tversky", loss_options={"alpha": 0.7, "beta": 0.3},
                         output_dir=str(tmp_path / "run"), **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        train(config, verbose=0)
    saved = TrainConfig.from_json(tmp_path / "run" / "config.json")
    assert saved == config and saved.loss_options == {"alpha": 0.7, "beta": 0.3}
    loss = keras.models.load_model(tmp_path / "run" / "model.keras").loss
    assert type(loss).__name__ == "TverskyLoss" and (loss.get_config()["alpha"], loss.get_config()["beta"]) == (0.7, 0.3)


@pytest.mark.slow
def test_an_existing_run_is_not_overwritten(tmp_path):
    config = TrainConfig(epochs=1, output_dir=str(tmp_path / "run"), **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        train(config, verbose=0)
        with pytest.raises(Sprint19Error, match=r"already holds a run \(1 epochs done\).*--resume"):
            train(config, verbose=0)
        with pytest.raises(Sprint19Error, match=r"changed settings base_filters=8 \(was 4\)"):
            train(config.replace(base_filters=8), resume=True, verbose=0)
        model, history = train(config.replace(epochs=2), resume=True, verbose=0)
    assert history["epoch"] == [1, 2]


@pytest.mark.slow
def test_same_seed_same_training_on_cpu(tmp_path):
    histories = []
    for name in ("a", "b"):
        config = TrainConfig(epochs=1, output_dir=str(tmp_path / name), **{**TINY, "augment": True})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AllBlackWarning)
            histories.append(train(config, verbose=0)[1])
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["val_loss"] == histories[1]["val_loss"]


def test_split_is_stratified_deterministic_and_sized_for_the_model():
    config = TrainConfig(num_samples=50)
    data = load_dataset("synthetic", num_samples=50)
    x_train, y_train, x_val, y_val, val_index = split_data(config, data)
    assert x_train.shape[1:] == (128, 128, 1) and y_val.shape[1:] == (128, 128, 1)
    assert len(x_train) + len(x_val) == 50 and 8 <= len(x_val) <= 12
    np.testing.assert_array_equal(split_data(config, data)[4], val_index)
    valid = config.replace(padding="valid", input_size=300)
    assert split_data(valid, data)[1].shape[1:] == (116, 116, 1)  # 300 → 116 output


@pytest.mark.slow
def test_weight_map_loss_trains_and_the_metrics_stay_unweighted(tmp_path, monkeypatch):
    seen = {}

    class RecordingBatches(training.WeightMapBatches):
        def __init__(self, *args, **kwargs):
            seen.update(kwargs, masks=args[1])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(training, "WeightMapBatches", RecordingBatches)
    config = TrainConfig(epochs=1, loss="weighted_cce", output_dir=str(tmp_path / "run"), **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        model, history = train(config, verbose=0)
    assert np.isfinite(history["loss"][0])
    # w_c is balanced over the whole training set (the paper), not image by image
    assert seen["class_weights"] == pytest.approx(class_balance_weights(seen["masks"]))
    # the monitored metrics are the plain ones: weight maps weight the loss only
    _, _, x_val, y_val, _ = split_data(config, load_dataset("synthetic", num_samples=TINY["num_samples"]))
    predicted = model.predict(x_val, verbose=0)
    iou = np.mean(keras.ops.convert_to_numpy(metrics.iou_score(y_val, predicted)))
    tgs = np.mean(keras.ops.convert_to_numpy(metrics.tgs_image_score(y_val, predicted)))
    assert history["val_iou"][0] == pytest.approx(iou, abs=1e-5)
    assert history["val_tgs_score"][0] == pytest.approx(tgs, abs=1e-5)


def test_weight_map_batches_balance_with_the_weights_they_are_given():
    masks = np.zeros((4, 16, 16, 1), np.uint8)
    masks[0, 0, 0] = 1  # one salt pixel: balanced on this image alone, background would weigh 2/256
    masks[1:, :8] = 1
    images = np.zeros(masks.shape, np.float32)
    config = TrainConfig(loss="weighted_cce")
    over_set = training.training_class_weights(config, masks)
    assert over_set == pytest.approx(class_balance_weights(masks))
    weights = training.WeightMapBatches(images, masks, batch_size=4, shuffle=False, class_weights=over_set)[0][2]
    assert weights[0, 10, 10] == pytest.approx(over_set[0]) and over_set[0] > 0.5
    assert training.training_class_weights(config.replace(class_balance="image"), masks) == "balanced"
    assert training.training_class_weights(config.replace(class_balance="none"), masks) is None


@pytest.mark.slow
def test_multi_class_training_on_shapes(tmp_path):
    config = TrainConfig(
        data="shapes", num_classes=5, loss="sparse_cce", epochs=1, output_dir=str(tmp_path / "run"), **TINY
    )
    model, history = train(config, verbose=0)
    assert model.output_shape == (None, 128, 128, 5) and "val_iou" in history


def test_all_empty_masks_warn():
    with pytest.warns(AllBlackWarning, match="0.00% foreground"):
        check_training_masks(np.zeros((4, 8, 8, 1)))


def test_predict_nothing_baseline_is_the_empty_fraction():
    masks = np.zeros((4, 8, 8, 1), "uint8")
    masks[:1, 2:4, 2:4] = 1
    assert predict_nothing_score(masks) == 0.75


@pytest.mark.slow
def test_overfit_one_batch_smoke_check():
    from sprint19_unet.unet.model import build_unet

    keras.utils.set_random_seed(0)
    model = build_unet((32, 32, 1), base_filters=8, depth=2)
    model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((4, 32, 32, 1), dtype="float32")
    result = overfit_one_batch(model, x, (x > 0.5).astype("float32"), steps=80)
    assert result["ratio"] < 0.5


# === Kill and resume ===


def _cli_train(output_dir, epochs):
    return [
        sys.executable, "-m", "sprint19_unet", "train", "--data", "synthetic", "--num-samples", "40",
        "--base-filters", "4", "--depth", "2", "--batch-size", "8", "--no-augment",
        "--epochs", str(epochs), "--output-dir", str(output_dir),
    ]


@pytest.mark.skipif(keras.backend.backend() == "tensorflow",
                    reason="on TensorFlow tests/training/test_fit_kill_resume.py kills and resumes in depth; this short version "
                           "runs in the JAX and PyTorch steps")
def test_kill_during_training_then_resume_keeps_history(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(_cli_train(run, 8), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state_path = run / "resume" / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if state_path.exists() and json.loads(state_path.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = json.loads(state_path.read_text())
    done = before["epoch"]
    assert 2 <= done < 8, "the run should have been killed in the middle"
    keras.models.load_model(run / "model.keras")  # the best model is complete

    result = subprocess.run(_cli_train(run, 8) + ["--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    after = json.loads(state_path.read_text())
    assert [row["epoch"] for row in after["history"]] == list(range(1, 9))
    assert after["history"][:done] == before["history"]  # the same history, continued


@pytest.mark.slow
def test_a_trained_model_loads_in_a_fresh_process_after_importing_the_package(tmp_path):
    config = TrainConfig(epochs=1, output_dir=str(tmp_path / "run"), **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        train(config, verbose=0)
    code = f"import keras, sprint19_unet; m = keras.models.load_model({str(tmp_path / 'run' / 'model.keras')!r}); print(m.loss.name)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("bce_dice_loss")


def test_unlabelled_data_is_refused_clearly(tmp_path):
    from sprint19_unet.data.formats import SegmentationData

    images_only = SegmentationData(["a", "b"], np.zeros((2, 101, 101, 1), "float32"))
    with pytest.raises(Sprint19Error, match=r"data: expected labelled data; received images without masks"):
        train(TrainConfig(output_dir=str(tmp_path / "run"), **TINY), data=images_only, verbose=0)


@pytest.mark.slow
def test_the_papers_augmentation_trains(tmp_path, monkeypatch):
    from sprint19_unet.data.augment import AugmentConfig
    from sprint19_unet.training.batches import SegmentationBatches

    seen = []
    original = SegmentationBatches.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("augment"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(SegmentationBatches, "__init__", spy)
    config = TrainConfig(num_samples=12, epochs=1, base_filters=2, depth=1, input_size=104, batch_size=4,
                         augmentation="paper", output_dir=str(tmp_path / "run"))
    _, history = train(config, verbose=0)
    assert AugmentConfig.paper() in seen and len(history["loss"]) == 1
    assert TrainConfig.from_json(tmp_path / "run" / "config.json").augmentation == "paper"
