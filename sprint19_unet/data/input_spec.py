"""How an image of any size meets the model: one input spec for training and prediction.

A U-Net is built for tiles of ``input_size`` × ``input_size`` pixels and returns
``output_size`` × ``output_size`` (the same with 'same' padding; 184 fewer for the
paper's 'valid' padding at depth 4). :class:`InputSpec` decides, once, how every
image is brought to that tile, and training and prediction both ask it:

* **An image that fits a tile** (TGS 101×101 on a 128 tile) is mirrored out to the
  tile (:func:`sprint19_unet.data.prepare.mirror_pad`); the prediction is cropped back.
* **A larger image** (ISBI 2012: 512×512) stays at its native resolution. Training
  cuts random tiles out of it (:meth:`InputSpec.random_corner`, :meth:`InputSpec.cut`);
  prediction stitches tiles with the paper's overlap-tile strategy
  (:func:`sprint19_unet.estimation.predict.predict_overlap_tile`). Same scale both times.
* **'valid' padding**: a tile's input is its output window plus a mirrored margin
  of ``(input_size − output_size) / 2`` pixels on each side, so border pixels get
  context (the paper's Figure 2); masks are cropped to the output window.
* **Resizing only when asked for**: ``scale`` (e.g. 0.5) shrinks images and masks first;
  prediction resizes its probabilities back to each image's own size.

Example:
    >>> spec = InputSpec(input_size=128, output_size=128, pool_factor=16)
    >>> spec.fits_one_tile(101, 101), spec.tiles_per_image(512, 512)
    (True, 16)
    >>> InputSpec(input_size=572, output_size=388).margin
    92
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np

from sprint19_unet.errors import bad_input, is_integer, is_real
from sprint19_unet.data.prepare import crop_to_size, mirror_pad, resize_images, resize_masks
from sprint19_unet.unet.encoders import ENCODERS
from sprint19_unet.unet.sizes import unet_output_size

# Largest resize factor accepted: beyond it an image is mostly interpolation.
MAX_SCALE = 4.0


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """The tile a model takes and gives, and the resize factor applied before tiling.

    Args:
        input_size: side of the model's input tile; None (with ``output_size``
            None) for a size-free 'same' model, whose one tile is the whole image.
        output_size: side of its output (``input_size`` for 'same' padding).
        pool_factor: total downsampling of the model (``2**depth``); overlap-tile
            prediction shifts tiles by multiples of it.
        scale: 1.0 = native resolution (the paper); e.g. 0.5 halves every side
            before tiling, and prediction resizes back.

    Raises:
        Sprint19Error: for sizes that are not positive integers, an output larger
            than the input or an odd difference, or a scale outside (0, 4].

    Example:
        >>> InputSpec(128, 128, 8).crop_to_output(np.zeros((1, 128, 128, 1))).shape
        (1, 128, 128, 1)
    """

    input_size: int | None
    output_size: int | None
    pool_factor: int = 1
    scale: float = 1.0

    def __post_init__(self) -> None:
        sizes = ("input_size", "output_size")
        if self.input_size is None and self.output_size is None:  # a size-free 'same' model
            sizes = ()
        for name in (*sizes, "pool_factor"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise bad_input(name, repr(value), "a positive integer", "Build the spec with InputSpec.from_config(config).")
        if sizes and (self.output_size > self.input_size or (self.input_size - self.output_size) % 2):
            raise bad_input(
                "output_size", f"{self.output_size} for input_size {self.input_size}",
                "at most input_size, smaller by an even number of pixels",
                "Use sizes.unet_output_size(input_size, depth, padding).",
            )
        scale = self.scale
        if not is_real(scale) or not 0 < scale <= MAX_SCALE:
            raise bad_input(
                "scale", repr(scale), f"a number in (0, {MAX_SCALE:g}]",
                "Use scale=1.0 (native resolution, as the paper) or e.g. 0.5 to halve every side.",
            )

    # === Where a spec comes from ===

    @classmethod
    def from_config(cls, config) -> InputSpec:
        """The spec of the model a :class:`~sprint19_unet.training.config.TrainConfig` builds.

        Example:
            >>> from sprint19_unet.training.config import TrainConfig
            >>> InputSpec.from_config(TrainConfig(input_size=300, padding="valid"))
            InputSpec(input_size=300, output_size=116, pool_factor=16, scale=1.0)
        """
        if config.encoder is not None:  # pretrained encoders pad their convolutions
            return cls(config.input_size, config.input_size, ENCODERS[config.encoder].total_stride, config.scale)
        output = unet_output_size(config.input_size, config.depth, config.padding)
        return cls(config.input_size, output, 2**config.depth, config.scale)

    @classmethod
    def for_model(cls, model: keras.Model, scale: float = 1.0) -> InputSpec:
        """The spec of a built model: its tile sizes (None for a size-free model) and downsampling.

        Raises:
            Sprint19Error: for a model with a fixed but not square input size.

        Example:
            >>> from sprint19_unet.unet.model import build_unet
            >>> InputSpec.for_model(build_unet((64, 64, 1), base_filters=2, depth=2))
            InputSpec(input_size=64, output_size=64, pool_factor=4, scale=1.0)
        """
        check_segmentation_model(model)
        in_h, in_w = model.input_shape[1:3]
        out_h, out_w = model.output_shape[1:3]
        if (in_h, in_w, out_h, out_w) == (None,) * 4:
            return cls(None, None, downsampling_factor(model), scale)
        if None in (in_h, in_w, out_h, out_w) or in_h != in_w or out_h != out_w:
            raise bad_input(
                "model", f"input {model.input_shape[1:3]}, output {model.output_shape[1:3]}",
                "a model with a fixed, square input size", "Build the U-Net with input_shape=(size, size, channels).",
            )
        return cls(int(in_h), int(out_h), downsampling_factor(model), scale)

    # === Resizing (only when scale != 1) ===

    @property
    def margin(self) -> int:
        """Mirrored context on each side of a tile's output window: (input − output) / 2."""
        return (self.input_size - self.output_size) // 2

    def scaled_size(self, height: int, width: int) -> tuple[int, int]:
        """Height and width of an image after ``scale``.

        Example:
            >>> InputSpec(64, 64, scale=0.5).scaled_size(512, 301)
            (256, 150)
        """
        if self.scale == 1:
            return int(height), int(width)
        return max(1, round(height * self.scale)), max(1, round(width * self.scale))

    def rescale_images(self, images: np.ndarray) -> np.ndarray:
        """Images (N, H, W, C) at the working scale (bilinear; unchanged when scale is 1)."""
        if self.scale == 1:
            return images
        return resize_images(images, self.scaled_size(*images.shape[1:3]))

    def rescale_masks(self, masks: np.ndarray) -> np.ndarray:
        """Masks (N, H, W, 1) at the working scale (nearest neighbour, so labels survive)."""
        if self.scale == 1:
            return masks
        return resize_masks(masks, self.scaled_size(*masks.shape[1:3]))

    def restore_size(self, probabilities: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Probabilities predicted at the working scale, resized back to the images' own ``size``."""
        if tuple(probabilities.shape[1:3]) == tuple(size):
            return probabilities
        return resize_images(probabilities, size)

    # === Tiles ===

    def fits_one_tile(self, height: int, width: int) -> bool:
        """Whether an image (after ``scale``) is predicted by padding it to one tile and cropping back.

        True for a 'same'-padding model and an image no larger than the tile (and
        for a size-free model); everything else goes through overlap-tile.
        """
        if self.input_size is None:
            return True
        return self.output_size == self.input_size and height <= self.input_size and width <= self.input_size

    def one_tile_size(self, height: int, width: int) -> tuple[int, int]:
        """The tile an image that :meth:`fits_one_tile` is mirrored out to.

        The model's tile, or for a size-free model the image's size rounded up
        to a multiple of ``pool_factor``.

        Example:
            >>> InputSpec(None, None, 16).one_tile_size(101, 30)
            (112, 32)
        """
        if self.input_size is not None:
            return self.input_size, self.input_size
        factor = self.pool_factor
        return math.ceil(height / factor) * factor, math.ceil(width / factor) * factor

    def tile_padding(self, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """Mirror padding that lets every output window of an image be cut as one input tile.

        ``margin`` on each side, plus, for a side shorter than the output window,
        what brings it up to the window (split evenly, the odd pixel after, as
        :func:`~sprint19_unet.data.prepare.pad_to_size`).

        Example:
            >>> InputSpec(128, 128).tile_padding(101, 512)
            ((13, 14), (0, 0))
        """
        pads = []
        for side in (height, width):
            short = max(self.output_size - side, 0)
            pads.append((self.margin + short // 2, self.margin + short - short // 2))
        return pads[0], pads[1]

    def pad_for_tiles(self, images: np.ndarray) -> np.ndarray:
        """Mirror-pad images (or masks) by :meth:`tile_padding`, ready for :meth:`cut`."""
        return mirror_pad(images, *self.tile_padding(*images.shape[1:3]))

    def corner_range(self, height: int, width: int) -> tuple[int, int]:
        """Largest tile corner (top, left) in the padded image: 0 when a side fits one window."""
        return max(height - self.output_size, 0), max(width - self.output_size, 0)

    def random_corner(self, height: int, width: int, rng: np.random.Generator) -> tuple[int, int]:
        """A uniformly random tile corner for an image of ``height`` × ``width`` (training)."""
        top_max, left_max = self.corner_range(height, width)
        return int(rng.integers(0, top_max + 1)), int(rng.integers(0, left_max + 1))

    def grid_corners(self, height: int, width: int) -> list[tuple[int, int]]:
        """Tile corners whose output windows cover the whole image (the last ones flush with its end).

        Example:
            >>> InputSpec(128, 128).grid_corners(300, 100)
            [(0, 0), (128, 0), (172, 0)]
        """

        def starts(side: int) -> list[int]:
            last = max(side - self.output_size, 0)
            return sorted({*range(0, last, self.output_size), last})

        return [(top, left) for top in starts(height) for left in starts(width)]

    def tiles_per_image(self, height: int, width: int) -> int:
        """How many output windows it takes to cover an image once."""
        return math.ceil(max(height, 1) / self.output_size) * math.ceil(max(width, 1) / self.output_size)

    def cut(self, padded: np.ndarray, top: int, left: int) -> np.ndarray:
        """The input tile at ``(top, left)`` of an array padded by :meth:`pad_for_tiles` (a view)."""
        return padded[..., top : top + self.input_size, left : left + self.input_size, :]

    def crop_to_output(self, masks: np.ndarray) -> np.ndarray:
        """Masks cut at the input tile, cropped to the model's output window (no-op for 'same')."""
        if self.output_size == self.input_size:
            return masks
        return crop_to_size(masks, self.output_size)

    def grid_tiles(self, images: np.ndarray, masks: np.ndarray | None = None):
        """Every image cut into the tiles of :meth:`grid_corners`, e.g. for validation during training.

        Args:
            images: (N, H, W, C) at the working scale.
            masks: (N, H, W, 1) or None.

        Returns:
            ``(tiles, mask_tiles)``: (T, input, input, C) float32 and
            (T, output, output, 1) uint8 (None without masks); for images that fit
            one tile, T = N and the tiles are the mirrored images.

        Example:
            >>> x, y = InputSpec(64, 64).grid_tiles(np.zeros((2, 100, 60, 1)), np.zeros((2, 100, 60, 1)))
            >>> x.shape, y.shape
            ((4, 64, 64, 1), (4, 64, 64, 1))
        """
        corners = self.grid_corners(*images.shape[1:3])
        tiles = self._tiles_of(self.pad_for_tiles(images), corners).astype("float32")
        if masks is None:
            return tiles, None
        mask_tiles = self._tiles_of(self.pad_for_tiles(masks), corners)
        return tiles, self.crop_to_output(mask_tiles).astype("uint8")

    def _tiles_of(self, padded: np.ndarray, corners) -> np.ndarray:
        """(N, …) padded images → (N · len(corners), input, input, C), image by image."""
        stacked = np.stack([self.cut(padded, top, left) for top, left in corners], axis=1)
        return stacked.reshape((-1,) + stacked.shape[2:])


def check_segmentation_model(model, subject: str = "model") -> keras.Model:
    """Check that a model maps one image batch to one per-pixel prediction, as a U-Net does.

    Args:
        model: what was passed or loaded as the model.
        subject: how to name it in the message (e.g. ``"model 'runs/unet/model.keras'"``).

    Returns:
        The model.

    Raises:
        Sprint19Error: for something that is not a Keras model, a model with several inputs
            or outputs, or one whose input or output is not ``(batch, height, width, channels)``
            (e.g. a classifier ending in ``Dense``).

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> check_segmentation_model(build_unet((32, 32, 1), base_filters=2, depth=1)).name
        'unet'
    """
    fix = "Pass a segmentation model such as the model.keras that `python -m sprint19_unet train` wrote."
    if not isinstance(model, keras.Model):
        raise bad_input(subject, f"a {type(model).__name__}", "a Keras model", fix)
    inputs, outputs = model.inputs or [], model.outputs or []
    if len(inputs) != 1 or len(outputs) != 1:
        raise bad_input(subject, f"a model with {len(inputs)} inputs and {len(outputs)} outputs",
                        "one image input and one per-pixel output", fix)
    in_shape, out_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if len(in_shape) != 4 or len(out_shape) != 4:
        raise bad_input(subject, f"input shape {in_shape} and output shape {out_shape}",
                        "(batch, height, width, channels) for both, as a segmentation model has", fix)
    return model


def downsampling_factor(model: keras.Model) -> int:
    """Total downsampling of a model: the product of its pooling and convolution strides.

    ``2**depth`` for our U-Nets (one 2×2 max pooling per level), 16 or 32 for the
    pretrained encoders. Overlap-tile prediction shifts tiles by multiples of it.

    Example:
        >>> from sprint19_unet.unet.model import build_unet
        >>> downsampling_factor(build_unet((64, 64, 1), base_filters=2, depth=3))
        8
    """
    factor = 1
    for layer in _all_layers(model):
        if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            factor *= int(layer.strides[0])
        elif isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose):
            factor *= int(layer.strides[0])
    return factor


def _all_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer
