"""Malformed file formats (issue 14): RLE numbers, CSV encodings, file names, depths.

Each case is refused with one clear ``Sprint19Error`` naming the file, through the
Python API and through the CLI command that reads that file; a byte-order mark
is accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data.images import write_png
from sprint19_unet.data.rle import decode_rle

from cli_helpers import assert_one_line_error, run_cli

NOT_UTF8_NAME = os.fsdecode(b"caf\xe9")  # 'caf\udce9': the bytes of a Latin-1 file name


@pytest.fixture
def tgs(tmp_path) -> Path:
    """A tiny Kaggle TGS folder: train ids a, b; test ids t1, t2; depths for all."""
    zeros = np.zeros((2, 101, 101), np.uint8)
    masks = zeros.copy()
    masks[:, :20] = 1  # not all empty: no all-black warning
    return s19.write_tgs_layout(
        tmp_path / "tgs", ["a", "b"], zeros, masks, depths=[10, 20],
        test_ids=["t1", "t2"], test_images=zeros, test_depths=[30, 40],
    )


def _rle_only(root: Path, rle: str) -> None:
    """Make train.csv the only source of masks, with ``rle`` as id a's mask."""
    for mask in (root / "train" / "masks").iterdir():
        mask.unlink()
    (root / "train" / "masks").rmdir()
    (root / "train.csv").write_text(f"id,rle_mask\na,{rle}\nb,\n")


# === RLE numbers (findings 8 and 17) ===


@pytest.mark.parametrize("text", ["+1 +2", "1_0 2", "\u0661 2", "1 \uff12", "1 2 +3 1"])
def test_rle_tokens_that_python_int_accepts_are_refused(text):
    with pytest.raises(Sprint19Error, match=r"expected whole numbers only, written with the digits 0-9.*non-numeric token"):
        decode_rle(text, (3, 3))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("9223372036854775808 1", r"run #1 with start 9223372036854775808, out of range for shape \(3, 3\)"),
        ("1 1 2 99999999999999999999999", r"run #2 with length 9999999999999999999\d\.\.\., out of range"),
        ("9223372036854775807 9223372036854775807", r"run #1 with start 9223372036854775807, out of range"),
        ("1 " + "9" * 5000, r"run #1 with length 9+\.\.\., out of range"),  # int() refuses > 4300 digits
        ("1 -99999999999999999999", r"run #1 with length -9+\.\.\., out of range"),
    ],
)
def test_rle_numbers_beyond_the_image_never_overflow(text, match):
    with pytest.raises(Sprint19Error, match=r"rle: expected every run inside the image; received " + match):
        decode_rle(text, (3, 3))


def test_rle_leading_zeros_and_negative_values_keep_their_meaning():
    assert decode_rle("0001 02", (3, 3)).sum() == 2
    with pytest.raises(Sprint19Error, match=r"received run #1 with start -1"):
        decode_rle("-1 2", (3, 3))


@pytest.mark.parametrize(
    ("rle", "match"),
    [
        ("+1 +2", r"CSV file '.*train\.csv', id 'a': expected whole numbers only.*received the non-numeric token '\+1'"),
        ("9223372036854775808 1", r"CSV file '.*train\.csv', id 'a': expected every run inside the image; received run #1 with start 9223372036854775808"),
    ],
)
def test_bad_rle_numbers_in_train_csv_api_and_cli(tgs, rle, match):
    _rle_only(tgs, rle)
    with pytest.raises(Sprint19Error, match=match):
        s19.load_tgs(tgs)
    assert_one_line_error(run_cli("data", "describe", tgs), match)


# === Submission files (finding 9) ===


def _submission(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "submission.csv"
    path.write_bytes(content)
    return path


def test_submission_that_is_not_utf8(tmp_path, tgs):
    path = _submission(tmp_path, b"id,rle_mask\nt1,\nt2\xe9,\n")
    pattern = r"submission '.*submission\.csv': expected a UTF-8 CSV file; received bytes that are not UTF-8 text"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.check_submission(path, ["t1", "t2"])
    assert_one_line_error(run_cli("check-submission", path, "--data", tgs), pattern)


def test_submission_with_a_field_over_the_csv_limit(tmp_path, tgs):
    path = _submission(tmp_path, b"id,rle_mask\nt1,\nt2," + b"1" * 131_073 + b"\n")
    pattern = r"submission '.*submission\.csv': expected a valid CSV file; received malformed CSV \(field larger than field limit"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.read_submission(path)
    assert_one_line_error(run_cli("check-submission", path, "--data", tgs), pattern)


def test_submission_with_a_byte_order_mark_is_accepted(tmp_path, tgs):
    written = s19.write_submission(["t1", "t2"], np.ones((2, 101, 101), np.uint8), tmp_path / "plain.csv")
    path = _submission(tmp_path, b"\xef\xbb\xbf" + written.read_bytes())
    ids, masks = s19.read_submission(path)
    assert ids == ["t1", "t2"] and masks.sum() == 2 * 101 * 101
    assert s19.check_submission(path, ["t1", "t2"])["rows"] == 2
    result = run_cli("check-submission", path, "--data", tgs)
    assert result.returncode == 0 and "ok — 2 rows" in result.stdout, result.stderr[-1500:]


def test_train_and_depths_csv_with_a_byte_order_mark_are_accepted(tgs):
    for name in ("train.csv", "depths.csv"):
        (tgs / name).write_bytes(b"\xef\xbb\xbf" + (tgs / name).read_bytes())
    assert s19.load_tgs(tgs).depths.tolist() == [10, 20]


# === Image file names that are not UTF-8 (finding 10) ===


def test_submission_ids_that_are_not_utf8_are_refused_before_writing(tmp_path):
    out = tmp_path / "submission.csv"
    pattern = r"ids: expected ids that are UTF-8 text .*; received the id 'caf\\udce9', from an image file name that is not UTF-8 text\. Rename"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.write_submission(["ok", NOT_UTF8_NAME], np.zeros((2, 4, 4), np.uint8), out, expected_ids=["ok", NOT_UTF8_NAME])
    assert not out.exists()
    good = s19.write_submission(["ok"], np.zeros((1, 4, 4), np.uint8), tmp_path / "good.csv")
    with pytest.raises(Sprint19Error, match=r"test ids: expected ids that are UTF-8 text.*'caf\\udce9'"):
        s19.check_submission(good, ["ok", NOT_UTF8_NAME], shape=(4, 4))


def test_predict_refuses_a_test_image_named_in_another_encoding(tmp_path):
    images = tmp_path / "data" / "images"
    images.mkdir(parents=True)
    for stem in ("ok", NOT_UTF8_NAME):
        write_png(images / f"{stem}.png", np.zeros((8, 8), np.uint8))
    assert os.fsencode(NOT_UTF8_NAME + ".png") in os.listdir(os.fsencode(images))
    model = tmp_path / "model.keras"
    s19.build_unet((8, 8, 1), base_filters=2, depth=1).save(model)
    out = tmp_path / "submission.csv"
    result = run_cli("predict", "--model", model, "--data", tmp_path / "data", "--out", out)
    assert_one_line_error(result, r"images in '.*data': expected ids that are UTF-8 text .*received the id 'caf\\udce9'")
    assert not out.exists()


# === Depths that are not finite (finding 16) ===


@pytest.mark.parametrize("depth", ["nan", "inf", "-Infinity", "1e999"])
def test_depths_that_are_not_finite(tgs, depth):
    (tgs / "depths.csv").write_text(f"id,z\na,10\nb,{depth}\nt1,30\nt2,40\n")
    pattern = rf"CSV file '.*depths\.csv', row of id 'b': expected a finite number in the z column; received the depth '{depth}'"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.load_tgs(tgs)
    if depth == "nan":
        assert_one_line_error(run_cli("data", "describe", tgs), pattern)
