"""Problem 1's estimation step from files: load a model safely, predict a folder, score a labelled set.

The CLI's ``predict`` and ``evaluate`` commands are thin wrappers around
:func:`predict_to_files` and :func:`evaluate_model`.

Example:
    >>> evaluate_model("runs/unet/model.keras", "synthetic")  # doctest: +SKIP
    {'iou': 0.91, 'dice': 0.95, 'pixel_accuracy': 0.97, 'tgs_score': 0.84}
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

from sprint19_unet.atomic import atomic_directory, ensure_writable
from sprint19_unet.config import TrainConfig
from sprint19_unet.data import SegmentationData, load_folder_pairs, load_tgs
from sprint19_unet.errors import bad_input
from sprint19_unet.evaluate import segmentation_report
from sprint19_unet.images import write_png
from sprint19_unet.predict import predict_masks
from sprint19_unet.submission import write_submission


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` model in Keras safe mode (no Lambda layers, no arbitrary code).

    Args:
        path: a file written by ``model.save`` / :func:`sprint19_unet.training.train`.

    Returns:
        The model, compiled if it was saved compiled.

    Raises:
        Sprint19Error: for a missing file, a file that is not a Keras model, or
            one that cannot be loaded.

    Example:
        >>> load_model("runs/unet/model.keras")  # doctest: +SKIP
    """
    path = Path(path)
    fix = "Pass the model.keras that `python -m sprint19_unet train` wrote into its --output-dir."
    if not path.is_file():
        raise bad_input(f"model '{path}'", "a path that is not a file", "a .keras model file", fix)
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise bad_input(f"model '{path}'", "a file that is not a .keras archive", "a .keras model file", fix)
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged or foreign archive
        raise bad_input(
            f"model '{path}'", f"a file Keras cannot load ({type(error).__name__}: {str(error)[:200]})",
            "a .keras model saved by this package", fix,
        ) from None


def load_images(path: str | os.PathLike) -> SegmentationData:
    """Images to predict: a Kaggle TGS folder's ``test/images``, or a folder of images.

    Args:
        path: the folder.

    Returns:
        Unlabelled data (``masks`` is None).

    Example:
        >>> len(load_images("data/sample"))  # doctest: +SKIP
        100
    """
    root = Path(path)
    if (root / "test" / "images").is_dir():
        return load_tgs(root, split="test")
    if (root / "images").is_dir():
        return load_folder_pairs(root / "images")
    return load_folder_pairs(root)


def load_labelled(path: str | os.PathLike, foreground: int | None = None) -> SegmentationData:
    """Labelled images: ``"synthetic"``, a Kaggle TGS folder's ``train/``, or ``images/`` + ``masks/``.

    Example:
        >>> len(load_labelled("synthetic"))  # doctest: +SKIP
        1000
    """
    from sprint19_unet.training import load_training_data

    return load_training_data(TrainConfig(data=str(path), foreground=foreground))


def predict_to_files(
    model_path, data_path, out, threshold: float = 0.5, tta: bool = False, batch_size: int = 16, verbose: int = 0
) -> Path:
    """Predict masks for a folder and write a submission CSV or one PNG per image.

    Args:
        model_path: the ``.keras`` model.
        data_path: a Kaggle TGS folder (predicts ``test/images``) or a folder of images.
        out: ``*.csv`` → Kaggle submission (``id,rle_mask``); otherwise a folder
            of ``<id>.png`` masks (0/255), replaced whole and atomically.
        threshold: probability threshold.
        tta: horizontal-flip test-time augmentation.
        batch_size: images per prediction batch.
        verbose: 1 shows a progress bar.

    Returns:
        The path written.

    Example:
        >>> predict_to_files("runs/unet/model.keras", "data/sample", "submission.csv")  # doctest: +SKIP
    """
    out = Path(out)
    ensure_writable(out.parent if out.suffix.lower() == ".csv" else out)
    model = load_model(model_path)
    data = load_images(data_path)
    masks = predict_masks(model, data.images, threshold=threshold, batch_size=batch_size, tta=tta, verbose=verbose)
    if out.suffix.lower() == ".csv":
        return write_submission(data.ids, masks, out, expected_ids=data.ids)
    scale = 255 if masks.max() <= 1 else 1
    with atomic_directory(out) as folder:
        for item, mask in zip(data.ids, masks):
            write_png(folder / f"{item}.png", (mask[..., 0] * scale).astype("uint8"))
    return out


def evaluate_model(model_path, data_path, threshold: float = 0.5, tta: bool = False, foreground=None) -> dict:
    """Score a saved model on labelled data (see :func:`sprint19_unet.evaluate.segmentation_report`).

    Args:
        model_path: the ``.keras`` model.
        data_path: ``"synthetic"``, a Kaggle TGS folder or an images/ + masks/ folder.
        threshold: probability threshold.
        tta: horizontal-flip test-time augmentation.
        foreground: folder masks: the value that is foreground.

    Returns:
        The report dict.
    """
    model = load_model(model_path)
    data = load_labelled(data_path, foreground)
    masks = predict_masks(model, data.images, threshold=threshold, tta=tta)
    return segmentation_report(data.masks, masks, num_classes=model.output_shape[-1])
