"""Data-parallel training: two devices follow the same loss trajectory as one.

A CPU can be split into two devices before the framework starts: TensorFlow with
``tf.config.set_logical_device_configuration``, JAX with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``. Both must happen before
the framework initialises, so each check runs in a fresh subprocess, training
the same tiny model (no augmentation, dropout or BatchNorm) for 3 epochs with
the same global batch on one device and then on two.
"""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.training.distribute import check_global_batch_size, data_parallel, evenly_split_count

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

# 42 synthetic images → 32 training (4 batches of 8) and 10 validation images, so every
# batch splits evenly between 2 devices and both runs see exactly the same data. scale 0.3
# shrinks the 101×101 images to 30×30, one 32×32 tile each (at native size they would be
# cut into 16 tiles each: 64 steps an epoch, whose float differences the rtol cannot absorb).
TINY_RUN = dict(
    num_samples=42, scale=0.3, input_size=32, base_filters=4, depth=2, batch_size=8, epochs=3, augment=False,
    batch_norm=False, dropout=0.0, early_stopping_patience=0, reduce_lr_patience=0,
)

TRAIN_BOTH_WAYS = """
import json, sys, warnings
import keras
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.sanity import AllBlackWarning
from sprint19_unet.training.fit import train

result = {"backend": keras.backend.backend()}
for distribute in (False, True):
    config = TrainConfig(**TINY_RUN, distribute=distribute, output_dir=f"{OUTPUT}/distribute_{distribute}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        model, history = train(config, verbose=0)
    result[str(distribute)] = {"loss": history["loss"], "val_loss": history["val_loss"]}
    if distribute and result["backend"] == "tensorflow":
        result["replicas"] = model.distribute_strategy.num_replicas_in_sync
    if distribute and result["backend"] == "jax":
        result["replicas"] = len(model.weights[0].value.sharding.device_set)
        result["distribution_restored"] = keras.distribution.distribution() is None
print("RESULT " + json.dumps(result))
"""

TWO_TENSORFLOW_CPUS = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _run(script: str, backend: str, tmp_path, extra_env=None) -> dict:
    env = {
        **os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
        **(extra_env or {}),
    }
    preamble = f"TINY_RUN = {TINY_RUN!r}\nOUTPUT = {str(tmp_path)!r}\n"
    result = subprocess.run(
        [sys.executable, "-c", preamble + script], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _assert_same_trajectory(result: dict) -> None:
    one, two = result["False"], result["True"]
    assert len(one["loss"]) == len(two["loss"]) == 3
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-3)
    np.testing.assert_allclose(two["val_loss"], one["val_loss"], rtol=1e-3)
    assert one["loss"][-1] < one["loss"][0]  # it did learn something


@pytest.mark.slow
@pytest.mark.skipif(not _installed("tensorflow"), reason="TensorFlow is not installed in this environment")
def test_tensorflow_mirrored_strategy_on_two_cpus_matches_one_device(tmp_path):
    result = _run(TWO_TENSORFLOW_CPUS + TRAIN_BOTH_WAYS, "tensorflow", tmp_path)
    assert result["replicas"] == 2
    _assert_same_trajectory(result)


@pytest.mark.skipif(not _installed("jax"), reason="JAX is not installed in this environment (CI runs it in .venv-backends)")
def test_jax_data_parallel_on_two_cpus_matches_one_device(tmp_path):
    xla_flags = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    result = _run(TRAIN_BOTH_WAYS, "jax", tmp_path, {"XLA_FLAGS": xla_flags})
    assert result["replicas"] == 2
    assert result["distribution_restored"]
    _assert_same_trajectory(result)


# === The helpers, in this process ===


def test_disabled_data_parallel_is_a_no_op():
    with data_parallel(False) as devices:
        assert devices == []


def test_global_batch_must_split_evenly():
    check_global_batch_size(16, replicas=4)
    with pytest.raises(Sprint19Error, match=r"batch_size: expected a multiple of 2 .*received 7 .*Use batch_size=6 or 8"):
        check_global_batch_size(7, replicas=2)


@pytest.mark.parametrize(
    ("count", "batch_size", "replicas", "expected"),
    [
        (32, 8, 2, (32, False)),  # whole batches
        (33, 8, 2, (32, True)),  # a last batch of 1 cannot split
        (34, 8, 2, (34, False)),  # a last batch of 2 can
        (10, 8, 4, (8, True)),
        (5, 8, 1, (5, False)),  # one device: nothing to do
    ],
)
def test_evenly_split_count(count, batch_size, replicas, expected):
    assert evenly_split_count(count, batch_size, replicas) == expected


def test_a_backend_without_a_data_parallel_engine_is_refused(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(Sprint19Error, match=r"distribute: .*'torch' backend.*KERAS_BACKEND=jax"):
        with data_parallel(True):
            pass
