"""Set-up for the docstring examples (``--doctest-modules`` on ``sprint19_unet/``, see pyproject.toml).

It lives at the repository root, not in ``sprint19_unet/``, so that it is not shipped in the
wheel; it applies to the unit tests and notebooks too, so it only sets what is harmless there
and touches doctest items alone. It imports nothing heavy (no Keras, no TensorFlow): the JAX and
PyTorch CI steps load it as well.

For each docstring example:

* the current directory and ``tempfile``'s default folder are a fresh pytest ``tmp_path``, so
  an example that writes files (``tempfile.mkdtemp()``, a relative path) leaves nothing in the
  repository, the caller's directory or ``/tmp`` (pytest keeps only its last few ``tmp_path``
  folders);
* Python's, NumPy's and (when loaded) Keras's random generators are seeded, so examples that
  build or train a model give the same numbers every run.

Examples import what they use (``import numpy as np``) so that they can be pasted into a
Python prompt; no names are injected into the doctest namespace.
"""

import os
import random
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
from _pytest.doctest import DoctestItem  # noqa: E402  (pytest has no public name for it)


def pytest_ignore_collect(collection_path, config):
    """Keep ``--doctest-modules`` off the conftest.py files.

    They hold no examples, and tests/conftest.py and notebooks/conftest.py share the module name
    ``conftest``: importing both as doctest modules fails with "import file mismatch". pytest
    still loads them as conftest files; this only stops collecting them as test modules.
    """
    if collection_path.name == "conftest.py":
        return True
    if _selects_only_backend_neutral(config) and collection_path.suffix == ".py" \
            and collection_path.name.startswith("test_"):
        # -m backend_neutral (CI's JAX, PyTorch, colab and minimum steps): the marker is written in the file
        # (pytestmark = pytest.mark.backend_neutral); the other files are not even imported, since they may
        # need TensorFlow or Jupyter, which those environments lack
        return "pytestmark = pytest.mark.backend_neutral" not in collection_path.read_text(encoding="utf-8")
    return None


def _selects_only_backend_neutral(config) -> bool:
    return (config.option.markexpr or "").strip() == "backend_neutral"


def pytest_collection_modifyitems(config, items):
    """Mark every notebook cell ``notebook`` (nbval's items), so ``-m "not notebook"`` leaves them out."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)


@pytest.fixture(autouse=True)
def _doctest_sandbox(request, monkeypatch):
    """Run each docstring example in its own temporary folder, with seeded random generators."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    random.seed(0)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(0)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(0)
    yield
