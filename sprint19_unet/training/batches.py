"""Batches of (images, masks) for ``model.fit``, shuffled and augmented reproducibly.

:class:`SegmentationBatches` is a ``keras.utils.PyDataset`` over in-memory NumPy
arrays. Every batch is a pure function of ``(seed, epoch, batch index)``:

* the order of the samples in an epoch comes from ``(seed, epoch)``;
* the augmentation of batch ``i`` comes from ``(seed, epoch, i)``.

So the same seed gives the same batches whichever worker computes them, with 1 worker or 8.

Given an :class:`~sprint19_unet.data.input_spec.InputSpec`, a sample is a **tile**: the images stay
in memory once, at their own size, and every sample cuts one model-sized tile at a random place
(from ``(seed, epoch, batch index)`` too). An epoch is ``samples_per_epoch`` tiles (by default enough
to cover every image once), so 30 images of 512×512 and 4,000 of 101×101 both train. NumPy and SciPy
only touch the data: every backend.

Example:
    >>> import numpy as np
    >>> images = np.zeros((10, 32, 32, 1), dtype="float32")
    >>> masks = np.zeros((10, 32, 32, 1), dtype="uint8")
    >>> batches = SegmentationBatches(images, masks, batch_size=4)
    >>> len(batches), batches[2][0].shape
    (3, (2, 32, 32, 1))
"""

from __future__ import annotations

import math

import keras
import numpy as np

from sprint19_unet.data.augment import AugmentConfig, augment_batch
from sprint19_unet.errors import bad_input, check_int, is_integer
from sprint19_unet.data.input_spec import InputSpec

# First word of the SeedSequence entropy, so the shuffling and the augmentation
# draw from unrelated streams even for the same (seed, epoch).
SHUFFLE_STREAM = 1
AUGMENT_STREAM = 2
TILE_STREAM = 3


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise bad_input(name, repr(value), "True or False", f"Pass {name}=True or {name}=False.")
    return value


def _with_channels(array, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[0] == 0:
        raise bad_input(
            name,
            f"an array of shape {array.shape}",
            "a non-empty (samples, height, width) or (samples, height, width, channels) array",
            f"Stack the {name} along a first axis, e.g. np.stack({name}).",
        )
    return array


class SegmentationBatches(keras.utils.PyDataset):
    """(images, masks) batches from in-memory arrays, with reproducible shuffling and augmentation.

    Keras calls :meth:`on_epoch_end` after each epoch (and, in Keras 3.15, once
    when ``fit`` starts, so after ``fit(epochs=3)`` :attr:`epoch` is 4); the
    batches stay a function of the seed either way. This class shuffles by
    itself, so pass ``shuffle=False`` to ``fit`` if the order of the batches
    must be reproducible too (Keras would otherwise reorder them with Python's
    global random state).

    Args:
        images: (samples, height, width) or (samples, height, width, channels);
            values in [0, 1] when augmenting.
        masks: (samples, height, width) or (samples, height, width, channels),
            one per image, same height and width; binary or integer labels.
        batch_size: samples per batch.
        spec: an :class:`~sprint19_unet.data.input_spec.InputSpec` to cut model-sized
            tiles from the images (masks cropped to the model's output), or None
            to use the arrays as they are (already model-sized).
        samples_per_epoch: tiles per epoch; None = ``spec.tiles_per_image`` ×
            images (each image once when it fits a tile, or without a spec).
        augment: an :class:`~sprint19_unet.data.augment.AugmentConfig`, or None for
            no augmentation (validation data).
        shuffle: draw a new sample order every epoch (from ``(seed, epoch)``).
        seed: non-negative integer; with the epoch and batch index it fixes
            every batch.
        drop_remainder: leave out the last, smaller batch.
        workers: threads or processes Keras uses to prepare batches (1 = in
            the training loop).
        use_multiprocessing: use processes instead of threads (needs the
            arrays to be picklable; they are).
        max_queue_size: batches prepared ahead when ``workers > 1``.

    Returns:
        A ``keras.utils.PyDataset``; ``batches[i]`` is ``(images, masks)``,
        both float32 with shape (batch, height, width, channels) (with a spec:
        the model's input and output size).

    Raises:
        Sprint19Error: for mismatched image and mask counts or sizes, a
            batch_size < 1 (or larger than the data with drop_remainder=True),
            or another bad argument.

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((8, 16, 16, 1))
        >>> masks = (images > 0.5).astype("uint8")
        >>> batches = SegmentationBatches(images, masks, batch_size=4,
        ...                               augment=AugmentConfig(), seed=1)
        >>> x, y = batches[0]
        >>> x.dtype, y.shape
        (dtype('float32'), (4, 16, 16, 1))
    """

    def __init__(
        self,
        images,
        masks,
        batch_size: int = 16,
        augment: AugmentConfig | None = None,
        spec: InputSpec | None = None,
        samples_per_epoch: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_remainder: bool = False,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ):
        workers = check_int("workers", workers, 1, "Use workers=1, or up to the number of CPU cores.")
        _check_flag("use_multiprocessing", use_multiprocessing)
        max_queue_size = check_int("max_queue_size", max_queue_size, 1, "Use max_queue_size=10.")
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)

        self.images = _with_channels(images, "images")
        self.masks = _with_channels(masks, "masks")
        if len(self.images) != len(self.masks):
            raise bad_input(
                "masks",
                f"{len(self.masks)} masks for {len(self.images)} images",
                "one mask per image",
                "Pair images and masks by file name (id), not by sort order.",
            )
        if self.masks.shape[1:3] != self.images.shape[1:3]:
            raise bad_input(
                "masks",
                f"masks of {self.masks.shape[1]}×{self.masks.shape[2]} for images of "
                f"{self.images.shape[1]}×{self.images.shape[2]}",
                "masks with the images' height and width",
                "Pad or resize images and masks together (sprint19_unet.data.prepare).",
            )
        if spec is not None and not isinstance(spec, InputSpec):
            raise bad_input(
                "spec", type(spec).__name__, "an InputSpec or None",
                "Pass spec=InputSpec.from_config(config), or None for model-sized arrays.",
            )
        self.spec = spec
        self.image_size = tuple(self.images.shape[1:3])  # before the spec's mirror padding
        if spec is not None:  # held once, mirrored so that every tile can be cut as a view
            self.images, self.masks = spec.pad_for_tiles(self.images), spec.pad_for_tiles(self.masks)
        default_samples = len(self.images) * (spec.tiles_per_image(*self.image_size) if spec else 1)
        if samples_per_epoch is None:
            samples_per_epoch = default_samples
        self.samples_per_epoch = check_int(
            "samples_per_epoch", samples_per_epoch, 1, f"Use None for the default ({default_samples} here)."
        )
        self.batch_size = check_int("batch_size", batch_size, 1, "Use e.g. batch_size=16.")
        self.drop_remainder = _check_flag("drop_remainder", drop_remainder)
        if self.drop_remainder and self.batch_size > self.samples_per_epoch:
            raise bad_input(
                "batch_size",
                f"{self.batch_size} with drop_remainder=True and only {self.samples_per_epoch} samples",
                f"at most {self.samples_per_epoch} so at least one full batch exists",
                "Lower batch_size or pass drop_remainder=False.",
            )
        if augment is not None and not isinstance(augment, AugmentConfig):
            raise bad_input(
                "augment", type(augment).__name__, "an AugmentConfig or None",
                "Pass augment=AugmentConfig() for training data, None for validation data.",
            )
        self.augment = augment
        self.shuffle = _check_flag("shuffle", shuffle)
        self.seed = check_int("seed", seed, 0, "Pass e.g. seed=0.")
        self.set_epoch(0)

    # === The epoch and its sample order ===

    @property
    def epoch(self) -> int:
        """How many times :meth:`on_epoch_end` has run (or the value given to :meth:`set_epoch`)."""
        return self._state[0]

    def set_epoch(self, epoch: int) -> None:
        """Jump to an epoch, e.g. to resume training with ``fit(initial_epoch=...)``.

        Args:
            epoch: non-negative epoch number.

        Returns:
            None.

        Example:
            >>> import numpy as np
            >>> batches = SegmentationBatches(np.zeros((4, 8, 8)), np.zeros((4, 8, 8)), batch_size=2)
            >>> batches.set_epoch(3); batches.epoch
            3
        """
        epoch = check_int("epoch", epoch, 0, "Pass the number of epochs already trained.")
        # One attribute, replaced at once, so a worker thread never sees a new
        # epoch with an old order.
        self._state = (epoch, self.sample_order(epoch))

    def sample_order(self, epoch: int) -> np.ndarray:
        """The order in which the samples are visited in an epoch.

        Args:
            epoch: epoch number.

        Returns:
            The image index of each of the epoch's ``samples_per_epoch`` samples:
            a permutation of ``range(images)`` (the identity when ``shuffle=False``),
            repeated with new permutations when an epoch holds more samples than images.

        Example:
            >>> import numpy as np
            >>> batches = SegmentationBatches(np.zeros((5, 8, 8)), np.zeros((5, 8, 8)), shuffle=False)
            >>> batches.sample_order(0).tolist()
            [0, 1, 2, 3, 4]
        """
        count = len(self.images)
        rounds = math.ceil(self.samples_per_epoch / count)
        if not self.shuffle:
            return np.tile(np.arange(count), rounds)[: self.samples_per_epoch]
        rng = np.random.default_rng(np.random.SeedSequence([SHUFFLE_STREAM, self.seed, int(epoch)]))
        return np.concatenate([rng.permutation(count) for _ in range(rounds)])[: self.samples_per_epoch]

    def on_epoch_end(self) -> None:
        """Advance to the next epoch: a new sample order and new augmentations."""
        self.set_epoch(self.epoch + 1)

    # === The batches ===

    def __len__(self) -> int:
        count = self.samples_per_epoch
        return count // self.batch_size if self.drop_remainder else math.ceil(count / self.batch_size)

    def batch_indices(self, index: int) -> np.ndarray:
        """Sample indices of batch ``index`` in the current epoch.

        Args:
            index: batch number, 0 … len(self) − 1.

        Returns:
            int array of sample indices.

        Example:
            >>> import numpy as np
            >>> batches = SegmentationBatches(np.zeros((5, 8, 8)), np.zeros((5, 8, 8)),
            ...                               batch_size=2, shuffle=False)
            >>> batches.batch_indices(2).tolist()
            [4]
        """
        return self._batch(index)[1]

    def _batch(self, index: int) -> tuple:
        """(epoch, sample indices) of batch ``index``, read from one consistent state."""
        if not is_integer(index) or not 0 <= index < len(self):
            raise IndexError(f"batch index {index!r} out of range for {len(self)} batches")
        epoch, order = self._state
        start = int(index) * self.batch_size
        return epoch, order[start : start + self.batch_size]

    def __getitem__(self, index: int):
        """Batch ``index`` of the current epoch as float32 ``(images, masks)``."""
        epoch, indices = self._batch(index)
        images, masks = self._tiles(epoch, int(index), indices)
        if self.augment is not None:
            seed = (AUGMENT_STREAM, self.seed, epoch, int(index))
            images, masks = augment_batch(images, masks, self.augment, seed=seed)
        if self.spec is not None:  # augmented at the input tile, then cut to the output window
            masks = self.spec.crop_to_output(masks)
        return images.astype(np.float32, copy=False), masks.astype(np.float32, copy=False)

    def _tiles(self, epoch: int, index: int, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The batch's images and masks: whole arrays, or one random tile of each (input-sized)."""
        if self.spec is None:
            return self.images[indices], self.masks[indices]
        rng = np.random.default_rng(np.random.SeedSequence([TILE_STREAM, self.seed, epoch, index]))
        corners = [self.spec.random_corner(*self.image_size, rng) for _ in indices]
        images = np.stack([self.spec.cut(self.images[i], top, left) for i, (top, left) in zip(indices, corners)])
        masks = np.stack([self.spec.cut(self.masks[i], top, left) for i, (top, left) in zip(indices, corners)])
        return images, masks
