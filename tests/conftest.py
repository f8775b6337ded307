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
