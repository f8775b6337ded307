"""Load segmentation data sets from disk: Kaggle TGS Salt, folder pairs, TIFF stacks.

Every loader returns a :class:`SegmentationData`: ids, float32 images (N, H, W, C)
in [0, 1], uint8 masks (N, H, W, 1) and, for TGS Salt, the depth of each image.
Images and masks are always **paired by file stem** (``a1b2.png`` with
``a1b2.png`` or ``a1b2.tif``), never by sort order, and the ids come back sorted
so two runs load the same order.

The loaders: :func:`load_tgs` (Kaggle TGS Salt; :func:`write_tgs_layout` writes that layout),
:func:`load_folder_pairs` (``images/`` and ``masks/``, e.g. ISBI 2012 with ``foreground=0``) and
:func:`load_tiff_stacks` (ISBI's multi-page TIFFs). Which one a path needs is decided in one place,
:func:`~sprint19_unet.data.datasets.load_dataset`.

NumPy, Pillow and the ``csv`` module only: no Keras, no pandas, no pickle.

Example:
    >>> import numpy as np, pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "tgs"
    >>> masks = np.zeros((2, 101, 101), dtype=np.uint8); masks[1, :50] = 1
    >>> _ = write_tgs_layout(root, ["b", "a"], np.zeros((2, 101, 101)), masks)
    >>> data = load_tgs(root)
    >>> data.ids, data.images.shape, int(data.masks[1].sum())
    (['a', 'b'], (2, 101, 101, 1), 0)
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import logging
import math
import os
import shutil
import stat
import warnings
from pathlib import Path

import numpy as np

from sprint19_unet import atomic
from sprint19_unet.data import images as image_io
from sprint19_unet.data import rle
from sprint19_unet.errors import bad_input, check_path

logger = logging.getLogger(__name__)

# The Kaggle TGS Salt files and their columns.
TRAIN_CSV = "train.csv"
DEPTHS_CSV = "depths.csv"
TRAIN_CSV_COLUMNS = ("id", "rle_mask")
DEPTHS_CSV_COLUMNS = ("id", "z")
TGS_SPLITS = ("train", "test")

# How many ids an error message lists before "... and N more".
MAX_IDS_SHOWN = 5


# === The data container ===


@dataclasses.dataclass(frozen=True)
class SegmentationData:
    """Images, masks and ids of one data split, kept together so they cannot drift.

    Args:
        ids: one id per image (the file stem), in the order of the arrays.
        images: float32 (N, H, W, C) in [0, 1].
        masks: uint8 (N, H, W, 1), 0/1 or class labels; ``None`` for unlabelled data.
        depths: float32 (N,) — TGS Salt depth of each image; ``None`` when unknown.

    Raises:
        Sprint19Error: when the shapes do not agree with each other or ids repeat.

    Example:
        >>> import numpy as np
        >>> data = SegmentationData(["a"], np.zeros((1, 4, 4, 1), np.float32))
        >>> len(data), data.masks is None
        (1, True)
    """

    ids: list[str]
    images: np.ndarray
    masks: np.ndarray | None = None
    depths: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = [str(item) for item in self.ids]
        object.__setattr__(self, "ids", ids)
        count = len(ids)
        if len(set(ids)) != count:
            raise bad_input(
                "ids", f"repeated ids {_show_ids(_duplicates(ids))}", "unique ids", "Give every image its own id."
            )
        images = np.asarray(self.images)
        if images.ndim != 4 or images.shape[0] != count:
            raise bad_input(
                "images",
                f"shape {images.shape} for {count} ids",
                f"shape ({count}, H, W, C)",
                "Stack the images into one array with a channel axis, e.g. images[..., None].",
            )
        if self.masks is not None:
            masks = np.asarray(self.masks)
            if masks.shape != images.shape[:3] + (1,):
                raise bad_input(
                    "masks",
                    f"shape {masks.shape}",
                    f"shape {images.shape[:3] + (1,)} to match images {images.shape}",
                    "Give one (H, W, 1) mask per image, the same size as the image.",
                )
        if self.depths is not None and np.shape(self.depths) != (count,):
            raise bad_input(
                "depths", f"shape {np.shape(self.depths)}", f"shape ({count},)", "Give one depth per image."
            )

    def __len__(self) -> int:
        return len(self.ids)


# === Small helpers ===


def _show_ids(ids) -> str:
    """Format a few ids for an error message: 'a', 'b', 'c' and 4 more."""
    ids = list(ids)
    shown = ", ".join(repr(item) for item in ids[:MAX_IDS_SHOWN])
    return shown + (f" and {len(ids) - MAX_IDS_SHOWN} more" if len(ids) > MAX_IDS_SHOWN else "")


def _duplicates(items) -> list[str]:
    seen: set[str] = set()
    return sorted({item for item in items if item in seen or seen.add(item)})


def _require_folder(path: str | os.PathLike, what: str, fix: str) -> Path:
    """Return ``path`` as a Path, or raise when it is missing or is a file."""
    path = check_path(path, f"{what} path", fix)
    if not path.exists():
        raise bad_input(f"{what} '{path}'", "a path that does not exist", "an existing folder", fix)
    if not path.is_dir():
        raise bad_input(f"{what} '{path}'", "a file", "a folder", fix)
    return path


def _index_images(folder: Path, what: str, fix: str) -> dict[str, Path]:
    """Map file stem → path for the image files of a folder.

    Hidden files and files with other extensions are skipped (logged); the same
    stem with two extensions, or no image at all, is an error.
    """
    index: dict[str, Path] = {}
    skipped = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in image_io.SUPPORTED_EXTENSIONS:
            skipped.append(path.name)
            continue
        if path.stem in index:
            raise bad_input(
                f"{what} folder '{folder}'",
                f"two files with the stem {path.stem!r}: '{index[path.stem].name}' and '{path.name}'",
                "one file per id",
                "Delete or rename one of them, so each id has exactly one file.",
            )
        index[path.stem] = path
    if skipped:
        logger.info(
            "%s folder '%s': skipped %d files that are not images: %s", what, folder, len(skipped), _show_ids(skipped)
        )
    if not index:
        found = f"no image files (other files: {_show_ids(skipped)})" if skipped else "an empty folder"
        raise bad_input(
            f"{what} folder '{folder}'",
            found,
            "image files with extension " + ", ".join(image_io.SUPPORTED_EXTENSIONS),
            fix,
        )
    return index


def _check_same_ids(subject: str, ids, other_ids, only_in_ids: tuple, only_in_others: tuple) -> None:
    """Raise when two sets of ids differ: first for ids missing from ``other_ids``, then for extra ones.

    ``only_in_ids`` and ``only_in_others`` are ``(what, expected, fix)``; ``what``
    names the ids found on one side only, with ``{n}`` for their count (e.g.
    ``"no mask for {n} images"``), and the message lists them after it.
    """
    for difference, (what, expected, fix) in (
        (set(ids) - set(other_ids), only_in_ids),
        (set(other_ids) - set(ids), only_in_others),
    ):
        if difference:
            received = what.replace("{n}", str(len(difference)), 1) + ": " + _show_ids(sorted(difference))
            raise bad_input(subject, received, expected, fix)


def _check_pairing(image_ids, mask_ids, images_dir: Path, masks_dir: Path) -> None:
    """Raise when an image has no mask or a mask has no image (both listed by id)."""
    _check_same_ids(
        f"masks folder '{masks_dir}'",
        image_ids,
        mask_ids,
        (
            "no mask for {n} images",
            f"one mask per image in '{images_dir}', with the same file stem",
            "Add the missing masks, or remove those images (an empty mask is an all-black PNG).",
        ),
        (
            "{n} masks without an image",
            f"one image in '{images_dir}' for every mask, with the same file stem",
            "Remove the orphan masks or add their images; check that the names match.",
        ),
    )


def _read_image_stack(paths: list[Path], channels: int) -> np.ndarray:
    """Read images of one size into a float32 (N, H, W, C) array."""
    first = image_io.read_image(paths[0], channels=channels)
    stack = np.empty((len(paths),) + first.shape, dtype=np.float32)
    stack[0] = first
    for index, path in enumerate(paths[1:], start=1):
        image = image_io.read_image(path, channels=channels)
        if image.shape != first.shape:
            raise bad_input(
                f"image '{path}'",
                f"size {image.shape[0]}×{image.shape[1]}",
                f"the size of the other images, {first.shape[0]}×{first.shape[1]} (as '{paths[0].name}')",
                "Resize or crop all images to one size before loading (masks with nearest neighbour).",
            )
        stack[index] = image
    return stack


def _check_mask_size(mask: np.ndarray, mask_path: Path, image: np.ndarray, image_path: Path) -> None:
    if mask.shape != image.shape[:2]:
        raise bad_input(
            f"mask '{mask_path}'",
            f"size {mask.shape[0]}×{mask.shape[1]}",
            f"the size of its image '{image_path}', {image.shape[0]}×{image.shape[1]}",
            "Resize the mask with nearest neighbour (never bilinear) or re-export the pair.",
        )


def _warn_if_all_empty(masks: np.ndarray | None, source: str) -> None:
    """Warn when every mask is empty: a model trained on them predicts all black."""
    if masks is not None and len(masks) and not masks.any():
        warnings.warn(
            f"{source}: all {len(masks)} masks are empty (no foreground pixel), so a model "
            "trained on them will predict all black. Check the mask files and the foreground "
            "value (ISBI 2012 membranes need foreground=0).",
            UserWarning,
            stacklevel=3,
        )


# === CSV files ===


@contextlib.contextmanager
def open_csv(path: str | os.PathLike, subject: str, fix: str):
    """Open a CSV file for the ``csv`` module, as every reader of the package does.

    UTF-8 with or without a byte-order mark (Excel and Notepad save one) is read.
    A missing path, a folder, a FIFO or a device is refused before it is opened
    (reading a FIFO would block); bytes that are not UTF-8 and malformed CSV (e.g.
    a field over the ``csv`` module's 131,072-character limit), raised while the
    block reads, become a :class:`~sprint19_unet.errors.Sprint19Error` naming ``subject``.

    Args:
        path: the CSV file.
        subject: how the error names the file, e.g. ``"submission 'sub.csv'"``.
        fix: one sentence telling the user what to do.

    Returns:
        A context manager yielding the open text file.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
        >>> _ = path.write_bytes(b"\\xef\\xbb\\xbfid,z\\n")
        >>> with open_csv(path, "CSV file 'a.csv'", "Fix it.") as file:
        ...     next(csv.reader(file))
        ['id', 'z']
    """
    check_path(path, subject, fix)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        missing = isinstance(error, FileNotFoundError)
        raise bad_input(subject, "a path that does not exist" if missing else f"an unreadable path ({error.strerror})",
                        "a CSV file", fix) from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else f"{image_io.special_file_kind(mode)}, not a regular file"
        raise bad_input(subject, kind, "a CSV file", fix)
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            yield file
    except OSError as error:
        raise bad_input(subject, f"an unreadable file ({error.strerror or error})", "a CSV file", fix) from error
    except UnicodeDecodeError as error:
        raise bad_input(subject, f"bytes that are not UTF-8 text ({error})", "a UTF-8 CSV file", fix) from error
    except csv.Error as error:
        raise bad_input(subject, f"malformed CSV ({error})", "a valid CSV file", fix) from error


def _read_csv(path: Path, columns: tuple[str, ...], fix: str) -> dict[str, dict[str, str]]:
    """Read a CSV with an ``id`` column into {id: row}; check columns and duplicates."""
    subject = f"CSV file '{path}'"
    with open_csv(path, subject, fix) as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        missing = [column for column in columns if column not in header]
        if missing:
            raise bad_input(
                subject,
                f"columns {header}" if header else "no header line",
                "a header with the columns " + ",".join(columns),
                f"Use the Kaggle file as downloaded; the header must read {','.join(columns)}.",
            )
        extra = [column for column in header if column not in columns]
        if extra:
            warnings.warn(
                f"{subject}: extra columns {extra} are ignored (expected {','.join(columns)}).",
                UserWarning,
                stacklevel=3,
            )
        rows: dict[str, dict[str, str]] = {}
        for row in reader:
            line = reader.line_num
            if None in row or any(row[column] is None for column in columns):
                raise bad_input(
                    f"{subject}, line {line}",
                    f"{len([v for v in row.values() if v is not None])} fields",
                    f"{len(header)} fields ({','.join(header)})",
                    "Fix that line (a missing or extra comma).",
                )
            key = row["id"].strip()
            if not key:
                raise bad_input(
                    f"{subject}, line {line}", "an empty id", "an image id", "Fill in or delete that line."
                )
            if key in rows:
                raise bad_input(
                    subject,
                    f"the id {key!r} twice (again on line {line})",
                    "each id once",
                    "Remove the duplicate lines.",
                )
            rows[key] = row
    return rows


def _read_depths(path: Path) -> dict[str, float]:
    """Read Kaggle depths.csv into {id: z}; every z must be a finite number."""
    rows = _read_csv(path, DEPTHS_CSV_COLUMNS, "Re-download depths.csv from the competition page.")
    depths = {}
    for key, row in rows.items():
        try:
            depths[key] = float(row["z"])
        except ValueError:
            depths[key] = math.nan
        if not math.isfinite(depths[key]):  # float() also reads 'nan', 'inf' and '1e999' (inf)
            raise bad_input(
                f"CSV file '{path}', row of id {key!r}",
                f"the depth {row['z']!r}",
                "a finite number in the z column",
                "Fix that line or re-download depths.csv.",
            )
    return depths


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write a CSV file atomically."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    atomic.write_text_atomically(path, text.getvalue())


# === Kaggle TGS Salt ===


def check_split(split: object) -> str:
    """``split`` when it is ``"train"`` or ``"test"`` (every layout's two splits), else one clear error."""
    if split not in TGS_SPLITS:
        raise bad_input("split", repr(split), "'train' (images with masks) or 'test' (images to predict)",
                        "Pass split='train' (with masks) or split='test'.")
    return split  # type: ignore[return-value]


def _depths_for(ids: list[str], depths_by_id: dict[str, float] | None, path: Path) -> np.ndarray | None:
    if depths_by_id is None:
        return None
    missing = [key for key in ids if key not in depths_by_id]
    if missing:
        raise bad_input(
            f"CSV file '{path}'",
            f"no depth for {len(missing)} images: {_show_ids(missing)}",
            "one row per train and test id",
            "Re-download depths.csv, or delete it to load without depths.",
        )
    return np.array([depths_by_id[key] for key in ids], dtype=np.float32)


def _tgs_masks(
    ids: list[str],
    images: np.ndarray,
    image_paths: dict[str, Path],
    mask_paths: dict[str, Path] | None,
    rles: dict[str, dict[str, str]] | None,
    csv_path: Path,
) -> np.ndarray:
    """Masks from PNGs, from train.csv, or from both (then they must agree)."""
    masks = np.empty(images.shape[:3] + (1,), dtype=np.uint8)
    disagreeing = []
    for index, key in enumerate(ids):
        decoded = None
        if rles is not None:
            decoded = rle.decode_rle(
                rles[key]["rle_mask"], images.shape[1:3], name=f"CSV file '{csv_path}', id {key!r}"
            )
        if mask_paths is not None:
            mask = image_io.read_mask(mask_paths[key])
            _check_mask_size(mask, mask_paths[key], images[index], image_paths[key])
            if decoded is not None and not np.array_equal(mask, decoded):
                disagreeing.append(key)
        else:
            mask = decoded
        masks[index, ..., 0] = mask
    if disagreeing:
        raise bad_input(
            f"CSV file '{csv_path}'",
            f"run-length masks that differ from the mask PNGs for {len(disagreeing)} ids: {_show_ids(disagreeing)}",
            "the same mask in train.csv and train/masks/<id>.png",
            "Re-download the data; if you edited masks, re-write train.csv with write_tgs_layout.",
        )
    return masks


def load_tgs(root: str | os.PathLike, split: str = "train") -> SegmentationData:
    """Load the Kaggle TGS Salt data from its unzipped folder.

    Train masks come from ``train/masks/<id>.png``; when ``train.csv`` is there too,
    its run-length masks must agree with the PNGs. With ``train.csv`` alone (no
    mask PNGs) the masks are decoded from it. Depths come from ``depths.csv`` when
    present.

    Args:
        root: the folder holding ``train/``, ``test/``, ``train.csv``, ``depths.csv``.
        split: ``"train"`` (images and masks) or ``"test"`` (images only).

    Returns:
        :class:`SegmentationData` with ids sorted, images float32 (N, 101, 101, 1)
        in [0, 1], masks uint8 (N, 101, 101, 1) 0/1 (``None`` for test) and
        depths float32 (N,) (``None`` without depths.csv).

    Raises:
        Sprint19Error: for a missing root or folder, a file where a folder should
            be, an empty folder, images without masks or masks without images,
            CSVs with wrong columns, duplicate or unknown ids, images without a CSV
            row, mask/image size mismatches, CSV masks that differ from the PNGs, and
            bad image files.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp()) / "tgs"
        >>> _ = write_tgs_layout(root, ["a"], np.zeros((1, 101, 101)), np.ones((1, 101, 101), bool))
        >>> load_tgs(root).masks.mean()
        np.float64(1.0)
    """
    split = check_split(split)
    root = _require_folder(root, "TGS root", "Pass the folder you unzipped the Kaggle TGS Salt data into.")
    images_dir = _require_folder(
        root / split / "images", f"{split} images folder", f"Unzip {split}.zip from Kaggle into '{root / split}'."
    )
    image_paths = _index_images(images_dir, "images", f"Re-extract {split}.zip from Kaggle into '{root / split}'.")
    ids = sorted(image_paths)

    depths_path = root / DEPTHS_CSV
    depths_by_id = _read_depths(depths_path) if depths_path.exists() else None

    masks = None
    if split == "train":
        masks_dir = root / "train" / "masks"
        csv_path = root / TRAIN_CSV
        mask_paths = None
        if masks_dir.exists():
            _require_folder(masks_dir, "train masks folder", "Remove the file and re-extract train.zip.")
            mask_paths = _index_images(
                masks_dir,
                "masks",
                "Re-extract train.zip, or delete the empty masks folder to decode the masks from train.csv.",
            )
            _check_pairing(ids, mask_paths, images_dir, masks_dir)
        rles = None
        if csv_path.exists():
            rles = _read_csv(csv_path, TRAIN_CSV_COLUMNS, "Re-download train.csv from the competition page.")
            _check_same_ids(
                f"CSV file '{csv_path}'",
                rles,
                image_paths,
                (
                    f"{{n}} ids without an image in '{images_dir}'",
                    "an image for every id in train.csv",
                    "Re-extract train.zip, or remove those rows.",
                ),
                (
                    f"no row for {{n}} images in '{images_dir}'",
                    "one row per training image (an empty rle_mask for an empty mask)",
                    "Re-download train.csv, or remove those images.",
                ),
            )
        if mask_paths is None and rles is None:
            raise bad_input(
                f"TGS root '{root}'",
                "neither train/masks/ nor train.csv",
                "the training masks as PNGs in train/masks/ or as run-length strings in train.csv",
                "Unzip train.zip (it holds train/masks) and put train.csv next to it.",
            )
        images = _read_image_stack([image_paths[key] for key in ids], channels=1)
        masks = _tgs_masks(ids, images, image_paths, mask_paths, rles, csv_path)
        _warn_if_all_empty(masks, f"TGS training set '{root}'")
    else:
        images = _read_image_stack([image_paths[key] for key in ids], channels=1)

    depths = _depths_for(ids, depths_by_id, depths_path)
    logger.info("loaded %d %s images from '%s'", len(ids), split, root)
    return SegmentationData(ids, images, masks, depths)


def _check_ids(ids: object, what: str) -> list[str]:
    """Validate ids that become file names."""
    if isinstance(ids, str) or not hasattr(ids, "__iter__"):
        raise bad_input(what, repr(ids), "a list of id strings", f"Pass {what} as a list, e.g. ['a1b2', 'c3d4'].")
    ids = list(ids)
    bad = [
        item
        for item in ids
        if not isinstance(item, str)
        or not item.strip()
        or item != item.strip()
        or item.startswith(".")
        or any(char in item for char in '/\\:*?"<>|,\n')
    ]
    if bad:
        raise bad_input(
            what,
            f"ids that cannot be file names: {_show_ids(bad)}",
            "non-empty strings without path separators, commas or surrounding spaces",
            "Use plain ids like Kaggle's hexadecimal ones, e.g. '000e218f21'.",
        )
    repeated = _duplicates(ids)
    if repeated:
        raise bad_input(what, f"repeated ids {_show_ids(repeated)}", "unique ids", "Give every image its own id.")
    return ids


def _gray_uint8_stack(array: object, count: int, what: str) -> np.ndarray:
    """(N, H, W) or (N, H, W, 1) floats in [0, 1] or uint8 → uint8 (N, H, W)."""
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] != count or (count and array.size == 0):
        raise bad_input(
            what,
            f"shape {array.shape}",
            f"({count}, H, W) or ({count}, H, W, 1)",
            f"Give one grayscale image per id in {what}.",
        )
    if array.dtype == np.uint8 or array.size == 0:
        return array.astype(np.uint8)
    numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if np.issubdtype(array.dtype, np.floating) and np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1:
        return np.round(array * 255.0).astype(np.uint8)
    raise bad_input(
        what,
        f"dtype {array.dtype}" + (f" with values {np.nanmin(array):g}..{np.nanmax(array):g}" if numeric else ""),
        "floats in [0, 1] or uint8",
        "Scale the images to [0, 1] first.",
    )


def _depth_values(depths: object, count: int, what: str) -> np.ndarray:
    try:
        array = np.asarray(depths, dtype=np.float64) if depths is not None else None
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != (count,) or not np.isfinite(array).all():
        raise bad_input(
            what,
            f"{np.shape(depths)} values",
            f"{count} finite numbers (one per id)",
            f"Give one depth per id in {what}.",
        )
    return array


def _format_depth(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_tgs_layout(
    root: str | os.PathLike,
    ids,
    images,
    masks,
    depths=None,
    test_ids=None,
    test_images=None,
    test_depths=None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write images and masks in the exact Kaggle TGS Salt layout (inverse of :func:`load_tgs`).

    Writes ``train/images/<id>.png`` (8-bit grayscale), ``train/masks/<id>.png``
    (0/255), ``train.csv`` (``id,rle_mask``), ``test/images/<id>.png`` and
    ``depths.csv`` (``id,z``, train ids then test ids) when depths are given. Every
    file is written atomically.

    Args:
        root: the folder to write; it must be empty or absent unless ``overwrite``.
        ids: training ids (used as file names).
        images: (N, H, W) or (N, H, W, 1), floats in [0, 1] or uint8.
        masks: (N, H, W) or (N, H, W, 1), bool or 0/1 or 0/255.
        depths: optional (N,) depths; needs ``test_depths`` when test ids are given.
        test_ids: optional test ids (no masks).
        test_images: test images, given together with ``test_ids``.
        test_depths: optional depths of the test images.
        overwrite: allow a non-empty root; the existing ``train/``, ``test/``,
            ``train.csv`` and ``depths.csv`` are then removed first (other files stay).

    Returns:
        The root, as a ``Path``.

    Raises:
        Sprint19Error: for a non-empty root without ``overwrite``, a root that is a
            file, bad ids, shapes, values, or inconsistent depth arguments.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp()) / "tgs"
        >>> _ = write_tgs_layout(root, ["a"], np.zeros((1, 101, 101)), np.zeros((1, 101, 101), bool))
        >>> (root / "train.csv").read_text()
        'id,rle_mask\\na,\\n'
    """
    root = Path(root)
    ids = _check_ids(ids, "ids")
    if not ids:
        raise bad_input("ids", "an empty list", "at least one training id", "Pass the ids of the training images.")
    pixels = _gray_uint8_stack(images, len(ids), "images")
    binary = _binary_masks_like(masks, pixels)
    test_list, test_pixels = _test_split(ids, test_ids, test_images)
    all_depths = _all_depths(ids, depths, test_list, test_ids, test_depths)
    _make_room(root, overwrite)
    rows = []
    for key, image, mask in zip(ids, pixels, binary):
        image_io.write_png(root / "train" / "images" / f"{key}.png", image)
        image_io.write_png(root / "train" / "masks" / f"{key}.png", mask * np.uint8(255))
        rows.append((key, rle.encode_rle(mask, name=f"mask of id {key!r}")))
    _write_csv(root / TRAIN_CSV, TRAIN_CSV_COLUMNS, rows)
    if test_pixels is not None:
        (root / "test" / "images").mkdir(parents=True, exist_ok=True)
        for key, image in zip(test_list, test_pixels):
            image_io.write_png(root / "test" / "images" / f"{key}.png", image)
    if all_depths is not None:
        _write_csv(root / DEPTHS_CSV, DEPTHS_CSV_COLUMNS, [(key, _format_depth(z)) for key, z in all_depths])
    logger.info("wrote %d train and %d test images in Kaggle layout to '%s'", len(ids), len(test_list), root)
    return root


def _binary_masks_like(masks, pixels: np.ndarray) -> np.ndarray:
    """The masks as 0/1 ``uint8`` of the images' shape (N, H, W), or one clear error."""
    mask_array = np.asarray(masks)
    if mask_array.ndim == 4 and mask_array.shape[-1] == 1:
        mask_array = mask_array[..., 0]
    if mask_array.shape != pixels.shape:
        raise bad_input(
            "masks",
            f"shape {np.shape(masks)}",
            f"{pixels.shape} to match images",
            "Give one mask per image, of the image's size.",
        )
    return image_io.mask_from_values(mask_array, subject="masks")


def _test_split(ids: list, test_ids, test_images) -> tuple:
    """``(test ids, test images as uint8 or None)``: given together, ids unique across train and test."""
    if (test_ids is None) != (test_images is None):
        raise bad_input(
            "test_ids / test_images", "only one of them", "both or neither", "Pass test_ids together with test_images."
        )
    test_list = _check_ids(test_ids, "test_ids") if test_ids is not None else []
    test_pixels = _gray_uint8_stack(test_images, len(test_list), "test_images") if test_ids is not None else None
    shared = sorted(set(ids) & set(test_list))
    if shared:
        raise bad_input(
            "test_ids",
            f"ids also in the training ids: {_show_ids(shared)}",
            "ids unique across train and test",
            "Rename the test ids.",
        )
    return test_list, test_pixels


def _all_depths(ids: list, depths, test_list: list, test_ids, test_depths) -> list | None:
    """``depths.csv``'s rows (train ids, then test ids), or None without depths; the arguments must agree."""
    train_depths = None if depths is None else _depth_values(depths, len(ids), "depths")
    if test_depths is not None and (depths is None or test_ids is None):
        raise bad_input(
            "test_depths",
            "test depths without train depths or without test_ids",
            "depths for train and test together",
            "Pass depths and test_ids too, or leave test_depths out.",
        )
    if depths is not None and test_list and test_depths is None:
        raise bad_input(
            "test_depths",
            "None while depths and test_ids are given",
            "one depth per test id (depths.csv covers both)",
            "Pass test_depths, or leave depths out.",
        )
    if train_depths is None:
        return None
    rows = list(zip(ids, train_depths))
    if test_list:
        rows += list(zip(test_list, _depth_values(test_depths, len(test_list), "test_depths")))
    return rows


def _make_room(root: Path, overwrite: bool) -> None:
    """An absent or empty ``root``; with ``overwrite``, its train/, test/ and CSV files removed (the rest stays)."""
    if root.exists() and not root.is_dir():
        raise bad_input(f"TGS root '{root}'", "a file", "a folder (new or empty)", "Pass a folder path.")
    if not (root.exists() and any(root.iterdir())):
        return
    if not overwrite:
        raise bad_input(
            f"TGS root '{root}'",
            "a folder that is not empty",
            "a new or empty folder",
            "Pick another folder, or pass overwrite=True to replace its train/, test/ and CSV files.",
        )
    for name in TGS_SPLITS:
        if (root / name).is_dir():
            shutil.rmtree(root / name)
    for name in (TRAIN_CSV, DEPTHS_CSV):
        if (root / name).is_file():
            (root / name).unlink()


# === Folder pairs and TIFF stacks ===


def load_folder_pairs(
    images_dir: str | os.PathLike,
    masks_dir: str | os.PathLike | None = None,
    *,
    foreground: int | None = None,
    num_classes: int | None = None,
    channels: int = 1,
) -> SegmentationData:
    """Load images and masks from two folders, paired by file stem.

    Files may be .png, .tif/.tiff or .jpg/.jpeg, mixed; ``cat.jpg`` pairs with
    ``cat.png``. Conversions (RGB to grayscale, 16-bit scaling, ...) are logged.

    Args:
        images_dir: folder of images.
        masks_dir: folder of masks with the same stems, or ``None`` for images only.
        foreground: pixel value of the positive class in binary masks; ``None``
            accepts {0, 255} and {0, 1}. ISBI 2012: ``foreground=0`` (membranes).
        num_classes: for integer label masks (values 0..num_classes-1).
        channels: 1 (grayscale) or 3 (RGB) for the images.

    Returns:
        :class:`SegmentationData` with sorted ids, images float32 (N, H, W, channels)
        and masks uint8 (N, H, W, 1) or ``None``; no depths.

    Raises:
        Sprint19Error: for missing or empty folders, a file given as a folder, two
            files with one stem, images without masks or masks without images
            (named), images of different sizes, a mask whose size differs from its
            image, unexpected mask values, and bad image files.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = image_io.write_png(folder / "images" / "00.png", np.zeros((8, 8), np.uint8))
        >>> _ = image_io.write_png(folder / "masks" / "00.png", np.eye(8, dtype=bool))
        >>> data = load_folder_pairs(folder / "images", folder / "masks")
        >>> data.masks.shape, int(data.masks.sum())
        ((1, 8, 8, 1), 8)
    """
    image_io.check_mask_options(foreground, num_classes)
    images_dir = _require_folder(images_dir, "images folder", "Pass the folder that holds the images.")
    image_paths = _index_images(images_dir, "images", "Put the images (.png, .tif, .jpg) in this folder.")
    ids = sorted(image_paths)
    mask_paths = None
    if masks_dir is not None:
        masks_dir = _require_folder(masks_dir, "masks folder", "Pass the folder that holds the masks, or None.")
        mask_paths = _index_images(masks_dir, "masks", "Put the masks in this folder, or pass masks_dir=None.")
        _check_pairing(ids, mask_paths, images_dir, masks_dir)

    data = load_pairs(
        ids, [image_paths[key] for key in ids], None if mask_paths is None else [mask_paths[key] for key in ids],
        foreground=foreground, num_classes=num_classes, channels=channels,
        masks_source=f"masks folder '{masks_dir}'",
    )
    logger.info("loaded %d images from '%s'", len(ids), images_dir)
    return data


def load_pairs(
    ids: list[str],
    image_paths: list[Path],
    mask_paths: list[Path] | None = None,
    *,
    foreground: int | None = None,
    num_classes: int | None = None,
    channels: int = 1,
    masks_source: str = "the masks",
) -> SegmentationData:
    """Read images (and their masks) from lists of files: the reading every file-based layout shares.

    Args:
        ids: one id per image, in order.
        image_paths: the image files, one per id, all of one size.
        mask_paths: the mask files in the same order, or ``None`` for images only.
        foreground, num_classes, channels: as for :func:`load_folder_pairs`.
        masks_source: where the masks came from, for the warning when every mask is empty.

    Returns:
        :class:`SegmentationData` with the ids in the order given; no depths.

    Raises:
        Sprint19Error: for a bad image or mask file, images of different sizes, a mask whose
            size differs from its image's, unexpected mask values.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> image = image_io.write_png(folder / "a.png", np.zeros((4, 4), np.uint8))
        >>> mask = image_io.write_png(folder / "a_mask.png", np.eye(4, dtype=bool))
        >>> int(load_pairs(["a"], [image], [mask]).masks.sum())
        4
    """
    images = _read_image_stack(list(image_paths), channels=channels)
    masks = None
    if mask_paths is not None:
        masks = np.empty(images.shape[:3] + (1,), dtype=np.uint8)
        for index, (mask_path, image_path) in enumerate(zip(mask_paths, image_paths)):
            mask = image_io.read_mask(mask_path, foreground=foreground, num_classes=num_classes)
            _check_mask_size(mask, mask_path, images[index], image_path)
            masks[index, ..., 0] = mask
        _warn_if_all_empty(masks, masks_source)
    return SegmentationData(list(ids), images, masks)


def load_tiff_stacks(
    volume_path: str | os.PathLike,
    labels_path: str | os.PathLike | None = None,
    *,
    foreground: int | None = None,
) -> SegmentationData:
    """Load a multi-page TIFF volume (and its label stack), e.g. ISBI 2012's originals.

    Args:
        volume_path: the image stack, e.g. ``train-volume.tif`` (30 × 512 × 512).
        labels_path: the label stack, e.g. ``train-labels.tif``, or ``None``.
        foreground: pixel value of the positive class; ISBI 2012: ``foreground=0``
            (membranes are black). ``None`` accepts {0, 255} and {0, 1}.

    Returns:
        :class:`SegmentationData` with ids "0000", "0001", ..., images float32
        (N, H, W, 1) in [0, 1] and masks uint8 (N, H, W, 1) or ``None``.

    Raises:
        Sprint19Error: for bad files, stacks of different sizes, or unexpected label
            values.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = image_io.write_tiff_stack(folder / "v.tif", np.zeros((2, 8, 8), np.uint8))
        >>> load_tiff_stacks(folder / "v.tif").ids
        ['0000', '0001']
    """
    image_io.check_mask_options(foreground, None)
    volume = image_io.read_tiff_stack(volume_path)
    images = image_io.scale_to_unit(volume, subject=f"TIFF stack '{volume_path}'")[..., None]
    ids = [f"{index:04d}" for index in range(len(volume))]
    masks = None
    if labels_path is not None:
        labels = image_io.read_tiff_stack(labels_path)
        if labels.shape != volume.shape:
            raise bad_input(
                f"TIFF stack '{labels_path}'",
                f"{labels.shape[0]} pages of {labels.shape[1]}×{labels.shape[2]}",
                f"the shape of '{volume_path}': {volume.shape[0]} pages of {volume.shape[1]}×{volume.shape[2]}",
                "Pass the label stack that belongs to this volume.",
            )
        masks = image_io.mask_from_values(labels, subject=f"TIFF stack '{labels_path}'", foreground=foreground)[
            ..., None
        ]
        _warn_if_all_empty(masks, f"TIFF stack '{labels_path}'")
    return SegmentationData(ids, images, masks)


__all__ = [
    "SegmentationData",
    "load_folder_pairs",
    "load_tgs",
    "load_tiff_stacks",
    "write_tgs_layout",
]
