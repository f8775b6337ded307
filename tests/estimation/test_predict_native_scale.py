"""Real data at native scale: train on tiles of images larger than the model, predict them whole.

The foreground is a one-pixel checkerboard, a texture that vanishes when the image is
shrunk 4× (bilinear averages it to the background's grey): a model trained on shrunk
images (what `train` did before the input spec) cannot find it; one trained on native
tiles and applied with overlap-tile at the same scale does.
"""

import numpy as np
import pytest
from PIL import Image

from sprint19_unet.cli import main
from sprint19_unet.data.images import read_mask
from sprint19_unet.data.prepare import resize_images

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

SIZE = 128  # images 4× the model's 32-pixel tile


def textured_images(count, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((SIZE, SIZE))
    checker = ((rows + cols) % 2).astype(float)
    images, masks = [], []
    for _ in range(count):
        mask = np.zeros((SIZE, SIZE), bool)
        for _ in range(5):  # about a quarter of the pixels: few tiles without any, so no init settles on "empty"
            row, col, radius = rng.integers(8, SIZE - 8, 2).tolist() + [rng.integers(10, 20)]
            mask |= (rows - row) ** 2 + (cols - col) ** 2 <= radius**2
        image = np.where(mask, 0.25 + 0.5 * checker, 0.5) + rng.normal(0, 0.03, (SIZE, SIZE))
        images.append(np.clip(image, 0, 1))
        masks.append(mask)
    return np.array(images), np.array(masks)


def write_split(folder, images, masks):
    for name in ("images", "masks"):
        (folder / name).mkdir(parents=True)
    for index, (image, mask) in enumerate(zip(images, masks)):
        Image.fromarray((image * 255).round().astype(np.uint8)).save(folder / "images" / f"{index}.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(folder / "masks" / f"{index}.png")


def test_the_texture_vanishes_when_shrunk():
    images, masks = textured_images(1)
    small = resize_images(images[..., None], SIZE // 4)[0, ..., 0]
    small_masks = masks[0, 2::4, 2::4]
    inside, outside = small[small_masks].mean(), small[~small_masks].mean()
    assert abs(inside - outside) < 0.01 and small[small_masks].std() < 0.03


@pytest.mark.slow
def test_cli_trains_on_native_tiles_and_predicts_full_images(tmp_path, capsys):
    images, masks = textured_images(6)
    write_split(tmp_path / "train", images[:4], masks[:4])
    write_split(tmp_path / "test", images[4:], masks[4:])
    run = tmp_path / "run"
    common = ["--input-size", "32", "--depth", "2", "--base-filters", "8", "--no-batch-norm", "--no-augment"]
    assert main(["train", "--data", str(tmp_path / "train"), *common, "--epochs", "12", "--batch-size", "8",
                 "--learning-rate", "0.01", "--tiles-per-epoch", "64", "--output-dir", str(run)]) == 0
    capsys.readouterr()

    assert main(["evaluate", "--model", str(run / "model.keras"), "--data", str(tmp_path / "test")]) == 0
    report = dict(line.split(": ") for line in capsys.readouterr().out.splitlines())
    assert float(report["iou"]) > 0.8  # a model trained on shrunk images scores 0.0 here

    assert main(["predict", "--model", str(run / "model.keras"), "--data", str(tmp_path / "test"),
                 "--out", str(tmp_path / "masks")]) == 0
    for index in range(2):
        predicted = read_mask(tmp_path / "masks" / f"{index}.png").astype(bool)
        assert predicted.shape == (SIZE, SIZE)  # full resolution, no resize
        truth = masks[4 + index]
        assert (predicted & truth).sum() / (predicted | truth).sum() > 0.8
