"""Paired data augmentation: the same random geometry for an image and its mask.

Every geometric transform is applied to the image and to its mask with the same
random parameters, so the mask keeps describing the image. Images are
interpolated (bicubic); masks use nearest neighbour, so a binary mask stays
binary and integer labels keep their values. Brightness and contrast change the
image only. Images are expected in [0, 1] and are clipped back to [0, 1].

The transforms, in the order they are applied (:data:`TRANSFORMS`, each described in
:class:`AugmentConfig`): flips, 90° rotations, a small affine warp, the paper's elastic deformation
(:func:`elastic_deform`), brightness and contrast. :meth:`AugmentConfig.paper` is the paper's set for
the ISBI cells; the default is the TGS set; ``TrainConfig(augmentation="paper")`` picks it.

Randomness comes only from the ``np.random.Generator`` you pass (:func:`augment_pair`) or
from a seed (:func:`augment_batch`), so results repeat exactly. NumPy and SciPy only: any backend.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> image = rng.random((101, 101, 1)).astype("float32")
    >>> mask = (image > 0.5).astype("uint8")
    >>> new_image, new_mask = augment_pair(image, mask, AugmentConfig(), rng)
    >>> new_image.shape, sorted(np.unique(new_mask).tolist())
    ((101, 101, 1), [0, 1])
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from scipy import ndimage

from sprint19_unet.errors import bad_input, check_int, is_integer, is_real

# The switches of AugmentConfig, in the order the transforms are applied.
TRANSFORMS = ("horizontal_flip", "vertical_flip", "rotate90", "affine", "elastic", "intensity")
# The order each transform's random stream is spawned in: rotate90 came last, so every other transform
# draws what it drew before it existed (the same seed augments the same way).
_STREAM_ORDER = ("horizontal_flip", "vertical_flip", "affine", "elastic", "intensity", "rotate90")
# The paper's elastic grid: 3×3 points over a 572-pixel tile, (572 − 1) / 2 pixels apart.
PAPER_GRID_SPACING = (572 - 1) / 2

# Spline orders for scipy.ndimage: bicubic for images (the paper's choice for
# the deformation), nearest neighbour for masks so their values survive.
IMAGE_ORDER = 3
MASK_ORDER = 0
# Outside the image, mirror it (d c b a | a b c d), so no black corners appear.
BORDER_MODE = "reflect"


# === The configuration ===

# TrainConfig.augmentation: AugmentConfig(), AugmentConfig.paper(), or the paper's without its elastic deformation
AUGMENTATIONS = ("default", "paper", "paper_rigid")


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Switches, probabilities and magnitudes of every transform, in one place.

    The transforms, in the order they are applied (:data:`TRANSFORMS`):

    1. ``horizontal_flip``: mirror left-right (on by default).
    2. ``vertical_flip``: mirror up-down (off by default: a seismic image has an up
       and a down, depth grows downwards).
    3. ``rotate90``: a rotation by 90°, 180° or 270° (square images; off by default, for
       the same reason). With both flips it gives all 8 symmetries of the square.
    4. ``affine``: a small shift, rotation and zoom, done as one warp with
       ``scipy.ndimage.affine_transform``, mirroring the image at the borders.
    5. ``elastic``: the paper's elastic deformation (:func:`elastic_deform`):
       random displacement vectors on a coarse 3×3 grid, drawn from a Gaussian with
       σ = 10 pixels, interpolated bicubically to every pixel. With
       ``elastic_grid_spacing`` the grid follows the image's size instead, keeping the
       paper's strain (σ per grid spacing) on tiles of any size (:func:`elastic_lattice`).
    6. ``intensity``: brightness and contrast, image only.

    :meth:`AugmentConfig.paper` is the paper's set for the ISBI cells (both flips, the
    rotations, shift and rotation without zoom — a zoom changes the membranes' width —,
    the elastic strain of a 3×3 grid on a 572-pixel tile, grey values); the default is
    the TGS set. ``TrainConfig(augmentation="paper")`` picks it.

    Args:
        horizontal_flip: mirror left-right; salt bodies look alike mirrored.
        horizontal_flip_probability: chance of a horizontal flip.
        vertical_flip: mirror up-down; off because seismic images have a
            vertical direction.
        vertical_flip_probability: chance of a vertical flip.
        rotate90: rotate by 90°, 180° or 270° (square images only; others are left as they are).
        rotate90_probability: chance of a rotation.
        affine: small shift, rotation and zoom in one warp.
        affine_probability: chance of the affine warp.
        max_shift: largest shift, as a fraction of the side length, per axis.
        max_rotation_degrees: largest rotation, either way.
        max_zoom: the scale is drawn from [1 − max_zoom, 1 + max_zoom].
        elastic: the paper's elastic deformation (:func:`elastic_deform`).
        elastic_probability: chance of an elastic deformation.
        elastic_grid: the coarse grid of displacement vectors is
            ``elastic_grid × elastic_grid`` (paper: 3).
        elastic_sigma: standard deviation of the displacements in pixels
            (paper: 10; strong on 101-pixel TGS images).
        elastic_grid_spacing: None (``elastic_grid`` points whatever the size), or
            pixels between grid points: the grid then follows the image's size and σ is
            scaled so the strain stays σ per this spacing (:func:`elastic_lattice`).
        intensity: brightness and contrast, image only.
        intensity_probability: chance of the brightness/contrast change.
        max_brightness: the offset added is drawn from [−max, max] (images in [0, 1]).
        max_contrast: the contrast factor around the image mean is drawn from
            [1 − max, 1 + max].

    Raises:
        Sprint19Error: for a switch that is not a bool, a probability outside
            [0, 1] or a magnitude out of range.

    Example:
        >>> AugmentConfig().vertical_flip
        False
        >>> AugmentConfig.only("elastic", elastic_sigma=5.0).enabled
        ('elastic',)
    """

    # --- Flips ---
    horizontal_flip: bool = True  # salt looks the same mirrored left-right
    horizontal_flip_probability: float = 0.5
    vertical_flip: bool = False  # seismic images have an up and a down
    vertical_flip_probability: float = 0.5
    # --- Quarter turns (with both flips: the 8 symmetries of a square) ---
    rotate90: bool = False  # seismic images have an up and a down
    rotate90_probability: float = 0.5
    # --- One affine warp: shift + rotation + zoom ---
    affine: bool = True
    affine_probability: float = 0.5
    max_shift: float = 0.1  # fraction of the side length, per axis
    max_rotation_degrees: float = 10.0
    max_zoom: float = 0.1  # scale in [0.9, 1.1]
    # --- Elastic deformation (paper: 3×3 grid, σ = 10 px, bicubic) ---
    elastic: bool = True
    elastic_probability: float = 0.5
    elastic_grid: int = 3
    elastic_sigma: float = 10.0
    elastic_grid_spacing: float | None = None  # None: elastic_grid points; else pixels between them (paper: 285.5)
    # --- Brightness and contrast, image only ---
    intensity: bool = True
    intensity_probability: float = 0.5
    max_brightness: float = 0.1  # offset in [-0.1, 0.1]
    max_contrast: float = 0.2  # factor in [0.8, 1.2]

    def __post_init__(self):
        for name in TRANSFORMS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise bad_input(
                    name, repr(value), "True or False", f"Pass {name}=True to switch it on, False for off."
                )
            probability = getattr(self, f"{name}_probability")
            if not _is_number(probability) or not 0.0 <= probability <= 1.0:
                raise bad_input(
                    f"{name}_probability", repr(probability), "a probability in [0, 1]", "Use e.g. 0.5."
                )
        _check_range("max_shift", self.max_shift, 0.0, 1.0, "a fraction in [0, 1)", "Use e.g. max_shift=0.1.")
        _check_range(
            "max_rotation_degrees", self.max_rotation_degrees, 0.0, 180.0, "degrees in [0, 180]",
            "Use e.g. max_rotation_degrees=10.", upper_open=False,
        )
        _check_range("max_zoom", self.max_zoom, 0.0, 1.0, "a fraction in [0, 1)", "Use e.g. max_zoom=0.1.")
        check_int("elastic_grid", self.elastic_grid, 2, "Use elastic_grid=3 as in the paper.")
        if self.elastic_grid_spacing is not None:
            _check_range("elastic_grid_spacing", self.elastic_grid_spacing, 1.0, math.inf, "None or pixels >= 1",
                         f"Use None, or {PAPER_GRID_SPACING} (the paper's 3×3 grid on a 572 tile).")
        _check_range(
            "elastic_sigma", self.elastic_sigma, 0.0, math.inf, "a number of pixels >= 0",
            "Use elastic_sigma=10.0 as in the paper.",
        )
        _check_range(
            "max_brightness", self.max_brightness, 0.0, 1.0, "an offset in [0, 1]",
            "Use e.g. max_brightness=0.1.", upper_open=False,
        )
        _check_range(
            "max_contrast", self.max_contrast, 0.0, 1.0, "a fraction in [0, 1]", "Use e.g. max_contrast=0.2.",
            upper_open=False,
        )

    @classmethod
    def only(cls, *names: str, **overrides) -> "AugmentConfig":
        """A config with only the named transforms switched on (probability 1 unless overridden).

        Args:
            *names: transform names from :data:`TRANSFORMS`; none → no augmentation.
            **overrides: any other field, e.g. ``elastic_sigma=5.0``.

        Returns:
            The config.

        Raises:
            Sprint19Error: for an unknown transform name.

        Example:
            >>> AugmentConfig.only("horizontal_flip").horizontal_flip_probability
            1.0
        """
        unknown = [name for name in names if name not in TRANSFORMS]
        if unknown:
            raise bad_input("transform name", repr(unknown[0]), f"one of {TRANSFORMS}", "Check the spelling.")
        fields = {name: name in names for name in TRANSFORMS}
        fields.update({f"{name}_probability": 1.0 for name in names})
        fields.update(overrides)
        return cls(**fields)

    @classmethod
    def paper(cls) -> "AugmentConfig":
        """The paper's augmentation for the ISBI cells: shift, rotation, deformation, grey values.

        Both flips and the quarter turns (a slice has no up or down); shift and rotation
        without zoom (a zoom would change the membranes' width); the elastic strain of
        the paper's 3×3 grid with σ = 10 on a 572-pixel tile, whatever the tile size here;
        brightness and contrast.

        Example:
            >>> AugmentConfig.paper().enabled
            ('horizontal_flip', 'vertical_flip', 'rotate90', 'affine', 'elastic', 'intensity')
        """
        return cls(vertical_flip=True, rotate90=True, max_zoom=0.0, elastic_grid_spacing=PAPER_GRID_SPACING)

    @classmethod
    def preset(cls, name: str) -> "AugmentConfig":
        """The augmentation named by ``TrainConfig.augmentation``.

        ``"default"`` (TGS), ``"paper"`` (:meth:`paper`), or ``"paper_rigid"``: the paper's
        without the elastic deformation (the ablation of issue 25: what the deformation buys).

        Example:
            >>> AugmentConfig.preset("default") == AugmentConfig()
            True
            >>> "elastic" in AugmentConfig.preset("paper_rigid").enabled
            False
        """
        if name not in AUGMENTATIONS:
            raise bad_input("augmentation", repr(name), f"one of {', '.join(map(repr, AUGMENTATIONS))}",
                            "Use 'default' for TGS, 'paper' for the ISBI cells.")
        if name == "default":
            return cls()
        return cls.paper() if name == "paper" else dataclasses.replace(cls.paper(), elastic=False)

    @property
    def enabled(self) -> tuple:
        """Names of the transforms switched on, in the order they are applied."""
        return tuple(name for name in TRANSFORMS if getattr(self, name))


def _is_number(value) -> bool:
    return is_real(value)


def _check_range(name, value, low, high, expected, fix, upper_open=True) -> None:
    inside = _is_number(value) and not math.isnan(value) and value >= low
    inside = inside and (value < high if upper_open else value <= high)
    if not inside:
        raise bad_input(name, repr(value), expected, fix)


# === Argument checks ===


def _check_pair(image, mask, image_name: str = "image", mask_name: str = "mask"):
    """Images as (H, W) or (H, W, C) float32; masks as (H, W) or (H, W, C) with the same H, W."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or min(image.shape[:2], default=0) < 1:
        raise bad_input(
            image_name, f"an array of shape {image.shape}", "(height, width) or (height, width, channels)",
            "Pass one image; use augment_batch for a batch.",
        )
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim not in (2, 3) or mask.shape[:2] != image.shape[:2]:
            raise bad_input(
                mask_name, f"shape {mask.shape} for an image of shape {image.shape}",
                "(height, width) or (height, width, channels) with the image's height and width",
                "Pass the mask that belongs to the image.",
            )
    return image, mask


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise bad_input(
            "rng", type(rng).__name__, "a numpy.random.Generator", "Pass rng=np.random.default_rng(seed)."
        )
    return rng


def _check_seed(seed):
    values = seed if isinstance(seed, (tuple, list)) else (seed,)
    if len(values) == 0 or any(
        not is_integer(v) or v < 0 for v in values
    ):
        raise bad_input("seed", repr(seed), "a non-negative integer or a tuple of them", "Pass e.g. seed=0.")
    return tuple(int(v) for v in values) if isinstance(seed, (tuple, list)) else int(seed)


# === Warping helpers: the same coordinates for image and mask ===


def _per_channel(array: np.ndarray, warp) -> np.ndarray:
    """Apply a 2-D warp to every channel of an (H, W) or (H, W, C) array."""
    if array.ndim == 2:
        return warp(array)
    return np.stack([warp(array[:, :, c]) for c in range(array.shape[2])], axis=2)


def _warp_mask(mask: np.ndarray, warp) -> np.ndarray:
    """Warp a mask with nearest neighbour, keeping its dtype (bool included)."""
    work = mask.view(np.uint8) if mask.dtype == bool else mask
    warped = _per_channel(work, warp)
    return warped.astype(bool) if mask.dtype == bool else warped


# === Elastic deformation (the paper's) ===


def elastic_displacement(shape, rng, grid: int = 3, sigma: float = 10.0):
    """A smooth random displacement field, as in the paper.

    Displacement vectors are drawn on a coarse ``grid × grid`` lattice spanning
    the image (corners included), each component from a Gaussian with standard
    deviation ``sigma`` pixels, then interpolated to every pixel with a cubic
    spline (bicubic, ``scipy.ndimage.zoom(order=3)``).

    Args:
        shape: (height, width) of the image.
        rng: a ``numpy.random.Generator``.
        grid: lattice size per axis (paper: 3).
        sigma: standard deviation of the displacements in pixels (paper: 10).

    Returns:
        ``(dy, dx)``: two float64 arrays of shape (height, width), the
        displacement along rows and along columns.

    Example:
        >>> import numpy as np
        >>> dy, dx = elastic_displacement((64, 64), np.random.default_rng(0))
        >>> dy.shape
        (64, 64)
    """
    _check_rng(rng)
    grid = check_int("grid", grid, 2, "Use grid=3 as in the paper.")
    _check_range("sigma", sigma, 0.0, math.inf, "a number of pixels >= 0", "Use sigma=10.0 as in the paper.")
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or any(not is_integer(s) or s < 1 for s in shape)
    ):
        raise bad_input("shape", repr(shape), "(height, width), two positive integers", "Pass image.shape[:2].")
    height, width = (int(s) for s in shape)
    coarse = rng.normal(0.0, float(sigma), size=(2, grid, grid))
    # Bicubic = a cubic spline down the columns, then along the rows.
    rows, cols = _spline_basis(height, int(grid)), _spline_basis(width, int(grid))
    return _interpolate_lattice(coarse[0], rows, cols), _interpolate_lattice(coarse[1], rows, cols)


def _interpolate_lattice(lattice: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``rows @ lattice @ cols.T`` as a sum of outer products.

    Written out instead of ``@`` on purpose: a multithreaded BLAS called from
    data-loading threads while the model trains can be 100× slower than this.
    """
    partial = (rows[:, :, None] * lattice[None, :, :]).sum(axis=1)  # (height, grid)
    return sum(np.multiply.outer(partial[:, k], cols[:, k]) for k in range(cols.shape[1]))


@functools.lru_cache(maxsize=32)
def _spline_basis(size: int, grid: int) -> np.ndarray:
    """(size, grid) matrix: column j is the cubic spline through the j-th unit vector.

    Multiplying by it interpolates ``grid`` lattice values to ``size`` pixels,
    exactly as ``scipy.ndimage.zoom(order=3, grid_mode=False)`` does (the first and
    last lattice points sit on the first and last pixels), but the 2-D field then
    costs two small matrix products instead of a spline evaluation per pixel.
    """
    basis = ndimage.zoom(np.eye(grid), (size / grid, 1), order=3, mode="mirror", grid_mode=False)
    basis.setflags(write=False)
    return basis


def elastic_lattice(config: AugmentConfig, shape) -> tuple[int, float]:
    """The elastic grid and σ for an image of ``shape``: the config's, or the spacing's at the same strain.

    With ``elastic_grid_spacing`` set, the grid gets as many points per axis as that spacing
    gives over the image's longer side (at least 2), and σ is scaled by the spacing the
    grid really has over the one asked for, so σ / spacing — the strain the paper chose —
    is the same on a 128-pixel tile as on its 572-pixel ones.

    Returns:
        ``(grid, sigma)``.

    Example:
        >>> config = AugmentConfig(elastic_grid_spacing=PAPER_GRID_SPACING)
        >>> grid, sigma = elastic_lattice(config, (128, 128))
        >>> grid, round(sigma, 2), round(sigma / (127 / (grid - 1)), 4) == round(10 / PAPER_GRID_SPACING, 4)
        (2, 4.45, True)
    """
    if config.elastic_grid_spacing is None:
        return config.elastic_grid, config.elastic_sigma
    side = max(shape) - 1
    grid = max(2, round(side / config.elastic_grid_spacing) + 1)
    return grid, config.elastic_sigma * (side / (grid - 1)) / config.elastic_grid_spacing


def elastic_deform(image, mask, rng, grid: int = 3, sigma: float = 10.0):
    """Deform an image and its mask with the same smooth random displacement field.

    Output pixel (y, x) takes the input at ``(y + dy, x + dx)``, with
    ``(dy, dx)`` from :func:`elastic_displacement`; the image is interpolated
    bicubically (order 3), the mask with nearest neighbour (order 0), and both
    are mirrored at the borders. Image values are not clipped here.

    Args:
        image: (height, width) or (height, width, channels).
        mask: (height, width) or (height, width, channels) with the same height
            and width, or None to deform the image alone.
        rng: a ``numpy.random.Generator``.
        grid: lattice size per axis (paper: 3).
        sigma: standard deviation of the displacements in pixels (paper: 10);
            0 returns copies unchanged.

    Returns:
        ``(image, mask)``: the image as float32 and the mask with its dtype
        (None when no mask was given).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> image = rng.random((64, 64)).astype("float32")
        >>> mask = (image > 0.5).astype("uint8")
        >>> warped, warped_mask = elastic_deform(image, mask, rng)
        >>> warped.shape, warped_mask.dtype
        ((64, 64), dtype('uint8'))
    """
    image, mask = _check_pair(image, mask)
    dy, dx = elastic_displacement(image.shape[:2], rng, grid, sigma)
    image = image.astype(np.float32)
    if sigma == 0:
        return image.copy(), None if mask is None else mask.copy()
    rows, cols = np.meshgrid(np.arange(image.shape[0]), np.arange(image.shape[1]), indexing="ij")
    coordinates = np.stack([rows + dy, cols + dx])

    def warp(order):
        return lambda channel: ndimage.map_coordinates(channel, coordinates, order=order, mode=BORDER_MODE)

    warped_image = _per_channel(image, warp(IMAGE_ORDER))
    warped_mask = None if mask is None else _warp_mask(mask, warp(MASK_ORDER))
    return warped_image, warped_mask


# === Affine warp: shift, rotation, zoom ===


def _affine_parameters(shape, config: AugmentConfig, rng):
    """Matrix and offset mapping output coordinates to input coordinates."""
    height, width = shape
    shift = rng.uniform(-config.max_shift, config.max_shift, size=2) * np.array([height, width])
    angle = math.radians(rng.uniform(-config.max_rotation_degrees, config.max_rotation_degrees))
    scale = rng.uniform(1.0 - config.max_zoom, 1.0 + config.max_zoom)
    matrix = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) / scale
    centre = (np.array([height, width]) - 1) / 2.0
    offset = centre - matrix @ centre - shift
    return matrix, offset


def _affine_warp(image, mask, config: AugmentConfig, rng):
    matrix, offset = _affine_parameters(image.shape[:2], config, rng)

    def warp(order):
        return lambda channel: ndimage.affine_transform(channel, matrix, offset, order=order, mode=BORDER_MODE)

    return _per_channel(image, warp(IMAGE_ORDER)), _warp_mask(mask, warp(MASK_ORDER))


# === Putting it together ===


def augment_pair(image, mask, config: AugmentConfig, rng):
    """Augment one image and its mask with the same random geometric transforms.

    Each transform in :data:`TRANSFORMS` draws from its own stream spawned from
    ``rng``, so switching one transform off does not change what the others do.

    Args:
        image: (height, width) or (height, width, channels), values in [0, 1].
        mask: (height, width) or (height, width, channels) with the same height
            and width; binary or integer labels.
        config: an :class:`AugmentConfig`.
        rng: a ``numpy.random.Generator``.

    Returns:
        ``(image, mask)``: the image as float32 clipped to [0, 1], same shape;
        the mask with its shape and dtype, values taken from the input mask.

    Raises:
        Sprint19Error: for a bad config, rng, shape or an image outside [0, 1].

    Example:
        >>> import numpy as np
        >>> image, mask = np.ones((8, 8, 1)), np.eye(8, dtype="uint8")[:, :, None]
        >>> out_image, out_mask = augment_pair(image, mask, AugmentConfig.only("horizontal_flip"),
        ...                                    np.random.default_rng(0))
        >>> out_mask[0, :, 0].tolist()
        [0, 0, 0, 0, 0, 0, 0, 1]
    """
    if not isinstance(config, AugmentConfig):
        raise bad_input("config", type(config).__name__, "an AugmentConfig", "Pass config=AugmentConfig().")
    _check_rng(rng)
    image, mask = _check_pair(image, mask)
    if mask is None:
        raise bad_input(
            "mask", "None", "the image's mask", "Use elastic_deform(image, None, rng) for an image alone."
        )
    image = image.astype(np.float32)
    if image.size and (image.min() < 0.0 or image.max() > 1.0):
        raise bad_input(
            "image", f"values in [{image.min():g}, {image.max():g}]", "values in [0, 1]",
            "Divide 8-bit images by 255 first, e.g. image.astype('float32') / 255.",
        )
    streams = dict(zip(_STREAM_ORDER, rng.spawn(len(_STREAM_ORDER))))

    def happens(name):
        return getattr(config, name) and streams[name].random() < getattr(config, f"{name}_probability")

    if happens("horizontal_flip"):
        image, mask = image[:, ::-1], mask[:, ::-1]
    if happens("vertical_flip"):
        image, mask = image[::-1], mask[::-1]
    if happens("rotate90") and image.shape[0] == image.shape[1]:
        turns = int(streams["rotate90"].integers(1, 4))
        image, mask = np.rot90(image, turns, axes=(0, 1)), np.rot90(mask, turns, axes=(0, 1))
    if happens("affine"):
        image, mask = _affine_warp(image, mask, config, streams["affine"])
    if happens("elastic"):
        grid, sigma = elastic_lattice(config, image.shape[:2])
        image, mask = elastic_deform(image, mask, streams["elastic"], grid, sigma)
    if happens("intensity"):
        contrast = streams["intensity"].uniform(1.0 - config.max_contrast, 1.0 + config.max_contrast)
        brightness = streams["intensity"].uniform(-config.max_brightness, config.max_brightness)
        mean = image.mean()
        image = (image - mean) * contrast + mean + brightness
    return np.clip(image, 0.0, 1.0).astype(np.float32), mask.copy()


def augment_batch(images, masks, config: AugmentConfig, seed=0):
    """Augment a batch of image/mask pairs, deterministically for a given seed.

    Sample ``i`` gets its own generator from ``np.random.SeedSequence(seed).spawn``,
    so the result depends only on the data, the config and the seed.

    Args:
        images: (batch, height, width) or (batch, height, width, channels), values in [0, 1].
        masks: (batch, height, width) or (batch, height, width, channels), same
            batch, height and width.
        config: an :class:`AugmentConfig`.
        seed: a non-negative integer, or a tuple of them (e.g. ``(seed, epoch, batch)``).

    Returns:
        ``(images, masks)``: float32 images clipped to [0, 1] and masks with
        their dtype, both with the input shapes.

    Raises:
        Sprint19Error: for mismatched shapes, a bad config or seed.

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 1))
        >>> masks = (images > 0.5).astype("uint8")
        >>> a, _ = augment_batch(images, masks, AugmentConfig(), seed=1)
        >>> b, _ = augment_batch(images, masks, AugmentConfig(), seed=1)
        >>> a.shape, bool(np.array_equal(a, b))
        ((4, 32, 32, 1), True)
    """
    images = np.asarray(images)
    masks = np.asarray(masks)
    if images.ndim not in (3, 4):
        raise bad_input(
            "images", f"an array of shape {images.shape}",
            "(batch, height, width) or (batch, height, width, channels)", "Stack the images along a first axis.",
        )
    if masks.ndim not in (3, 4) or masks.shape[:3] != images.shape[:3]:
        raise bad_input(
            "masks", f"shape {masks.shape} for images of shape {images.shape}",
            "the same batch size, height and width as the images",
            "Pass one mask per image, paired by file name, not by sort order.",
        )
    if not isinstance(config, AugmentConfig):
        raise bad_input("config", type(config).__name__, "an AugmentConfig", "Pass config=AugmentConfig().")
    seed = _check_seed(seed)
    out_images = np.empty(images.shape, dtype=np.float32)
    out_masks = np.empty_like(masks)
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(len(images))):
        out_images[i], out_masks[i] = augment_pair(images[i], masks[i], config, np.random.default_rng(child))
    return out_images, out_masks
