"""Unpacking the TGS download is bounded and every zip error is one line (issue 24, rows 4 and 5).

Each archive's share — files and bytes, from its own directory — is checked against the expected layout
before a byte of it is written; nesting is capped; an entry named twice is refused; damaged, encrypted or
unsupported zips become one error naming the file. A refused archive leaves the tree as it was found.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sprint19_unet.data.download import MAX_NESTING, MAX_PNG_BYTES, unpack_tgs
from sprint19_unet.errors import Sprint19Error

SMALL = {"train/images": 2, "train/masks": 2, "test/images": 1}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((101, 101), np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _layout(archive: zipfile.ZipFile) -> None:
    for name in ("train/images/a.png", "train/images/b.png", "train/masks/a.png", "train/masks/b.png",
                 "test/images/c.png"):
        archive.writestr(name, _png())


def _zip_bytes(*members: tuple[str, bytes]) -> bytes:
    """A zip of the competition's layout (no members given) or of the given (name, bytes) members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if not members:
            _layout(archive)
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _entries(tmp_path: Path) -> list[str]:
    return sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*"))


def _refused(tmp_path: Path, archive: Path, pattern: str) -> None:
    """Refused with one clear error naming the file, and nothing left behind (the tree as found)."""
    before = _entries(tmp_path)
    with pytest.raises(Sprint19Error, match=pattern):
        unpack_tgs(archive, tmp_path / "tgs", expected_counts=SMALL)
    assert _entries(tmp_path) == before


def _patch(data: bytes, local: int, central: int, value: int) -> bytes:
    """Rewrite one 2-byte field of every entry, in its local header and in the central directory."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = data.find(signature)
        while start >= 0:
            data[start + offset:start + offset + 2] = struct.pack("<H", value)
            start = data.find(signature, start + 4)
    return bytes(data)


def _stored(tmp_path: Path) -> bytes:
    with zipfile.ZipFile(tmp_path / "stored.zip", "w", zipfile.ZIP_STORED) as archive:
        _layout(archive)
    data = (tmp_path / "stored.zip").read_bytes()
    (tmp_path / "stored.zip").unlink()
    return data


def test_a_good_zip_still_unpacks(tmp_path):
    with zipfile.ZipFile(tmp_path / "good.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        _layout(archive)
    assert sorted(p.name for p in (unpack_tgs(tmp_path / "good.zip", tmp_path / "tgs", expected_counts=SMALL)
                                   / "train" / "images").iterdir()) == ["a.png", "b.png"]


def test_corrupt_deflate_data_is_one_error(tmp_path):
    with zipfile.ZipFile(tmp_path / "corrupt.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        _layout(archive)
    data = bytearray((tmp_path / "corrupt.zip").read_bytes())
    start = data.find(b"PK\x03\x04") + 30 + len("train/images/a.png")
    data[start:start + 40] = bytes(range(40))  # the first entry's deflate stream, scrambled (was: raw zlib.error)
    (tmp_path / "corrupt.zip").write_bytes(bytes(data))
    _refused(tmp_path, tmp_path / "corrupt.zip", r"^TGS download '.*corrupt\.zip': expected .*; received a damaged zip "
                                                 r"file, or one Python cannot read \((error|BadZipFile)")


@pytest.mark.parametrize("method", [9, 99])  # Deflate64 and AES: not in Python's zipfile (was: NotImplementedError)
def test_a_compression_method_python_lacks_is_one_error(tmp_path, method):
    (tmp_path / "odd.zip").write_bytes(_patch(_stored(tmp_path), 8, 10, method))
    _refused(tmp_path, tmp_path / "odd.zip", r"odd\.zip': .* \(NotImplementedError: (That|compression)")


def test_an_encrypted_entry_is_one_error(tmp_path):
    (tmp_path / "locked.zip").write_bytes(_patch(_stored(tmp_path), 6, 8, 0x1))  # (was: RuntimeError, password)
    _refused(tmp_path, tmp_path / "locked.zip", r"locked\.zip': .*received a damaged zip file, or one Python cannot "
                                                r"read \(an encrypted entry\)")


def test_zips_nested_deeper_than_the_download_are_refused(tmp_path):
    data = _zip_bytes()
    for level in range(1200):  # was: RecursionError
        data = _zip_bytes((f"level{level}.zip", data))
    (tmp_path / "deep.zip").write_bytes(data)
    _refused(tmp_path, tmp_path / "deep.zip", rf"deep\.zip' → level1199\.zip → .*: expected the competition's zip "
                                              rf"files .*; received zip files nested more than {MAX_NESTING} deep")


def test_the_downloads_own_nesting_is_within_the_cap(tmp_path):
    (tmp_path / "tgs-salt-identification-challenge.zip").write_bytes(_zip_bytes(("train.zip", _zip_bytes())))
    unpack_tgs(tmp_path / "tgs-salt-identification-challenge.zip", tmp_path / "tgs", expected_counts=SMALL)


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _layout(archive)
        with archive.open("train/images/0000000001.png", "w", force_zip64=True) as entry:
            for _ in range(64):  # 1 GiB of zeros in a 1 MB zip (was: the whole GiB written before the count check)
                entry.write(chunk)
    assert (tmp_path / "bomb.zip").stat().st_size < 2 * 1024 * 1024
    _refused(tmp_path, tmp_path / "bomb.zip", rf"bomb\.zip': 'train/images/0000000001\.png': expected at most "
                                              rf"{MAX_PNG_BYTES:,} for a 101×101 image; received 1,073,741,824 bytes")


def test_too_many_small_files_are_refused_before_anything_is_written(tmp_path):
    with zipfile.ZipFile(tmp_path / "many.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(400):  # each within the size of an image, together far more files than the layout
            archive.writestr(f"train/images/{index:010d}.png", bytes(100_000))
    _refused(tmp_path, tmp_path / "many.zip", r"many\.zip': expected at most 105 \(the competition's layout with a "
                                              r"margin\); received 400 more files to unpack")


def test_an_entry_named_twice_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as archive:
        _layout(archive)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("train/images/a.png", b"another image")  # was: silently kept the first
    _refused(tmp_path, tmp_path / "twice.zip", r"twice\.zip': expected each file once; received the entry "
                                               r"'train/images/a\.png' twice")
