"""Kaggle run-length encoding: hand-worked cases, round trips, and every malformed string."""

import math
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data.rle import decode_rle, encode_rle


# The 3×3 example of the module docstring. Pixel numbers run down the columns:
#   1 4 7
#   2 5 8
#   3 6 9
MASK_3X3 = np.array([[0, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=np.uint8)


# === Hand cases from the Kaggle rules ===


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (MASK_3X3, "3 4"),  # pixels 3, 4, 5, 6
        (np.zeros((3, 3), np.uint8), ""),
        (np.ones((3, 3), np.uint8), "1 9"),
        (np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]]), "1 1"),  # first pixel
        (np.array([[0, 0, 0], [0, 0, 0], [0, 0, 1]]), "9 1"),  # last pixel
        (np.array([[0, 0, 1], [0, 0, 0], [0, 0, 0]]), "7 1"),  # top right = first of column 3
        (np.array([[1, 1, 1], [0, 0, 0], [0, 0, 0]]), "1 1 4 1 7 1"),  # a row is three runs
        (np.array([[1, 0], [1, 1]], dtype=bool), "1 2 4 1"),
        (np.array([[0, 255], [0, 255]], dtype=np.uint8), "3 2"),  # 0/255 masks
    ],
)
def test_encode_hand_cases(mask, expected):
    assert encode_rle(mask) == expected
    decoded = decode_rle(expected, np.shape(mask))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, (np.asarray(mask) > 0).astype(np.uint8))


def test_column_major_not_row_major():
    # A vertical bar in column 0 is one run; a horizontal bar in row 0 is not.
    mask = np.zeros((4, 5), np.uint8)
    mask[:, 0] = 1
    assert encode_rle(mask) == "1 4"
    assert decode_rle("1 4", (4, 5))[:, 0].tolist() == [1, 1, 1, 1]
    assert decode_rle("1 4", (4, 5)).sum() == 4


def test_encode_accepts_trailing_channel_axis_and_float_zero_one():
    assert encode_rle(MASK_3X3[..., None]) == "3 4"
    assert encode_rle(MASK_3X3.astype(np.float32)) == "3 4"


def test_adjacent_runs_decode():
    # "1 2 3 1" is unusual (an encoder would write "1 3") but describes valid pixels.
    assert decode_rle("1 2 3 1", (3, 1)).ravel().tolist() == [1, 1, 1]


@pytest.mark.parametrize("empty", ["", "   ", None, float("nan"), np.float64("nan"), math.nan])
def test_decode_empty_spellings(empty):
    mask = decode_rle(empty, (101, 101))
    assert mask.shape == (101, 101) and mask.dtype == np.uint8 and mask.sum() == 0


def test_tgs_size_full_mask():
    assert encode_rle(np.ones((101, 101), bool)) == "1 10201"
    assert decode_rle("1 10201", (101, 101)).all()


# === Round trip ===

masks = hnp.arrays(
    dtype=np.uint8,
    shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
    elements=st.integers(0, 1),
)


@settings(max_examples=150, deadline=None)
@given(masks)
def test_round_trip_random_masks(mask):
    text = encode_rle(mask)
    np.testing.assert_array_equal(decode_rle(text, mask.shape), mask)
    values = [int(token) for token in text.split()]
    starts, lengths = values[0::2], values[1::2]
    assert starts == sorted(starts) and all(length >= 1 for length in lengths)
    assert all(a + n < b for a, n, b in zip(starts, lengths, starts[1:]))  # separated runs


@pytest.mark.parametrize("fill", ["empty", "full", "single", "first", "last", "first_and_last"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (5, 6), (101, 101)])
def test_round_trip_edge_masks(fill, shape):
    mask = np.zeros(shape, np.uint8)
    if fill == "full":
        mask[:] = 1
    elif fill == "single":
        mask[shape[0] // 2, shape[1] // 2] = 1
    elif fill == "first":
        mask[0, 0] = 1
    elif fill == "last":
        mask[-1, -1] = 1
    elif fill == "first_and_last":
        mask[0, 0] = mask[-1, -1] = 1
    text = encode_rle(mask)
    np.testing.assert_array_equal(decode_rle(text, shape), mask)
    if fill == "last":
        assert text == f"{shape[0] * shape[1]} 1"
    if fill == "empty":
        assert text == ""


# === Malformed strings: one clear error each ===


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1 2 3", "odd number of values"),
        ("1 x", "non-numeric token 'x'"),
        ("1 2.5", "non-numeric token '2.5'"),
        ("1 0", "length 0"),
        ("1 -2", "length -2"),
        ("0 2", "start 0"),
        ("-1 2", "start -1"),
        ("8 3", "out of range"),  # pixels 8..10 in a 3×3 image (9 pixels)
        ("10 1", "out of range"),
        ("5 1 2 1", "unsorted starts"),
        ("1 3 2 1", "overlapping runs"),
        ("1 2 1 1", "overlapping runs"),
    ],
)
def test_malformed_rle(text, match):
    with pytest.raises(Sprint19Error, match=match):
        decode_rle(text, (3, 3))


def test_error_names_the_source():
    with pytest.raises(Sprint19Error, match=r"train.csv, id 'abc'.*odd number"):
        decode_rle("1", (3, 3), name="train.csv, id 'abc'")


def test_decode_rejects_non_string():
    with pytest.raises(Sprint19Error, match="a string of 'start length' pairs"):
        decode_rle(12, (3, 3))


@pytest.mark.parametrize("shape", [(0, 3), (3,), (3, -1), "3x3", (2.5, 3)])
def test_decode_rejects_bad_shape(shape):
    with pytest.raises(Sprint19Error, match="shape"):
        decode_rle("1 1", shape)


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (np.zeros((2, 3, 3), np.uint8), r"shape \(H, W\)"),
        (np.zeros((3,), np.uint8), r"shape \(H, W\)"),
        (np.zeros((0, 3), np.uint8), "non-empty"),
        (np.array([[0, 2], [1, 0]]), r"values \{0, 1, 2\}"),
        (np.array([[0.2, 0.9]]), "Threshold"),
        (np.array([["a", "b"]]), "dtype"),
    ],
)
def test_encode_rejects_bad_masks(mask, match):
    with pytest.raises(Sprint19Error, match=match):
        encode_rle(mask)


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
