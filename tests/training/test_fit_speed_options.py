"""Speed options: mixed precision keeps a float32 output, XLA, workers and distribute reach training."""

import importlib
import warnings

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.cli import _config_from_args, build_parser
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.sanity import AllBlackWarning
from sprint19_unet.training.fit import build_and_compile, train

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

train_module = importlib.import_module("sprint19_unet.training.fit")  # the module (the package exports the function as `train`)
SMALL_MODEL = {"input_size": 32, "base_filters": 4, "depth": 2}


# === Mixed precision ===


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "compute_dtype"), [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
@pytest.mark.parametrize("num_classes, loss", [(1, "bce_dice"), (3, "sparse_cce")])
def test_mixed_precision_computes_in_half_and_outputs_float32(policy, compute_dtype, num_classes, loss):
    config = TrainConfig(mixed_precision=policy, num_classes=num_classes, loss=loss, **SMALL_MODEL)
    model = build_and_compile(config, channels=1, input_stats=(0.5, 0.2))
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored after building
    conv = model.get_layer("contracting1_conv1")
    assert conv.compute_dtype == compute_dtype and conv.variable_dtype == "float32"
    head = model.layers[-1]
    assert isinstance(head, keras.layers.Activation) and head.name.startswith("output_")
    assert head.compute_dtype == "float32"
    assert model.get_layer("output_conv1x1").compute_dtype == compute_dtype  # the 1×1 conv runs in half precision
    assert keras.backend.standardize_dtype(model.output.dtype) == "float32"
    x = np.random.default_rng(0).random((2, 32, 32, 1), dtype="float32")
    prediction = model.predict(x, verbose=0)
    assert prediction.dtype == np.float32 and np.all(np.isfinite(prediction))
    y = (x > 0.5).astype("float32") if num_classes == 1 else np.digitize(x, [0.33, 0.66]).astype("float32")
    loss_value = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert np.isfinite(loss_value)


def test_mixed_float16_scales_the_loss_and_float32_does_not():
    scaled = build_and_compile(TrainConfig(mixed_precision="mixed_float16", **SMALL_MODEL), channels=1)
    plain = build_and_compile(TrainConfig(**SMALL_MODEL), channels=1)
    assert isinstance(scaled.optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(plain.optimizer, keras.optimizers.LossScaleOptimizer)


# === Config fields and CLI flags ===


def test_speed_fields_round_trip_and_are_validated(tmp_path):
    config = TrainConfig(workers=4, distribute=True, jit_compile=True, mixed_precision="mixed_bfloat16")
    assert TrainConfig.from_json(config.save(tmp_path / "config.json")) == config
    assert TrainConfig().workers == 1 and TrainConfig().distribute is False
    with pytest.raises(Sprint19Error, match=r"config field 'workers': expected an integer in \[1, 64\]; received 0"):
        TrainConfig(workers=0)
    with pytest.raises(Sprint19Error, match=r"field 'distribute': expected bool; received 'yes'"):
        TrainConfig.from_dict({"distribute": "yes"})


def test_train_command_speed_flags():
    args = build_parser().parse_args(
        ["train", "--workers", "3", "--jit-compile", "false", "--distribute", "--mixed-precision", "mixed_bfloat16",
         "--batch-size", "32"]
    )
    config = _config_from_args(args)
    assert (config.workers, config.jit_compile, config.distribute) == (3, False, True)
    assert (config.mixed_precision, config.batch_size) == ("mixed_bfloat16", 32)
    assert _config_from_args(build_parser().parse_args(["train", "--jit-compile", "True"])).jit_compile is True
    assert _config_from_args(build_parser().parse_args(["train", "--jit-compile", "auto"])).jit_compile == "auto"
    defaults = _config_from_args(build_parser().parse_args(["train"]))
    assert (defaults.workers, defaults.distribute, defaults.jit_compile) == (1, False, "auto")
    with pytest.raises(Sprint19Error, match=r"jit_compile.*received 'sometimes'"):
        _config_from_args(build_parser().parse_args(["train", "--jit-compile", "sometimes"]))


@pytest.mark.slow
def test_workers_reach_the_input_pipeline_and_jit_reaches_compile(tmp_path, monkeypatch):
    seen = {}

    class RecordingBatches(train_module.SegmentationBatches):
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(train_module, "SegmentationBatches", RecordingBatches)
    config = TrainConfig(num_samples=20, batch_size=8, epochs=1, workers=2, jit_compile=False, augment=True,
                         output_dir=str(tmp_path / "run"), **SMALL_MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        model, history = train(config, verbose=0)
    assert seen["workers"] == 2 and seen["drop_remainder"] is False
    assert np.isfinite(history["loss"][0])
    assert build_and_compile(config, channels=1).jit_compile is False


# === Eager execution for short runs ===


def test_auto_runs_eagerly_only_a_whole_run_of_at_most_twenty_steps():
    from sprint19_unet.training.fit import EAGER_STEPS, run_eagerly

    assert EAGER_STEPS == 20
    assert run_eagerly(TrainConfig(epochs=2), steps_per_epoch=10) is True  # 20 steps: tracing costs more
    assert run_eagerly(TrainConfig(epochs=2), steps_per_epoch=11) is False  # 22 steps: traced
    assert run_eagerly(TrainConfig(epochs=1), steps_per_epoch=None) is False  # unknown length: traced
    assert run_eagerly(TrainConfig(epochs=1, distribute=True), steps_per_epoch=2) is False
    assert run_eagerly(TrainConfig(epochs=100, run_eagerly=True), steps_per_epoch=100) is True
    assert run_eagerly(TrainConfig(epochs=1, run_eagerly=False), steps_per_epoch=1) is False
    assert build_and_compile(TrainConfig(epochs=1, **SMALL_MODEL), channels=1, steps_per_epoch=3).run_eagerly
    assert not build_and_compile(TrainConfig(epochs=1, **SMALL_MODEL), channels=1).run_eagerly


@pytest.mark.slow
def test_a_short_eager_run_learns_like_a_traced_one(tmp_path):
    losses = {}
    for eager in (True, False):
        config = TrainConfig(num_samples=20, scale=0.3, batch_size=8, epochs=2, augment=False, run_eagerly=eager,
                             output_dir=str(tmp_path / f"run_{eager}"), **SMALL_MODEL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AllBlackWarning)
            losses[eager] = train(config, verbose=0)[1]["loss"]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-3)


def test_run_eagerly_must_be_true_false_or_auto():
    with pytest.raises(Sprint19Error, match="run_eagerly.*True, False or 'auto'"):
        TrainConfig(run_eagerly="yes")
    args = build_parser().parse_args(["train", "--run-eagerly", "false"])
    assert _config_from_args(args).run_eagerly is False
