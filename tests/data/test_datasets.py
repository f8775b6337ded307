"""One place decides what a data path is (find_layout / load_dataset), and describe_dataset uses it."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data.datasets import describe_dataset, find_layout, format_description, load_dataset
from sprint19_unet.data.formats import SegmentationData, write_tgs_layout
from sprint19_unet.data.images import write_tiff_stack


def png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array)).save(path)
    return path


def make_kaggle(root):
    """Four 101×101 training images (one empty mask) and two test images, with depths 101 … 606."""
    masks = np.zeros((4, 101, 101), bool)
    masks[1:, :40] = True
    images = np.random.default_rng(0).integers(0, 256, (6, 101, 101), dtype=np.uint8)
    write_tgs_layout(root, ["a", "b", "c", "d"], images[:4], masks, depths=[101, 202, 303, 404],
                     test_ids=["t1", "t2"], test_images=images[4:], test_depths=[505, 606])
    return masks


def make_membrane_folders(root, count=3, size=24):
    """ISBI-like split folders by hand: train/images + train/masks (255 = cell, 0 = membrane), test/images."""
    rng = np.random.default_rng(1)
    for index in range(count):
        label = np.full((size, size), 255, np.uint8)
        label[:, size // 2] = 0  # a membrane down the middle: 1/size of the pixels
        png(root / "train" / "images" / f"{index:02d}.png", rng.integers(0, 256, (size, size), dtype=np.uint8))
        png(root / "train" / "masks" / f"{index:02d}.png", label)
        png(root / "test" / "images" / f"{index:02d}.png", rng.integers(0, 256, (size, size), dtype=np.uint8))


# === find_layout: every layout, named ===


def test_every_layout_is_recognised(tmp_path):
    make_kaggle(tmp_path / "tgs")
    make_membrane_folders(tmp_path / "isbi")
    write_tiff_stack(tmp_path / "tiff" / "train-volume.tif", np.zeros((2, 8, 8), np.uint8))
    write_tiff_stack(tmp_path / "tiff" / "train-labels.tif", np.full((2, 8, 8), 255, np.uint8))
    png(tmp_path / "plain" / "x.png", np.zeros((8, 8), np.uint8))
    cases = {
        ("synthetic", "train"): ("synthetic", None, None),
        (tmp_path / "tgs", "train"): ("kaggle", "tgs/train/images", "tgs/train/masks"),
        (tmp_path / "tgs", "test"): ("kaggle", "tgs/test/images", None),
        (tmp_path / "isbi", "train"): ("split folders", "isbi/train/images", "isbi/train/masks"),
        (tmp_path / "isbi", "test"): ("split folders", "isbi/test/images", None),
        (tmp_path / "isbi" / "train", "train"): ("image folders", "isbi/train/images", "isbi/train/masks"),
        (tmp_path / "isbi" / "test", "test"): ("image folders", "isbi/test/images", None),
        (tmp_path / "tiff", "train"): ("tiff stacks", "tiff/train-volume.tif", "tiff/train-labels.tif"),
        (tmp_path / "tiff" / "train-volume.tif", "test"): ("tiff stacks", "tiff/train-volume.tif", None),
        (tmp_path / "plain", "test"): ("plain images", "plain", None),
    }
    for (source, split), (kind, images, masks) in cases.items():
        layout = find_layout(source, split)
        relative = [None if path is None else path.relative_to(tmp_path).as_posix() for path in (layout.images, layout.masks)]
        assert (layout.kind, *relative) == (kind, images, masks), (source, split)


def test_train_and_describe_read_a_folder_the_same_way(tmp_path):
    # The old bug: train read an ISBI-like root (train/images + train/masks, no CSV) as Kaggle TGS and
    # ignored foreground, while describe read it as folder pairs. Now one function decides for both.
    make_membrane_folders(tmp_path / "isbi")
    data = load_dataset(tmp_path / "isbi", "train", foreground=0)
    assert data.masks.mean() == pytest.approx(1 / 24)  # membrane is the positive class
    desc = describe_dataset(tmp_path / "isbi", foreground=0)
    assert desc["layout"] == "split folders" and desc["num_test_images"] == 3
    assert desc["foreground_fraction"] == pytest.approx(data.masks.mean())
    assert load_dataset(tmp_path / "isbi", "test").masks is None
    np.testing.assert_array_equal(load_dataset(tmp_path / "isbi" / "train", foreground=0).masks, data.masks)


def test_load_dataset_generated_and_tiff(tmp_path):
    synthetic = load_dataset("synthetic", num_samples=3, seed=2, num_classes=2)  # binary masks: 2 classes too
    assert synthetic.ids[0] == "synthetic_00000" and synthetic.masks.shape == (3, 101, 101, 1)
    shapes = load_dataset("shapes", num_samples=2, num_classes=4)
    assert shapes.images.shape == (2, 128, 128, 3) and shapes.masks.max() <= 3
    write_tiff_stack(tmp_path / "train-volume.tif", np.zeros((2, 8, 8), np.uint8))
    labels = np.full((2, 8, 8), 255, np.uint8)
    labels[:, 0] = 0
    write_tiff_stack(tmp_path / "train-labels.tif", labels)
    data = load_dataset(tmp_path, foreground=0)
    assert data.masks.shape == (2, 8, 8, 1) and data.masks.mean() == pytest.approx(1 / 8)


@pytest.mark.parametrize(
    "source, split, options, match",
    [
        pytest.param("synthetic", "test", {}, "generated data has only a labelled training split", id="synthetic-test"),
        pytest.param("synthetic", "train", {"foreground": 0}, "foreground", id="foreground-synthetic"),
        pytest.param("tgs", "train", {"foreground": 0}, "foreground", id="foreground-kaggle"),
        pytest.param("isbi/test", "train", {}, "without masks for split 'train'", id="unlabelled-train"),
        pytest.param("empty", "train", {}, "Kaggle TGS.*a folder that no layout recognises", id="no-layout"),
        pytest.param("missing", "train", {}, "a path that does not exist", id="missing"),
        pytest.param("plain", "train", {}, "a folder that no layout recognises", id="plain-images-train"),
        pytest.param("isbi", "valid", {}, "split", id="bad-split"),
    ],
)
def test_load_dataset_refuses_clearly(tmp_path, source, split, options, match):
    make_kaggle(tmp_path / "tgs")
    make_membrane_folders(tmp_path / "isbi")
    (tmp_path / "empty").mkdir()
    png(tmp_path / "plain" / "x.png", np.zeros((8, 8), np.uint8))
    path = source if source == "synthetic" else tmp_path / source
    with pytest.raises(Sprint19Error, match=match):
        load_dataset(path, split, **options)


# === describe_dataset ===


def hand_built():
    """Four 10×10 masks with coverage 0, 0, 25 % and 100 %; images at 0.0, 0.5, 0.5, 1.0."""
    masks = np.zeros((4, 10, 10, 1), np.uint8)
    masks[2, :5, :5] = 1
    masks[3] = 1
    images = np.zeros((4, 10, 10, 1), np.float32)
    images[1:3] = 0.5
    images[3] = 1.0
    return SegmentationData(["a", "b", "c", "d"], images, masks, np.array([50.0, 60.0, 70.0, 80.0], np.float32))


def test_describe_hand_built_set():
    desc = describe_dataset(hand_built())
    assert desc["num_images"] == 4 and desc["image_size"] == [10, 10] and desc["channels"] == 1
    assert desc["mask_values"] == {0: 275, 1: 125}
    assert desc["num_empty_masks"] == 2 and desc["empty_fraction"] == 0.5
    assert desc["foreground_fraction"] == pytest.approx(0.3125)
    assert desc["coverage_counts"] == [2, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert desc["coverage_bin_edges"][:3] == [0.0, 0.1, 0.2] and len(desc["coverage_bin_edges"]) == 11
    assert desc["coverage_quantiles"] == pytest.approx({"min": 0, "q25": 0, "median": 0.125, "q75": 0.4375, "max": 1})
    assert desc["intensity"] == pytest.approx({"min": 0.0, "max": 1.0, "mean": 0.5, "std": np.sqrt(0.125)})
    assert desc["depth_range"] == [50.0, 80.0]
    text = format_description(desc)
    assert "empty masks:   2 of 4 (50.0 %)" in text
    assert "coverage:      min 0.0 %, q25 0.0 %, median 12.5 %, q75 43.8 %, max 100.0 %" in text
    assert "depths:        50 .. 80" in text
    assert len(text.splitlines()) == 19  # 8 summary lines, 10 histogram bins, depths


def test_describe_warns_when_all_masks_empty():
    data = SegmentationData(["a"], np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1), np.uint8))
    with pytest.warns(UserWarning, match="all black"):
        desc = describe_dataset(data)
    assert "all black" in format_description(desc)


def test_describe_folders(tmp_path):
    make_kaggle(tmp_path / "tgs")
    desc = describe_dataset(tmp_path / "tgs")
    assert (desc["layout"], desc["num_images"], desc["num_test_images"]) == ("kaggle", 4, 2)
    assert desc["num_empty_masks"] == 1 and desc["depth_range"] == [101.0, 404.0]
    assert "4 train, 2 test, 101×101" in format_description(desc)
    png(tmp_path / "pairs" / "images" / "a.png", np.zeros((4, 4), np.uint8))
    png(tmp_path / "pairs" / "masks" / "a.png", np.full((4, 4), 255, np.uint8))
    desc = describe_dataset(str(tmp_path / "pairs"))
    assert desc["layout"] == "image folders" and desc["foreground_fraction"] == 1.0
    assert any("foreground=0" in note for note in desc["notes"])
    images_only = describe_dataset(tmp_path / "pairs" / "masks" / "..")
    assert images_only["has_masks"]
    shutil.rmtree(tmp_path / "pairs" / "masks")
    assert "masks:         none" in format_description(describe_dataset(tmp_path / "pairs"))


def test_describe_bad_input(tmp_path):
    with pytest.raises(Sprint19Error, match=r"Kaggle TGS \(train.csv.*received a folder that no layout recognises"):
        describe_dataset(tmp_path)
    with pytest.raises(Sprint19Error, match="a folder path or a SegmentationData"):
        describe_dataset(42)
    with pytest.raises(Sprint19Error, match="describe_dataset"):
        format_description({"num_images": 3})


# === ISBI 2012 (shared data, skipped when absent) ===


def test_isbi_root_is_read_as_split_folders(isbi_root):
    desc = describe_dataset(isbi_root, foreground=0)
    assert (desc["layout"], desc["num_images"], desc["num_test_images"]) == ("split folders", 30, 30)
    assert 0.20 < desc["foreground_fraction"] < 0.24  # about 22 % membrane
    assert desc["num_empty_masks"] == 0 and not desc["notes"]
    assert load_dataset(isbi_root, "test").images.shape == (30, 512, 512, 1)


# === Layouts are a registry: a new one is one class ===


def test_each_layout_recognises_its_own_folders_and_only_those(tmp_path):
    from sprint19_unet.data.layouts import LAYOUTS

    make_kaggle(tmp_path / "tgs")
    make_membrane_folders(tmp_path / "isbi")
    write_tiff_stack(tmp_path / "stacks" / "train-volume.tif", np.zeros((2, 8, 8), np.uint8))
    png(tmp_path / "plain" / "x.png", np.zeros((8, 8), np.uint8))
    expected = {"tgs": "kaggle", "isbi": "split folders", "isbi/train": "image folders", "stacks": "tiff stacks"}
    for folder, kind in expected.items():
        assert find_layout(tmp_path / folder).kind == kind
        recognising = [name for name, layout in LAYOUTS.items()
                       if not layout.generated and layout.find(tmp_path / folder, "train") is not None]
        assert recognising[0] == kind  # the first to recognise it wins; registration order is the order tried
    assert find_layout(tmp_path / "plain", "test").kind == "plain images"
    assert [name for name, layout in LAYOUTS.items() if layout.generated] == ["synthetic", "shapes"]


def test_a_new_layout_is_one_registered_class(tmp_path, request):
    """A folder with pairs.csv (image,mask per line): registered, it is found, loaded, described and listed."""
    from sprint19_unet.data import layouts
    from sprint19_unet.data.images import read_image, read_mask

    request.addfinalizer(lambda: layouts.LAYOUTS.pop("pairs csv", None))  # the registry as it was, after the test

    @layouts.register_layout
    class PairsCsv(layouts.Layout):
        kind, title, recognised_by, train, test = "pairs csv", "pairs CSV", "`pairs.csv`", "its pairs", "—"

        def find(self, root, split):
            return layouts.DataLayout(self.kind, root, images=root, masks=root / "pairs.csv") \
                if (root / "pairs.csv").is_file() else None

        def load(self, found, split, *, foreground, num_classes, num_samples, seed):
            rows = [line.split(",") for line in found.masks.read_text().split()]
            return SegmentationData([image for image, _ in rows], np.stack([read_image(found.root / i) for i, _ in rows]),
                                    np.stack([read_mask(found.root / m) for _, m in rows])[..., None])

    mask = np.zeros((8, 8), np.uint8)
    mask[:4] = 255
    png(tmp_path / "pairs" / "a.png", np.full((8, 8), 9, np.uint8))
    png(tmp_path / "pairs" / "a_mask.png", mask)
    (tmp_path / "pairs" / "pairs.csv").write_text("a.png,a_mask.png\n")
    assert find_layout(tmp_path / "pairs").kind == "pairs csv"
    data = load_dataset(tmp_path / "pairs")
    assert data.images.shape == (1, 8, 8, 1) and int(data.masks.sum()) == 32
    assert describe_dataset(tmp_path / "pairs")["layout"] == "pairs csv"
    assert layouts.layouts_in_words().endswith("pairs CSV (pairs.csv)")
    (tmp_path / "empty").mkdir()
    with pytest.raises(Sprint19Error, match=r"pairs CSV \(pairs.csv\).*no layout recognises"):
        load_dataset(tmp_path / "empty")


# === Data folders: one mutation of a valid Kaggle sample each ===


def _first(root: Path, kind: str = "images") -> Path:
    return sorted((root / "train" / kind).glob("*.png"))[0]


def _write_rle(value: str):
    def mutate(root: Path) -> None:
        shutil.rmtree(root / "train" / "masks")  # masks come from train.csv alone
        lines = (root / "train.csv").read_text().splitlines()
        lines[1] = lines[1].split(",")[0] + "," + value
        (root / "train.csv").write_text("\n".join(lines) + "\n")

    return mutate


def _edit_csv(edit):
    def mutate(root: Path) -> None:
        lines = (root / "train.csv").read_text().splitlines()
        (root / "train.csv").write_text("\n".join(edit(lines)) + "\n")

    return mutate


RLE = r"CSV file '.*train\.csv', id '\w+': "

DATA_CASES = {
    "truncated image": (lambda r: _first(r).write_bytes(_first(r).read_bytes()[:120]), r"image '.*\.png': expected a complete image file; received a truncated"),
    "zero-byte image": (lambda r: _first(r).write_bytes(b""), r"image '.*\.png': expected an image file with content; received a zero-byte file"),
    "text file named .png": (lambda r: _first(r).write_text("<html>404</html>"), r"image '.*\.png': expected a valid image file; received a file Pillow cannot read"),
    "image/mask size mismatch": (lambda r: Image.fromarray(np.zeros((50, 50), np.uint8)).save(_first(r, "masks")), r"mask '.*\.png': expected the size of its image .*101×101; received size 50×50"),
    "image without mask": (lambda r: _first(r, "masks").unlink(), r"masks folder '.*train/masks': expected one mask per image .*received no mask for 1 images"),
    "mask without image": (lambda r: shutil.copy(_first(r, "masks"), r / "train" / "masks" / "orphan.png"), r"received 1 masks without an image: 'orphan'"),
    "empty images folder": (lambda r: [p.unlink() for p in (r / "train" / "images").glob("*")], r"images folder '.*train/images': expected image files .*received an empty folder"),
    "RGBA image with transparency": (
        lambda r: Image.fromarray(np.dstack([np.zeros((101, 101, 3), np.uint8), np.full((101, 101), 90, np.uint8)])).save(_first(r)),
        r"image '.*\.png': expected no transparency .*received an alpha channel with 10201 transparent pixels",
    ),
    "mask with unexpected values": (lambda r: Image.fromarray(np.full((101, 101), 128, np.uint8)).save(_first(r, "masks")), r"mask '.*\.png': expected a binary mask with values \{0, 255\} or \{0, 1\}; received values \{128\}"),
    "train.csv missing a column": (_edit_csv(lambda lines: ["id"] + [line.split(",")[0] for line in lines[1:]]), r"CSV file '.*train\.csv': expected a header with the columns id,rle_mask; received columns \['id'\]"),
    "train.csv duplicate id": (_edit_csv(lambda lines: lines + [lines[1]]), r"CSV file '.*train\.csv': expected each id once; received the id '\w+' twice"),
    "train.csv id without image": (_edit_csv(lambda lines: lines + ["deadbeef00,"]), r"expected an image for every id in train\.csv; received 1 ids without an image .*'deadbeef00'"),
    "RLE with an odd count": (_write_rle("1 2 3"), RLE + r"expected 'start length' pairs, so an even number of values; received an odd number of values \(3\)"),
    "RLE not numeric": (_write_rle("1 x"), RLE + r"expected whole numbers only.*; received the non-numeric token 'x'"),
    "RLE zero length": (_write_rle("1 0"), RLE + r"expected every length >= 1; received run #1 with length 0"),
    "RLE negative length": (_write_rle("5 -2"), RLE + r"expected every length >= 1; received run #1 with length -2"),
    "RLE overlapping runs": (_write_rle("1 5 3 2"), RLE + r"expected non-overlapping runs; received overlapping runs"),
    "RLE out of range": (_write_rle("10200 5"), RLE + r"expected every run inside the image; received run #1 covering pixels 10200\.\.10204"),
    "RLE unsorted": (_write_rle("50 2 1 2"), RLE + r"expected starts in increasing order; received unsorted starts"),
}


TRAIN_CLI_CASES = ("truncated image", "image without mask", "train.csv duplicate id", "RLE overlapping runs")


@pytest.mark.parametrize("case", DATA_CASES)
def test_bad_data_folder_api_and_cli(case, sample, tmp_path):
    mutate, pattern = DATA_CASES[case]
    mutate(sample)
    with pytest.raises(Sprint19Error, match=pattern):
        s19.load_tgs(sample)
    assert_one_line_error(run_cli("data", "describe", sample), pattern)
    if case in TRAIN_CLI_CASES:  # training reads through the same loader; check a few end to end
        run_dir = tmp_path / "run"
        assert_one_line_error(run_cli("train", "--data", sample, "--output-dir", run_dir, "--epochs", "1"), pattern)
        assert not run_dir.exists()  # nothing partially written


# === Paths ===


def test_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(Sprint19Error, match=r"data '.*nowhere': expected .*; received a path that does not exist"):
        s19.load_dataset(missing)
    assert_one_line_error(run_cli("train", "--data", missing), r"received a path that does not exist")
    assert_one_line_error(run_cli("data", "describe", missing), r"nowhere")


def test_file_instead_of_folder(tmp_path):
    file = tmp_path / "train.zip"
    file.write_bytes(b"PK")
    with pytest.raises(Sprint19Error, match=r"train\.zip"):
        s19.load_tgs(file)
    assert_one_line_error(run_cli("data", "describe", file), r"train\.zip")
    assert_one_line_error(run_cli("predict", "--model", file, "--data", tmp_path, "--out", tmp_path / "s.csv"), r"model '.*train\.zip': expected a \.keras model file; received a file that is not a \.keras archive")
