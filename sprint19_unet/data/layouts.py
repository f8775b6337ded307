"""The data layouts, one class each, registered in one place: how to recognise a source, how to load it.

:func:`~sprint19_unet.data.datasets.find_layout` asks each registered layout in turn (the order
of registration is the order of recognition) whether it recognises a source;
:func:`~sprint19_unet.data.datasets.load_dataset` lets the one that did load the split. The table
in ``data/README.md``, the error for a path of no known layout and the command line's help are
written from :data:`LAYOUTS` too, so a new layout is one class here and its test.

Example:
    >>> [layout.kind for layout in LAYOUTS.values()][:3]
    ['synthetic', 'shapes', 'kaggle']
    >>> LAYOUTS["image folders"].find(Path("no such folder"), "train") is None
    True
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sprint19_unet.data.formats import (
    DEPTHS_CSV, TGS_SPLITS, TRAIN_CSV, SegmentationData, load_folder_pairs, load_tgs, load_tiff_stacks,
)
from sprint19_unet.data.images import SUPPORTED_EXTENSIONS, TIFF_EXTENSIONS
from sprint19_unet.data.synthetic_salt import make_salt_dataset
from sprint19_unet.data.synthetic_scenes import make_shapes_dataset
from sprint19_unet.errors import bad_input

SPLITS = TGS_SPLITS  # every layout has the two splits of the Kaggle data: train (labelled) and test


@dataclasses.dataclass(frozen=True)
class DataLayout:
    """Where the images (and masks) of one split of a data source are: what a :class:`Layout` found.

    Args:
        kind: the layout's name (a key of :data:`LAYOUTS`).
        root: the path the user gave (None for generated data).
        images: folder of images, or a TIFF stack (None for generated data).
        masks: folder of masks, a TIFF label stack, or Kaggle's train.csv; None when there are none.
        test_images: for ``describe``: the test images beside a training split, if any.
    """

    kind: str
    root: Path | None
    images: Path | None = None
    masks: Path | None = None
    test_images: Path | None = None


class Layout:
    """One way a data source is laid out. Subclass it, fill the class attributes, decorate with :func:`register_layout`.

    Class attributes (the last four are ``data/README.md``'s table): ``kind`` (the name),
    ``generated`` (recognised by its name, not a path), ``takes_foreground`` (``foreground=`` applies to
    its masks), ``title``, ``recognised_by``, ``train`` and ``test`` (what each split reads).
    """

    kind = ""
    generated = False
    takes_foreground = True
    title = recognised_by = train = test = ""

    def find(self, root: Path, split: str) -> DataLayout | None:
        """The split's files when ``root`` is laid out this way, else None (never raises for another layout)."""
        raise NotImplementedError

    def load(self, found: DataLayout, split: str, *, foreground, num_classes, num_samples, seed) -> SegmentationData:
        """Load the split :meth:`find` found (masks: ``found.masks`` for ``"train"``, none for ``"test"``)."""
        raise NotImplementedError


LAYOUTS: dict[str, Layout] = {}


def register_layout(cls: type) -> type:
    """Class decorator: register a :class:`Layout` (recognised after those registered before it).

    Example:
        >>> LAYOUTS["tiff stacks"].title
        'TIFF stacks'
    """
    if not cls.kind or cls.kind in LAYOUTS:
        raise ValueError(f"layout {cls.__name__}: a kind is needed, once ({cls.kind!r})")
    LAYOUTS[cls.kind] = cls()
    return cls


def _present(path: Path) -> Path | None:
    return path if path.exists() else None


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(
        path.suffix.lower() in SUPPORTED_EXTENSIONS and not path.name.startswith(".") for path in folder.iterdir()
    )


class _Generated(Layout):
    generated, takes_foreground = True, False
    recognised_by, test = "the name", "—"

    def find(self, root, split):
        return None  # never a path

    def load(self, found, split, *, foreground, num_classes, num_samples, seed):
        if split == "test":
            raise bad_input(
                f"data '{self.kind}'", "split='test' (images to predict) for generated data",
                "a folder of images to predict: generated data has only a labelled training split",
                "Write a sample with a test split (`python -m sprint19_unet data sample --out DIR`) and use DIR.",
            )
        return self.generate(num_samples, num_classes, seed)


@register_layout
class Synthetic(_Generated):
    kind, title, train = "synthetic", "`synthetic`", "generated TGS-like salt images and masks"

    def generate(self, num_samples, num_classes, seed):
        images, masks, depths = make_salt_dataset(num_samples, seed=seed)
        return SegmentationData([f"synthetic_{i:05d}" for i in range(len(images))], images, masks, depths)


@register_layout
class Shapes(_Generated):
    kind, title, train = "shapes", "`shapes`", "generated street scenes, one class per shape"

    def generate(self, num_samples, num_classes, seed):
        images, labels = make_shapes_dataset(num_samples, num_classes=max(num_classes or 2, 2), seed=seed)
        return SegmentationData([f"shapes_{i:05d}" for i in range(len(images))], images, labels)


@register_layout
class KaggleTGS(Layout):
    kind, title, takes_foreground = "kaggle", "Kaggle TGS", False
    recognised_by = "`train.csv` or `depths.csv` in the folder"
    train, test = "`train/images` + masks (PNGs and/or `train.csv`)", "`test/images`"

    def find(self, root, split):
        if not ((root / TRAIN_CSV).is_file() or (root / DEPTHS_CSV).is_file()):
            return None
        masks = _present(root / "train" / "masks") or _present(root / TRAIN_CSV) if split == "train" else None
        return DataLayout(self.kind, root, images=root / split / "images", masks=masks,
                          test_images=_present(root / "test" / "images") if split == "train" else None)

    def load(self, found, split, *, foreground, num_classes, num_samples, seed):
        if split == "train" and found.masks is None:  # describe: training images without their masks
            return load_folder_pairs(found.images)
        return load_tgs(found.root, split)


@register_layout
class SplitFolders(Layout):
    kind, title = "split folders", "split folders"
    recognised_by, train, test = "`train/images` or `test/images`", "`train/images` + `train/masks`", "`test/images`"

    def find(self, root, split):
        if not ((root / "train" / "images").is_dir() or (root / "test" / "images").is_dir()):
            return None
        folder = root / split
        if not (folder / "images").is_dir():
            raise bad_input(
                f"data '{root}'", f"no {split}/images/ folder", f"{split}/images/ beside the other split",
                "Point at the folder that holds the split you need, or add it.",
            )
        return DataLayout(self.kind, root, images=folder / "images", masks=_present(folder / "masks"),
                          test_images=_present(root / "test" / "images") if split == "train" else None)

    def load(self, found, split, *, foreground, num_classes, num_samples, seed):
        masks = found.masks if split == "train" else None
        return load_folder_pairs(found.images, masks, foreground=foreground, num_classes=num_classes)


@register_layout
class ImageFolders(SplitFolders):
    kind, title = "image folders", "image folders"
    recognised_by, train, test = "`images/`", "`images/` + `masks/`", "`images/`"

    def find(self, root, split):
        if not (root / "images").is_dir():
            return None
        return DataLayout(self.kind, root, images=root / "images", masks=_present(root / "masks"))


@register_layout
class TiffStacks(Layout):
    kind, title = "tiff stacks", "TIFF stacks"
    recognised_by = "`train-volume.tif` (+ `train-labels.tif`), or a `.tif` file"
    train, test = "the volume + its labels", "`test-volume.tif`, or the file"

    def find(self, root, split):
        if root.is_file():
            return DataLayout(self.kind, root, images=root) if root.suffix.lower() in TIFF_EXTENSIONS else None
        volume = root / f"{split}-volume.tif"
        if not volume.is_file():
            return None
        return DataLayout(self.kind, root, images=volume, masks=_present(root / f"{split}-labels.tif"),
                          test_images=_present(root / "test-volume.tif") if split == "train" else None)

    def load(self, found, split, *, foreground, num_classes, num_samples, seed):
        return load_tiff_stacks(found.images, found.masks if split == "train" else None, foreground=foreground)


@register_layout
class PlainImages(SplitFolders):
    kind, title = "plain images", "plain images"
    recognised_by, train, test = "image files in the folder (`split=\"test\"` only)", "—", "the images"

    def find(self, root, split):
        return DataLayout(self.kind, root, images=root) if split == "test" and _has_images(root) else None


def layouts_in_words(split: str | None = None) -> str:
    """The registered layouts as one phrase, for errors and ``--help`` (those that hold ``split``, when given).

    Example:
        >>> layouts_in_words().split(", ")[:3]
        ["'synthetic'", "'shapes'", 'Kaggle TGS (train.csv or depths.csv in the folder)']
        >>> layouts_in_words("test").split(", ")[0]
        'Kaggle TGS (train.csv or depths.csv in the folder)'
    """
    holding = [layout for layout in LAYOUTS.values() if split is None or getattr(layout, split) != "—"]
    return ", ".join(repr(layout.kind) if layout.generated else
                     f"{layout.title} ({layout.recognised_by.replace('`', '')})" for layout in holding)
