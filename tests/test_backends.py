"""Training uses whatever Keras backend is active; our code never imports TensorFlow for another one.

Each check trains a tiny model with :func:`sprint19_unet.training.fit.train` in a fresh
subprocess with ``KERAS_BACKEND`` set, and records every attempt to import
TensorFlow together with the file that made it. Where TensorFlow is not
installed (CI's ``.venv-backends``) training must succeed and ``"tensorflow"`` must
be absent from ``sys.modules``. Where it is installed too (e.g. Colab), Keras
3 itself imports it opportunistically (``keras.utils.set_random_seed`` seeds
TensorFlow "if available", and model saving checks for ``tf.TensorShape``), so
there the check is that no import comes from a file of this package.
"""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import pytest

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

TRAIN_AND_REPORT = r"""
import importlib.abc, json, sys, traceback, warnings

importers = []


class RecordTensorflowImports(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow":
            frames = [f for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
            importers.append(frames[-1].filename)
        return None  # record only; the normal import goes on


sys.meta_path.insert(0, RecordTensorflowImports())

import keras
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.sanity import AllBlackWarning
from sprint19_unet.training.fit import train

config = TrainConfig(num_samples=24, input_size=32, base_filters=4, depth=2, batch_size=8, epochs=1,
                     augment=True, output_dir=OUTPUT)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AllBlackWarning)
    model, history = train(config, verbose=0)
print("RESULT " + json.dumps({
    "backend": keras.backend.backend(),
    "loss": history["loss"],
    "tensorflow_imported": "tensorflow" in sys.modules,
    "importers": importers,
}))
"""


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _skip_unless_active(backend: str, name: str):
    """Each backend's CI step trains on its own backend only (the other step covers the other one)."""
    return [
        pytest.mark.skipif(not _installed(backend),
                           reason=f"{name} is not installed in this environment (CI runs this in .venv-backends)"),
        pytest.mark.skipif(_installed(backend) and keras.backend.backend() != backend,
                           reason=f"runs in the KERAS_BACKEND={backend} step, not on {keras.backend.backend()}"),
    ]


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("jax", marks=_skip_unless_active("jax", "JAX")),
        pytest.param("torch", marks=_skip_unless_active("torch", "PyTorch")),
    ],
)
def test_training_runs_on_the_active_backend_without_tensorflow(backend, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    script = f"OUTPUT = {str(tmp_path / 'run')!r}\n" + TRAIN_AND_REPORT
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads([line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1][7:])
    assert report["backend"] == backend
    assert len(report["loss"]) == 1 and report["loss"][0] > 0
    package = os.path.join("sprint19_unet", "")
    assert not [path for path in report["importers"] if package in path], report["importers"]
    if not _installed("tensorflow"):
        assert not report["tensorflow_imported"]
