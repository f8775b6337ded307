"""What a data path is, decided in one place: ``load_dataset(source, split)``, and describing it.

``train``, ``evaluate``, ``predict``, ``data describe``, the demo and the notebooks
all ask :func:`find_layout` / :func:`load_dataset`, so one folder is read the same
way everywhere. The layouts are classes registered in :mod:`sprint19_unet.data.layouts`
(``synthetic``, ``shapes``, Kaggle TGS, split folders, image folders, TIFF stacks, plain
images; their table is in ``data/README.md``).

``split="train"`` asks for labelled data (images and masks); ``split="test"`` for
images to predict (masks are not read).

Example:
    >>> load_dataset("synthetic", num_samples=4).images.shape
    (4, 101, 101, 1)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sprint19_unet.data.formats import SegmentationData, check_split, _warn_if_all_empty, load_tiff_stacks
from sprint19_unet.data.images import SUPPORTED_EXTENSIONS, TIFF_EXTENSIONS, special_file_kind
from sprint19_unet.data.layouts import LAYOUTS, DataLayout, layouts_in_words
from sprint19_unet.errors import bad_input, check_path

# Coverage histogram of describe_dataset: 10 bins of 10 % each.
COVERAGE_BINS = 10


def _not_a_layout(root: Path) -> Exception:
    if not root.exists():
        received = "a path that does not exist"
    elif special := special_file_kind(root.stat().st_mode):  # a FIFO or device: found by stat, never opened
        received = f"{special}, not a folder or a regular file"
    elif not root.is_dir():
        received = f"a file that is not a TIFF stack (extension {root.suffix or '(none)'!r})"
    else:
        received = "a folder that no layout recognises"
    return bad_input(
        f"data '{root}'",
        received,
        layouts_in_words(),
        "See data/README.md for the layouts; `python -m sprint19_unet data sample --out DIR` writes an example.",
    )


def find_layout(source: str | os.PathLike, split: str = "train") -> DataLayout:
    """Decide what ``source`` is and where its ``split`` lives (see the module's table).

    Args:
        source: ``"synthetic"``, ``"shapes"``, or a path.
        split: ``"train"`` (labelled) or ``"test"`` (images to predict).

    Returns:
        A :class:`DataLayout`; ``masks`` is None where the split has no masks.

    Raises:
        Sprint19Error: for a path of no known layout, or a split it does not hold.

    Example:
        >>> find_layout("synthetic").kind
        'synthetic'
    """
    split = check_split(split)
    if isinstance(source, str) and source in LAYOUTS and LAYOUTS[source].generated:
        return DataLayout(source, None)
    root = check_path(source, "data", "Pass the data folder, e.g. 'data/sample', or 'synthetic' or 'shapes'.")
    if root.is_file() or root.is_dir():
        for layout in LAYOUTS.values():
            found = None if layout.generated else layout.find(root, split)
            if found is not None:
                return found
    raise _not_a_layout(root)


def load_dataset(
    source: str | os.PathLike,
    split: str = "train",
    *,
    num_samples: int = 1000,
    seed: int = 0,
    foreground: int | None = None,
    num_classes: int | None = None,
    require_masks: bool | None = None,
) -> SegmentationData:
    """Load one split of a data source, whatever its layout (the one loader behind every command).

    Args:
        source: ``"synthetic"``, ``"shapes"`` or a path (see the module's table).
        split: ``"train"`` (images with masks) or ``"test"`` (images only).
        num_samples: generated data only: how many images.
        seed: generated data only: the random seed.
        foreground: folder and TIFF masks: the pixel value of the positive class
            (ISBI 2012 membranes: 0); None accepts {0, 1} and {0, 255}.
        num_classes: folder masks with class labels 0 … num_classes − 1 (≥ 2);
            generated "shapes": how many classes (default 2); binary masks of the
            other layouts are valid labels for any number of classes.
        require_masks: refuse a split without masks (default: for ``"train"``);
            False loads what is there (``describe``).

    Returns:
        :class:`~sprint19_unet.data.formats.SegmentationData`; ``masks`` is None for
        ``split="test"`` and wherever no masks exist (with ``require_masks=False``).

    Raises:
        Sprint19Error: for an unknown layout, a missing split or masks, options that
            do not apply to the layout, and anything the loaders refuse.

    Example:
        >>> data = load_dataset("shapes", num_samples=3, num_classes=3)
        >>> data.images.shape, int(data.masks.max()) <= 2
        ((3, 128, 128, 3), True)
    """
    found = find_layout(source, split)
    layout = LAYOUTS[found.kind]
    require_masks = split == "train" if require_masks is None else require_masks
    if foreground is not None and not layout.takes_foreground:
        raise bad_input(
            "foreground", f"{foreground!r} for {found.kind} data", "None (it applies to folder or TIFF masks)",
            f"Leave foreground out for {found.kind} data: its masks are 1 = foreground already.",
        )
    if require_masks and not layout.generated and found.masks is None:
        raise bad_input(
            f"data '{found.root}'", f"{found.kind} without masks for split '{split}'",
            "labelled images: a masks/ folder (or train-labels.tif) beside the images",
            "Train and evaluate on the labelled split (e.g. train/), predict on the test split.",
        )
    return layout.load(found, split, foreground=foreground, num_classes=num_classes, num_samples=num_samples,
                       seed=seed)


# === Describing a data set ===


def _count_images(layout: DataLayout) -> int | None:
    folder = layout.test_images
    if folder is None:
        return None
    if folder.suffix.lower() in TIFF_EXTENSIONS:
        return len(load_tiff_stacks(folder))
    return sum(1 for path in folder.iterdir() if path.is_file() and not path.name.startswith(".")
               and path.suffix.lower() in SUPPORTED_EXTENSIONS)


def describe_dataset(
    path_or_data: str | os.PathLike | SegmentationData,
    *,
    foreground: int | None = None,
    num_classes: int | None = None,
) -> dict:
    """Summarise a data set: counts, sizes, mask values, empty masks, coverage, depths.

    Coverage is the fraction of mask pixels that are not background (0). A
    ``UserWarning`` is issued when every mask is empty ("predictions will come out
    all black").

    Args:
        path_or_data: any source :func:`load_dataset` reads (its training split,
            with or without masks), or a :class:`SegmentationData`.
        foreground: folder and TIFF masks: the value that is foreground.
        num_classes: folder masks with class labels.

    Returns:
        A JSON-friendly dict with keys ``source``, ``layout``, ``num_images``,
        ``num_test_images``, ``image_size`` [H, W], ``channels``, ``intensity``
        (min/max/mean/std), ``has_masks``, ``mask_values`` {value: pixel count},
        ``num_empty_masks``, ``empty_fraction``, ``foreground_fraction``,
        ``coverage_bin_edges`` (11 edges), ``coverage_counts`` (10 counts),
        ``coverage_quantiles`` (min/q25/median/q75/max), ``depth_range``
        [min, max] or None, and ``notes`` (hints, possibly empty).

    Raises:
        Sprint19Error: for a path of no known layout and anything the loaders raise.

    Example:
        >>> import numpy as np
        >>> masks = np.zeros((2, 10, 10, 1), np.uint8); masks[1, :5, :5] = 1  # 25 %
        >>> desc = describe_dataset(SegmentationData(["a", "b"], np.zeros((2, 10, 10, 1)), masks))
        >>> desc["num_empty_masks"], desc["coverage_counts"]
        (1, [1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    """
    if isinstance(path_or_data, SegmentationData):
        data, layout, num_test, source = path_or_data, "in memory", None, "SegmentationData"
        _warn_if_all_empty(data.masks, "SegmentationData")
    elif isinstance(path_or_data, (str, os.PathLike)):
        found = find_layout(path_or_data, "train")
        data = load_dataset(path_or_data, "train", foreground=foreground, num_classes=num_classes, require_masks=False)
        layout, num_test, source = found.kind, _count_images(found), str(path_or_data)
    else:
        raise bad_input(
            "path_or_data",
            f"a {type(path_or_data).__name__}",
            "a folder path or a SegmentationData",
            "Pass the data folder, e.g. describe_dataset('data/tgs').",
        )

    images = np.asarray(data.images)
    if len(data) == 0:
        raise bad_input("data", "an empty data set (0 images)", "at least one image", "Check the folder you loaded.")
    desc: dict = {
        "source": source,
        "layout": layout,
        "num_images": len(data),
        "num_test_images": num_test,
        "image_size": [int(images.shape[1]), int(images.shape[2])],
        "channels": int(images.shape[3]),
        "intensity": {
            "min": float(images.min()),
            "max": float(images.max()),
            "mean": float(images.mean()),
            "std": float(images.std()),
        },
        "has_masks": data.masks is not None,
        "mask_values": None,
        "num_empty_masks": None,
        "empty_fraction": None,
        "foreground_fraction": None,
        "coverage_bin_edges": [round(edge, 10) for edge in np.linspace(0.0, 1.0, COVERAGE_BINS + 1).tolist()],
        "coverage_counts": None,
        "coverage_quantiles": None,
        "depth_range": None,
        "notes": [],
    }
    if data.depths is not None:
        desc["depth_range"] = [float(np.min(data.depths)), float(np.max(data.depths))]
    if data.masks is not None:
        desc.update(_mask_summary(np.asarray(data.masks), foreground))
    return desc


def _mask_summary(masks: np.ndarray, foreground) -> dict:
    """describe_dataset's mask keys: values, empty masks, coverage (histogram, quantiles) and notes."""
    values, counts = np.unique(masks, return_counts=True)
    coverage = (masks != 0).reshape(len(masks), -1).mean(axis=1)
    empty = int(np.count_nonzero(coverage == 0))
    histogram, _ = np.histogram(coverage, bins=COVERAGE_BINS, range=(0.0, 1.0))
    quantiles = np.quantile(coverage, [0.0, 0.25, 0.5, 0.75, 1.0])
    notes = []
    if empty == len(masks):
        notes.append("all masks are empty: predictions will come out all black")
    elif coverage.mean() > 0.5 and foreground is None:
        notes.append("the foreground covers most pixels; if the object of interest is the dark class "
                     "(ISBI 2012 membranes), load with foreground=0")
    return dict(
        mask_values={int(value): int(count) for value, count in zip(values, counts)},
        num_empty_masks=empty,
        empty_fraction=empty / len(masks),
        foreground_fraction=float(coverage.mean()),
        coverage_counts=[int(count) for count in histogram],
        coverage_quantiles=dict(zip(("min", "q25", "median", "q75", "max"), (float(q) for q in quantiles))),
        notes=notes,
    )


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def format_description(desc: dict) -> str:
    """Format the dict of :func:`describe_dataset` as readable lines of text.

    Args:
        desc: the dict returned by :func:`describe_dataset`.

    Returns:
        A multi-line string (no trailing newline), e.g. for the CLI to print.

    Raises:
        Sprint19Error: when ``desc`` is not such a dict.

    Example:
        >>> import numpy as np
        >>> desc = describe_dataset(SegmentationData(["a"], np.zeros((1, 4, 4, 1)), np.ones((1, 4, 4, 1), np.uint8)))
        >>> print(format_description(desc).splitlines()[1].strip())
        images:        1, 4×4, 1 channel
    """
    required = ("source", "layout", "num_images", "image_size", "channels", "intensity", "has_masks")
    if not isinstance(desc, dict) or any(key not in desc for key in required):
        raise bad_input(
            "desc",
            f"a {type(desc).__name__}",
            "the dict returned by describe_dataset",
            "Call format_description(describe_dataset(path)).",
        )
    height, width = desc["image_size"]
    channels = desc["channels"]
    counts = f"{desc['num_images']}"
    if desc.get("num_test_images") is not None:
        counts = f"{desc['num_images']} train, {desc['num_test_images']} test"
    intensity = desc["intensity"]
    lines = [
        f"Data set {desc['source']} ({desc['layout']})",
        f"  images:        {counts}, {height}×{width}, {channels} channel{'s' if channels != 1 else ''}",
        f"  intensity:     min {intensity['min']:.3f}, max {intensity['max']:.3f}, "
        f"mean {intensity['mean']:.3f}, std {intensity['std']:.3f}",
    ]
    if not desc["has_masks"]:
        lines.append("  masks:         none")
    else:
        total = sum(desc["mask_values"].values())
        values = ", ".join(f"{value}: {_percent(count / total)}" for value, count in desc["mask_values"].items())
        quantiles = desc["coverage_quantiles"]
        lines += [
            f"  mask values:   {values} of pixels",
            f"  empty masks:   {desc['num_empty_masks']} of {desc['num_images']} ({_percent(desc['empty_fraction'])})",
            f"  foreground:    {_percent(desc['foreground_fraction'])} of all pixels",
            "  coverage:      "
            + ", ".join(f"{name} {_percent(quantiles[name])}" for name in ("min", "q25", "median", "q75", "max")),
            "  coverage histogram (share of each mask's pixels that are foreground):",
        ]
        edges = desc["coverage_bin_edges"]
        largest = max(desc["coverage_counts"]) or 1
        for low, high, count in zip(edges[:-1], edges[1:], desc["coverage_counts"]):
            bar = "#" * round(30 * count / largest)
            lines.append(f"    {100 * low:3.0f}-{100 * high:3.0f} %  {count:6d} {bar}".rstrip())
    if desc.get("depth_range") is not None:
        low, high = desc["depth_range"]
        lines.append(f"  depths:        {low:g} .. {high:g}")
    for note in desc.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)




__all__ = ["DataLayout", "describe_dataset", "find_layout", "format_description", "load_dataset"]
