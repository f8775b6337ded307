"""The receptive field (teaching/receptive_field.py): computed exactly, measured, and the two agree."""

import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.teaching.receptive_field import (
    check_receptive_field, dependency_intervals, measure_receptive_field, receptive_field, textbook_receptive_field,
)
from sprint19_unet.unet.model import build_unet
from sprint19_unet.unet.sizes import input_size_for_output

pytestmark = pytest.mark.backend_neutral


def _unet(size, depth, padding="same", **options):
    return build_unet((size, size, 1), base_filters=4, depth=depth, padding=padding, **options)


@pytest.mark.slow
@pytest.mark.parametrize("depth, padding, size", [
    (1, "same", 32), (2, "same", 48), (3, "same", 128), (4, "same", 64),
    (1, "valid", None), (2, "valid", None), (3, "valid", None), (4, "valid", None),
])
def test_the_computed_receptive_field_is_the_measured_one(depth, padding, size):
    size = size or input_size_for_output(8, depth, "valid")
    model = _unet(size, depth, padding)
    assert receptive_field(model) == measure_receptive_field(model, trials=2)


def test_the_same_padded_unet_of_depth_3_sees_100_pixels_where_the_textbook_sum_says_96():
    model = _unet(128, 3)
    assert textbook_receptive_field(model) == 96
    assert receptive_field(model) == 100  # pooling and up-convs make the extent depend on the position


def test_hand_worked_intervals_of_a_depth_1_unet():
    # contracting: two 3×3 convs (±2), 2×2 pooling; bottleneck: two 3×3 convs at the half scale (±2 there,
    # ±4 here); a 2×2 up-conv maps output 2j and 2j+1 to position j; expanding: two 3×3 convs (±2).
    first, last = dependency_intervals(_unet(32, 1))
    # output 16 → expanding convs: 14..18 → up-conv: positions 7..9 → bottleneck: 5..11 → pool: 10..23
    # → contracting convs: 8..25
    assert (int(first[16]), int(last[16])) == (8, 25)
    assert (int(first[0]), int(last[0])) == (0, 9)  # 'same' padding clips it at the border
    assert receptive_field(_unet(32, 1)) == 18 == 25 - 8 + 1


def test_every_level_has_its_own_receptive_field_growing_down_the_contracting_path():
    model = _unet(128, 3)
    sizes = [receptive_field(model, f"contracting{level}_max_pool") for level in (1, 2, 3)]
    assert sizes == [6, 16, 36]  # 5 + 1; 6 + 2·4 + 2; 16 + 4·4 + 4


def test_the_paper_unet_sees_204_pixels_where_the_textbook_sum_says_200():
    from sprint19_unet.unet.model import paper_unet

    model = paper_unet()
    # textbook, by hand: 1 + 4 (two 3×3 convs) + 1 (pool) + 8 + 2 + 16 + 4 + 32 + 8 + 64 (bottleneck, jump 16)
    # + 32 + 16 + 8 + 4 (the expanding convs at jumps 8, 4, 2, 1) = 200
    assert textbook_receptive_field(model) == 200
    assert receptive_field(model) == 204
    assert 204 > 572 - 388 + 1  # more than the tile's margin: an output pixel's context is not centred


def test_bad_requests_are_named():
    with pytest.raises(Sprint19Error, match=r"layer: expected a layer of this model.*received 'nope'"):
        receptive_field(_unet(32, 1), "nope")
    flexible = build_unet((None, None, 1), base_filters=4, depth=1)
    with pytest.raises(Sprint19Error, match="model: expected a model built for one size"):
        receptive_field(flexible)
    np.testing.assert_array_equal(dependency_intervals(_unet(16, 1), "image")[0], np.arange(16))


def test_the_practice_check_says_right_textbook_or_wrong(capsys):
    model = _unet(128, 3)
    assert check_receptive_field(100, model) is True
    assert check_receptive_field(96, model) is False
    assert check_receptive_field(50, model) is False
    assert check_receptive_field("100", model) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✅ receptive field: 100 input pixels (the textbook sum says 96)"
    assert lines[1].startswith("❌ receptive field: 96 is the textbook sum") and "hint:" in lines[1]
    assert lines[2].startswith("❌ receptive field: 50 is not it — hint:")
    assert lines[3] == "❌ receptive field: expected a whole number of pixels, got '100'"
