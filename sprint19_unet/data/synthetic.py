"""Synthetic data to try a U-Net on without downloading anything.

Two generators, both NumPy/SciPy/scikit-image only and deterministic per seed:

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
* :func:`make_shapes_dataset` — RGB street-like scenes for multi-class (softmax)
  segmentation with the lecture's classes (person, purse, plants/grass, sidewalk,
  building; background is class 0).

Every image is generated from its own child seed
(``np.random.SeedSequence(seed).spawn(n)``), so image ``i`` is the same whatever
``n`` is: ``make_salt_dataset(10)[0][:5]`` equals ``make_salt_dataset(5)[0]``.

Example:
    >>> images, masks, depths = make_salt_dataset(4, seed=1)
    >>> images.shape, images.dtype, masks.shape, masks.dtype, depths.shape
    ((4, 101, 101, 1), dtype('float32'), (4, 101, 101, 1), dtype('uint8'), (4,))
"""

from __future__ import annotations

import functools
import hashlib
import numbers

import numpy as np
from scipy import ndimage
from skimage import draw

from sprint19_unet.errors import bad_input, check_int

# === Defaults, in one place ===

TGS_IMAGE_SIZE = 101  # Kaggle TGS images are 101×101 pixels.
TGS_EMPTY_FRACTION = 0.39  # about 39 % of the 4,000 TGS training masks are empty.
DEPTH_RANGE_M = (50.0, 950.0)  # plausible depths (metres) for the `depths.csv` column.
MIN_SIZE = 16  # smaller images cannot show a reflector layering and a salt body.

# The lecture's example classes for multi-class segmentation, background first.
CLASS_NAMES = ("background", "person", "purse", "plants/grass", "sidewalk", "building")


# === Argument checks ===


def _check_seed(seed) -> int:
    return check_int("seed", seed, 0, "Pass a non-negative integer seed, e.g. seed=0.")


def _child_generators(seed, n: int) -> list:
    """One independent generator per sample, so sample i does not depend on n.

    ``seed`` is an integer or a list of integers (``[seed, stream]`` gives an
    independent stream, e.g. the test images of :func:`write_salt_sample`).
    """
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(n)]


# === Smooth random fields (shared by both generators) ===


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
    seed = _check_seed(seed)
    valid_fraction = isinstance(empty_fraction, numbers.Real) and not isinstance(empty_fraction, bool)
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
    for i, rng in enumerate(_child_generators(seed, n)):
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


# === Multi-class scenes: the lecture's street example ===

# Extra classes beyond the lecture's five get generic shapes, cycling through these.
_GENERIC_SHAPES = ("disk", "triangle", "diamond", "ring", "cross", "star")


def shapes_class_names(num_classes: int = 5) -> tuple:
    """Names of the classes that :func:`make_shapes_dataset` draws.

    Class ``k`` always means the same thing: the first names follow the
    lecture's example (background, person, purse, plants/grass, sidewalk,
    building), and classes past those get generic names ``"class_6"``, ….

    Args:
        num_classes: total number of classes, background included (>= 2).

    Returns:
        A tuple of ``num_classes`` names, ``"background"`` first.

    Raises:
        Sprint19Error: for a bad ``num_classes``.

    Example:
        >>> shapes_class_names(3)
        ('background', 'person', 'purse')
        >>> shapes_class_names(8)[-2:]
        ('class_6', 'class_7')
    """
    num_classes = _check_num_classes(num_classes)
    return CLASS_NAMES[:num_classes] + tuple(f"class_{k}" for k in range(len(CLASS_NAMES), num_classes))


def _check_num_classes(num_classes) -> int:
    return check_int(
        "num_classes",
        num_classes,
        2,
        "Count the background as a class: num_classes=5 draws background, person, purse, "
        "plants/grass and sidewalk; 6 adds building.",
        maximum=256,
    )


def _paint(image: np.ndarray, labels: np.ndarray, mask: np.ndarray, colour, label: int) -> None:
    """Draw an object: colour its pixels (a colour or an (H, W, 3) texture) and label them."""
    colour = np.asarray(colour, dtype=float)
    image[mask] = colour[mask] if colour.ndim == 3 else colour
    labels[mask] = label


def _polygon_mask(size: int, rows, cols) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    rr, cc = draw.polygon(np.asarray(rows, float), np.asarray(cols, float), shape=(size, size))
    mask[rr, cc] = True
    return mask


def _ellipse_mask(size: int, row: float, col: float, r_radius: float, c_radius: float) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    rr, cc = draw.ellipse(row, col, max(r_radius, 0.8), max(c_radius, 0.8), shape=(size, size))
    mask[rr, cc] = True
    return mask


def _box_mask(size: int, top: float, left: float, bottom: float, right: float) -> np.ndarray:
    return _polygon_mask(size, [top, top, bottom, bottom], [left, right, right, left])


def _textured(rng: np.random.Generator, size: int, colour, amount: float, sigma=(0.0, 0.0)) -> np.ndarray:
    """A colour with per-pixel brightness noise (optionally smoothed: blades, grain)."""
    noise = rng.standard_normal((size, size))
    if max(sigma) > 0:
        noise = ndimage.gaussian_filter(noise, sigma=sigma)
        noise /= noise.std() + 1e-8
    return np.asarray(colour, dtype=float)[None, None, :] * (1.0 + amount * noise[:, :, None])


def _draw_background(rng: np.random.Generator, size: int) -> tuple:
    """Sky above the horizon, asphalt below; returns the image and the horizon row."""
    horizon = int(size * rng.uniform(0.5, 0.7))
    rows = np.linspace(0.0, 1.0, size)[:, None, None]
    sky_top, sky_low = np.array([0.45, 0.65, 0.95]), np.array([0.8, 0.88, 0.97])
    image = np.broadcast_to(sky_top + (sky_low - sky_top) * rows, (size, size, 3)).copy()
    asphalt = _textured(rng, size, np.array([0.3, 0.3, 0.32]) * rng.uniform(0.8, 1.2), 0.08)
    image[horizon:] = asphalt[horizon:]
    return image, horizon


def _draw_building(rng, image, labels, label, horizon):
    size = image.shape[0]
    width = size * rng.uniform(0.25, 0.55)
    left = rng.uniform(-0.1 * size, size - 0.6 * width)
    top = size * rng.uniform(0.03, 0.35)
    bottom = horizon + size * rng.uniform(0.0, 0.08)
    mask = _box_mask(size, top, left, bottom, left + width)
    wall = np.array([[0.62, 0.3, 0.22], [0.8, 0.72, 0.55], [0.6, 0.6, 0.58]])[rng.integers(3)]
    texture = _textured(rng, size, wall, 0.05)
    # A grid of windows: part of the building, so labelled "building" too.
    step = max(size * rng.uniform(0.07, 0.11), 4.0)
    rows, cols = np.mgrid[0:size, 0:size]
    in_window = (((rows - top) % step) < 0.55 * step) & (((cols - left) % step) < 0.5 * step)
    margin = 0.3 * step
    in_window &= (rows > top + margin) & (cols > left + margin) & (cols < left + width - margin)
    texture[in_window] = np.array([0.2, 0.28, 0.4]) * rng.uniform(0.8, 1.3)
    _paint(image, labels, mask, texture, label)


def _draw_sidewalk(rng, image, labels, label, horizon):
    size = image.shape[0]
    top = horizon + (size - horizon) * rng.uniform(0.2, 0.6)
    near_left, near_right = sorted(rng.uniform(-0.3, 1.3, 2) * size)
    if near_right - near_left < 0.4 * size:
        near_left, near_right = -0.1 * size, 1.1 * size
    far_shrink = rng.uniform(0.1, 0.35) * (near_right - near_left)
    mask = _polygon_mask(
        size, [top, top, size, size], [near_left + far_shrink, near_right - far_shrink, near_right, near_left]
    )
    texture = _textured(rng, size, np.array([0.72, 0.71, 0.68]) * rng.uniform(0.9, 1.1), 0.04)
    tile = max(size * rng.uniform(0.06, 0.1), 3.0)
    rows, cols = np.mgrid[0:size, 0:size]
    joints = ((rows - top) % tile < 1.0) | ((cols - near_left) % tile < 1.0)
    texture[joints] *= 0.6
    _paint(image, labels, mask, texture, label)


def _draw_plants(rng, image, labels, label, horizon):
    size = image.shape[0]
    green = np.array([[0.2, 0.55, 0.15], [0.3, 0.6, 0.2], [0.15, 0.42, 0.12]])[rng.integers(3)]
    # Grass blades: noise stretched vertically, so the texture runs up and down.
    texture = _textured(rng, size, green, 0.3, sigma=(max(size / 40, 1.0), 0.5))
    if rng.random() < 0.5:  # a strip of grass with a jagged top edge
        top = horizon + (size - horizon) * rng.uniform(0.0, 0.5)
        cols = np.linspace(-1.0, size, int(rng.integers(12, 30)))
        tops = top + rng.uniform(-0.06, 0.02, cols.size) * size
        mask = _polygon_mask(size, np.r_[tops, size, size], np.r_[cols, size, -1.0])
    else:  # a bush: a blob with a ragged outline
        radius = size * rng.uniform(0.08, 0.2)
        row = rng.uniform(horizon, size)
        col = rng.uniform(0.0, size)
        angles = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
        wobble = 1.0 + 0.25 * np.sin(rng.integers(4, 8) * angles + rng.uniform(0, 2 * np.pi))
        wobble += 0.12 * rng.standard_normal(angles.size)
        radii = radius * wobble
        mask = _polygon_mask(size, row + radii * np.sin(angles), col + radii * np.cos(angles))
    _paint(image, labels, mask, texture, label)


def _draw_person(rng, image, labels, label, horizon):
    """A standing figure: head, torso, arms, legs. Returns where its hand is."""
    size = image.shape[0]
    height = size * rng.uniform(0.3, 0.55)
    feet = rng.uniform(max(horizon, height), size * 1.02)
    centre = rng.uniform(0.1, 0.9) * size
    head = 0.11 * height
    shoulder = feet - height + 2.0 * head
    hip = feet - 0.45 * height
    half_width = 0.14 * height
    skin = np.array([[0.96, 0.8, 0.69], [0.78, 0.57, 0.44], [0.45, 0.3, 0.22]])[rng.integers(3)]
    shirts = np.array([[0.85, 0.15, 0.15], [0.15, 0.3, 0.85], [0.95, 0.8, 0.1], [0.95, 0.5, 0.1]])
    shirt = shirts[rng.integers(len(shirts))]
    trousers = np.array([[0.1, 0.12, 0.3], [0.12, 0.12, 0.12], [0.4, 0.3, 0.2]])[rng.integers(3)]
    arm = 0.35 * half_width
    wrist = hip + 0.1 * height
    parts = [
        (_box_mask(size, hip, centre - half_width, feet, centre - 0.1 * half_width), trousers),
        (_box_mask(size, hip, centre + 0.1 * half_width, feet, centre + half_width), trousers),
        (_box_mask(size, shoulder, centre - half_width, hip, centre + half_width), shirt),
        (_box_mask(size, shoulder, centre - half_width - arm, wrist, centre - half_width), shirt),
        (_box_mask(size, shoulder, centre + half_width, wrist, centre + half_width + arm), shirt),
        (_ellipse_mask(size, feet - height + head, centre, head, 0.85 * head), skin),
    ]
    for mask, colour in parts:
        _paint(image, labels, mask, colour * rng.uniform(0.9, 1.1), label)
    side = rng.choice([-1.0, 1.0])
    return wrist, centre + side * (half_width + 0.5 * arm)


def _draw_purse(rng, image, labels, label, horizon, hand=None):
    size = image.shape[0]
    width = max(size * rng.uniform(0.07, 0.12), 3.0)
    height = 0.7 * width
    if hand is None:
        top, centre = rng.uniform(horizon, size - height), rng.uniform(0.05, 0.95) * size
    else:
        top, centre = hand[0] + 0.15 * width, hand[1]
    body = _polygon_mask(
        size,
        [top, top, top + height, top + height],
        [centre - 0.4 * width, centre + 0.4 * width, centre + 0.5 * width, centre - 0.5 * width],
    )
    outer = _ellipse_mask(size, top, centre, 0.5 * width, 0.35 * width)
    inner = _ellipse_mask(size, top, centre, 0.38 * width, 0.24 * width)
    handle = outer & ~inner & (np.arange(size)[:, None] < top)
    leather = np.array([[0.45, 0.25, 0.1], [0.5, 0.08, 0.12], [0.08, 0.07, 0.07]])[rng.integers(3)]
    _paint(image, labels, body | handle, _textured(rng, size, leather, 0.15), label)


def _draw_generic(rng, image, labels, label, horizon):
    """Classes past the lecture's five: one shape kind and one colour per class."""
    size = image.shape[0]
    kind = _GENERIC_SHAPES[(label - len(CLASS_NAMES)) % len(_GENERIC_SHAPES)]
    hue = (0.13 + 0.618034 * label) % 1.0  # golden-ratio hues stay apart for any class count
    colour = 0.5 + 0.45 * np.cos(2.0 * np.pi * (hue + np.array([0.0, -1.0 / 3.0, 1.0 / 3.0])))
    radius = size * rng.uniform(0.06, 0.15)
    row, col = rng.uniform(radius, size - radius, 2)
    corners = {"triangle": 3, "diamond": 4, "star": 10}.get(kind, 32)
    angles = np.linspace(0.0, 2.0 * np.pi, corners, endpoint=False)
    angles = angles + rng.uniform(0, 2 * np.pi)
    if kind == "star":
        radii = radius * np.where(np.arange(angles.size) % 2 == 0, 1.0, 0.45)
        mask = _polygon_mask(size, row + radii * np.sin(angles), col + radii * np.cos(angles))
    elif kind in ("triangle", "diamond"):
        mask = _polygon_mask(size, row + radius * np.sin(angles), col + radius * np.cos(angles))
    elif kind == "ring":
        hole = _ellipse_mask(size, row, col, 0.55 * radius, 0.55 * radius)
        mask = _ellipse_mask(size, row, col, radius, radius) & ~hole
    elif kind == "cross":
        bar = 0.3 * radius
        mask = _box_mask(size, row - radius, col - bar, row + radius, col + bar)
        mask |= _box_mask(size, row - bar, col - radius, row + bar, col + radius)
    else:
        mask = _ellipse_mask(size, row, col, radius, radius)
    _paint(image, labels, mask, _textured(rng, size, colour, 0.05), label)


# Lecture classes in drawing order (back to front) with the chance an image shows them;
# a sidewalk runs through the grass, people stand on both, purses hang at hands.
_SCENE_LAYERS = (
    ("building", 0.7),
    ("plants/grass", 0.75),
    ("sidewalk", 0.7),
    ("person", 0.75),
    ("purse", 0.6),
)


def _render_scene(rng: np.random.Generator, size: int, num_classes: int) -> tuple:
    """One street-like scene with the classes below ``num_classes``; later objects on top."""
    image, horizon = _draw_background(rng, size)
    labels = np.zeros((size, size), dtype=np.uint8)
    names = shapes_class_names(num_classes)
    drawn = [name for name, chance in _SCENE_LAYERS if name in names and rng.random() < chance]
    generic = [k for k in range(len(CLASS_NAMES), num_classes) if rng.random() < 0.5]
    if not drawn and not generic:  # every scene shows at least one object
        drawn = [names[int(rng.integers(1, num_classes))]] if num_classes <= len(CLASS_NAMES) else []
        generic = [] if drawn else [int(rng.integers(len(CLASS_NAMES), num_classes))]
    hands = []
    for name, _ in _SCENE_LAYERS:
        if name not in drawn:
            continue
        label = names.index(name)
        if name == "building":
            _draw_building(rng, image, labels, label, horizon)
        elif name == "sidewalk":
            _draw_sidewalk(rng, image, labels, label, horizon)
        elif name == "plants/grass":
            for _ in range(int(rng.integers(1, 3))):
                _draw_plants(rng, image, labels, label, horizon)
        elif name == "person":
            count = int(rng.integers(1, 4))
            hands = [_draw_person(rng, image, labels, label, horizon) for _ in range(count)]
        else:  # purse: usually carried by someone
            hand = hands[int(rng.integers(len(hands)))] if hands and rng.random() < 0.7 else None
            _draw_purse(rng, image, labels, label, horizon, hand)
    for label in generic:
        for _ in range(int(rng.integers(1, 3))):
            _draw_generic(rng, image, labels, label, horizon)
    return np.clip(image, 0.0, 1.0), labels


def make_shapes_dataset(n: int, num_classes: int = 5, size: int = 128, seed: int = 0):
    """Street-like RGB scenes with per-pixel class labels, for softmax segmentation.

    The classes follow the lecture's example, in this order: 0 background (sky
    and asphalt), 1 person (head, shirt, arms, legs), 2 purse (leather bag with
    a handle, usually at a person's hand), 3 plants/grass (green, with vertical
    blade texture), 4 sidewalk (light grey tiles in perspective), 5 building
    (wall with a window grid). ``num_classes`` keeps the first classes of this
    list (5, the default, stops at sidewalk; 6 adds building); classes past
    those are generic shapes (disk, triangle, diamond, ring, cross, star), one
    shape and colour per class. Objects overlap; later ones are drawn on top.
    :func:`shapes_class_names` gives the names.

    Args:
        n: number of images (integer >= 1).
        num_classes: total number of classes, background included (2 to 256).
        size: height and width in pixels (integer >= 16).
        seed: non-negative integer; image ``i`` depends only on ``seed`` and ``i``.

    Returns:
        ``(images, labels)``: ``images`` float32 (n, size, size, 3) in [0, 1];
        ``labels`` uint8 (n, size, size, 1) with values 0 to ``num_classes - 1``.

    Raises:
        Sprint19Error: for a bad ``n``, ``num_classes``, ``size`` or ``seed``.

    Example:
        >>> images, labels = make_shapes_dataset(6, num_classes=5, seed=0)
        >>> images.shape, labels.shape, int(labels.max()) <= 4
        ((6, 128, 128, 3), (6, 128, 128, 1), True)
        >>> one_hot = np.eye(5, dtype=np.float32)[labels[..., 0]]  # targets for a softmax U-Net
        >>> one_hot.shape
        (6, 128, 128, 5)
    """
    n = check_int("n", n, 1, "Pass the number of images to generate, e.g. n=200.")
    num_classes = _check_num_classes(num_classes)
    size = check_int("size", size, MIN_SIZE, f"Use size=128 (at least {MIN_SIZE}).")
    seed = _check_seed(seed)

    images = np.empty((n, size, size, 3), dtype=np.float32)
    labels = np.empty((n, size, size, 1), dtype=np.uint8)
    for i, rng in enumerate(_child_generators(seed, n)):
        images[i], labels[i, :, :, 0] = _render_scene(rng, size, num_classes)
    return images, labels
