"""Read and write single images and masks, with errors that name the file.

Everything a data loader needs below the folder level: :func:`read_image` (float32 in [0, 1],
whatever the file held), :func:`read_mask` (binary 0/1, or class labels), :func:`binary_mask` (the
package's one rule for a binary mask, also used by RLE and the scores), :func:`read_tiff_stack`
(multi-page TIFFs such as ISBI's), and :func:`write_png` / :func:`write_tiff_stack` (atomic).

A zero-byte, truncated or corrupt file, a text file with an image extension, a
damaged TIFF page chain, an image over Pillow's decompression-bomb limit, or a
path that is not a regular file (a folder, FIFO or device, never opened) gives one
:class:`~sprint19_unet.errors.Sprint19Error` naming the file, never a raw Pillow
traceback. Conversions are logged with ``logging`` (level INFO).

NumPy and Pillow only: no Keras, so this module imports fast.

Example:
    >>> import numpy as np, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_png(folder / "mask.png", np.eye(4, dtype=bool))
    >>> read_mask(path).tolist()[0]
    [1, 0, 0, 0]
    >>> read_image(path).shape
    (4, 4, 1)
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from sprint19_unet import atomic
from sprint19_unet.errors import Sprint19Error, bad_input, check_int, check_path

logger = logging.getLogger(__name__)

# File extensions the loaders accept, lower case.
SUPPORTED_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
TIFF_EXTENSIONS = (".tif", ".tiff")

# ITU-R BT.601 luma weights, the same ones Pillow's convert("L") uses.
LUMINANCE_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float64)

# How many distinct values an error message lists.
_MAX_VALUES_SHOWN = 10

# The values a binary mask may mark its foreground with (besides True): 8-bit PNGs hold 255,
# 16-bit files 65535.
BINARY_ON_VALUES = (1, 255, 65535)

_CORRUPT_FIX = "The file is damaged or not really an image: re-download it or re-extract the archive it came from."


# === Paths and opening ===

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF headers

_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_kind(mode: int) -> str | None:
    """Name what a path is when it is neither a regular file nor a folder.

    Reading a FIFO blocks until someone writes to it and a device never ends, so
    the loaders check ``os.stat`` first and refuse these without opening them.

    Args:
        mode: ``os.stat(path).st_mode``.

    Returns:
        ``"a FIFO (named pipe)"``, ``"a character device"``, ``"a block device"``,
        ``"a socket"`` or ``"a special file"``; ``None`` for a regular file or a folder.

    Example:
        >>> special_file_kind(os.stat("/dev/null").st_mode)
        'a character device'
    """
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in _SPECIAL_FILES:
        if test(mode):
            return kind
    return "a special file"


def _check_file(path: str | os.PathLike, kind: str, extensions=SUPPORTED_EXTENSIONS) -> Path:
    """Check that ``path`` is an existing, non-empty regular file with a supported extension.

    Only ``stat`` is used: a FIFO or device is refused before anything opens it.
    """
    path = check_path(path, f"{kind} path", f"Pass the {kind} file's path as a string or pathlib.Path.")
    subject = f"{kind} '{path}'"
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise bad_input(
            subject, "a path that does not exist", "an existing image file", "Check the path and its spelling."
        ) from None
    except OSError as error:
        raise bad_input(
            subject,
            f"a path that cannot be examined ({error.strerror or error})",
            "a readable image file",
            "Check the path and the permissions of the folders on it.",
        ) from error
    if stat.S_ISDIR(status.st_mode):
        raise bad_input(subject, "a folder", "an image file", "Pass the path of one file, not of a folder.")
    special = special_file_kind(status.st_mode)
    if special is not None:
        raise bad_input(
            subject,
            f"{special}, not a regular file",
            "an image file saved on disk",
            "Save the image to a regular file first and pass that file's path.",
        )
    if path.suffix.lower() not in extensions:
        raise bad_input(
            subject,
            f"the extension {path.suffix or '(none)'!r}",
            "one of " + ", ".join(extensions),
            "Convert the file to PNG (lossless), e.g. with Pillow: Image.open(p).save('x.png')."
            if extensions == SUPPORTED_EXTENSIONS
            else "Pass a multi-page TIFF; read single images with read_image.",
        )
    if status.st_size == 0:
        raise bad_input(subject, "a zero-byte file", "an image file with content", _CORRUPT_FIX)
    return path


def _is_tiff(path: Path) -> bool:
    """Whether the file starts with a TIFF header (whatever its extension says)."""
    try:
        with open(path, "rb") as file:
            return file.read(4) in _TIFF_MAGIC
    except OSError:
        return False


def _too_large(subject: str, error: Exception) -> Sprint19Error:
    """The error for an image Pillow refuses as a possible decompression bomb."""
    numbers = re.findall(r"\((\d+) pixels\).*?limit of (\d+) pixels", str(error))
    if numbers:
        pixels, limit = (int(number) for number in numbers[0])
        received = (
            f"an image too large to decode safely ({pixels:,} pixels, "
            f"over Pillow's decompression-bomb limit of {limit:,} pixels)"
        )
    else:
        received = f"an image too large to decode safely ({error})"
    return bad_input(
        subject,
        received,
        "an image within Pillow's decompression-bomb limit",
        "Tile it into smaller images or resize it; if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS "
        "(or set it to None) before loading it.",
    )


def _decode_error(path: Path, subject: str, error: Exception, *, opened: bool = True) -> Sprint19Error:
    """Turn an exception Pillow (or the OS) raised while decoding ``path`` into one Sprint19Error.

    Pillow signals a bad file with many exception types (``OSError``, ``SyntaxError``,
    ``TypeError``, ``ValueError``, ``struct.error``, ...), so every one is translated:
    "too large" for the decompression-bomb refusal, "damaged TIFF" for a file with a
    TIFF header, else "cannot read" (``opened=False``) or "truncated or corrupt".
    """
    if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return _too_large(subject, error)
    detail = str(error) or type(error).__name__
    if _is_tiff(path):
        named = "" if path.suffix.lower() in TIFF_EXTENSIONS else f" with the extension {path.suffix or '(none)'!r}"
        return bad_input(
            subject,
            f"a damaged TIFF file{named} ({detail})",
            "a complete TIFF file whose page list ends cleanly",
            "The TIFF is damaged (e.g. a page offset points past its end): re-export it from the program that "
            "made it (e.g. Fiji: File > Save As > Tiff), or re-download it.",
        )
    if not opened:
        return bad_input(subject, f"a file Pillow cannot read ({detail})", "a valid image file", _CORRUPT_FIX)
    return bad_input(subject, f"a truncated or corrupt image ({detail})", "a complete image file", _CORRUPT_FIX)


@contextlib.contextmanager
def _opened(path: Path, kind: str) -> Iterator[Image.Image]:
    """Open and decode an image; inside the ``with``, any Pillow failure is a Sprint19Error.

    Pillow decodes lazily: ``open`` reads the header, ``load`` the pixels,
    ``n_frames`` and ``seek`` walk a TIFF's page chain, ``convert`` and
    ``np.array`` may decode again. The caller's ``with`` body is therefore part of
    the same guarded region: whatever Pillow or the OS raises there becomes one
    Sprint19Error naming the file (Sprint19Errors raised by the body pass through).
    """
    subject = f"{kind} '{path}'"
    opened = False
    try:
        with Image.open(path) as image:
            opened = True
            image.load()
            yield image
    except Sprint19Error:
        raise
    except Exception as error:  # Pillow raises many types for bad files
        raise _decode_error(path, subject, error, opened=opened) from error


def _check_single_frame(image: Image.Image, subject: str) -> None:
    """Refuse multi-page files where one image is expected."""
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        raise bad_input(
            subject,
            f"a multi-page file with {frames} pages",
            "a single image",
            "Read multi-page TIFF stacks with read_tiff_stack or load_tiff_stacks.",
        )


# === Pixels out of Pillow ===


def _drop_opaque_alpha(array: np.ndarray, subject: str) -> np.ndarray:
    """Drop the last (alpha) channel when it is fully opaque; refuse transparency."""
    alpha = array[..., -1]
    transparent = int(np.count_nonzero(alpha != 255))
    if transparent:
        raise bad_input(
            subject,
            f"an alpha channel with {transparent} transparent pixels",
            "no transparency (alpha 255 everywhere)",
            "Flatten the image onto a background and save it without alpha.",
        )
    logger.info("%s: dropped a fully opaque alpha channel", subject)
    rest = array[..., :-1]
    return rest[..., 0] if rest.shape[-1] == 1 else rest


def _pixels(image: Image.Image, subject: str, *, palette_indices: bool = False) -> np.ndarray:
    """Return the pixel values of one decoded frame as a NumPy array.

    Grayscale comes back 2-D (bool for 1-bit, uint8, uint16 or float32), colour as
    (H, W, 3) uint8. Palette images give their indices when ``palette_indices``,
    else their colours.
    """
    mode = image.mode
    if mode == "P" and palette_indices:
        logger.info("%s: using palette indices as class labels", subject)
        return np.array(image)
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        logger.info("%s: converted a palette image to %s", subject, image.mode)
        mode = image.mode
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        image = image.convert("RGB")
        logger.info("%s: converted %s to RGB", subject, mode)
        mode = "RGB"
    if mode == "1":
        return np.array(image, dtype=bool)
    if mode in ("L", "RGB"):
        return np.array(image)
    if mode in ("LA", "La", "RGBA", "RGBa"):
        return _drop_opaque_alpha(np.array(image.convert("LA" if mode.startswith("L") else "RGBA")), subject)
    if mode.startswith("I;16"):
        return np.array(image).astype(np.uint16)
    if mode == "I":
        array = np.array(image)
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise bad_input(
                subject,
                f"32-bit integer pixels in {array.min()}..{array.max()}",
                "8-bit or 16-bit pixels (0..65535)",
                "Rescale the image to 8 or 16 bits before saving it.",
            )
        return array.astype(np.uint16)
    if mode == "F":
        return np.array(image, dtype=np.float32)
    raise bad_input(
        subject,
        f"the image mode {mode!r}",
        "grayscale (1, L, I;16), RGB, RGBA, LA or palette pixels",
        "Convert the file to an 8-bit grayscale or RGB PNG.",
    )


def _show_values(values: np.ndarray) -> str:
    """Format the distinct values of an array for an error message."""
    distinct = np.unique(values)
    shown = ", ".join(f"{value:g}" for value in distinct[:_MAX_VALUES_SHOWN].tolist())
    more = f", ... ({distinct.size} distinct values)" if distinct.size > _MAX_VALUES_SHOWN else ""
    return "{" + shown + more + "}"


def scale_to_unit(values: np.ndarray, *, subject: str = "image") -> np.ndarray:
    """Scale raw pixel values to float32 in [0, 1] according to their bit depth.

    Args:
        values: bool (0/1), uint8 (divided by 255), uint16 (divided by 65535, logged)
            or float (must already lie in [0, 1]).
        subject: how error and log messages name the data (e.g. the file path).

    Returns:
        float32 array of the same shape, values in [0, 1].

    Raises:
        Sprint19Error: for floats outside [0, 1] (or NaN) and for other dtypes.

    Example:
        >>> scale_to_unit(np.array([0, 255], dtype=np.uint8)).tolist()
        [0.0, 1.0]
    """
    values = np.asarray(values)
    if values.dtype == bool:
        return values.astype(np.float32)
    if values.dtype == np.uint8:
        return values.astype(np.float32) / 255.0
    if values.dtype == np.uint16:
        logger.info("%s: scaled 16-bit pixels to [0, 1] by dividing by 65535", subject)
        return (values.astype(np.float64) / 65535.0).astype(np.float32)
    if np.issubdtype(values.dtype, np.floating):
        if values.size and not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1):
            raise bad_input(
                subject,
                f"float pixels in {np.nanmin(values):g}..{np.nanmax(values):g}"
                + (" with NaN/inf" if not np.isfinite(values).all() else ""),
                "float pixels in [0, 1], or 8/16-bit integers",
                "Rescale the image to [0, 1] or save it as an 8-bit PNG.",
            )
        return values.astype(np.float32)
    raise bad_input(
        subject,
        f"pixels of dtype {values.dtype}",
        "bool, uint8, uint16 or float pixels",
        "Save the image as an 8-bit or 16-bit grayscale PNG.",
    )


# === Reading images ===


def _check_channels(channels: object) -> int:
    if isinstance(channels, bool) or channels not in (1, 3):
        raise bad_input(
            "channels", repr(channels), "1 (grayscale) or 3 (RGB)", "Use channels=1 for TGS Salt and ISBI 2012."
        )
    return int(channels)  # type: ignore[arg-type]


def read_image(path: str | os.PathLike, *, channels: int = 1) -> np.ndarray:
    """Read one image as float32 (H, W, channels) with values in [0, 1].

    RGB is converted to grayscale by luminance (0.299 R + 0.587 G + 0.114 B) when
    ``channels=1``, grayscale is repeated when ``channels=3``; a fully opaque alpha
    channel is dropped; palette images are converted to their colours; 16-bit
    PNG/TIFF are divided by 65535. Each conversion is logged at INFO level.

    Args:
        path: a .png, .tif/.tiff or .jpg/.jpeg file holding one image.
        channels: 1 for grayscale (default), 3 for RGB.

    Returns:
        float32 array of shape (H, W, channels) in [0, 1].

    Raises:
        Sprint19Error: for a missing file, a folder, an unsupported extension, a
            zero-byte, truncated or corrupt file (or text named .png), transparency,
            a multi-page file, or an unsupported pixel format.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> path = write_png(pathlib.Path(tempfile.mkdtemp()) / "a.png", np.full((2, 3), 255, np.uint8))
        >>> read_image(path).shape, float(read_image(path).max())
        ((2, 3, 1), 1.0)
    """
    channels = _check_channels(channels)
    path = _check_file(path, "image")
    subject = f"image '{path}'"
    with _opened(path, "image") as image:
        _check_single_frame(image, subject)
        values = _pixels(image, subject)
    unit = scale_to_unit(values, subject=subject)
    if unit.ndim == 3:  # RGB
        if channels == 1:
            unit = np.tensordot(unit, LUMINANCE_WEIGHTS, axes=([-1], [0]))[..., None]
            logger.info("%s: converted RGB to grayscale by luminance", subject)
    elif channels == 3:
        unit = np.repeat(unit[..., None], 3, axis=-1)
        logger.info("%s: repeated grayscale into 3 channels", subject)
    else:
        unit = unit[..., None]
    return np.clip(unit, 0.0, 1.0).astype(np.float32)


# === Reading masks ===


def check_mask_options(foreground: object, num_classes: object) -> None:
    """Validate the ``foreground`` / ``num_classes`` options of the mask readers.

    Args:
        foreground: None, or the integer pixel value (0..65535) of the positive class.
        num_classes: None, or the number of classes (2..256) for label masks.

    Raises:
        Sprint19Error: when a value is invalid or both are given.

    Example:
        >>> check_mask_options(0, None)  # ISBI 2012: membranes are the dark class
    """
    if foreground is not None and num_classes is not None:
        raise bad_input(
            "foreground / num_classes",
            f"foreground={foreground!r} and num_classes={num_classes!r}",
            "at most one of them",
            "Use foreground for binary masks and num_classes for label masks.",
        )
    if foreground is not None:
        check_int(
            "foreground", foreground, 0,
            "Pass the pixel value of the positive class (foreground=0 for ISBI 2012 membranes), "
            "or leave it None for white-on-black masks.",
            maximum=65535,
        )
    if num_classes is not None:
        check_int(
            "num_classes", num_classes, 2,
            "Pass the number of classes including background (e.g. num_classes=3), or None for binary masks.",
            maximum=256,
        )


def one_image(value: object, name: str, what: str, fix: str) -> np.ndarray:
    """One 2-D image from an ``(H, W)`` or ``(H, W, 1)`` array, else one error naming ``name``.

    Args:
        value: the array (anything ``np.asarray`` takes).
        name: what the error calls it (an argument's name).
        what: what it should be, e.g. ``"a mask"``.
        fix: how to fix a wrong shape.

    Returns:
        The ``(H, W)`` array (a view; the channel axis dropped).

    Raises:
        Sprint19Error: for any other shape, or an empty array.

    Example:
        >>> one_image(np.zeros((3, 4, 1)), "mask", "a mask", "Pass one mask.").shape
        (3, 4)
    """
    array = np.asarray(value)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or array.size == 0:
        raise bad_input(name, f"an array of shape {np.asarray(value).shape}",
                        f"{what}, non-empty, of shape (H, W) or (H, W, 1)", fix)
    return array


def binary_mask(
    values: object, *, subject: str = "mask", fix: str = "Threshold probabilities first, e.g. probabilities > 0.5."
) -> np.ndarray:
    """Check that an array is a binary mask and return its foreground as a bool array.

    The rule, the same everywhere in the package: bool, or numbers whose values
    are all in {0, 1}, all in {0, 255} (8-bit PNG masks) or all in {0, 65535}
    (16-bit files); the non-zero value is the foreground. Any other set of values
    (probabilities, a 0/1/255 mix, class labels 0/1/2, negatives, NaN) is refused,
    so a mask is never guessed at.

    Args:
        values: an array of any shape.
        subject: how the error message names the array (e.g. ``"true_masks"``).
        fix: the sentence the error message ends with: what the caller should do.

    Returns:
        bool array of the same shape, True = foreground.

    Raises:
        Sprint19Error: for any other values (the message lists them) or a
            non-numeric dtype.

    Example:
        >>> binary_mask(np.array([0, 255, 255], dtype=np.uint8)).tolist()
        [False, True, True]
        >>> binary_mask(np.array([0.0, 1.0])).tolist()
        [False, True]
    """
    values = np.asarray(values)
    if values.dtype == bool:
        return values
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise bad_input(subject, f"dtype {values.dtype}", "a bool mask or numbers 0/1 or 0/255", fix)
    on_value = values.max() if values.size else 0
    foreground = values == on_value
    if (on_value == 0 or on_value in BINARY_ON_VALUES) and (foreground | (values == 0)).all():
        return foreground if on_value else np.zeros(values.shape, dtype=bool)
    raise bad_input(subject, f"values {_show_values(values)}", "a binary mask with values {0, 255} or {0, 1}", fix)


def mask_from_values(
    values: np.ndarray,
    *,
    subject: str = "mask",
    foreground: int | None = None,
    num_classes: int | None = None,
) -> np.ndarray:
    """Turn raw mask pixel values into a uint8 mask (binary 0/1 or class labels).

    Args:
        values: integer or bool array (any shape) of raw mask pixels.
        subject: how error messages name the mask (e.g. the file path).
        foreground: for binary masks, the pixel value of the positive class; the
            mask may then hold at most two distinct values. ``None`` accepts
            {0, 255}, {0, 1} and {0, 65535} with the larger value as foreground.
        num_classes: for label masks, the number of classes; every value must be an
            integer in 0..num_classes-1.

    Returns:
        uint8 array of the same shape: 0/1, or labels < num_classes.

    Raises:
        Sprint19Error: for unexpected values (the message lists the values found)
            or conflicting options.

    Example:
        >>> mask_from_values(np.array([0, 255, 255], dtype=np.uint8)).tolist()
        [0, 1, 1]
        >>> mask_from_values(np.array([0, 255], dtype=np.uint8), foreground=0).tolist()
        [1, 0]
    """
    check_mask_options(foreground, num_classes)
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.astype(np.uint8)
    if np.issubdtype(values.dtype, np.floating):
        if not (np.isfinite(values).all() and (values == np.round(values)).all()):
            raise bad_input(
                subject,
                f"non-integer values {_show_values(values)}",
                "integer mask values",
                "Save masks as 8-bit PNG; do not save masks as JPEG (it blurs edges).",
            )
        values = values.astype(np.int64)
    if not np.issubdtype(values.dtype, np.integer):
        raise bad_input(subject, f"dtype {values.dtype}", "integer mask values", "Save masks as 8-bit PNG.")

    if num_classes is not None:
        outside = (values < 0) | (values >= num_classes)
        if outside.any():
            raise bad_input(
                subject,
                f"values {_show_values(values)}, of which {_show_values(values[outside])} are not class labels",
                f"class labels 0..{num_classes - 1} (num_classes={num_classes})",
                "Map the mask colours to class indices, or raise num_classes.",
            )
        return values.astype(np.uint8)

    if foreground is not None:
        distinct = np.unique(values)
        if distinct.size > 2:
            raise bad_input(
                subject,
                f"{distinct.size} distinct values {_show_values(values)}",
                f"a binary mask (two values, foreground={foreground})",
                "Use num_classes for label masks; re-save JPEG masks as PNG (JPEG blurs edges).",
            )
        return (values == foreground).astype(np.uint8)
    fix = (
        "Pass foreground=<value of the positive class>, or num_classes=<n> for label masks; "
        "if the mask was saved as JPEG, re-save it as PNG (JPEG blurs edges)."
    )
    return binary_mask(values, subject=subject, fix=fix).astype(np.uint8)


def read_mask(
    path: str | os.PathLike,
    *,
    foreground: int | None = None,
    num_classes: int | None = None,
) -> np.ndarray:
    """Read one mask as uint8 (H, W): binary 0/1, or class labels.

    Args:
        path: a .png, .tif/.tiff or .jpg/.jpeg file.
        foreground: the pixel value of the positive class for binary masks
            (ISBI 2012: ``foreground=0``, the dark membranes). ``None`` accepts
            {0, 255}, {0, 1} or {0, 65535} with the bright value as foreground.
        num_classes: for multi-class label masks; values must be < num_classes.
            Palette images then give their palette indices (Pascal VOC style).

    Returns:
        uint8 array of shape (H, W).

    Raises:
        Sprint19Error: for bad files (as :func:`read_image`), colour (non-gray)
            RGB masks, or unexpected values — the message lists the values found.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> mask = np.array([[0, 255], [255, 255]], dtype=np.uint8)
        >>> path = write_png(pathlib.Path(tempfile.mkdtemp()) / "m.png", mask)
        >>> read_mask(path, foreground=0).tolist()
        [[1, 0], [0, 0]]
    """
    check_mask_options(foreground, num_classes)
    path = _check_file(path, "mask")
    subject = f"mask '{path}'"
    with _opened(path, "mask") as image:
        _check_single_frame(image, subject)
        values = _pixels(image, subject, palette_indices=num_classes is not None)
    if values.ndim == 3:
        if (values == values[..., :1]).all():
            values = values[..., 0]
            logger.info("%s: RGB mask with equal channels read as grayscale", subject)
        else:
            colours = np.unique(values.reshape(-1, 3), axis=0)
            shown = ", ".join(str(tuple(colour)) for colour in colours[:5].tolist())
            raise bad_input(
                subject,
                f"a colour RGB mask ({len(colours)} colours, e.g. {shown})",
                "a single-channel mask (binary or class labels)",
                "Save the mask as 8-bit grayscale PNG with 0/255 or class indices.",
            )
    return mask_from_values(values, subject=subject, foreground=foreground, num_classes=num_classes)


# === Writing ===


def _save_atomically(path: Path, image: Image.Image, **options) -> Path:
    """Save with Pillow to a temporary file beside ``path``, then move it into place."""
    with atomic.atomic_path(path) as temporary:
        # w+b: Pillow's multi-page TIFF writer reads back what it wrote.
        with open(temporary, "w+b") as file:
            image.save(file, **options)
    return path


def _to_savable(array: object, subject: str, *, allow_color: bool) -> np.ndarray:
    """Convert an array to uint8/uint16 pixels that Pillow can save."""
    array = np.asarray(array)
    if allow_color and array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if allow_color:
        shapes = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
        good_shape = array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (3, 4))
    else:
        shapes = "(N, H, W)"
        good_shape = array.ndim == 3
    if not good_shape or array.size == 0:
        raise bad_input(
            subject,
            f"an array of shape {array.shape}",
            f"a non-empty array of shape {shapes}",
            "Check the array you are saving.",
        )
    grayscale = not (allow_color and array.ndim == 3)
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.dtype in (np.uint8, np.uint16):
        if array.dtype == np.uint16 and not grayscale:
            raise bad_input(
                subject, "16-bit colour pixels", "16-bit grayscale or 8-bit colour", "Convert to uint8 first."
            )
        return array
    if np.issubdtype(array.dtype, np.floating):
        if not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
            raise bad_input(
                subject,
                f"float values in {np.nanmin(array):g}..{np.nanmax(array):g}",
                "floats in [0, 1] (saved as 0..255)",
                "Clip or rescale to [0, 1], or pass uint8 values.",
            )
        return np.round(array * 255.0).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.min() >= 0 and array.max() <= 255:
            return array.astype(np.uint8)
        if array.min() >= 0 and array.max() <= 65535 and grayscale:
            return array.astype(np.uint16)
    raise bad_input(
        subject,
        f"dtype {array.dtype}" + (f" with values {array.min()}..{array.max()}" if array.size else ""),
        "bool, uint8, uint16, integers in 0..255 or floats in [0, 1]",
        "Convert the array, e.g. (mask > 0) for a mask or image / image.max() for an image.",
    )


def write_png(path: str | os.PathLike, array: object) -> Path:
    """Write an array as a PNG, atomically.

    bool arrays are written as 0/255 (a visible black-and-white mask), floats in
    [0, 1] as round(255·x), integers 0..255 as 8-bit, uint16 as 16-bit grayscale.

    Args:
        path: the .png file to write; missing folders are created.
        array: (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA.

    Returns:
        The path, as a ``Path``.

    Raises:
        Sprint19Error: for another extension, shape or dtype, or when writing fails.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> path = write_png(pathlib.Path(tempfile.mkdtemp()) / "x.png", np.zeros((4, 4), np.uint8))
        >>> path.suffix
        '.png'
    """
    path = check_path(path, "output file path")
    subject = f"output file '{path}'"
    if path.suffix.lower() != ".png":
        raise bad_input(subject, f"the extension {path.suffix or '(none)'!r}", "'.png'", "Name the file with .png.")
    pixels = _to_savable(array, subject, allow_color=True)
    return _save_atomically(path, Image.fromarray(pixels), format="PNG")


def write_tiff_stack(path: str | os.PathLike, array: object) -> Path:
    """Write an (N, H, W) array as a multi-page TIFF, atomically.

    Args:
        path: the .tif/.tiff file to write; missing folders are created.
        array: (N, H, W) bool (written 0/255), uint8, uint16, integers 0..255 or
            floats in [0, 1] (written as 0..255).

    Returns:
        The path, as a ``Path``.

    Raises:
        Sprint19Error: for another extension, shape or dtype, or when writing fails.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> path = write_tiff_stack(pathlib.Path(tempfile.mkdtemp()) / "v.tif", np.zeros((3, 4, 5), np.uint8))
        >>> read_tiff_stack(path).shape
        (3, 4, 5)
    """
    path = check_path(path, "output file path")
    subject = f"output file '{path}'"
    if path.suffix.lower() not in TIFF_EXTENSIONS:
        raise bad_input(
            subject, f"the extension {path.suffix or '(none)'!r}", "'.tif' or '.tiff'", "Name the file with .tif."
        )
    pixels = _to_savable(array, subject, allow_color=False)
    pages = [Image.fromarray(np.ascontiguousarray(page)) for page in pixels]
    return _save_atomically(path, pages[0], format="TIFF", save_all=True, append_images=pages[1:])


# === Reading TIFF stacks ===


def read_tiff_stack(path: str | os.PathLike) -> np.ndarray:
    """Read a multi-page TIFF (e.g. ISBI ``train-volume.tif``) as an (N, H, W) array.

    The pixel values are returned as stored (bool, uint8, uint16 or float32), so a
    label stack can go through :func:`mask_from_values` and an image stack through
    :func:`scale_to_unit`. A single-page TIFF gives N = 1.

    Args:
        path: a .tif/.tiff file whose pages are grayscale and all the same size.

    Returns:
        Array of shape (N, H, W).

    Raises:
        Sprint19Error: for bad files (as :func:`read_image`), colour pages, or pages
            that differ in size or bit depth.

    Example:
        >>> import numpy as np, pathlib, tempfile
        >>> path = write_tiff_stack(pathlib.Path(tempfile.mkdtemp()) / "v.tif", np.ones((2, 3, 3), np.uint8))
        >>> read_tiff_stack(path).dtype
        dtype('uint8')
    """
    path = _check_file(path, "TIFF stack", extensions=TIFF_EXTENSIONS)
    subject = f"TIFF stack '{path}'"
    pages = []
    with _opened(path, "TIFF stack") as image:
        for index in range(getattr(image, "n_frames", 1)):
            try:
                image.seek(index)
                image.load()
                page = _pixels(image, f"{subject}, page {index}")
            except Sprint19Error:
                raise
            except Exception as error:  # name the page; _opened guards the rest (n_frames)
                raise _decode_error(path, f"{subject}, page {index}", error) from error
            if page.ndim != 2:
                raise bad_input(
                    subject,
                    f"colour pixels on page {index}",
                    "grayscale pages",
                    "Convert the stack to grayscale (e.g. in Fiji: Image > Type > 8-bit).",
                )
            if pages and (page.shape != pages[0].shape or page.dtype != pages[0].dtype):
                raise bad_input(
                    subject,
                    f"page {index} of size {page.shape} {page.dtype}, page 0 of size {pages[0].shape} {pages[0].dtype}",
                    "pages of one size and bit depth",
                    "Re-export the stack so that all slices match.",
                )
            pages.append(page)
    return np.stack(pages)


__all__ = [
    "BINARY_ON_VALUES",
    "SUPPORTED_EXTENSIONS",
    "binary_mask",
    "check_mask_options",
    "mask_from_values",
    "read_image",
    "read_mask",
    "read_tiff_stack",
    "scale_to_unit",
    "write_png",
    "write_tiff_stack",
]
