"""The paper's weight map (Eq. 2) on hand-built labels and against a brute-force reference."""

import inspect
import math

import numpy as np
import pytest

from sprint19_unet.data import weight_map
from sprint19_unet.errors import Sprint19Error

GAP_WEIGHT = 10.0 * math.exp(-((1 + 1) ** 2) / (2 * 5.0**2))  # d1 = d2 = 1 in a 1-pixel gap


def two_objects(height=40, width=40):
    """Two 10×7 rectangles separated by a 1-pixel gap in column 20."""
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[15:25, 13:20] = 1
    mask[15:25, 21:28] = 1
    return mask


def test_paper_defaults():
    parameters = inspect.signature(weight_map.unet_weight_map).parameters
    assert parameters["w0"].default == 10.0
    assert parameters["sigma"].default == 5.0
    assert parameters["class_weights"].default == "balanced"


def test_two_objects_gap_inside_and_far_away():
    mask = two_objects()
    class_weights = {0: 0.5, 1: 1.5}
    weights = weight_map.unet_weight_map(mask, class_weights=class_weights)
    assert weights.shape == mask.shape and weights.dtype == np.float32

    # inside the objects: exactly w_c (no border term on foreground)
    np.testing.assert_array_equal(weights[mask == 1], 1.5)
    # the gap between the objects: w_c + w0·exp(−(1 + 1)²/(2σ²)) ≈ w_c + w0
    np.testing.assert_allclose(weights[15:25, 20], 0.5 + GAP_WEIGHT, rtol=1e-6)
    # the maximum of the map lies in the gap
    row, col = np.unravel_index(np.argmax(weights), weights.shape)
    assert col == 20 and 15 <= row < 25
    assert weights.max() == pytest.approx(0.5 + GAP_WEIGHT, rel=1e-6)
    # far from both objects: w_c only
    assert weights[0, 0] == pytest.approx(0.5, abs=1e-6)
    assert weights[39, 39] == pytest.approx(0.5, abs=1e-6)


def test_fewer_than_two_objects_gives_class_weights_only():
    one = np.zeros((12, 12), dtype=int)
    one[3:7, 3:7] = 1
    np.testing.assert_array_equal(weight_map.unet_weight_map(one, class_weights=None), np.ones((12, 12)))
    np.testing.assert_array_equal(
        weight_map.unet_weight_map(np.zeros((5, 5)), class_weights={0: 0.7, 1: 2.0}), np.full((5, 5), 0.7, np.float32)
    )


def test_balanced_class_weights_average_to_one():
    mask = np.zeros((4, 4), dtype=int)
    mask[:2, :2] = 1  # 25 % foreground
    assert weight_map.class_balance_weights(mask) == {0: 0.5, 1: 1.5}
    assert weight_map.class_balance_weights(np.zeros((3, 3))) == {0: 1.0, 1: 1.0}
    weights = weight_map.unet_weight_map(mask)  # one object: no border term
    np.testing.assert_allclose(weights, np.where(mask == 1, 1.5, 0.5))
    rng = np.random.default_rng(0)
    balanced = weight_map.class_balance_weights(rng.random((50, 50)) < 0.13)
    assert (balanced[0] + balanced[1]) / 2 == pytest.approx(1.0)
    assert balanced[1] > balanced[0]  # the rarer class weighs more


def brute_force_weight_map(objects, w0, sigma):
    """Eq. 2 with d1/d2 from plain distance loops (w_c = 1), independent of the EDT."""
    height, width = objects.shape
    object_pixels = {
        label: [(r, c) for r in range(height) for c in range(width) if objects[r, c] == label]
        for label in sorted(set(objects.ravel().tolist()) - {0})
    }
    weights = np.ones((height, width))
    for r in range(height):
        for c in range(width):
            if objects[r, c] != 0:
                continue
            distances = sorted(
                min(math.hypot(r - pr, c - pc) for pr, pc in pixels) for pixels in object_pixels.values()
            )
            weights[r, c] += w0 * math.exp(-((distances[0] + distances[1]) ** 2) / (2 * sigma**2))
    return weights


def test_matches_brute_force_reference_with_instance_labels():
    objects = np.zeros((14, 15), dtype=int)
    objects[1:4, 1:5] = 1
    objects[6:9, 2:4] = 2
    objects[3:12, 9:11] = 3
    objects[12, 0:3] = 4
    expected = brute_force_weight_map(objects, w0=10.0, sigma=3.0)
    actual = weight_map.unet_weight_map(objects, sigma=3.0, class_weights=None)
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
    # the same objects as a binary mask (all separated by background) give the same map
    from_mask = weight_map.unet_weight_map(objects > 0, sigma=3.0, class_weights=None)
    np.testing.assert_allclose(from_mask, expected, rtol=1e-6)


def test_touching_instances_get_a_border_only_as_instances():
    instances = np.zeros((9, 10), dtype=int)
    instances[2:7, 1:5] = 1
    instances[2:7, 5:9] = 2  # touches instance 1
    binary_map = weight_map.unet_weight_map(instances > 0, class_weights=None)
    instance_map = weight_map.unet_weight_map(instances > 0, class_weights=None, instances=instances)
    np.testing.assert_array_equal(binary_map, 1.0)  # one connected component
    assert instance_map[1, 4] > 5.0  # background pixel next to the contact point
    np.testing.assert_array_equal(instance_map[instances > 0], 1.0)
    with pytest.raises(Sprint19Error, match="instances"):
        weight_map.unet_weight_map(instances > 0, instances=instances[:5])


def test_two_regions_of_one_class_are_two_objects():
    # Multi-class masks: class ids are not instance ids. Two separate regions of class 2 (and one of
    # class 1 far away) must give a separation weight in the gap between the two class-2 regions.
    mask = np.zeros((30, 40), dtype=int)
    mask[10:20, 12:19] = 2
    mask[10:20, 20:27] = 2  # 1-pixel gap in column 19
    mask[0:3, 0:3] = 1
    weights = weight_map.unet_weight_map(mask, class_weights=None)
    np.testing.assert_allclose(weights[10:20, 19], 1.0 + GAP_WEIGHT, rtol=1e-6)
    np.testing.assert_array_equal(weights[mask > 0], 1.0)


def test_border_class_puts_the_border_term_on_the_separating_class():
    # ISBI membranes loaded with foreground=0: membrane = 1 separates the cells (class 0)
    cells = np.zeros((10, 11), dtype=int)
    cells[:, 5] = 1  # a membrane column between two cells
    weights = weight_map.unet_weight_map(cells, class_weights=None, border_class=1)
    np.testing.assert_allclose(weights[:, 5], 1.0 + GAP_WEIGHT, rtol=1e-6)
    np.testing.assert_array_equal(weights[cells == 0], 1.0)
    # with the default border_class=0 the one membrane is a single object: no border term
    np.testing.assert_array_equal(weight_map.unet_weight_map(cells, class_weights=None), 1.0)


def test_class_balance_over_a_data_set_not_per_image():
    masks = np.zeros((4, 10, 10), dtype=int)
    masks[0, 0, 0] = 1  # one salt pixel in the first image
    masks[1:, :5] = 1  # half salt in the others: 151 of 400 pixels in all
    per_image = weight_map.unet_weight_map(masks[0], class_weights="balanced")
    assert per_image[5, 5] == pytest.approx(0.02)  # 2 · f_salt of this image alone: background nearly ignored
    over_set = weight_map.class_balance_weights(masks)
    assert over_set == pytest.approx({0: 2 * 151 / 400, 1: 2 * 249 / 400})
    maps = weight_map.weight_maps(masks, class_weights=over_set)
    assert maps[0, 5, 5] == pytest.approx(2 * 151 / 400)  # the set's frequencies, as in the paper


def test_class_balance_weights_for_several_classes():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1)
    weights = weight_map.class_balance_weights(labels, num_classes=4)
    inverse = np.array([1 / 0.6, 1 / 0.3, 1 / 0.1])
    assert [weights[k] for k in range(3)] == pytest.approx(list(3 * inverse / inverse.sum()))
    assert weights[3] == 1.0  # absent class
    assert np.mean([weights[k] for k in range(3)]) == pytest.approx(1.0)


def test_batch_helper():
    masks = np.stack([two_objects()[10:30], np.zeros((20, 40), np.uint8)])[..., None]
    maps = weight_map.weight_maps(masks)
    assert maps.shape == (2, 20, 40, 1) and maps.dtype == np.float32
    np.testing.assert_array_equal(maps[0, ..., 0], weight_map.unet_weight_map(masks[0, ..., 0]))
    np.testing.assert_array_equal(maps[1], 1.0)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        pytest.param({"labels": np.zeros((2, 4, 4))}, "labels", id="batch-instead-of-image"),
        pytest.param({"labels": np.full((4, 4), 0.5)}, "labels", id="probabilities"),
        pytest.param({"labels": -np.ones((4, 4))}, "labels", id="negative"),
        pytest.param({"labels": np.zeros((4, 4)), "sigma": 0}, "sigma", id="sigma-zero"),
        pytest.param({"labels": np.zeros((4, 4)), "w0": -1}, "w0", id="w0-negative"),
        pytest.param({"labels": np.zeros((4, 4)), "class_weights": "inverse"}, "class_weights", id="unknown-weights"),
        pytest.param({"labels": np.zeros((4, 4)), "class_weights": {1: 2.0}}, "class_weights", id="missing-class"),
        pytest.param({"labels": np.zeros((4, 4)), "border_class": -1}, "border_class", id="border-class"),
    ],
)
def test_bad_arguments_are_named(kwargs, argument):
    with pytest.raises(Sprint19Error, match=argument):
        weight_map.unet_weight_map(**kwargs)


def test_batch_helpers_reject_bad_shapes():
    with pytest.raises(Sprint19Error, match="masks"):
        weight_map.weight_maps(np.zeros((4, 4)))
