"""Property-based fuzzing of everything that reads a user's file or value (issue 14).

Hypothesis throws generated and mutated inputs at the image and TIFF loaders, the
RLE decoder, the CSV readers (train.csv, depths.csv, a submission) and the config
reader. The property: each call either returns or raises ``Sprint19Error`` (our one
error type, which the CLI prints as one line) — never another exception — and
returns within a few seconds.

The number of examples comes from a Hypothesis profile (``tests/conftest.py``):
``ci`` (default, a few seconds per test) or ``long`` for a deeper local run::

    pytest tests/test_fuzz_inputs.py --hypothesis-profile=long
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data.images import read_image, read_mask, read_tiff_stack
from sprint19_unet.data.rle import decode_rle
from sprint19_unet.estimation.submission import check_submission, read_submission

SECONDS_PER_CALL = 5
# Function-scoped fixtures (tmp_path) are shared by all examples of one test; each example
# writes its own file name, so that is what we want here.
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _refuses_cleanly(call, *args, **kwargs):
    """Run ``call``; only Sprint19Error may escape, and it must be quick."""
    start = time.perf_counter()
    try:
        call(*args, **kwargs)
    except Sprint19Error as error:
        assert str(error).strip(), "an empty message"
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_CALL, f"{call.__name__} took {elapsed:.1f} s"


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


_GRAY = Image.fromarray(np.arange(24 * 24, dtype=np.uint32).reshape(24, 24).astype(np.uint8))
VALID_FILES = {
    ".png": _encoded(_GRAY, "PNG"),
    ".tif": _encoded(_GRAY, "TIFF", save_all=True, append_images=[_GRAY.rotate(90)]),
    ".jpg": _encoded(_GRAY, "JPEG"),
    ".bmp": _encoded(_GRAY, "BMP"),
}


@st.composite
def damaged_files(draw):
    """(suffix, bytes): a valid file with bytes overwritten, inserted or cut — or pure noise."""
    suffix = draw(st.sampled_from(sorted(VALID_FILES)))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=300))
    data = bytearray(VALID_FILES[draw(st.sampled_from(sorted(VALID_FILES)))])  # may not match its suffix
    for position, value in draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=12)):
        data[position] = value
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return suffix, bytes(data[:cut] if cut is not None else data)


@FUZZ
@given(damaged_files(), st.integers())
def test_image_loaders_on_damaged_files(tmp_path, file, nonce):
    suffix, data = file
    path = tmp_path / f"image-{nonce}{suffix}"
    path.write_bytes(data)
    _refuses_cleanly(read_image, path)
    _refuses_cleanly(read_mask, path)
    if suffix == ".tif":
        _refuses_cleanly(read_tiff_stack, path)


NUMBERS = st.one_of(st.integers(-5, 20_000), st.integers(-(2**70), 2**70))
RLE_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(NUMBERS, max_size=12).map(lambda values: " ".join(map(str, values))),
    st.lists(st.one_of(NUMBERS.map(str), st.sampled_from(["+1", "1_0", "\u0661", "1e3", "0x10", " ", "\t", "nan", "-"])),
             max_size=10).map(" ".join),
)


@FUZZ
@given(RLE_TEXT, st.tuples(st.integers(0, 120), st.integers(0, 120)))
def test_rle_decoder_on_any_text(text, shape):
    _refuses_cleanly(decode_rle, text, shape)
    _refuses_cleanly(decode_rle, text, (101, 101))


CSV_CELLS = st.one_of(RLE_TEXT, st.sampled_from(["nan", "inf", "1e999", "-1", "", "\ufeffid", '"', "a,b"]), st.text(max_size=12))
CSV_BYTES = st.one_of(
    st.binary(max_size=400),
    st.lists(st.lists(CSV_CELLS, min_size=0, max_size=4).map(",".join), max_size=8).map("\n".join).flatmap(
        lambda text: st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]).map(lambda enc: text.encode(enc, "replace"))
    ),
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return s19.write_salt_sample(tmp_path_factory.mktemp("fuzz") / "tgs", n=4, test_n=2, seed=0)


@FUZZ
@given(CSV_BYTES, st.sampled_from(["train.csv", "depths.csv"]))
def test_tgs_loader_on_any_csv(sample, tmp_path, data, name):
    root = tmp_path / "tgs"
    if not root.exists():
        import shutil

        shutil.copytree(sample, root)
        shutil.rmtree(root / "train" / "masks")  # masks come from train.csv alone
    original = (sample / name).read_bytes()
    (root / name).write_bytes(data)
    try:
        _refuses_cleanly(s19.load_tgs, root)
    finally:
        (root / name).write_bytes(original)


@FUZZ
@given(CSV_BYTES, st.integers())
def test_submission_readers_on_any_csv(tmp_path, data, nonce):
    path = tmp_path / f"submission-{nonce}.csv"
    path.write_bytes(data)
    _refuses_cleanly(read_submission, path)
    _refuses_cleanly(check_submission, path, ["a", "b"])


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12,
)
FIELDS = sorted(s19.TrainConfig().to_dict())


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=4))
def test_config_from_any_field_values(values):
    _refuses_cleanly(s19.TrainConfig.from_dict, values)


@FUZZ
@given(st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda value: json.dumps(value).encode()),
                 st.integers(1, 200_000).map(lambda depth: b'{"epochs": ' + b"[" * depth)), st.integers())
def test_config_file_of_any_bytes(tmp_path, data, nonce):
    path = tmp_path / f"config-{nonce}.json"
    path.write_bytes(data)
    _refuses_cleanly(s19.TrainConfig.from_json, path)
