"""Synthetic Kaggle-TGS-like salt data, to try a U-Net on without downloading anything.

NumPy/SciPy only and deterministic per seed (image ``i`` depends only on the seed
and ``i``, see :mod:`~sprint19_unet.data.synthetic_seeds`):

* :func:`make_salt_dataset` — seismic-like 101×101 grayscale images with salt
  bodies, shaped like the Kaggle TGS Salt Identification data (about 39 % empty
  masks, a broad spread of coverage, a depth per image). The point of the data is
  the lesson of the challenge: **salt is told apart by texture, not brightness**.
  Outside salt the image shows layered, laterally warped reflectors; inside it
  shows chaotic, low-amplitude texture with no coherent layering; a bright
  reflector rims the boundary. The intensity histograms inside and outside salt
  overlap strongly, so a global threshold on intensity fails, yet a small U-Net
  learns the task in well under a minute on a laptop CPU.
* :func:`write_salt_sample` — the same salt data written in the exact Kaggle
  TGS folder layout (PNGs, ``train.csv`` with RLE masks, ``depths.csv``), to try
  the file loaders without the download.

The multi-class street scenes are in :mod:`~sprint19_unet.data.synthetic_scenes`.

Example:
    >>> images, masks, depths = make_salt_dataset(4, seed=1)
    >>> images.shape, images.dtype, masks.shape, masks.dtype, depths.shape
    ((4, 101, 101, 1), dtype('float32'), (4, 101, 101, 1), dtype('uint8'), (4,))
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from scipy import ndimage

from sprint19_unet.data.synthetic_seeds import check_seed, child_generators
from sprint19_unet.errors import bad_input, check_int, is_real

# === Defaults, in one place ===

TGS_IMAGE_SIZE = 101  # Kaggle TGS images are 101×101 pixels.
TGS_EMPTY_FRACTION = 0.39  # about 39 % of the 4,000 TGS training masks are empty.
DEPTH_RANGE_M = (50.0, 950.0)  # plausible depths (metres) for the `depths.csv` column.
MIN_SIZE = 16  # smaller images cannot show a reflector layering and a salt body.


# === Smooth random fields ===


@functools.lru_cache(maxsize=64)
def _bspline_basis(size: int, cells: int) -> np.ndarray:
    """Cubic B-spline weights (size, cells + 3) that spread a coarse grid over ``size`` pixels."""
    positions = np.linspace(1.0, cells + 1.0, size)[:, None] - np.arange(cells + 3)[None, :]
    t = np.abs(positions)
    near = (4.0 - 6.0 * t**2 + 3.0 * t**3) / 6.0  # |t| < 1
    far = np.clip(2.0 - t, 0.0, None) ** 3 / 6.0  # 1 <= |t| < 2, zero beyond
    weights = np.where(t < 1.0, near, far)
    weights.setflags(write=False)
    return weights


def _smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """A smooth random field of shape (size, size), mean 0 and std 1.

    White noise on a coarse ``cells × cells`` grid, spread over the image by
    cubic B-splines (separably: ``basis @ coarse @ basis.T``); ``cells`` sets how
    many bumps fit across the image (2 → one broad trend).
    """
    coarse = rng.standard_normal((cells + 3, cells + 3))
    basis = _bspline_basis(size, cells)
    field = basis @ coarse @ basis.T
    return (field - field.mean()) / (field.std() + 1e-8)


def _ricker(points: int, period: float) -> np.ndarray:
    """A Ricker ("Mexican hat") wavelet, the textbook seismic source pulse."""
    t = np.arange(points) - (points - 1) / 2.0
    a = (np.pi * t / period) ** 2
    return (1.0 - 2.0 * a) * np.exp(-a)


# === Salt: geometry, layering, texture ===


def _salt_coverage(rng: np.random.Generator) -> float:
    """Target salt coverage of a non-empty mask: broad, from specks to (nearly) full.

    TGS coverages of non-empty masks spread from a few pixels to the whole
    image, with more small bodies than large ones and a bump of full masks.
    """
    if rng.random() < 0.06:
        return float(rng.uniform(0.95, 1.0))
    return float(0.01 + 0.93 * rng.beta(0.85, 1.25))


def _salt_mask(rng: np.random.Generator, size: int, coverage: float) -> np.ndarray:
    """A salt body as a thresholded smooth field with a random tilt.

    The tilt (a linear ramp in a random direction) pushes salt towards one
    side, so bodies are mostly one connected piece and often touch the border,
    as TGS salt does; thresholding at a quantile sets the coverage exactly.
    """
    field = _smooth_field(rng, size, cells=int(rng.integers(2, 5)))
    angle = rng.uniform(0.0, 2.0 * np.pi)
    # Salt lies mostly below its top, so favour "more salt further down".
    angle = 0.5 * np.pi + 0.8 * np.sin(angle) if rng.random() < 0.6 else angle
    axis = np.linspace(-1.0, 1.0, size)
    rows, cols = np.meshgrid(axis, axis, indexing="ij")
    ramp = np.sin(angle) * rows + np.cos(angle) * cols
    field = field + rng.uniform(1.0, 3.0) * ramp
    if coverage >= 1.0:
        return np.ones((size, size), dtype=bool)
    threshold = np.quantile(field, 1.0 - coverage)
    return field > threshold


def _layered_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Sediment layers: a reflectivity trace warped laterally, std about 1.

    A 1-D reflectivity series (sparse spikes plus small noise) is convolved
    with a Ricker wavelet, then each column samples it at depths displaced by a
    dip and a smooth vertical displacement field, so reflectors run roughly
    horizontally but bend and tilt.
    """
    margin = size  # room for the displacement on both ends of the trace
    length = size + 2 * margin
    reflectivity = rng.standard_normal(length) * (rng.random(length) < 0.35)
    reflectivity += 0.15 * rng.standard_normal(length)
    period = rng.uniform(2.0, 3.5)
    trace = np.convolve(reflectivity, _ricker(int(6 * period) | 1, period), mode="same")
    trace = (trace - trace.mean()) / (trace.std() + 1e-8)

    rows, cols = np.meshgrid(np.arange(size, dtype=float), np.arange(size, dtype=float), indexing="ij")
    dip = rng.uniform(-0.35, 0.35)
    warp = size * rng.uniform(0.02, 0.12) * _smooth_field(rng, size, cells=int(rng.integers(2, 4)))
    depth_index = margin + rows + dip * (cols - size / 2.0) + warp
    layers = np.interp(depth_index.ravel(), np.arange(length), trace).reshape(size, size)
    # Reflector strength varies laterally and with depth.
    gain = 1.0 + 0.25 * _smooth_field(rng, size, cells=3)
    return layers * gain


def _chaotic_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """Salt interior: incoherent, speckly texture without layering, std about 1."""
    noise = rng.standard_normal((size, size))
    texture = ndimage.gaussian_filter(noise, sigma=rng.uniform(0.8, 1.4), mode="reflect")
    return texture / (texture.std() + 1e-8)


def _render_salt_image(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Compose layers, salt texture, boundary rim and noise; map to [0, 1]."""
    size = mask.shape[0]
    image = _layered_background(rng, size)
    if mask.any():
        salt = mask.astype(float)
        inside = rng.uniform(0.35, 0.55) * _chaotic_texture(rng, size)
        image = image * (1.0 - salt) + inside * salt
        # The top of salt is a strong reflector: a bright rim along the boundary.
        soft = ndimage.gaussian_filter(salt, sigma=1.2, mode="nearest")
        rim = np.clip(4.0 * soft * (1.0 - soft), 0.0, 1.0)
        image = image + rng.uniform(0.9, 1.6) * rim
    image = image + rng.uniform(0.08, 0.2) * rng.standard_normal((size, size))
    # Per-image brightness and contrast, like uneven TGS amplitude normalisation.
    contrast = rng.uniform(0.16, 0.24)
    brightness = rng.uniform(0.42, 0.58)
    return np.clip(brightness + contrast * image, 0.0, 1.0)


def _salt_depth(rng: np.random.Generator, has_salt: bool) -> float:
    """A depth in whole metres (like TGS ``depths.csv``), loosely deeper where there is salt."""
    low, high = DEPTH_RANGE_M
    fraction = rng.beta(2.4, 1.8) if has_salt else rng.beta(1.8, 2.4)
    return float(np.round(low + (high - low) * fraction))


def make_salt_dataset(
    n: int, size: int = TGS_IMAGE_SIZE, seed: int = 0, empty_fraction: float = TGS_EMPTY_FRACTION
):
    """Seismic-like images with salt masks and depths, shaped like Kaggle TGS.

    Outside salt: layered reflectors (a Ricker-wavelet reflectivity trace, tilted
    and bent by a smooth displacement field) plus noise. Inside salt: chaotic,
    low-amplitude texture with no layering, and a bright rim along the boundary.
    Per-image brightness and contrast vary, and the mean intensity inside salt
    is about the mean outside, so the task is texture, not brightness.

    Args:
        n: number of images (integer >= 1).
        size: height and width in pixels (integer >= 16; TGS uses 101).
        seed: non-negative integer; image ``i`` depends only on ``seed`` and ``i``.
        empty_fraction: probability that an image has no salt (0 to 1; about
            0.39 in TGS).

    Returns:
        ``(images, masks, depths)``: ``images`` float32 (n, size, size, 1) in
        [0, 1]; ``masks`` uint8 (n, size, size, 1) with 0/1; ``depths`` float32
        (n,) in whole metres (50 to 950), loosely deeper where there is salt.

    Raises:
        Sprint19Error: for a bad ``n``, ``size``, ``seed`` or ``empty_fraction``.

    Example:
        >>> images, masks, depths = make_salt_dataset(8, seed=0)
        >>> images.shape, masks.shape, depths.shape
        ((8, 101, 101, 1), (8, 101, 101, 1), (8,))
        >>> bool(np.array_equal(make_salt_dataset(3)[0], images[:3]))
        True
    """
    n = check_int("n", n, 1, "Pass the number of images to generate, e.g. n=1000.")
    size = check_int("size", size, MIN_SIZE, f"Use size=101 as in TGS (at least {MIN_SIZE}).")
    seed = check_seed(seed)
    valid_fraction = is_real(empty_fraction)
    if not valid_fraction or not 0.0 <= float(empty_fraction) <= 1.0:
        raise bad_input(
            "empty_fraction",
            repr(empty_fraction),
            "a fraction between 0 and 1",
            "Use empty_fraction=0.39 as in TGS, or 0.0 for salt in every image.",
        )

    return _salt_samples(seed, n, size, float(empty_fraction))


def _salt_samples(seed, n: int, size: int, empty_fraction: float) -> tuple:
    """The generator behind :func:`make_salt_dataset`, for checked arguments."""
    images = np.empty((n, size, size, 1), dtype=np.float32)
    masks = np.empty((n, size, size, 1), dtype=np.uint8)
    depths = np.empty(n, dtype=np.float32)
    for i, rng in enumerate(child_generators(seed, n)):
        has_salt = bool(rng.random() >= empty_fraction)
        if has_salt:
            mask = _salt_mask(rng, size, _salt_coverage(rng))
        else:
            mask = np.zeros((size, size), dtype=bool)
        images[i, :, :, 0] = _render_salt_image(rng, mask)
        masks[i, :, :, 0] = mask
        depths[i] = _salt_depth(rng, has_salt)
    return images, masks, depths


def _kaggle_ids(seed: int, split: str, count: int) -> list:
    """Kaggle-looking ids (10 hex digits), fixed by seed, split and index."""
    return [hashlib.sha1(f"{seed}/{split}/{i}".encode()).hexdigest()[:10] for i in range(count)]


def write_salt_sample(
    root,
    n: int = 400,
    test_n: int = 100,
    seed: int = 0,
    size: int = TGS_IMAGE_SIZE,
    empty_fraction: float = TGS_EMPTY_FRACTION,
):
    """Write synthetic salt data in the exact Kaggle TGS layout, to try the file loaders.

    Writes ``train/images/<id>.png``, ``train/masks/<id>.png`` (0/255),
    ``train.csv`` (``id,rle_mask``), ``test/images/<id>.png`` and ``depths.csv``
    (``id,z``) through :func:`sprint19_unet.data.formats.write_tgs_layout`. Training
    images are ``make_salt_dataset(n, size, seed, empty_fraction)``; test images
    come from an independent stream of the same seed. Ids are 10 hex digits like
    Kaggle's, fixed by seed, split and index.

    Args:
        root: folder to write; it must be new or empty.
        n: training images (integer >= 1).
        test_n: test images, without masks (integer >= 0; 0 writes no test folder).
        seed: non-negative integer.
        size: height and width (integer >= 16; TGS uses 101).
        empty_fraction: probability of an empty mask (0 to 1).

    Returns:
        The root, as a ``pathlib.Path``.

    Raises:
        Sprint19Error: for a bad argument, or a root that exists and is not empty.

    Example:
        >>> import pathlib, tempfile
        >>> root = write_salt_sample(pathlib.Path(tempfile.mkdtemp()) / "tgs", n=4, test_n=2)
        >>> sorted(p.name for p in root.iterdir())
        ['depths.csv', 'test', 'train', 'train.csv']
    """
    from sprint19_unet.data import formats  # the Kaggle layout writer (PNG, RLE, CSV) lives there

    n = check_int("n", n, 1, "Pass the number of training images, e.g. n=400.")
    test_n = check_int("test_n", test_n, 0, "Pass e.g. test_n=100, or 0 for no test images.")
    images, masks, depths = make_salt_dataset(n, size=size, seed=seed, empty_fraction=empty_fraction)
    test = {}
    if test_n:  # an independent stream of the same seed, so test images are new images
        test_images, _, test_depths = _salt_samples([seed, 1], test_n, size, float(empty_fraction))
        test = {
            "test_ids": _kaggle_ids(seed, "test", test_n),
            "test_images": test_images,
            "test_depths": test_depths,
        }
    return formats.write_tgs_layout(root, _kaggle_ids(seed, "train", n), images, masks, depths, **test)
