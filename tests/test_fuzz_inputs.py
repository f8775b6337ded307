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
import warnings
import zipfile
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


# === Zips (issue 24): corrupt members, odd methods, deep nesting, bombs ===


def _zip_of(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicate names are part of the fuzz
                archive.writestr(info, data)
    return buffer.getvalue()


_MEMBER_NAMES = st.sampled_from(["train/images/a.png", "train/masks/a.png", "test/images/b.png", "train.csv",
                                 "depths.csv", "train.zip", "test.zip", "images/c.png", "x/../y.png", "../z.png"])
_ZIP_METHODS = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])


@st.composite
def damaged_zips(draw):
    """Bytes of a zip in the competition's layout, nested, with fields and bytes overwritten."""
    members = draw(st.lists(st.tuples(_MEMBER_NAMES, st.sampled_from([VALID_FILES[".png"], b"", b"id,z\n"]),
                                      _ZIP_METHODS), min_size=1, max_size=5))
    data = _zip_of(members)
    for _ in range(draw(st.integers(0, 6))):  # zips inside zips, up to past the cap
        data = _zip_of([(draw(st.sampled_from(["train.zip", "test.zip", "inner.zip"])), data, draw(_ZIP_METHODS))])
    data = bytearray(data)
    for position, value in draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=8)):
        data[position] = value  # method ids, flags (encryption), sizes, CRCs, compressed bytes
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return bytes(data[:cut] if cut is not None else data)


@pytest.mark.slow
@FUZZ
@given(damaged_zips(), st.integers())
def test_unpacking_any_damaged_zip(tmp_path, data, nonce):
    import tempfile

    from sprint19_unet.data.download import unpack_tgs

    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example: the fixture is shared between examples
    (folder / "download.zip").write_bytes(data)
    try:
        _refuses_cleanly(unpack_tgs, folder / "download.zip", folder / "tgs",
                         expected_counts={"train/images": 1, "train/masks": 1, "test/images": 1})
    finally:  # nothing left beside it, refused or not
        assert sorted(path.name for path in folder.iterdir() if path.name != "tgs") == ["download.zip"]


@pytest.mark.slow
@FUZZ
@given(st.booleans(), st.integers(1, 40), st.integers(0, 3))
def test_a_bomb_of_any_shape_is_refused_before_writing(tmp_path, big, extra, nesting):
    from sprint19_unet.data.download import MAX_PNG_BYTES, unpack_tgs

    counts = {"train/images": 1, "train/masks": 1, "test/images": 1}  # a budget of 103 files
    entries = extra if big else 103 + extra  # one image over its size limit, or more files than the layout
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(entries):
            archive.writestr(f"train/images/{index:010d}.png", bytes(MAX_PNG_BYTES + (index == entries - 1 and big)))
    data = buffer.getvalue()
    for _ in range(nesting):
        data = _zip_of([("train.zip", data, zipfile.ZIP_DEFLATED)])
    path = tmp_path / f"bomb-{big}-{extra}-{nesting}.zip"
    path.write_bytes(data)
    with pytest.raises(Sprint19Error, match=r"(at most|more files to unpack)"):
        unpack_tgs(path, tmp_path / path.stem, expected_counts=counts)
    assert not (tmp_path / path.stem).exists()


# === Config values at and around every bound (issue 24) ===

_BOUNDED = {"num_samples": (2, 1_000_000), "tiles_per_epoch": (1, 1_000_000), "base_filters": (1, 1024),
            "num_classes": (1, 1024), "batch_size": (1, 65_536), "epochs": (1, 100_000), "workers": (1, 64),
            "early_stopping_patience": (0, 100_000), "reduce_lr_patience": (0, 100_000), "seed": (0, 2**32 - 1),
            "foreground": (0, 65_535)}


@FUZZ
@given(st.sampled_from(sorted(_BOUNDED)), st.sampled_from(["low", "high"]), st.integers(-2, 2),
       st.sampled_from([1, 10**30, 10**5000]))
def test_config_values_near_every_bound(field, end, step, scale):
    low, high = _BOUNDED[field]
    value = (low if end == "low" else high) + step * (1 if step in (-1, 0, 1) else scale)
    extra = {"lr_schedule": "cosine", "reduce_lr_patience": 0} if field != "reduce_lr_patience" else {}
    if field == "num_classes" and value > 1:
        extra["loss"] = "sparse_cce"
    values = {**extra, field: value}
    try:
        config = s19.TrainConfig.from_dict(values)
    except Sprint19Error as error:
        assert not low <= value <= high or field in ("num_classes",), (field, value, str(error))
        assert len(str(error)) < 600  # a huge integer is described, not printed
        return
    assert low <= value <= high
    assert getattr(config, field) == value
