"""Plain data: what crosses from a student's kernel to the grader keeps its values and loses every behaviour."""

import json

import keras
import numpy as np
import pytest

from sprint19_unet.teaching.plain_data import (
    MAX_ARRAY_BYTES, PlainDataError, Unsupported, dumps, from_plain, loads, round_trip, to_plain,
)
from trick_types import AlwaysEqual, FloatEqual, Sly, Splitter


@pytest.mark.parametrize("value", [None, True, 0, -3, 2.5, float("inf"), "", "1 2 3", [1, [2.0, "x"]],
                                   np.arange(6, dtype="int16").reshape(2, 3), np.ones((2, 2), bool),
                                   np.array([1.5], ">f8")])
def test_values_keep_what_they_are(value):
    back = round_trip(value)
    if isinstance(value, np.ndarray):
        assert type(back) is np.ndarray and back.dtype == value.dtype.newbyteorder("=")
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_tuples_scalars_and_tensors_become_lists_numbers_and_arrays():
    assert round_trip((1, 2)) == [1, 2]
    assert type(round_trip(np.float32(0.25))) is float and type(round_trip(np.int64(7))) is int
    np.testing.assert_array_equal(round_trip(keras.ops.ones((2, 3))), np.ones((2, 3)))


def test_behaviour_does_not_survive_the_trip():
    assert isinstance(round_trip(AlwaysEqual()), Unsupported) and round_trip(AlwaysEqual()) != 1
    text = round_trip(Splitter("1 2"))
    assert type(text) is str and text.split() == ["1", "2"]
    assert type(round_trip(FloatEqual(1.0))) is float and round_trip(FloatEqual(1.0)) != 2.0
    back = round_trip(np.zeros(3).view(Sly))
    assert type(back) is np.ndarray and not (back == 1).any()
    for unsendable in ({"a": 1}, b"bytes", {1}, np.array(["a"]), np.array([object()])):
        assert isinstance(round_trip(unsendable), Unsupported)


@pytest.mark.parametrize("forged", [
    '{"array": {"dtype": "object", "shape": [1], "data": ""}}',
    '{"array": {"dtype": "float64", "shape": [1000000000], "data": "AAAA"}}',
    '{"array": {"dtype": "uint8", "shape": [2], "data": "not base64!"}}',
    '{"array": {"dtype": "uint8", "shape": [-1], "data": ""}}',
    '{"array": {"dtype": "uint8", "shape": [1], "data": "AA==", "extra": 1}}',
    '{"pickle": "gASV"}',
    '{"list": [1], "array": 2}',
    '[1, 2]',
    '{"list": ' * 50 + '[]' + '}' * 50,
    '1' * 5000,
    'not json',
])
def test_forged_or_damaged_json_is_refused(forged):
    with pytest.raises(PlainDataError):
        loads(forged)


def test_sizes_are_bounded():
    too_big = np.zeros(MAX_ARRAY_BYTES // 8 + 1)
    assert "bytes" in to_plain(too_big)["unsupported"]
    assert isinstance(round_trip("x" * (2**20 + 1)), Unsupported)
    assert isinstance(round_trip([0] * 10_001), Unsupported)
    assert json.loads(dumps(float("nan"))) != json.loads(dumps(float("nan")))  # NaN stays NaN


def test_from_plain_builds_arrays_with_their_own_memory():
    array = from_plain(to_plain(np.arange(4, dtype="uint8")))
    array[0] = 9  # writable, not a view of the JSON text's buffer
    assert array.tolist() == [9, 1, 2, 3]
