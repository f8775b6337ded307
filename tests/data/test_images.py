"""Reading and writing single images, masks and TIFF stacks, good files and bad."""

import io
import logging
import os
from pathlib import Path
import re
import struct
import threading
import warnings

import numpy as np
import pytest
from cli_helpers import run_cli
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.data import images as image_io
from sprint19_unet.data.datasets import describe_dataset, find_layout
from sprint19_unet.data.images import (
    mask_from_values,
    read_image,
    read_mask,
    read_tiff_stack,
    scale_to_unit,
    write_png,
    write_tiff_stack,
)


RAMP = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20  # 0..220, a small gray test image


def save(path, array, mode=None, **kwargs):
    """Write a test file with Pillow directly (not with the code under test)."""
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    image.save(path, **kwargs)
    return path


# === read_image: formats ===


def test_gray_png_is_scaled_to_unit(tmp_path):
    image = read_image(save(tmp_path / "a.png", RAMP))
    assert image.shape == (3, 4, 1) and image.dtype == np.float32
    np.testing.assert_allclose(image[..., 0], RAMP / 255.0, atol=1e-7)


def test_rgb_to_grayscale_by_luminance_is_logged(tmp_path, caplog):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[1, 0] = (0, 0, 255)
    rgb[1, 1] = (255, 255, 255)
    path = save(tmp_path / "rgb.png", rgb)
    with caplog.at_level(logging.INFO, logger="sprint19_unet.data.images"):
        gray = read_image(path)
    np.testing.assert_allclose(gray[..., 0], [[0.299, 0.587], [0.114, 1.0]], atol=1e-6)
    assert "converted RGB to grayscale" in caplog.text and "rgb.png" in caplog.text


def test_rgb_kept_with_three_channels_and_gray_repeated(tmp_path):
    rgb = np.stack([RAMP, RAMP // 2, 255 - RAMP], axis=-1)
    np.testing.assert_allclose(read_image(save(tmp_path / "rgb.png", rgb), channels=3), rgb / 255.0, atol=1e-7)
    gray3 = read_image(save(tmp_path / "g.png", RAMP), channels=3)
    assert gray3.shape == (3, 4, 3)
    np.testing.assert_array_equal(gray3[..., 0], gray3[..., 2])


def test_opaque_rgba_and_la_drop_alpha(tmp_path, caplog):
    rgba = np.dstack([RAMP, RAMP, RAMP, np.full_like(RAMP, 255)])
    with caplog.at_level(logging.INFO, logger="sprint19_unet.data.images"):
        image = read_image(save(tmp_path / "rgba.png", rgba))
    np.testing.assert_allclose(image[..., 0], RAMP / 255.0, atol=1e-6)
    assert "alpha" in caplog.text
    la = Image.fromarray(np.dstack([RAMP, np.full_like(RAMP, 255)]), mode="LA")
    la.save(tmp_path / "la.png")
    np.testing.assert_allclose(read_image(tmp_path / "la.png")[..., 0], RAMP / 255.0, atol=1e-7)


def test_transparent_rgba_is_refused(tmp_path):
    alpha = np.full_like(RAMP, 255)
    alpha[0, 0] = 0
    path = save(tmp_path / "see_through.png", np.dstack([RAMP, RAMP, RAMP, alpha]))
    with pytest.raises(Sprint19Error, match=r"see_through\.png.*1 transparent pixels"):
        read_image(path)


def test_palette_png_is_converted(tmp_path):
    palette_image = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), mode="P")
    palette_image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    palette_image.save(tmp_path / "pal.png")
    assert Image.open(tmp_path / "pal.png").mode == "P"
    np.testing.assert_array_equal(read_image(tmp_path / "pal.png")[..., 0], [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_is_scaled_by_65535(tmp_path, caplog, suffix):
    values = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    path = save(tmp_path / f"deep{suffix}", values)
    assert Image.open(path).mode.startswith("I;16")
    with caplog.at_level(logging.INFO, logger="sprint19_unet.data.images"):
        image = read_image(path)
    np.testing.assert_allclose(image[..., 0], values / 65535.0, atol=1e-7)
    assert "16-bit" in caplog.text


def test_one_bit_and_jpeg(tmp_path):
    save(tmp_path / "bits.png", np.array([[True, False]]))
    np.testing.assert_array_equal(read_image(tmp_path / "bits.png")[..., 0], [[1.0, 0.0]])
    flat = np.full((16, 16), 128, np.uint8)
    image = read_image(save(tmp_path / "photo.JPG", flat, format="JPEG", quality=95))
    assert image.shape == (16, 16, 1)
    np.testing.assert_allclose(image, 128 / 255.0, atol=2 / 255.0)  # lossy, but close


def test_float_tiff_in_unit_range_is_kept_and_out_of_range_refused(tmp_path):
    values = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    np.testing.assert_array_equal(read_image(save(tmp_path / "f.tif", values))[..., 0], values)
    with pytest.raises(Sprint19Error, match=r"float pixels in 0\.\.7"):
        read_image(save(tmp_path / "big.tif", values * 7))


# === read_image: bad files and arguments ===


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(Sprint19Error, match=r"empty\.png.*zero-byte.*re-download"):
        read_image(tmp_path / "empty.png")


def test_truncated_png(tmp_path):
    whole = save(tmp_path / "whole.png", np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))
    (tmp_path / "cut.png").write_bytes(whole.read_bytes()[:200])
    with pytest.raises(Sprint19Error, match=r"cut\.png.*(truncated or corrupt|cannot read).*re-extract") as caught:
        read_image(tmp_path / "cut.png")
    assert caught.value.__cause__ is not None  # re-raised with `from`, not swallowed


def test_text_file_named_png(tmp_path):
    (tmp_path / "notes.png").write_text("this is not an image\n")
    with pytest.raises(Sprint19Error, match=r"notes\.png.*Pillow cannot read.*re-download"):
        read_image(tmp_path / "notes.png")


@pytest.mark.parametrize(
    ("name", "match"),
    [("missing.png", "does not exist"), ("folder.png", "a folder"), ("image.bmp", "extension '.bmp'")],
)
def test_bad_paths(tmp_path, name, match):
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "image.bmp").write_bytes(b"BM")
    with pytest.raises(Sprint19Error, match=match):
        read_image(tmp_path / name)


def test_multipage_tiff_refused_by_read_image(tmp_path):
    path = write_tiff_stack(tmp_path / "stack.tif", np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(Sprint19Error, match="multi-page.*read_tiff_stack"):
        read_image(path)


@pytest.mark.parametrize("channels", [0, 2, 4, True, "1"])
def test_bad_channels(tmp_path, channels):
    with pytest.raises(Sprint19Error, match="channels"):
        read_image(tmp_path / "whatever.png", channels=channels)


# === read_mask ===


@pytest.mark.parametrize("on", [255, 1])
def test_binary_masks(tmp_path, on):
    mask = np.array([[0, on], [on, 0]], np.uint8)
    result = read_mask(save(tmp_path / "m.png", mask))
    assert result.dtype == np.uint8 and result.tolist() == [[0, 1], [1, 0]]


def test_dark_foreground_for_isbi(tmp_path):
    mask = np.array([[0, 255], [255, 255]], np.uint8)  # 0 = membrane
    assert read_mask(save(tmp_path / "m.png", mask), foreground=0).tolist() == [[1, 0], [0, 0]]


def test_16_bit_binary_mask(tmp_path):
    mask = np.array([[0, 65535]], np.uint16)
    assert read_mask(save(tmp_path / "m.png", mask)).tolist() == [[0, 1]]


def test_label_mask_with_num_classes(tmp_path):
    labels = np.array([[0, 1], [2, 2]], np.uint8)
    assert read_mask(save(tmp_path / "l.png", labels), num_classes=3).tolist() == labels.tolist()
    with pytest.raises(Sprint19Error, match=r"labels 0\.\.1.*values \{0, 1, 2\}.*\{2\} are not class labels"):
        read_mask(tmp_path / "l.png", num_classes=2)


def test_palette_mask_gives_indices_with_num_classes(tmp_path):
    palette_image = Image.fromarray(np.array([[0, 1], [2, 0]], np.uint8), mode="P")
    palette_image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)  # VOC-like colours
    palette_image.save(tmp_path / "voc.png")
    assert read_mask(tmp_path / "voc.png", num_classes=3).tolist() == [[0, 1], [2, 0]]


def test_unexpected_values_are_listed(tmp_path):
    path = save(tmp_path / "odd.png", np.array([[0, 128, 255]], np.uint8))
    with pytest.raises(Sprint19Error, match=r"odd\.png.*values \{0, 128, 255\}.*foreground=.*JPEG"):
        read_mask(path)
    with pytest.raises(Sprint19Error, match=r"3 distinct values"):
        read_mask(path, foreground=255)


def test_rgb_masks(tmp_path):
    gray_as_rgb = np.dstack([np.array([[0, 255]], np.uint8)] * 3)
    assert read_mask(save(tmp_path / "g.png", gray_as_rgb)).tolist() == [[0, 1]]
    colour = np.zeros((1, 2, 3), np.uint8)
    colour[0, 1] = (255, 0, 0)
    with pytest.raises(Sprint19Error, match=r"colour RGB mask \(2 colours"):
        read_mask(save(tmp_path / "c.png", colour))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"foreground": 0, "num_classes": 2}, "at most one"),
        ({"foreground": "black"}, "foreground"),
        ({"foreground": -1}, "foreground"),
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 300}, "num_classes"),
    ],
)
def test_bad_mask_options(options, match):
    with pytest.raises(Sprint19Error, match=match):
        mask_from_values(np.zeros((2, 2), np.uint8), **options)


def test_mask_from_values_rejects_fractional_floats():
    with pytest.raises(Sprint19Error, match="non-integer values"):
        mask_from_values(np.array([0.0, 0.5]))
    assert mask_from_values(np.array([0.0, 1.0])).tolist() == [0, 1]


def test_scale_to_unit():
    assert scale_to_unit(np.array([0, 65535], np.uint16)).tolist() == [0.0, 1.0]
    assert scale_to_unit(np.array([True, False])).tolist() == [1.0, 0.0]
    with pytest.raises(Sprint19Error, match="dtype int64"):
        scale_to_unit(np.array([0, 1], np.int64))
    with pytest.raises(Sprint19Error, match="NaN"):
        scale_to_unit(np.array([0.0, np.nan]))


# === write_png ===


def test_write_png_values_on_disk(tmp_path):
    write_png(tmp_path / "sub" / "bool.png", np.array([[True, False]]))
    assert np.array(Image.open(tmp_path / "sub" / "bool.png")).tolist() == [[255, 0]]
    write_png(tmp_path / "float.png", np.array([[0.0, 0.5, 1.0]]))
    assert np.array(Image.open(tmp_path / "float.png")).tolist() == [[0, 128, 255]]
    write_png(tmp_path / "deep.png", np.array([[0, 40000]], np.uint16))
    assert np.array(Image.open(tmp_path / "deep.png")).tolist() == [[0, 40000]]
    write_png(tmp_path / "rgb.png", np.zeros((2, 2, 3), np.uint8))
    assert Image.open(tmp_path / "rgb.png").mode == "RGB"
    write_png(tmp_path / "chan.png", RAMP[..., None])
    np.testing.assert_array_equal(np.array(Image.open(tmp_path / "chan.png")), RAMP)


def test_write_png_round_trips_through_read_image(tmp_path):
    path = write_png(tmp_path / "ramp.png", RAMP)
    np.testing.assert_allclose(read_image(path)[..., 0], RAMP / 255.0, atol=1e-7)


def test_write_png_is_atomic(tmp_path, monkeypatch):
    path = write_png(tmp_path / "keep.png", RAMP)
    before = path.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(Sprint19Error, match=r"keep\.png.*disk full"):
        write_png(path, np.zeros((3, 4), np.uint8))
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]  # and no temporary file is left
    with pytest.raises(Sprint19Error, match=r"new\.png.*disk full"):
        write_png(tmp_path / "a" / "b" / "new.png", np.zeros((3, 4), np.uint8))
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]  # nor the folders made for the failed write


def test_a_failed_folder_write_removes_the_folders_made_for_it(tmp_path):
    from sprint19_unet.atomic import atomic_directory

    with pytest.raises(RuntimeError, match="stopped"):
        with atomic_directory(tmp_path / "a" / "b" / "masks") as folder:
            (folder / "0001.png").write_bytes(b"half")
            raise RuntimeError("stopped")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "array", "match"),
    [
        ("x.jpg", RAMP, "'.png'"),
        ("x.png", np.zeros((2, 2, 2), np.uint8), "shape"),
        ("x.png", np.zeros((0, 2), np.uint8), "non-empty"),
        ("x.png", np.array([[0.0, 1.5]]), r"float values in 0\.\.1\.5"),
        ("x.png", np.array([[-1, 3]]), "dtype int64"),
    ],
)
def test_write_png_bad_input(tmp_path, name, array, match):
    with pytest.raises(Sprint19Error, match=match):
        write_png(tmp_path / name, array)


# === TIFF stacks ===


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tiff_stack_round_trip(tmp_path, dtype):
    stack = np.random.default_rng(1).integers(0, np.iinfo(dtype).max, (5, 6, 7)).astype(dtype)
    path = write_tiff_stack(tmp_path / "volume.tiff", stack)
    loaded = read_tiff_stack(path)
    assert loaded.dtype == dtype
    np.testing.assert_array_equal(loaded, stack)


def test_tiff_stack_from_pillow_pages(tmp_path):
    pages = [Image.fromarray(np.full((4, 4), value, np.uint8)) for value in (10, 20)]
    pages[0].save(tmp_path / "v.tif", save_all=True, append_images=pages[1:])
    assert read_tiff_stack(tmp_path / "v.tif")[:, 0, 0].tolist() == [10, 20]


def test_tiff_stack_bad_input(tmp_path):
    colour = [Image.fromarray(np.zeros((4, 4, 3), np.uint8)) for _ in range(2)]
    colour[0].save(tmp_path / "colour.tif", save_all=True, append_images=colour[1:])
    with pytest.raises(Sprint19Error, match="colour pixels on page 0"):
        read_tiff_stack(tmp_path / "colour.tif")
    mixed = [Image.fromarray(np.zeros((4, 4), np.uint8)), Image.fromarray(np.zeros((5, 4), np.uint8))]
    mixed[0].save(tmp_path / "mixed.tif", save_all=True, append_images=mixed[1:])
    with pytest.raises(Sprint19Error, match="page 1 of size"):
        read_tiff_stack(tmp_path / "mixed.tif")
    with pytest.raises(Sprint19Error, match=r"one of \.tif, \.tiff.*read_image"):
        read_tiff_stack(save(tmp_path / "flat.png", RAMP))
    with pytest.raises(Sprint19Error, match="'.tif' or '.tiff'"):
        write_tiff_stack(tmp_path / "v.png", np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(Sprint19Error, match=r"\(N, H, W\)"):
        write_tiff_stack(tmp_path / "v.tif", np.zeros((2, 2), np.uint8))


def test_supported_extensions_constant():
    assert set(image_io.SUPPORTED_EXTENSIONS) == {".png", ".tif", ".tiff", ".jpg", ".jpeg"}


# === Converted, not refused: said clearly ===


def _first(root: Path, kind: str = "images") -> Path:
    return sorted((root / "train" / kind).glob("*.png"))[0]


def test_16_bit_and_palette_images_are_converted_and_logged(sample, caplog):
    first = _first(sample)
    pixels = np.asarray(Image.open(first))
    Image.fromarray(pixels.astype(np.uint16) * 257).save(first)
    second = sorted((sample / "train" / "images").glob("*.png"))[1]
    Image.fromarray(np.asarray(Image.open(second))).convert("P").save(second)
    with caplog.at_level(logging.INFO, logger="sprint19_unet"):
        data = s19.load_tgs(sample)
    assert data.images.dtype == np.float32 and 0 <= data.images.min() and data.images.max() <= 1
    np.testing.assert_allclose(data.images[0, ..., 0], pixels / 255.0, atol=1e-6)  # same picture, rescaled
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert first.name in logged and "16-bit" in logged


def test_all_empty_training_masks_warn_but_do_not_crash(sample, tmp_path):
    for mask in (sample / "train" / "masks").glob("*.png"):
        Image.fromarray(np.zeros((101, 101), np.uint8)).save(mask)
    (sample / "train.csv").unlink()
    with pytest.warns(UserWarning, match=r"all 8 masks are empty .* all black"):
        data = s19.load_tgs(sample)
    assert data.masks.sum() == 0
    result = run_cli("data", "describe", sample)
    assert result.returncode == 0
    assert "sprint19-unet: warning:" in result.stderr and "Traceback" not in result.stderr


PIXELS = np.arange(64, dtype=np.uint8).reshape(8, 8) * 3

def tiff_with_next_page_at(offset_from_end: int | None, offset: int | None = None) -> bytes:
    """A valid one-page little-endian TIFF whose next-IFD offset is then overwritten.

    The offset written is ``len(file) + offset_from_end`` (past the end when > 0,
    into the pixel or tag bytes when < 0), or ``offset`` itself when given.
    """
    buffer = io.BytesIO()
    Image.fromarray(PIXELS).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    assert data[:4] == b"II*\x00"  # little-endian classic TIFF, as Pillow writes it
    first_ifd = struct.unpack_from("<I", data, 4)[0]
    entries = struct.unpack_from("<H", data, first_ifd)[0]
    next_ifd_at = first_ifd + 2 + 12 * entries
    assert struct.unpack_from("<I", data, next_ifd_at)[0] == 0  # one page: the chain ends here
    struct.pack_into("<I", data, next_ifd_at, offset if offset is not None else len(data) + offset_from_end)
    return bytes(data)


# === 7. A TIFF whose page chain points into garbage ===


BROKEN_CHAINS = [
    pytest.param(1000, None, id="past-the-end"),
    pytest.param(-3, None, id="last-bytes"),
    pytest.param(None, 1, id="inside-the-header"),
]


@pytest.mark.parametrize(("from_end", "offset"), BROKEN_CHAINS)
@pytest.mark.parametrize("name", ["volume.tif", "slice.png"])
def test_tiff_with_garbage_next_page_offset_is_named_and_explained(tmp_path, name, from_end, offset):
    path = tmp_path / name
    path.write_bytes(tiff_with_next_page_at(from_end, offset))
    readers = [read_image, read_mask] + ([read_tiff_stack] if name.endswith(".tif") else [])
    for reader in readers:
        with pytest.raises(Sprint19Error, match=rf"'.*{re.escape(name)}'.*damaged TIFF.*re-export") as caught:
            reader(path)
        assert caught.value.__cause__ is not None, reader.__name__  # chained with `from`, not swallowed
    if name.endswith(".png"):
        assert "extension '.png'" in str(caught.value)  # says it is a TIFF in disguise


def test_tiff_with_garbage_offset_through_the_data_loader(tmp_path):
    (tmp_path / "train-volume.tif").write_bytes(tiff_with_next_page_at(1000))
    with pytest.raises(Sprint19Error, match=r"train-volume\.tif'.*damaged TIFF"):
        describe_dataset(tmp_path)


def test_intact_tiff_still_reads(tmp_path):
    """The fixture is a valid TIFF until the offset is patched (offset 0 ends the chain)."""
    path = tmp_path / "fine.png"
    path.write_bytes(tiff_with_next_page_at(None, 0))
    np.testing.assert_allclose(read_image(path)[..., 0], PIXELS / 255.0, atol=1e-7)


# === 19a. Decompression-bomb refusal: too large, not damaged ===


def test_image_over_the_pixel_limit_is_too_large_not_damaged(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)  # 400 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow refuses above 2 × 100
    for reader in (read_image, read_mask):
        with pytest.raises(Sprint19Error, match=r"big\.png'.*too large.*400 pixels.*limit of 200 pixels") as caught:
            reader(path)
        message = str(caught.value)
        assert "Tile it into smaller images or resize it" in message
        assert "PIL.Image.MAX_IMAGE_PIXELS" in message
        assert "damaged" not in message and "re-download" not in message


def test_tiff_stack_over_the_pixel_limit_is_too_large(tmp_path, monkeypatch):
    path = tmp_path / "stack.tif"
    pages = [Image.fromarray(np.zeros((20, 20), np.uint8)) for _ in range(2)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(Sprint19Error, match=r"stack\.tif'.*too large.*400 pixels.*Tile it"):
        read_tiff_stack(path)


def test_pixel_limit_warning_turned_into_an_error_is_too_large(tmp_path, monkeypatch):
    """Between the limit and twice it Pillow only warns; under ``-W error`` that is a refusal too."""
    path = tmp_path / "large.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(Sprint19Error, match=r"large\.png'.*too large.*400 pixels.*limit of 300 pixels.*Tile it"):
            read_image(path)
    with pytest.warns(Image.DecompressionBombWarning):  # by default: read, with Pillow's warning
        assert read_image(path).shape == (20, 20, 1)


# === 19b. FIFOs and devices: not a regular file, and never opened ===


def _without_hanging(call, *args):
    """Run ``call(*args)`` in a thread; fail instead of hanging if it blocks (e.g. on a FIFO)."""
    outcome: dict[str, BaseException | object] = {}

    def target():
        try:
            outcome["value"] = call(*args)
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), f"{call.__name__} blocked on {args}"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


@pytest.fixture
def fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    os.mkfifo(tmp_path / "pipe.png")
    os.mkfifo(tmp_path / "pipe.tif")
    return tmp_path


@pytest.mark.parametrize(
    ("reader", "name"), [(read_image, "pipe.png"), (read_mask, "pipe.png"), (read_tiff_stack, "pipe.tif")]
)
def test_fifo_is_not_a_regular_file_and_is_not_opened(fifo, reader, name):
    with pytest.raises(Sprint19Error, match=rf"{re.escape(name)}'.*FIFO.*not a regular file") as caught:
        _without_hanging(reader, fifo / name)
    assert "folder" not in str(caught.value)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_dev_null_is_a_device_not_a_folder():
    with pytest.raises(Sprint19Error, match=r"'/dev/null'.*character device, not a regular file") as caught:
        read_image("/dev/null")
    assert "folder" not in str(caught.value)


def test_fifo_or_device_as_data_is_not_called_a_folder(fifo):
    with pytest.raises(Sprint19Error, match=r"pipe\.tif'.*FIFO.*not a folder or a regular file") as caught:
        _without_hanging(find_layout, fifo / "pipe.tif")
    assert "a folder without" not in str(caught.value)
    if os.path.exists("/dev/null"):
        with pytest.raises(Sprint19Error, match=r"'/dev/null'.*character device"):
            describe_dataset("/dev/null")


def test_regular_file_as_data_is_not_called_a_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(Sprint19Error, match=r"notes\.txt'.*a file that is not a TIFF stack") as caught:
        find_layout(tmp_path / "notes.txt")
    assert "a folder without" not in str(caught.value)


@pytest.mark.parametrize("name", ["train.csv", "depths.csv"])
def test_a_fifo_as_a_csv_file_is_refused_without_opening_it(tmp_path, name):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    root = s19.write_salt_sample(tmp_path / "tgs", n=2, test_n=1, seed=0)
    (root / name).unlink()
    os.mkfifo(root / name)
    with pytest.raises(Sprint19Error, match=rf"CSV file '.*{name}': expected a CSV file; received a FIFO \(named pipe\), not a regular file"):
        _without_hanging(s19.load_tgs, root)
    with pytest.raises(Sprint19Error, match=r"submission '.*pipe\.csv'.*FIFO"):
        os.mkfifo(tmp_path / "pipe.csv")
        _without_hanging(s19.read_submission, tmp_path / "pipe.csv")
