"""Tests for the synthetic TGS-like salt data and the multi-class street scenes.

No training here: the statistics that make the salt data a good lesson (empty
fraction, coverage spread, salt at the border, texture rather than brightness)
are checked directly on the arrays.
"""

import numpy as np
import pytest

from sprint19_unet.data import synthetic_salt, synthetic_scenes
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.data.formats import load_tgs
from sprint19_unet.data.synthetic_salt import make_salt_dataset, write_salt_sample
from sprint19_unet.data.synthetic_scenes import make_shapes_dataset, shapes_class_names


@pytest.fixture(scope="module")
def salt500():
    """500 TGS-sized images, the sample every statistic below is measured on."""
    images, masks, depths = make_salt_dataset(500, seed=0)
    return images[..., 0], masks[..., 0].astype(bool), depths


def best_threshold_iou(images: np.ndarray, masks: np.ndarray) -> float:
    """Best pixel IoU of ``image > t`` or ``image < t`` over all thresholds t."""
    bins = np.minimum((images.ravel() * 256).astype(int), 255)
    salt = np.bincount(bins[masks.ravel()], minlength=256)
    rock = np.bincount(bins[~masks.ravel()], minlength=256)
    best = 0.0
    for salt_hit, rock_hit in (
        (np.cumsum(salt[::-1])[::-1], np.cumsum(rock[::-1])[::-1]),  # predict salt where bright
        (np.cumsum(salt), np.cumsum(rock)),  # predict salt where dark
    ):
        # IoU = TP / (TP + FP + FN) = hit salt / (all salt + hit rock)
        best = max(best, float(np.max(salt_hit / (salt.sum() + rock_hit))))
    return best


# === Salt: shapes, dtypes, ranges ===


@pytest.mark.parametrize("size", [101, 64, 16])
def test_salt_shapes_dtypes_and_ranges(size):
    images, masks, depths = make_salt_dataset(6, size=size, seed=3)
    assert images.shape == (6, size, size, 1) and images.dtype == np.float32
    assert masks.shape == (6, size, size, 1) and masks.dtype == np.uint8
    assert depths.shape == (6,) and depths.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert set(np.unique(masks)) <= {0, 1}
    assert np.all((depths >= 50) & (depths <= 950))
    np.testing.assert_array_equal(depths, np.round(depths))  # whole metres, as in TGS depths.csv


def test_salt_default_size_is_tgs():
    images, _, _ = make_salt_dataset(1)
    assert images.shape == (1, 101, 101, 1)


# === Salt: determinism ===


def test_salt_same_seed_same_data():
    first, second = make_salt_dataset(4, seed=7), make_salt_dataset(4, seed=7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_salt_image_i_does_not_depend_on_n():
    ten, five = make_salt_dataset(10, seed=2), make_salt_dataset(5, seed=2)
    for a, b in zip(ten, five):
        np.testing.assert_array_equal(a[:5], b)


def test_salt_different_seeds_differ():
    a, b = make_salt_dataset(3, seed=0)[0], make_salt_dataset(3, seed=1)[0]
    assert not np.allclose(a, b)


# === Salt: TGS-like statistics ===


def test_salt_empty_fraction_like_tgs(salt500):
    _, masks, _ = salt500
    empty = ~masks.any(axis=(1, 2))
    assert abs(empty.mean() - 0.39) <= 0.08


@pytest.mark.parametrize("fraction, expected", [(0.0, 0.0), (1.0, 1.0)])
def test_salt_empty_fraction_extremes(fraction, expected):
    _, masks, _ = make_salt_dataset(20, seed=4, empty_fraction=fraction)
    assert (~masks.any(axis=(1, 2, 3))).mean() == expected


def test_salt_coverage_spreads_from_small_to_nearly_full(salt500):
    _, masks, _ = salt500
    coverage = masks.mean(axis=(1, 2))
    coverage = coverage[coverage > 0]
    assert coverage.min() < 0.1 and coverage.max() > 0.9
    deciles = np.histogram(coverage, bins=10, range=(0.0, 1.0))[0]
    assert (deciles >= 5).sum() >= 8, deciles


def test_salt_bodies_often_touch_the_border(salt500):
    _, masks, _ = salt500
    salty = masks[masks.any(axis=(1, 2))]
    touches = salty[:, 0].any(1) | salty[:, -1].any(1) | salty[:, :, 0].any(1) | salty[:, :, -1].any(1)
    assert touches.mean() > 0.5
    assert not touches.all()  # a few bodies sit inside the image


def test_salt_depth_loosely_deeper_with_salt(salt500):
    _, masks, depths = salt500
    has_salt = masks.any(axis=(1, 2))
    assert depths[has_salt].mean() > depths[~has_salt].mean()
    assert depths.std() > 100  # a broad spread, not a label in disguise


# === Salt: texture, not brightness ===


def test_salt_intensity_histograms_overlap(salt500):
    images, masks, _ = salt500
    bins = np.linspace(0.0, 1.0, 65)
    inside = np.histogram(images[masks], bins=bins)[0] / masks.sum()
    outside = np.histogram(images[~masks], bins=bins)[0] / (~masks).sum()
    assert np.minimum(inside, outside).sum() >= 0.7


def test_salt_global_threshold_fails(salt500):
    images, masks, _ = salt500
    salty = masks.any(axis=(1, 2))
    iou = best_threshold_iou(images[salty], masks[salty])
    assert iou < 0.5
    # It is no better than calling every pixel salt: intensity alone carries no signal.
    assert iou < masks[salty].mean() + 0.05


def test_best_threshold_iou_helper_on_a_separable_case():
    images = np.array([[0.1, 0.2, 0.8, 0.9]])
    masks = np.array([[False, False, True, True]])
    assert best_threshold_iou(images, masks) == 1.0
    assert best_threshold_iou(1.0 - images, masks) == 1.0


# === Salt in the Kaggle layout ===


def test_write_salt_sample_round_trips_through_load_tgs(tmp_path):
    root = write_salt_sample(tmp_path / "tgs", n=6, test_n=3, seed=2)
    assert (root / "train.csv").is_file() and (root / "depths.csv").is_file()
    assert len(list((root / "train" / "images").glob("*.png"))) == 6
    assert len(list((root / "train" / "masks").glob("*.png"))) == 6
    assert len(list((root / "test" / "images").glob("*.png"))) == 3
    assert len((root / "depths.csv").read_text().splitlines()) == 1 + 6 + 3

    train = load_tgs(root, "train")
    images, masks, depths = make_salt_dataset(6, seed=2)
    index = {key: i for i, key in enumerate(synthetic_salt._kaggle_ids(2, "train", 6))}
    rows = [index[key] for key in train.ids]  # pair by id, never by file order
    assert sorted(rows) == list(range(6))
    np.testing.assert_array_equal(train.masks, masks[rows])
    np.testing.assert_allclose(train.images, images[rows], atol=0.5 / 255 + 1e-6)
    np.testing.assert_array_equal(train.depths, depths[rows])
    test = load_tgs(root, "test")
    assert len(test) == 3 and not set(test.ids) & set(train.ids)


@pytest.mark.parametrize("kwargs, match", [({"n": 0}, "^n: "), ({"n": 2, "test_n": -1}, "^test_n: ")])
def test_write_salt_sample_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        write_salt_sample(tmp_path / "tgs", **kwargs)


def test_write_salt_sample_zero_test_images(tmp_path):
    root = write_salt_sample(tmp_path / "tgs", n=2, test_n=0)
    assert not (root / "test").exists()


def test_write_salt_sample_refuses_a_full_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(Sprint19Error, match="not empty"):
        write_salt_sample(tmp_path, n=2, test_n=0)


# === Multi-class scenes ===


@pytest.mark.parametrize("num_classes", [2, 5, 6, 9])
def test_shapes_dtypes_ranges_and_every_class_appears(num_classes):
    images, labels = make_shapes_dataset(40, num_classes=num_classes, size=64, seed=1)
    assert images.shape == (40, 64, 64, 3) and images.dtype == np.float32
    assert labels.shape == (40, 64, 64, 1) and labels.dtype == np.uint8
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.max() < num_classes
    assert set(np.unique(labels)) == set(range(num_classes))


def test_shapes_default_size_and_classes():
    images, labels = make_shapes_dataset(2)
    assert images.shape == (2, 128, 128, 3) and labels.max() <= 4


def test_shapes_every_scene_shows_an_object():
    _, labels = make_shapes_dataset(30, num_classes=2, size=32, seed=5)
    assert labels.any(axis=(1, 2, 3)).all()


def test_shapes_deterministic_and_independent_of_n():
    ten, five = make_shapes_dataset(10, size=48, seed=3), make_shapes_dataset(5, size=48, seed=3)
    for a, b in zip(ten, five):
        np.testing.assert_array_equal(a[:5], b)
    other = make_shapes_dataset(5, size=48, seed=4)
    assert not np.array_equal(five[1], other[1])


def test_class_names():
    assert synthetic_scenes.CLASS_NAMES[0] == "background"
    assert shapes_class_names(5) == ("background", "person", "purse", "plants/grass", "sidewalk")
    assert shapes_class_names(6)[-1] == "building"
    assert shapes_class_names(8) == synthetic_scenes.CLASS_NAMES + ("class_6", "class_7")


# === Bad arguments ===


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "^n: expected an integer >= 1"),
        ({"n": 2.0}, "^n: "),
        ({"n": True}, "^n: "),
        ({"n": 2, "size": 15}, "^size: expected an integer >= 16"),
        ({"n": 2, "seed": -1}, "^seed: "),
        ({"n": 2, "empty_fraction": -0.1}, "^empty_fraction: expected a fraction between 0 and 1"),
        ({"n": 2, "empty_fraction": 1.5}, "^empty_fraction: "),
        ({"n": 2, "empty_fraction": "0.39"}, "^empty_fraction: "),
    ],
)
def test_salt_bad_arguments(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        make_salt_dataset(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "^n: "),
        ({"n": 2, "num_classes": 1}, r"^num_classes: expected an integer in \[2, 256\]"),
        ({"n": 2, "num_classes": 257}, "^num_classes: "),
        ({"n": 2, "size": 8}, "^size: "),
        ({"n": 2, "seed": 1.5}, "^seed: "),
    ],
)
def test_shapes_bad_arguments(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        make_shapes_dataset(**kwargs)


def test_class_names_bad_argument():
    with pytest.raises(Sprint19Error, match="^num_classes: .*received 1"):
        shapes_class_names(1)
