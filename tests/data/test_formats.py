"""Loaders: Kaggle TGS layout, folder pairs, TIFF stacks — and every bad input (layouts: test_datasets.py)."""

import csv
import logging
import os
import shutil

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data.formats import (
    SegmentationData,
    load_folder_pairs,
    load_pairs,
    load_tgs,
    load_tiff_stacks,
    write_tgs_layout,
)
from sprint19_unet.data.images import write_png, write_tiff_stack


SIZE = 101  # TGS Salt images are 101×101


# === Helpers that write test files without the code under test ===


def reference_rle(mask):
    """Slow, independent Kaggle encoder: number pixels down each column, from 1."""
    pixels = [int(value) for column in np.asarray(mask).T for value in column]
    runs, start = [], None
    for number, value in enumerate(pixels + [0], start=1):
        if value and start is None:
            start = number
        elif not value and start is not None:
            runs += [start, number - start]
            start = None
    return " ".join(str(value) for value in runs)


def png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.asarray(array))
    (image.convert(mode) if mode else image).save(path)
    return path


def write_csv(path, header, rows):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tgs_samples(seed=0):
    """Four training images with masks (empty, full, one pixel, random) and two test images."""
    rng = np.random.default_rng(seed)
    ids = ["f9e8", "0a1b", "5c5c", "b2c3"]  # deliberately not sorted
    images = {key: rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8) for key in ids}
    masks = {key: np.zeros((SIZE, SIZE), bool) for key in ids}
    masks["0a1b"][:] = True
    masks["5c5c"][SIZE - 1, SIZE - 1] = True  # the last pixel
    masks["b2c3"] = rng.random((SIZE, SIZE)) < 0.3
    test = {key: rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8) for key in ["t2", "t1"]}
    depths = {"f9e8": 101, "0a1b": 202, "5c5c": 303, "b2c3": 404, "t2": 505, "t1": 606}
    return images, masks, test, depths


def make_kaggle(root, *, with_pngs=True, with_csv=True, with_depths=True, seed=0):
    """Write the Kaggle TGS layout by hand (Pillow + csv) and return what was written."""
    images, masks, test, depths = tgs_samples(seed)
    for key, image in images.items():
        png(root / "train" / "images" / f"{key}.png", image)
        if with_pngs:
            png(root / "train" / "masks" / f"{key}.png", masks[key].astype(np.uint8) * 255)
    for key, image in test.items():
        png(root / "test" / "images" / f"{key}.png", image)
    if with_csv:
        write_csv(root / "train.csv", ["id", "rle_mask"], [(key, reference_rle(masks[key])) for key in images])
    if with_depths:
        write_csv(root / "depths.csv", ["id", "z"], list(depths.items()))
    return images, masks, test, depths


# === Kaggle TGS layout: loading ===


def test_load_tgs_reads_hand_written_layout_exactly(tmp_path):
    images, masks, _, depths = make_kaggle(tmp_path)
    data = load_tgs(tmp_path)
    assert data.ids == sorted(images) == ["0a1b", "5c5c", "b2c3", "f9e8"]
    assert len(data) == 4
    assert data.images.shape == (4, SIZE, SIZE, 1) and data.images.dtype == np.float32
    assert data.masks.shape == (4, SIZE, SIZE, 1) and data.masks.dtype == np.uint8
    for index, key in enumerate(data.ids):  # paired by id, not by position on disk
        np.testing.assert_allclose(data.images[index, ..., 0], images[key] / 255.0, atol=1e-7)
        np.testing.assert_array_equal(data.masks[index, ..., 0], masks[key])
    assert data.depths.dtype == np.float32
    assert data.depths.tolist() == [depths[key] for key in data.ids]


def test_load_tgs_from_csv_only(tmp_path):
    images, masks, _, _ = make_kaggle(tmp_path, with_pngs=False)
    assert not (tmp_path / "train" / "masks").exists()
    data = load_tgs(tmp_path)
    for index, key in enumerate(data.ids):
        np.testing.assert_array_equal(data.masks[index, ..., 0], masks[key])


def test_load_tgs_ignores_extra_csv_columns_and_hidden_files(tmp_path):
    _, masks, _, _ = make_kaggle(tmp_path)
    rows = [(key, reference_rle(masks[key]), "note") for key in TRAIN]
    write_csv(tmp_path / "train.csv", ["id", "rle_mask", "comment"], rows)
    (tmp_path / "train" / "images" / ".DS_Store").write_bytes(b"\0")
    with pytest.warns(UserWarning, match=r"train\.csv': extra columns \['comment'\] are ignored"):
        assert load_tgs(tmp_path).ids == sorted(TRAIN)


def test_load_tgs_from_pngs_only_without_depths(tmp_path):
    _, masks, _, _ = make_kaggle(tmp_path, with_csv=False, with_depths=False)
    data = load_tgs(tmp_path)
    assert data.depths is None
    np.testing.assert_array_equal(data.masks[data.ids.index("b2c3"), ..., 0], masks["b2c3"])


def test_load_tgs_test_split(tmp_path):
    _, _, test, depths = make_kaggle(tmp_path)
    data = load_tgs(tmp_path, split="test")
    assert data.ids == ["t1", "t2"] and data.masks is None
    np.testing.assert_allclose(data.images[1, ..., 0], test["t2"] / 255.0, atol=1e-7)
    assert data.depths.tolist() == [606.0, 505.0]


def test_load_tgs_csv_disagreeing_with_pngs(tmp_path):
    make_kaggle(tmp_path)
    rows = list(csv.reader(open(tmp_path / "train.csv")))
    rows = [(key, "1 5" if key in ("f9e8", "0a1b") else rle) for key, rle in rows[1:]]
    write_csv(tmp_path / "train.csv", ["id", "rle_mask"], rows)
    with pytest.raises(Sprint19Error, match=r"differ from the mask PNGs for 2 ids: '0a1b', 'f9e8'"):
        load_tgs(tmp_path)


def test_load_tgs_warns_when_all_masks_empty(tmp_path):
    write_tgs_layout(tmp_path / "tgs", ["a", "b"], np.zeros((2, SIZE, SIZE)), np.zeros((2, SIZE, SIZE), bool))
    with pytest.warns(UserWarning, match="all black"):
        load_tgs(tmp_path / "tgs")


# === Kaggle TGS layout: bad inputs ===


def remove(path):
    shutil.rmtree(path) if path.is_dir() else path.unlink()


TRAIN = ("f9e8", "0a1b", "5c5c", "b2c3")


def replace_with_file(root):
    remove(root / "train" / "images")
    (root / "train" / "images").write_text("x")


def truncate(path, keep=60):
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        pytest.param(
            lambda root: remove(root / "train" / "images"),
            r"train images folder.*does not exist.*Unzip train\.zip",
            id="missing-images-folder",
        ),
        pytest.param(
            replace_with_file, r"train images folder.*expected a folder; received a file", id="images-folder-is-file"
        ),
        pytest.param(
            lambda root: [remove(path) for path in (root / "train" / "images").iterdir()],
            r"images folder.*empty folder",
            id="empty-images-folder",
        ),
        pytest.param(
            lambda root: [remove(path) for path in (root / "train" / "masks").iterdir()],
            r"masks folder.*empty folder.*delete the empty masks folder",
            id="empty-masks-folder",
        ),
        pytest.param(
            lambda root: remove(root / "train" / "masks" / "5c5c.png"),
            r"no mask for 1 images: '5c5c'",
            id="image-without-mask",
        ),
        pytest.param(
            lambda root: png(root / "train" / "masks" / "zz99.png", np.zeros((SIZE, SIZE), np.uint8)),
            r"1 masks without an image: 'zz99'",
            id="mask-without-image",
        ),
        pytest.param(
            lambda root: (remove(root / "train" / "masks"), remove(root / "train.csv")),
            "neither train/masks/ nor train.csv",
            id="no-masks-at-all",
        ),
        pytest.param(
            lambda root: write_csv(root / "train.csv", ["ImageId", "EncodedPixels"], [("f9e8", "")]),
            r"train\.csv.*columns id,rle_mask.*\['ImageId', 'EncodedPixels'\]",
            id="wrong-csv-columns",
        ),
        pytest.param(lambda root: (root / "train.csv").write_text(""), r"train\.csv.*no header line", id="empty-csv"),
        pytest.param(
            lambda root: (root / "train.csv").write_text("id,rle_mask\nf9e8,\n0a1b\n"),
            r"train\.csv', line 3.*received 1 fields",
            id="csv-row-missing-field",
        ),
        pytest.param(
            lambda root: write_csv(root / "depths.csv", ["id", "depth"], [("f9e8", 1)]),
            r"depths\.csv.*columns id,z",
            id="wrong-depth-columns",
        ),
        pytest.param(
            lambda root: write_csv(root / "train.csv", ["id", "rle_mask"], [("0a1b", "1 5"), ("0a1b", "1 5")]),
            r"the id '0a1b' twice \(again on line 3\)",
            id="duplicate-ids",
        ),
        pytest.param(
            lambda root: write_csv(root / "train.csv", ["id", "rle_mask"], [(k, "") for k in (*TRAIN, "ghost")]),
            r"1 ids without an image.*'ghost'",
            id="csv-id-without-image",
        ),
        pytest.param(
            lambda root: write_csv(root / "train.csv", ["id", "rle_mask"], [("f9e8", ""), ("0a1b", "1 10201")]),
            r"no row for 2 images.*'5c5c', 'b2c3'",
            id="image-without-csv-row",
        ),
        pytest.param(
            lambda root: write_csv(root / "train.csv", ["id", "rle_mask"], [(k, "1 2 3") for k in TRAIN]),
            r"train\.csv', id '0a1b'.*odd number of values",
            id="bad-rle",
        ),
        pytest.param(
            lambda root: write_csv(root / "depths.csv", ["id", "z"], [("f9e8", 1), ("0a1b", 2)]),
            r"no depth for 2 images: '5c5c', 'b2c3'",
            id="missing-depth",
        ),
        pytest.param(
            lambda root: write_csv(root / "depths.csv", ["id", "z"], [(k, "deep") for k in TRAIN]),
            r"id 'f9e8'.*the depth 'deep'",
            id="non-numeric-depth",
        ),
        pytest.param(
            lambda root: png(root / "train" / "masks" / "5c5c.png", np.zeros((SIZE, SIZE + 1), np.uint8)),
            r"5c5c\.png.*size of its image.*101×101; received size 101×102",
            id="mask-size-mismatch",
        ),
        pytest.param(
            lambda root: png(root / "train" / "images" / "5c5c.png", np.zeros((64, 64), np.uint8)),
            r"5c5c\.png.*size of the other images, 101×101.*received size 64×64",
            id="image-size-mismatch",
        ),
        pytest.param(
            lambda root: (root / "train" / "images" / "5c5c.png").write_bytes(b""),
            r"5c5c\.png.*zero-byte",
            id="zero-byte-png",
        ),
        pytest.param(
            lambda root: (root / "train" / "images" / "5c5c.png").write_text("<html>404</html>"),
            r"5c5c\.png.*Pillow cannot read.*re-download",
            id="text-named-png",
        ),
        pytest.param(
            lambda root: truncate(root / "train" / "masks" / "5c5c.png"),
            r"mask '.*5c5c\.png'.*re-extract",
            id="truncated-mask-png",
        ),
    ],
)
def test_load_tgs_bad_layouts(tmp_path, damage, match):
    make_kaggle(tmp_path)
    damage(tmp_path)
    with pytest.raises(Sprint19Error, match=match):
        load_tgs(tmp_path)


def test_load_tgs_bad_root_and_split(tmp_path):
    with pytest.raises(Sprint19Error, match="TGS root.*does not exist"):
        load_tgs(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(Sprint19Error, match="TGS root.*received a file"):
        load_tgs(tmp_path / "file.txt")
    with pytest.raises(Sprint19Error, match=r"split.*'train' \(images with masks\) or 'test'"):
        load_tgs(tmp_path, split="valid")
    with pytest.raises(Sprint19Error, match="test images folder.*does not exist"):
        load_tgs(tmp_path, split="test")


# === Kaggle TGS layout: writing ===


def test_write_tgs_layout_matches_kaggle_and_round_trips(tmp_path):
    images, masks, test, depths = tgs_samples()
    ids = list(images)
    image_array = np.stack([images[key] for key in ids]).astype(np.float32) / 255.0
    mask_array = np.stack([masks[key] for key in ids])[..., None].astype(np.uint8)
    root = write_tgs_layout(
        tmp_path / "tgs",
        ids,
        image_array,
        mask_array,
        depths=[depths[key] for key in ids],
        test_ids=list(test),
        test_images=np.stack(list(test.values())),
        test_depths=[depths[k] for k in test],
    )
    # the files are exactly Kaggle's
    mask_file = Image.open(root / "train" / "masks" / "0a1b.png")
    assert mask_file.mode == "L" and set(np.unique(np.array(mask_file))) == {255}
    assert Image.open(root / "train" / "images" / "f9e8.png").mode == "L"
    np.testing.assert_array_equal(np.array(Image.open(root / "test" / "images" / "t1.png")), test["t1"])
    rows = list(csv.reader(open(root / "train.csv")))
    assert rows[0] == ["id", "rle_mask"]
    assert dict(rows[1:]) == {key: reference_rle(masks[key]) for key in ids}
    assert dict(rows[1:])["f9e8"] == "" and dict(rows[1:])["5c5c"] == "10201 1"
    depth_rows = list(csv.reader(open(root / "depths.csv")))
    assert depth_rows[0] == ["id", "z"] and dict(depth_rows[1:]) == {k: str(v) for k, v in depths.items()}
    assert not [path for path in root.rglob("*") if path.name.endswith(".tmp")]
    # and load back exactly
    data = load_tgs(root)
    for index, key in enumerate(data.ids):
        np.testing.assert_array_equal(np.round(data.images[index, ..., 0] * 255), images[key])
        np.testing.assert_array_equal(data.masks[index, ..., 0], masks[key])
    assert load_tgs(root, split="test").ids == ["t1", "t2"]


def test_write_tgs_layout_overwrite(tmp_path):
    root = tmp_path / "tgs"
    write_tgs_layout(root, ["old1", "old2"], np.zeros((2, 8, 8)), np.zeros((2, 8, 8), bool))
    (root / "README.txt").write_text("mine")
    with pytest.raises(Sprint19Error, match="not empty.*overwrite=True"):
        write_tgs_layout(root, ["new"], np.zeros((1, 8, 8)), np.ones((1, 8, 8), bool))
    write_tgs_layout(root, ["new"], np.zeros((1, 8, 8)), np.ones((1, 8, 8), bool), overwrite=True)
    assert load_tgs(root).ids == ["new"]  # stale ids are gone
    assert (root / "README.txt").read_text() == "mine"  # other files are kept
    (tmp_path / "file").write_text("x")
    with pytest.raises(Sprint19Error, match="received a file"):
        write_tgs_layout(tmp_path / "file", ["a"], np.zeros((1, 8, 8)), np.zeros((1, 8, 8), bool), overwrite=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ids": ["a", "a"]}, "repeated ids 'a'"),
        ({"ids": ["a", "x/y"]}, "cannot be file names: 'x/y'"),
        ({"ids": "ab"}, "list of id strings"),
        ({"images": np.zeros((3, 8, 8))}, r"images.*\(2, H, W\)"),
        ({"images": np.full((2, 8, 8), 2.0)}, r"floats in \[0, 1\]"),
        ({"masks": np.zeros((2, 8, 9))}, "masks.*to match images"),
        ({"masks": np.full((2, 8, 8), 7)}, r"values \{7\}"),
        ({"depths": [1.0]}, "one depth per id"),
        ({"test_ids": ["t"]}, "both or neither"),
        ({"depths": [1, 2], "test_ids": ["t"], "test_images": np.zeros((1, 8, 8))}, "test_depths.*None"),
        ({"test_depths": [1]}, "test_depths"),
        ({"test_ids": ["a"], "test_images": np.zeros((1, 8, 8))}, "also in the training ids"),
    ],
)
def test_write_tgs_layout_bad_input(tmp_path, kwargs, match):
    arguments = {"ids": ["a", "b"], "images": np.zeros((2, 8, 8)), "masks": np.zeros((2, 8, 8), bool)}
    arguments.update(kwargs)
    with pytest.raises(Sprint19Error, match=match):
        write_tgs_layout(tmp_path / "tgs", **arguments)
    assert not (tmp_path / "tgs").exists()  # nothing written on bad input


# === Folder pairs ===


def id_pattern(number, size=12):
    """An image whose brightness and a mask whose square position identify `number`."""
    image = np.full((size, size), number * 10, np.uint8)
    mask = np.zeros((size, size), np.uint8)
    mask[number % size, : number % size + 1] = 255
    return image, mask


def test_folder_pairs_by_stem_with_mixed_extensions(tmp_path, caplog):
    # Lexicographic order is 10, 2, 9 — natural order 2, 9, 10; the extensions differ per side.
    layout = {2: ("2.tiff", "2.png"), 9: ("9.png", "9.tif"), 10: ("10.jpg", "10.png")}
    for number, (image_name, mask_name) in layout.items():
        image, mask = id_pattern(number)
        png(tmp_path / "images" / image_name, image, mode="RGB" if number == 9 else None)
        png(tmp_path / "masks" / mask_name, mask)
    (tmp_path / "images" / "README.txt").write_text("not an image")  # skipped
    with caplog.at_level(logging.INFO, logger="sprint19_unet"):
        data = load_folder_pairs(tmp_path / "images", tmp_path / "masks")
    assert data.ids == ["10", "2", "9"]
    for index, key in enumerate(data.ids):
        image, mask = id_pattern(int(key))
        np.testing.assert_allclose(data.images[index, ..., 0], image / 255.0, atol=2 / 255)  # JPEG is lossy
        np.testing.assert_array_equal(data.masks[index, ..., 0], mask // 255)
    assert "converted RGB to grayscale" in caplog.text and "9.png" in caplog.text
    assert "README.txt" in caplog.text


def test_missing_mask_is_named_instead_of_shifting_pairs(tmp_path):
    # Pairing by sort order would silently pair image b with mask c.
    for name in "abc":
        png(tmp_path / "images" / f"{name}.png", np.zeros((4, 4), np.uint8))
    for name in "acd":
        png(tmp_path / "masks" / f"{name}.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(Sprint19Error, match=r"no mask for 1 images: 'b'"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")
    png(tmp_path / "masks" / "b.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(Sprint19Error, match=r"1 masks without an image: 'd'"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")


def test_folder_pairs_options(tmp_path):
    png(tmp_path / "images" / "a.png", np.full((4, 4), 255, np.uint8))
    png(tmp_path / "masks" / "a.png", np.array([[0, 255, 255, 255]] * 4, np.uint8))
    png(tmp_path / "labels" / "a.png", np.array([[0, 1, 2, 3]] * 4, np.uint8))
    images_only = load_folder_pairs(tmp_path / "images")
    assert images_only.masks is None and images_only.images.shape == (1, 4, 4, 1)
    assert load_folder_pairs(tmp_path / "images", channels=3).images.shape == (1, 4, 4, 3)
    dark = load_folder_pairs(tmp_path / "images", tmp_path / "masks", foreground=0)
    assert dark.masks[0, 0, :, 0].tolist() == [1, 0, 0, 0]
    labels = load_folder_pairs(tmp_path / "images", tmp_path / "labels", num_classes=4)
    assert labels.masks[0, 0, :, 0].tolist() == [0, 1, 2, 3]
    with pytest.raises(Sprint19Error, match=r"values \{0, 1, 2, 3\}"):
        load_folder_pairs(tmp_path / "images", tmp_path / "labels")
    with pytest.raises(Sprint19Error, match="at most one"):
        load_folder_pairs(tmp_path / "images", tmp_path / "labels", foreground=0, num_classes=4)


def test_pairs_from_lists_keep_the_order_given_and_name_a_bad_mask(tmp_path):
    # What a layout that lists its own files (a CSV of pairs, say) calls: no folder, no pairing by stem.
    image_paths = [png(tmp_path / f"img_{value}.png", np.full((4, 4), value, np.uint8)) for value in (200, 100)]
    mask_paths = [png(tmp_path / f"lab_{value}.png", np.eye(4, dtype=np.uint8) * 255 * (value == 200))
                  for value in (200, 100)]
    data = load_pairs(["second", "first"], image_paths, mask_paths)
    assert data.ids == ["second", "first"]
    np.testing.assert_allclose(data.images[:, 0, 0, 0], [200 / 255, 100 / 255], atol=1e-6)
    assert data.masks[:, ..., 0].sum(axis=(1, 2)).tolist() == [4, 0]
    assert load_pairs(["second", "first"], image_paths).masks is None
    png(tmp_path / "small.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(Sprint19Error, match=r"mask '.*small.png': expected the size of its image '.*img_100.png', 4×4; received size 2×2"):
        load_pairs(["a", "b"], image_paths, [mask_paths[0], tmp_path / "small.png"])
    with pytest.warns(UserWarning, match="the masks of 'x.csv'"):
        load_pairs(["b"], image_paths[1:], mask_paths[1:], masks_source="the masks of 'x.csv'")

def test_folder_pairs_16_bit_rgba_and_palette(tmp_path):
    png(tmp_path / "images" / "deep.png", np.full((4, 4), 65535, np.uint16))
    png(
        tmp_path / "images" / "rgba.png",
        np.dstack([np.full((4, 4), 51, np.uint8)] * 3 + [np.full((4, 4), 255, np.uint8)]),
    )
    palette = Image.fromarray(np.ones((4, 4), np.uint8), mode="P")
    palette.putpalette([0, 0, 0, 102, 102, 102] + [0] * 762)
    palette.save(tmp_path / "images" / "pal.png")
    data = load_folder_pairs(tmp_path / "images")
    assert data.ids == ["deep", "pal", "rgba"]
    np.testing.assert_allclose(data.images[:, 0, 0, 0], [1.0, 0.4, 0.2], atol=1e-6)
    transparent = np.dstack([np.zeros((4, 4, 3), np.uint8), np.full((4, 4), 128, np.uint8)])
    png(tmp_path / "images" / "ghost.png", transparent)
    with pytest.raises(Sprint19Error, match=r"ghost\.png.*16 transparent pixels"):
        load_folder_pairs(tmp_path / "images")


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        (lambda d: None, r"images folder.*does not exist"),
        (lambda d: (d / "images").write_text("x"), r"images folder.*received a file"),
        (lambda d: (d / "images").mkdir(), r"images folder.*empty folder"),
        (lambda d: ((d / "images").mkdir(), (d / "images" / "a.bmp").write_text("x")), r"no image files.*'a\.bmp'"),
        (
            lambda d: (
                png(d / "images" / "a.png", np.zeros((4, 4), np.uint8)),
                png(d / "images" / "a.tif", np.zeros((4, 4), np.uint8)),
            ),
            r"two files with the stem 'a'",
        ),
        (
            lambda d: (
                png(d / "images" / "a.png", np.zeros((4, 4), np.uint8)),
                png(d / "images" / "b.png", np.zeros((5, 4), np.uint8)),
            ),
            r"b\.png.*4×4.*received size 5×4",
        ),
        (
            lambda d: (
                png(d / "images" / "a.png", np.zeros((4, 4), np.uint8)),
                (d / "images" / "b.png").write_bytes(b""),
            ),
            r"b\.png.*zero-byte",
        ),
    ],
)
def test_folder_pairs_bad_image_folders(tmp_path, setup, match):
    setup(tmp_path)
    with pytest.raises(Sprint19Error, match=match):
        load_folder_pairs(tmp_path / "images")


def test_folder_pairs_bad_mask_folders(tmp_path):
    png(tmp_path / "images" / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(Sprint19Error, match="masks folder.*does not exist"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")
    (tmp_path / "masks").mkdir()
    with pytest.raises(Sprint19Error, match="masks folder.*empty folder"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")
    png(tmp_path / "masks" / "a.png", np.zeros((4, 5), np.uint8))
    with pytest.raises(Sprint19Error, match=r"mask '.*a\.png'.*size of its image"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")
    png(tmp_path / "masks" / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.warns(UserWarning, match="all 1 masks are empty.*all black"):
        load_folder_pairs(tmp_path / "images", tmp_path / "masks")


# === TIFF stacks ===


def test_tiff_stacks_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    volume = rng.integers(0, 256, (3, 16, 16), dtype=np.uint8)
    labels = np.where(rng.random((3, 16, 16)) < 0.2, 0, 255).astype(np.uint8)  # 0 = membrane
    write_tiff_stack(tmp_path / "train-volume.tif", volume)
    write_tiff_stack(tmp_path / "train-labels.tif", labels)
    data = load_tiff_stacks(tmp_path / "train-volume.tif", tmp_path / "train-labels.tif", foreground=0)
    assert data.ids == ["0000", "0001", "0002"]
    np.testing.assert_allclose(data.images[..., 0], volume / 255.0, atol=1e-7)
    np.testing.assert_array_equal(data.masks[..., 0], labels == 0)
    assert load_tiff_stacks(tmp_path / "train-volume.tif").masks is None
    write_tiff_stack(tmp_path / "short.tif", labels[:2])
    with pytest.raises(Sprint19Error, match=r"short\.tif.*3 pages of 16×16.*received 2 pages"):
        load_tiff_stacks(tmp_path / "train-volume.tif", tmp_path / "short.tif")


# === SegmentationData ===


def test_segmentation_data_checks_shapes():
    images = np.zeros((2, 4, 4, 1), np.float32)
    data = SegmentationData(["a", "b"], images, np.zeros((2, 4, 4, 1), np.uint8), np.array([1.0, 2.0]))
    assert len(data) == 2
    with pytest.raises(AttributeError):
        data.ids = ["c", "d"]  # frozen
    with pytest.raises(Sprint19Error, match=r"images.*\(3, H, W, C\)"):
        SegmentationData(["a", "b", "c"], images)
    with pytest.raises(Sprint19Error, match=r"masks.*\(2, 4, 4, 1\)"):
        SegmentationData(["a", "b"], images, np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(Sprint19Error, match="repeated ids 'a'"):
        SegmentationData(["a", "a"], images)
    with pytest.raises(Sprint19Error, match="depths"):
        SegmentationData(["a", "b"], images, depths=np.zeros(3))


# === ISBI 2012 (shared data, skipped when absent) ===


def test_isbi_membranes_are_the_dark_class(isbi_root):
    data = load_folder_pairs(isbi_root / "train" / "images", isbi_root / "train" / "masks", foreground=0)
    assert len(data) == 30 and data.ids[0] == "00" and data.ids[-1] == "29"
    assert data.images.shape == (30, 512, 512, 1) and data.masks.shape == (30, 512, 512, 1)
    membrane = data.masks.mean()
    assert 0.20 < membrane < 0.24  # about 22 % membrane
    assert data.masks.max() == 1 and data.masks.dtype == np.uint8


NOT_UTF8_NAME = os.fsdecode(b"caf\xe9")  # 'caf\udce9': the bytes of a Latin-1 file name


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
