"""Crop arithmetic: output sizes and valid input sizes, checked by hand and by building models."""

import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.unet.model import build_unet
from sprint19_unet.unet.sizes import (
    input_size_for_output,
    invalid_size_message,
    is_valid_input_size,
    nearest_valid_input_sizes,
    unet_output_size,
)

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral


def test_paper_tile():
    # 572 → 568 → 284 → 280 → 140 → 136 → 68 → 64 → 32 → 28 → 56 → 52 → 104 → 100 → 200 → 196 → 392 → 388
    assert unet_output_size(572, depth=4, padding="valid") == 388


@pytest.mark.parametrize("size", [188, 204, 572, 700])
def test_valid_mode_output_is_input_minus_184(size):
    assert unet_output_size(size, depth=4, padding="valid") == size - 184


@pytest.mark.parametrize(("size", "depth"), [(128, 4), (64, 3), (96, 5), (128, 7)])
def test_same_mode_keeps_size_for_multiples(size, depth):
    assert unet_output_size(size, depth=depth, padding="same") == size


def test_valid_sizes_repeat_every_2_to_the_depth():
    valid = [s for s in range(1, 700) if is_valid_input_size(s, 4, "valid")]
    assert valid[0] == 188
    assert all(b - a == 16 for a, b in zip(valid, valid[1:]))
    assert 572 in valid and 101 not in valid and 128 not in valid


def test_nearest_valid_sizes():
    assert nearest_valid_input_sizes(101, 4, "same") == (96, 112)
    assert nearest_valid_input_sizes(128, 4, "same") == (128, 128)
    assert nearest_valid_input_sizes(570, 4, "valid") == (556, 572)
    assert nearest_valid_input_sizes(101, 4, "valid") == (None, 188)


def test_input_size_for_output():
    assert input_size_for_output(388) == 572
    assert input_size_for_output(101, padding="valid") == 300  # 300 → 116 ≥ 101, 284 → 100 < 101
    assert unet_output_size(300) == 116 and unet_output_size(284) == 100
    assert input_size_for_output(101, padding="same") == 112


@pytest.mark.parametrize(("size", "depth", "padding"), [(572, 4, "valid"), (188, 4, "valid"), (44, 2, "valid"), (48, 4, "same")])
def test_arithmetic_agrees_with_the_built_model(size, depth, padding):
    model = build_unet((size, size, 1), base_filters=2, depth=depth, padding=padding)
    assert model.output_shape[1] == unet_output_size(size, depth, padding)


@pytest.mark.parametrize(("size", "padding", "match"), [
    (101, "same", r"received 101.*Nearest valid sizes: 96 or 112"),
    (101, "valid", r"received 101.*188 → output 4"),
    (0, "same", r"input size: expected a positive integer; received 0"),
])
def test_unet_output_size_errors(size, padding, match):
    with pytest.raises(Sprint19Error, match=match):
        unet_output_size(size, 4, padding)


def test_message_explains_where_it_breaks():
    message = invalid_size_message(128, 4, "valid", "the 2×2 max pooling after contracting level 2 would see an odd size 58")
    assert "contracting level 2" in message and "overlap-tile" in message
