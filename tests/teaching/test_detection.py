"""Sliding windows, region proposals, box IoU and colour classes, checked on cases worked out by hand."""

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.teaching.detection import (
    boxes_iou,
    colour_class_map,
    over_segment,
    region_proposals,
    sliding_window_count,
    sliding_window_table,
    sliding_windows,
)


def stripes(values, width=5, height=10):
    """A grey image of vertical stripes, `width` pixels each, with the given values."""
    return np.repeat(np.repeat(np.asarray(values, dtype=float)[None, :], height, axis=0), width, axis=1)


# === Sliding windows ===


@pytest.mark.parametrize(
    ("image_shape", "window", "stride", "expected"),
    [
        ((300, 451), 64, 32, 104),  # (236 // 32 + 1) × (387 // 32 + 1) = 8 × 13
        ((300, 451, 3), (64, 64), (32, 32), 104),  # a channel axis changes nothing
        ((10, 10), 3, 1, 64),  # 8 × 8
        ((10, 10), (3, 5), (2, 3), 8),  # (7 // 2 + 1) × (5 // 3 + 1) = 4 × 2
        ((10, 10), 10, 4, 1),  # the window is the image
        ((10, 10), (11, 2), 1, 0),  # too tall: no window fits
    ],
)
def test_sliding_window_count_by_hand(image_shape, window, stride, expected):
    assert sliding_window_count(image_shape, window, stride) == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image_shape": (10, 10), "window": 0, "stride": 1}, "window"),
        ({"image_shape": (10, 10), "window": 3, "stride": (1, 0)}, "stride"),
        ({"image_shape": (10,), "window": 3, "stride": 1}, "image_shape"),
        ({"image_shape": (10, 10), "window": 2.5, "stride": 1}, "window"),
    ],
)
def test_sliding_window_count_rejects_bad_arguments(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        sliding_window_count(**kwargs)


def test_sliding_window_table_scales_windows_and_strides():
    rows = sliding_window_table((300, 451), windows=((64, 64), (64, 128)), stride_fraction=0.5, scales=(0.5, 1))
    assert [(row["scale"], row["window"], row["stride"]) for row in rows] == [
        (0.5, (32, 32), (16, 16)),
        (0.5, (32, 64), (16, 32)),
        (1, (64, 64), (32, 32)),
        (1, (64, 128), (32, 64)),
    ]
    # 32×32:  (268 // 16 + 1) × (419 // 16 + 1) = 17 × 27     32×64:  17 × (387 // 32 + 1) = 17 × 13
    # 64×64:  (236 // 32 + 1) × (387 // 32 + 1) = 8 × 13      64×128: 8 × (323 // 64 + 1) = 8 × 6
    assert [row["count"] for row in rows] == [459, 221, 104, 48]


def test_sliding_windows_small_case_by_hand():
    boxes = sliding_windows((4, 6), windows=((4, 4), (2, 6)), stride_fraction=0.5, scales=(1,))
    assert boxes.dtype.kind == "i"
    assert boxes.tolist() == [[0, 0, 4, 4], [0, 2, 4, 6], [0, 0, 2, 6], [1, 0, 3, 6], [2, 0, 4, 6]]


def test_sliding_windows_match_the_table_and_stay_inside():
    kwargs = {"windows": ((64, 64), (64, 128), (128, 64)), "stride_fraction": 0.5, "scales": (0.5, 1, 2, 8)}
    boxes = sliding_windows((300, 451, 3), **kwargs)
    rows = sliding_window_table((300, 451, 3), **kwargs)
    assert len(boxes) == sum(row["count"] for row in rows)
    assert [row["count"] for row in rows][-3:] == [0, 0, 0]  # 512-pixel windows do not fit
    assert boxes.shape[1] == 4
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 300).all() and (boxes[:, 3] <= 451).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stride_fraction": 0}, "stride_fraction"),
        ({"stride_fraction": 1.5}, "stride_fraction"),
        ({"scales": ()}, "scales"),
        ({"scales": (1, -2)}, "scales"),
        ({"windows": ()}, "windows"),
        ({"windows": ((64, 0),)}, "windows"),
    ],
)
def test_sliding_windows_reject_bad_arguments(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        sliding_windows((100, 100), **kwargs)


# === Region proposals ===


def test_over_segment_separates_two_halves():
    labels = over_segment(stripes([0.0, 1.0], width=10), scale=1, sigma=0, min_size=5)
    assert labels.shape == (10, 20)
    assert labels[:, :10].tolist() == [[0] * 10] * 10 and labels[:, 10:].tolist() == [[1] * 10] * 10


def test_region_proposals_merge_order_by_hand():
    # Four 10×5 stripes; stripes 1 and 2 share a colour bin (0.5 and 0.51 → bin 12 of 25).
    # Image 200 px, stripes 50 px, every pair fills its joint box (fill = 1).
    #   sim(1, 2) = colour 1 + size (1 - 100/200) + fill 1 = 2.5; sim(0, 1) = sim(2, 3) = 0 + 0.5 + 1 = 1.5
    #   → merge 1+2 (region 4). Then sim(0, 4) = sim(3, 4) = 0 + (1 - 150/200) + 1 = 1.25: a tie,
    #   broken by the lower numbers → 0+4 (region 5), then 3+5 (region 6, the whole image).
    # Stripes 0 and 3 are never compared directly: only adjacent regions merge.
    image = stripes([0.0, 0.5, 0.51, 1.0])
    boxes = region_proposals(image, scale=1e-3, sigma=0, min_size=0)
    assert boxes.dtype.kind == "i"
    assert boxes.tolist() == [
        [0, 0, 10, 5], [0, 5, 10, 10], [0, 10, 10, 15], [0, 15, 10, 20],  # the 4 segments
        [0, 5, 10, 15], [0, 0, 10, 15], [0, 0, 10, 20],  # the 3 merges: 2 × 4 - 1 = 7 regions
    ]


def test_region_proposals_drop_duplicate_boxes():
    # A square inside a frame: the frame's box is also the box of frame + square.
    image = np.zeros((10, 10))
    image[3:7, 3:7] = 1.0
    boxes = region_proposals(image, scale=1e-3, sigma=0, min_size=0)
    assert boxes.tolist() == [[0, 0, 10, 10], [3, 3, 7, 7]]


def test_region_proposals_on_a_colour_image():
    rng = np.random.default_rng(0)
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    image[5:25, 10:30] = (255, 0, 0)
    image[20:35, 35:55] = (0, 0, 255)
    image = np.clip(image.astype(int) + rng.integers(0, 8, image.shape), 0, 255).astype(np.uint8)
    boxes = region_proposals(image, scale=100, sigma=0.5, min_size=20)
    assert boxes.ndim == 2 and boxes.shape[1] == 4 and boxes.dtype.kind == "i"
    assert len(np.unique(boxes, axis=0)) == len(boxes)
    assert [0, 0, 40, 60] in boxes.tolist()  # the last merge covers the image
    assert boxes_iou((5, 10, 25, 30), boxes).max() == 1.0  # the red square is found exactly
    assert boxes_iou((20, 35, 35, 55), boxes).max() == 1.0  # and the blue one


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"scale": 0}, "scale"), ({"sigma": -1}, "sigma"), ({"min_size": 2.5}, "min_size")],
)
def test_region_proposals_reject_bad_parameters(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        region_proposals(np.zeros((8, 8)), **kwargs)


def test_region_proposals_reject_a_batch():
    with pytest.raises(Sprint19Error, match="image"):
        region_proposals(np.zeros((2, 8, 8, 3)))


# === Box IoU ===


def test_boxes_iou_by_hand():
    boxes = [
        [0, 0, 2, 2],  # the same box: 1
        [1, 1, 3, 3],  # overlap 1 px, union 4 + 4 - 1 = 7
        [0, 2, 2, 4],  # shares only an edge: 0
        [5, 5, 6, 6],  # far away: 0
        [0, 0, 4, 4],  # contains it: 4 / 16
    ]
    np.testing.assert_allclose(boxes_iou((0, 0, 2, 2), boxes), [1.0, 1 / 7, 0.0, 0.0, 0.25])


def test_boxes_iou_empty_boxes_give_zero():
    np.testing.assert_array_equal(boxes_iou((1, 1, 1, 1), [[1, 1, 1, 1]]), [0.0])


@pytest.mark.parametrize(
    ("box", "boxes", "match"), [((0, 0, 1), [[0, 0, 1, 1]], "box"), ((0, 0, 1, 1), [0, 0, 1, 1], "boxes")]
)
def test_boxes_iou_rejects_bad_shapes(box, boxes, match):
    with pytest.raises(Sprint19Error, match=match):
        boxes_iou(box, boxes)


# === Colour classes ===


def test_colour_class_map_orders_classes_dark_to_light():
    image = np.zeros((4, 6, 3))
    image[:, 2:4] = (0.9, 0.9, 0.9)
    image[:, 4:] = (0.5, 0.5, 0.5)
    segments = np.repeat([[0, 0, 1, 1, 2, 2]], 4, axis=0)
    class_map = colour_class_map(image, segments, num_classes=3)
    assert class_map.shape == (4, 6)
    assert class_map[0].tolist() == [0, 0, 2, 2, 1, 1]


def test_colour_class_map_groups_similar_segments():
    image = np.zeros((2, 4, 3))
    image[:, 1] = 0.05  # close to black
    image[:, 2:] = 1.0
    segments = np.repeat([[0, 1, 2, 3]], 2, axis=0)
    assert colour_class_map(image, segments, num_classes=2)[0].tolist() == [0, 0, 1, 1]


def test_colour_class_map_rejects_bad_input():
    image = np.zeros((4, 4, 3))
    segments = np.zeros((4, 4), dtype=int)
    with pytest.raises(Sprint19Error, match="num_classes"):
        colour_class_map(image, segments, num_classes=2)  # only one segment
    with pytest.raises(Sprint19Error, match="segments"):
        colour_class_map(image, segments[:3])


def test_public_names_are_exported():
    assert s19.region_proposals is region_proposals
    assert s19.sliding_window_count is sliding_window_count
    assert s19.boxes_iou is boxes_iou
