"""Image files that used to escape as raw Pillow errors or misleading messages (issue 14).

* a TIFF whose next-page offset points into garbage, even when named ``.png``;
* an image over Pillow's decompression-bomb limit: "too large", not "damaged";
* a FIFO or a device passed as an image or as data: "not a regular file", without
  ever opening it (reading a FIFO nobody writes to would hang);
* a path with a newline or other control characters: the CLI's error stays one line.
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import warnings

import numpy as np
import pytest
from PIL import Image

import sprint19_unet as s19
from cli_helpers import run_cli
from sprint19_unet.data.datasets import describe_dataset, find_layout
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.data.images import read_image, read_mask, read_tiff_stack

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


# === 19c. Control characters in paths: the CLI's error stays one line ===


def test_cli_error_with_newline_in_path_is_one_line(tmp_path):
    folder = tmp_path / "bad\nname\r\tand\x1b[31mred"
    folder.mkdir()
    result = run_cli("data", "describe", folder)
    assert result.returncode == 2, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet: error: ")]
    assert len(errors) == 1, result.stderr[-1500:]
    line = errors[0]
    assert r"bad\nname\r\tand\x1b[31mred" in line, line  # escaped as in repr()
    assert line.endswith("writes an example."), line  # the whole message, not its first piece
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert not any(other.startswith("name") for other in result.stderr.splitlines()), result.stderr[-1500:]


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
