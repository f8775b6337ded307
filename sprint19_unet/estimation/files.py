"""Problem 1's estimation step from files: load a model safely, predict a folder, score a labelled set.

The CLI's ``predict`` and ``evaluate`` commands are thin wrappers around
:func:`predict_to_files` and :func:`evaluate_model`.

Example:
    Not run by the doctests (nor the ones below): they need a model that ``train`` wrote;
    tests/test_cli.py trains one and runs them through the CLI.
    >>> evaluate_model("runs/unet/model.keras", "synthetic")  # doctest: +SKIP
    {'iou': 0.91, 'dice': 0.95, 'pixel_accuracy': 0.97, 'tgs_score': 0.84}
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import keras

from sprint19_unet.atomic import atomic_directory, ensure_writable
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.data.datasets import load_dataset
from sprint19_unet.errors import bad_input, check_path, check_threshold, path_problem
from sprint19_unet.estimation.scoring import isbi_report, segmentation_report
from sprint19_unet.data.images import write_png
from sprint19_unet.data.input_spec import check_segmentation_model
from sprint19_unet.estimation.predict import predict_masks, predict_probabilities, probabilities_to_masks
from sprint19_unet.estimation.submission import check_text_ids, write_submission
from sprint19_unet.estimation.whole_validation import membrane_probability
from sprint19_unet.training.sanity import check_predictions
from sprint19_unet.outputs import check_output_folder, mark_output, refuse_overlap

_PREDICTED_MASK = re.compile(r".+\.png")  # what predict writes into a folder (besides its marker)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` model in Keras safe mode (no Lambda layers, no arbitrary code).

    Args:
        path: a file written by ``model.save`` / :func:`sprint19_unet.training.fit.train`.

    Returns:
        The model, compiled if it was saved compiled.

    Raises:
        Sprint19Error: for a missing file, a file that is not a Keras model, or
            one that cannot be loaded, or one that is not a segmentation model.

    Example:
        Not run by the doctests: it needs a model that ``train`` wrote.
        >>> load_model("runs/unet/model.keras")  # doctest: +SKIP
    """
    fix = "Pass the model.keras that `python -m sprint19_unet train` wrote into its --output-dir."
    path = check_path(path, "model path", fix)
    if not path.is_file():
        raise bad_input(f"model '{path}'", "a path that is not a file", "a .keras model file", fix)
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise bad_input(f"model '{path}'", "a file that is not a .keras archive", "a .keras model file", fix)
    try:
        model = keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged or foreign archive
        raise bad_input(
            f"model '{path}'", f"a file Keras cannot load ({type(error).__name__}: {str(error)[:200]})",
            "a .keras model saved by this package", fix,
        ) from None
    return check_segmentation_model(model, f"model '{path}'")


def trained_scale(model_path: str | os.PathLike) -> float:
    """The ``scale`` a model was trained at, from the ``config.json`` its run wrote beside it.

    Args:
        model_path: a ``model.keras`` inside a training run directory.

    Returns:
        The run's ``TrainConfig.scale``; 1.0 (native resolution) when the model
        has no ``config.json`` beside it.

    Raises:
        Sprint19Error: for a ``config.json`` that cannot be read.

    Example:
        Not run by the doctests: it needs a run directory that ``train`` wrote.
        >>> trained_scale("runs/unet/model.keras")  # doctest: +SKIP
        1.0
    """
    config_path = Path(model_path).parent / "config.json"
    return TrainConfig.from_json(config_path).scale if config_path.is_file() else 1.0


def predict_to_files(
    model_path, data_path, out, threshold: float = 0.5, tta: bool | str = False, batch_size: int = 16, verbose: int = 0
) -> Path:
    """Predict masks for a folder and write a submission CSV or one PNG per image.

    Args:
        model_path: the ``.keras`` model.
        data_path: images to predict, any layout :func:`~sprint19_unet.data.datasets.load_dataset`
            reads with ``split="test"`` (a Kaggle TGS folder's ``test/images``, a folder of images, …).
        out: ``*.csv`` → Kaggle submission (``id,rle_mask``); otherwise a folder
            of ``<id>.png`` masks (0/255), replaced whole and atomically. Never one of
            the inputs, inside or around them; an existing folder only when
            ``predict`` wrote it (see :mod:`sprint19_unet.outputs`).
        threshold: probability threshold.
        tta: test-time augmentation: False, True or "flip", or "dihedral" (see predict_probabilities).
        batch_size: images per prediction batch.
        verbose: 1 shows a progress bar.

    Returns:
        The path written.

    Example:
        Not run by the doctests: it needs a model that ``train`` wrote.
        >>> predict_to_files("runs/unet/model.keras", "data/sample", "submission.csv")  # doctest: +SKIP
    """
    out = check_path(out, "--out", "Pass a submission.csv or a folder for the masks.")
    csv_out = out.suffix.lower() == ".csv"
    data_folder = data_path if path_problem(data_path) is None and Path(data_path).exists() else None
    # A new submission may go inside the data folder; an existing file there may be one of the inputs (train.csv).
    inputs = {"--model": model_path, "--data": None if csv_out and not out.exists() else data_folder}
    refuse_overlap("--out", out, inputs, "Write the masks or the submission elsewhere, e.g. --out masks or "
                   "--out submission.csv beside the data folder.")
    if not csv_out:
        check_output_folder(out, "predict", _PREDICTED_MASK, "--out")
    ensure_writable(out.parent if csv_out else out)
    model = load_model(model_path)
    data = load_dataset(data_path, "test")
    if csv_out:  # before the long prediction, not after it
        check_text_ids(data.ids, f"images in '{data_path}'")
    masks = predict_masks(
        model, data.images, threshold=threshold, batch_size=batch_size, tta=tta, verbose=verbose,
        scale=trained_scale(model_path),
    )
    if csv_out:
        return write_submission(data.ids, masks, out, expected_ids=data.ids)
    scale = 255 if masks.max() <= 1 else 1
    with atomic_directory(out) as folder:
        for item, mask in zip(data.ids, masks):
            write_png(folder / f"{item}.png", (mask[..., 0] * scale).astype("uint8"))
        mark_output(folder, "predict")
    return out


def evaluate_model(
    model_path, data_path, threshold: float = 0.5, tta: bool | str = False, foreground=None, isbi: bool = False
) -> dict:
    """Score a saved model on labelled data (see :func:`sprint19_unet.estimation.scoring.segmentation_report`).

    The images meet the model as in training: at the run's ``scale`` (from its
    ``config.json``), mirrored to one tile or stitched with overlap-tile.

    Args:
        model_path: the ``.keras`` model.
        data_path: labelled data, any layout :func:`~sprint19_unet.data.datasets.load_dataset`
            reads with ``split="train"``.
        threshold: probability threshold.
        tta: test-time augmentation: False, True or "flip", or "dihedral" (see predict_probabilities).
        foreground: folder masks: the value that is foreground (ISBI membranes: 0).
        isbi: also the ISBI 2012 challenge's pixel error and Rand error of the
            probability map (:func:`~sprint19_unet.estimation.scoring.isbi_challenge_errors`:
            best of the challenge's 11 thresholds; ``threshold`` does not apply to them).

    Returns:
        The report dict (plus ``pixel_error`` and ``rand_error`` with ``isbi``).

    Example:
        Not run by the doctests: it needs a trained model and the ISBI 2012 data.
        >>> evaluate_model("runs/isbi/model.keras", "isbi2012_membrane/train", foreground=0, isbi=True)  # doctest: +SKIP
    """
    check_threshold(threshold, allow_none=False)  # before the prediction work
    model = load_model(model_path)
    num_classes = model.output_shape[-1]
    if isbi and num_classes > 2:
        raise bad_input("--isbi", f"a model with {num_classes} classes", "a membrane model (1 sigmoid or 2 softmax "
                        "classes)", "Leave out --isbi for a multi-class model.")
    data = load_dataset(data_path, "train", foreground=foreground, num_classes=num_classes if num_classes > 1 else None)
    probabilities = predict_probabilities(model, data.images, tta=tta, scale=trained_scale(model_path))
    if num_classes == 1:
        check_predictions(probabilities, threshold)
    masks = probabilities_to_masks(probabilities, threshold)
    report = segmentation_report(data.masks, masks, num_classes=num_classes)
    if isbi:  # membrane = 1 with foreground=0
        isbi_errors = isbi_report(data.masks, membrane_probability(probabilities), threshold=threshold, membrane=1)
        report.update(pixel_error=isbi_errors["pixel_error"], rand_error=isbi_errors["rand_error"])
    return report
