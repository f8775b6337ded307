"""Padding, cropping, resizing and the coverage-stratified split (sprint19_unet.data.prepare)."""

import numpy as np
import pytest

from sprint19_unet.data import prepare
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.unet.sizes import is_valid_input_size, unet_output_size


def random_images(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


# === Pad and crop ===


def test_tgs_pads_13_before_and_14_after():
    image = random_images((101, 101, 1))
    padded = prepare.pad_to_size(image, 128)
    assert padded.shape == (128, 128, 1)
    np.testing.assert_array_equal(padded[13:114, 13:114], image)
    # reflect: row 12 mirrors row 14 around the image's first row (13)
    np.testing.assert_array_equal(padded[12, 13:114], image[1])


@pytest.mark.parametrize("mode", prepare.PAD_MODES)
@pytest.mark.parametrize(
    "shape, size",
    [((3, 101, 101, 1), 128), ((101, 101, 1), (112, 128)), ((2, 7, 9, 3), (16, 9)), ((5, 5, 2), 5)],
)
def test_crop_undoes_pad_exactly(shape, size, mode):
    images = random_images(shape)
    padded = prepare.pad_to_size(images, size, mode=mode)
    target = (size, size) if isinstance(size, int) else size
    assert padded.shape[-3:-1] == target
    assert padded.dtype == images.dtype
    np.testing.assert_array_equal(prepare.crop_to_size(padded, shape[-3:-1]), images)


def test_pad_keeps_integer_masks():
    mask = np.random.default_rng(1).integers(0, 3, (101, 101, 1)).astype("uint8")
    padded = prepare.pad_to_size(mask, 128)
    assert padded.dtype == np.uint8
    assert set(np.unique(padded)) <= {0, 1, 2}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: prepare.pad_to_size(np.zeros((101, 101)), 128), "images"),
        (lambda: prepare.pad_to_size(np.zeros((101, 101, 1)), 96), "size"),
        (lambda: prepare.pad_to_size(np.zeros((101, 101, 1)), 0), "size"),
        (lambda: prepare.pad_to_size(np.zeros((101, 101, 1)), "128"), "size"),
        (lambda: prepare.pad_to_size(np.zeros((101, 101, 1)), 128, mode="wrap"), "mode"),
        (lambda: prepare.crop_to_size(np.zeros((64, 64, 1)), (101, 101)), "original_hw"),
        (lambda: prepare.crop_to_size(np.zeros((64, 64)), 32), "padded"),
    ],
)
def test_pad_and_crop_errors(call, match):
    with pytest.raises(Sprint19Error, match=match):
        call()


# === Mirror padding for a 'valid' U-Net ===


@pytest.mark.parametrize("side, depth", [(101, 4), (388, 4), (128, 4), (101, 2), (30, 3)])
def test_mirror_pad_gives_a_valid_size_whose_output_covers_the_image(side, depth):
    images = random_images((2, side, side, 1))
    padded, ((top, bottom), (left, right)) = prepare.mirror_pad_for_valid(images, depth=depth)
    input_size = padded.shape[1]
    assert padded.shape == (2, input_size, input_size, 1)
    assert (top + side + bottom, left + side + right) == (input_size, input_size)
    assert is_valid_input_size(input_size, depth, "valid")
    output_size = unet_output_size(input_size, depth, "valid")
    assert output_size >= side
    # The output is the centre of the input; the image must lie inside it, and
    # crop_to_size on the output must land exactly on the image.
    margin = (input_size - output_size) // 2
    assert margin <= top and top + side <= margin + output_size
    fake_prediction = padded[:, margin : margin + output_size, margin : margin + output_size]
    np.testing.assert_array_equal(prepare.crop_to_size(fake_prediction, (side, side)), images)


def test_mirror_pad_paper_tile():
    _, pads = prepare.mirror_pad_for_valid(np.zeros((388, 388, 1)))
    assert pads == ((92, 92), (92, 92))  # 572 = 388 + 2 · 92, the paper's tile


def test_mirror_pad_non_square_and_errors():
    padded, pads = prepare.mirror_pad_for_valid(np.zeros((101, 60, 1)))
    assert padded.shape[:2] == (300, 252) and sum(pads[1]) == 252 - 60
    with pytest.raises(Sprint19Error, match="depth"):
        prepare.mirror_pad_for_valid(np.zeros((101, 101, 1)), depth=0)


# === Resize ===


def test_resize_masks_keeps_values_and_dtype():
    labels = np.random.default_rng(2).integers(0, 5, (3, 101, 101, 1)).astype("int32")
    up = prepare.resize_masks(labels, 128)
    assert up.shape == (3, 128, 128, 1) and up.dtype == np.int32
    assert set(np.unique(up)) <= set(np.unique(labels))
    down = prepare.resize_masks(labels, (50, 40))
    assert down.shape == (3, 50, 40, 1) and set(np.unique(down)) <= set(np.unique(labels))


def test_resize_masks_doubling_repeats_pixels_and_same_size_is_identity():
    mask = np.random.default_rng(3).integers(0, 2, (9, 7, 1)).astype(bool)
    np.testing.assert_array_equal(prepare.resize_masks(mask, (18, 14)), mask.repeat(2, 0).repeat(2, 1))
    np.testing.assert_array_equal(prepare.resize_masks(mask, (9, 7)), mask)


def test_resize_images_bilinear():
    images = random_images((2, 101, 101, 3))
    assert prepare.resize_images(images, 128).shape == (2, 128, 128, 3)
    np.testing.assert_allclose(prepare.resize_images(images, 101), images, atol=1e-6)
    # A linear ramp stays linear inside (bilinear is exact on linear functions).
    ramp = np.tile(np.arange(8, dtype="float64"), (4, 1))[:, :, None]
    out = prepare.resize_images(ramp, (4, 16))[0, 1:-1, 0]
    np.testing.assert_allclose(np.diff(out), 0.5, atol=1e-6)
    constant = np.full((5, 5, 1), 0.25)
    np.testing.assert_allclose(prepare.resize_images(constant, 12), 0.25, atol=1e-7)


# === Coverage classes and the stratified split ===


def masks_with_coverages(coverages, side=10):
    masks = np.zeros((len(coverages), side, side), dtype="uint8")
    for i, coverage in enumerate(coverages):
        masks[i].flat[: int(round(coverage * side * side))] = 1
    return masks


def test_coverage_classes_by_hand():
    masks = masks_with_coverages([0.0, 0.01, 0.1, 0.11, 0.3, 0.95, 1.0])
    assert prepare.coverage_classes(masks).tolist() == [0, 1, 1, 2, 3, 10, 10]
    assert prepare.coverage_classes(masks[..., None], num_bins=2).tolist() == [0, 1, 1, 1, 1, 2, 2]


def tgs_like_masks(count=400, seed=0):
    """About 39 % empty masks, the rest with random coverage, like TGS."""
    rng = np.random.default_rng(seed)
    coverages = np.where(rng.random(count) < 0.39, 0.0, rng.random(count))
    return masks_with_coverages(coverages, side=20)


def test_stratified_split_is_disjoint_covering_and_deterministic():
    masks = tgs_like_masks()
    train_idx, val_idx = prepare.stratified_split(masks, val_fraction=0.2, seed=7)
    assert len(np.intersect1d(train_idx, val_idx)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, val_idx])), np.arange(len(masks)))
    again = prepare.stratified_split(masks, val_fraction=0.2, seed=7)
    np.testing.assert_array_equal(again[0], train_idx)
    np.testing.assert_array_equal(again[1], val_idx)
    other = prepare.stratified_split(masks, val_fraction=0.2, seed=8)
    assert not np.array_equal(other[1], val_idx)


@pytest.mark.parametrize("val_fraction", [0.1, 0.2, 0.5])
def test_stratified_split_keeps_class_proportions(val_fraction):
    masks = tgs_like_masks(seed=1)
    classes = prepare.coverage_classes(masks)
    train_idx, val_idx = prepare.stratified_split(masks, val_fraction=val_fraction, seed=0)
    for label in np.unique(classes):
        count = np.sum(classes == label)
        in_val = np.sum(classes[val_idx] == label)
        assert abs(in_val - count * val_fraction) <= 1
        if count >= 2:
            assert 1 <= in_val <= count - 1  # represented in both parts


def test_stratified_split_small_cases():
    # Two members of one class: one each side, even with a tiny fraction.
    train_idx, val_idx = prepare.stratified_split(masks_with_coverages([0.5, 0.5]), val_fraction=0.01)
    assert len(train_idx) == 1 and len(val_idx) == 1
    # Only single-member classes: still a non-empty validation part.
    train_idx, val_idx = prepare.stratified_split(masks_with_coverages([0.0, 0.5, 1.0]), val_fraction=0.2)
    assert len(val_idx) == 1 and len(train_idx) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"val_fraction": 0.0}, "val_fraction"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"val_fraction": -0.2}, "val_fraction"),
        ({"val_fraction": True}, "val_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_stratified_split_argument_errors(kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        prepare.stratified_split(tgs_like_masks(count=20), **kwargs)


def test_stratified_split_too_few_and_bad_shapes():
    with pytest.raises(Sprint19Error, match="at least 2 samples"):
        prepare.stratified_split(np.zeros((1, 10, 10)))
    with pytest.raises(Sprint19Error, match="masks"):
        prepare.stratified_split(np.zeros((10, 10)))
    with pytest.raises(Sprint19Error, match="num_bins"):
        prepare.coverage_classes(np.zeros((3, 10, 10)), num_bins=0)
