"""Synthetic street-like RGB scenes for multi-class (softmax) segmentation.

:func:`make_shapes_dataset` draws the lecture's classes (person, purse,
plants/grass, sidewalk, building; background is class 0), NumPy/SciPy/scikit-image
only and deterministic per seed (image ``i`` depends only on the seed and ``i``,
see :mod:`~sprint19_unet.data.synthetic_seeds`). The TGS-like salt data is in
:mod:`~sprint19_unet.data.synthetic_salt`.

Example:
    >>> images, labels = make_shapes_dataset(2, num_classes=3, size=32, seed=1)
    >>> images.shape, labels.shape, shapes_class_names(3)
    ((2, 32, 32, 3), (2, 32, 32, 1), ('background', 'person', 'purse'))
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import draw

from sprint19_unet.data.synthetic_seeds import check_seed, child_generators
from sprint19_unet.errors import check_int

MIN_SIZE = 16  # the smallest scene size accepted (the salt data's minimum too).

# The lecture's example classes for multi-class segmentation, background first.
CLASS_NAMES = ("background", "person", "purse", "plants/grass", "sidewalk", "building")


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
    seed = check_seed(seed)

    images = np.empty((n, size, size, 3), dtype=np.float32)
    labels = np.empty((n, size, size, 1), dtype=np.uint8)
    for i, rng in enumerate(child_generators(seed, n)):
        images[i], labels[i, :, :, 0] = _render_scene(rng, size, num_classes)
    return images, labels
