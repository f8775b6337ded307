"""Shared test set-up: quiet TensorFlow, headless matplotlib, paths to shared data."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture
def isbi_root() -> Path:
    """The ISBI 2012 membrane slices in ../shared/data, or skip when this clone has none."""
    root = SHARED_DATA / "isbi2012_membrane"
    if not root.is_dir():
        pytest.skip(f"ISBI 2012 data not found at {root} (a user's clone has no ../shared); skipping")
    return root


@pytest.fixture
def sample(tmp_path) -> Path:
    """A small synthetic data set in the exact Kaggle TGS layout: 8 training and 3 test images."""
    from sprint19_unet.data.synthetic_salt import write_salt_sample  # here, not at the top: conftest stays light

    return write_salt_sample(tmp_path / "tgs", n=8, test_n=3, seed=0)


@pytest.fixture
def tgs(tmp_path) -> Path:
    """A tiny Kaggle TGS folder: train ids a, b; test ids t1, t2; depths for all."""
    import numpy as np

    from sprint19_unet.data.formats import write_tgs_layout

    zeros = np.zeros((2, 101, 101), np.uint8)
    masks = zeros.copy()
    masks[:, :20] = 1  # not all empty: no all-black warning
    return write_tgs_layout(
        tmp_path / "tgs", ["a", "b"], zeros, masks, depths=[10, 20],
        test_ids=["t1", "t2"], test_images=zeros, test_depths=[30, 40],
    )


# Hypothesis profiles for the fuzz tests (tests/test_fuzz_inputs.py): "ci" keeps the suite
# quick and deterministic; `pytest --hypothesis-profile=long` runs a deeper search locally.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("long", max_examples=3000, deadline=None)
settings.load_profile("ci")
