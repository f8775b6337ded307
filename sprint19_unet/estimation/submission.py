"""The Kaggle submission file: ``id,rle_mask``, validated on write, written atomically.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "submission.csv"
    >>> masks = np.zeros((2, 3, 3, 1), "uint8"); masks[1, 0, 0] = 1
    >>> _ = write_submission(["a", "b"], masks, path)
    >>> path.read_text().splitlines()
    ['id,rle_mask', 'a,', 'b,1 1']
"""

from __future__ import annotations

import collections
import csv
import io
import os
from pathlib import Path

import numpy as np

from sprint19_unet.atomic import write_text_atomically
from sprint19_unet.data.formats import open_csv
from sprint19_unet.errors import bad_input, check_path
from sprint19_unet.data.rle import decode_rle, encode_rle

HEADER = ["id", "rle_mask"]


def _show(ids) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:5]) + (f" … ({len(ids)} in all)" if len(ids) > 5 else "")


def check_text_ids(ids, subject: str) -> None:
    """Refuse ids that cannot be written as UTF-8 text (from file names in another encoding).

    Args:
        ids: the image ids (file names without suffix).
        subject: how the error names them, e.g. ``"ids"``.

    Raises:
        Sprint19Error: for the first id that is not UTF-8 text, with how to rename it.

    Example:
        >>> check_text_ids(["000e218f21"], "ids")
    """
    for item in ids:
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_input(
                subject,
                f"the id {item!r}, from an image file name that is not UTF-8 text",
                "ids that are UTF-8 text (Kaggle's ids are ASCII, e.g. '000e218f21')",
                "Rename that image file to an ASCII name and run again.",
            ) from None


def _check_submission_ids(ids, expected_ids, subject: str, fix: str) -> None:
    """Refuse repeated ids and, when ``expected_ids`` is given, ids that are not exactly the test set's."""
    repeated = {item for item, count in collections.Counter(ids).items() if count > 1}
    if repeated:
        raise bad_input(subject, f"repeated ids {_show(repeated)}", "each id once", "Remove the duplicates.")
    if expected_ids is None:
        return
    expected = {str(item) for item in expected_ids}
    missing, extra = expected - set(ids), set(ids) - expected
    if missing or extra:
        raise bad_input(
            subject,
            f"{len(missing)} test ids missing ({_show(missing)}) and {len(extra)} unknown ids ({_show(extra)})",
            "exactly the ids of the test images", fix,
        )


def write_submission(ids, masks, path: str | os.PathLike, expected_ids=None) -> Path:
    """Write a Kaggle TGS submission CSV.

    Args:
        ids: one id per mask (the test image file stems).
        masks: (N, H, W) or (N, H, W, 1) binary masks (0/1 or bool).
        path: the CSV to write (replaced atomically if it exists).
        expected_ids: the test set's ids; when given, the submission must hold
            exactly these (Kaggle rejects a file with missing or extra ids).

    Returns:
        The path written.

    Raises:
        Sprint19Error: for mismatched counts, repeated ids, ids that are not
            UTF-8 text, ids that differ from ``expected_ids``, or masks that are
            not binary; nothing is written then.

    Example:
        >>> import tempfile, pathlib
        >>> write_submission(["x"], np.ones((1, 2, 2)), pathlib.Path(tempfile.mkdtemp()) / "s.csv").name
        's.csv'
    """
    ids = [str(item) for item in ids]
    masks = np.asarray(masks)
    if masks.ndim == 4 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if masks.ndim != 3 or len(masks) != len(ids):
        raise bad_input(
            "masks", f"shape {masks.shape} for {len(ids)} ids", f"({len(ids)}, height, width): one mask per id",
            "Pass the masks predicted for exactly these ids, in the same order.",
        )
    check_text_ids(ids, "ids")
    _check_submission_ids(ids, expected_ids, "ids", "Predict every image in test/images and nothing else.")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for item, mask in zip(ids, masks):
        writer.writerow([item, encode_rle(mask, name=f"mask of id '{item}'")])
    return write_text_atomically(path, buffer.getvalue())


def read_submission(path: str | os.PathLike, shape=(101, 101)):
    """Read a submission CSV back into ids and masks (to check it before uploading).

    Args:
        path: the CSV.
        shape: (height, width) of each mask (TGS: 101×101).

    Returns:
        ``(ids, masks)``: a list of str and uint8 (N, H, W, 1).

    Raises:
        Sprint19Error: for a missing file, bytes that are not UTF-8, malformed
            CSV, a wrong header or malformed RLE. A UTF-8 byte-order mark is fine.

    Example:
        >>> import tempfile, pathlib
        >>> path = write_submission(["a"], np.ones((1, 2, 2)), pathlib.Path(tempfile.mkdtemp()) / "s.csv")
        >>> read_submission(path, (2, 2))[1][..., 0].tolist()
        [[[1, 1], [1, 1]]]
    """
    fix = "Write it with sprint19_unet.write_submission or python -m sprint19_unet predict --out submission.csv."
    path = check_path(path, "submission path", fix)
    with open_csv(path, f"submission '{path}'", fix) as file:
        rows = list(csv.reader(file))
    if not rows or rows[0] != HEADER:
        raise bad_input(f"submission '{path}'", f"header {rows[0] if rows else 'none'}", "the header id,rle_mask", fix)
    ids, masks = [], []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise bad_input(f"submission '{path}' line {number}", f"{len(row)} fields", "2 fields: id,rle_mask", "Fix the line.")
        ids.append(row[0])
        masks.append(decode_rle(row[1], shape, name=f"rle_mask of id '{row[0]}' in '{path}'"))
    return ids, np.stack(masks)[..., None] if masks else np.zeros((0, *shape, 1), "uint8")


def check_submission(path: str | os.PathLike, expected_ids, shape=(101, 101)) -> dict:
    """Check a submission CSV before uploading it: header, RLE, and exactly the test ids.

    Args:
        path: the CSV.
        expected_ids: the test set's ids (e.g. ``load_tgs(root, "test").ids``).
        shape: (height, width) of each mask.

    Returns:
        ``{"rows": ..., "empty_masks": ..., "mean_coverage": ...}``.

    Raises:
        Sprint19Error: for an unreadable file, a wrong header, malformed RLE,
            repeated ids, test ids that are not UTF-8 text, or ids that differ
            from ``expected_ids`` (naming a few of each).

    Example:
        >>> import tempfile, pathlib
        >>> path = write_submission(["a"], np.ones((1, 2, 2)), pathlib.Path(tempfile.mkdtemp()) / "s.csv")
        >>> check_submission(path, ["a"], (2, 2))["rows"]
        1
    """
    ids, masks = read_submission(path, shape)
    check_text_ids(sorted({str(item) for item in expected_ids}), "test ids")
    _check_submission_ids(
        ids, expected_ids, f"submission '{path}'",
        "Predict every image in test/images and nothing else (python -m sprint19_unet predict).",
    )
    coverage = masks.reshape(len(masks), -1).mean(axis=1) if len(masks) else np.zeros(0)
    return {"rows": len(ids), "empty_masks": int((coverage == 0).sum()), "mean_coverage": float(coverage.mean()) if len(ids) else 0.0}
