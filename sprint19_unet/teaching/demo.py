"""The one-minute demo an instructor runs live: synthetic salt data → U-Net → predictions.

``python -m sprint19_unet demo`` generates TGS-like images (nothing is
downloaded), trains a small U-Net on a CPU for a wall-clock budget (``--seconds``,
default 60, start-up included), predicts held-out images, prints IoU and the Kaggle
TGS metric, and saves a figure of images, true masks and predictions.

The budget holds on a fast workstation and on a laptop ten times slower alike:
the demo measures how fast this machine trains the model
(:func:`~sprint19_unet.training.time_budget.measure_training_speed`), plans images per epoch
and epochs to fit (:func:`~sprint19_unet.training.time_budget.plan_training`; the cosine
learning-rate schedule spans exactly the planned steps) and stops at the deadline
whatever happens (:class:`~sprint19_unet.training.time_budget.StopAtDeadline`). After each
epoch a few validation images are redrawn with their predictions: in a window when
there is a screen, else as PNGs in the output folder.

The recipe (:data:`DEMO_RECIPE`; its configuration :data:`DEMO_CONFIG`) is the cheapest measured to
reach validation IoU ≥ 0.85 (``benchmarks/demo_speed.py``, ``benchmarks/RESULTS.md``). A fixed
``epochs`` skips the speed measurement: same seed, same machine → same numbers.

Example:
    Not run by the doctests: it trains for a minute and may open a window.
    >>> result = run_demo("demo_output", seconds=60)  # doctest: +SKIP
    >>> sorted(result)                                 # doctest: +SKIP
    ['compute', 'epochs', 'figure', 'iou', 'plan', 'seconds', 'stopped', 'tgs_score', 'threshold']
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import time
from pathlib import Path

import numpy as np

from sprint19_unet.atomic import TEMPORARY_TAG, atomic_path
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.data.datasets import load_dataset
from sprint19_unet.errors import bad_input, is_integer, is_real
from sprint19_unet.estimation.scoring import segmentation_report
from sprint19_unet.teaching.learning_view import plot_learning
from sprint19_unet.teaching.live import FigureFiles, FigureWindow, LivePredictions, display_available, figure_png
from sprint19_unet.estimation.predict import predict_probabilities
from sprint19_unet.training.time_budget import StopAtDeadline, TrainingPlan, measure_training_speed, plan_training
from sprint19_unet.training.fit import build_and_compile, split_data, split_indices, train

@dataclasses.dataclass(frozen=True)
class DemoRecipe:
    """The demo's recipe in one object: the model's image size, the network and the batch.

    Everything else of the demo's :class:`~sprint19_unet.training.config.TrainConfig` follows from it
    (:meth:`config`): ``scale`` is ``image_size / 101``, so changing the size is one number.

    Args:
        image_size: the side the 101×101 images are resized to for the model (one tile).
        depth: poolings of the U-Net.
        base_filters: filters of the first block.
        batch_size: images per step.
        images: synthetic images generated (80 % train, 20 % held out).

    Example:
        >>> DemoRecipe(image_size=48).config().scale == 48 / 101, DEMO_RECIPE.config().input_size
        (True, 64)
    """

    image_size: int = 64  # 101 → 64 pixels: a quarter of the pixels of a 128 tile
    depth: int = 2  # two poolings suffice for 64×64 blobs, and train faster than three
    base_filters: int = 8  # a small U-Net: 29,321 parameters
    batch_size: int = 8  # more, smaller steps: better than 16 at the same compute
    images: int = 600  # 480 to train, 120 held out

    def config(self, **changes) -> TrainConfig:
        """The demo's training configuration for this recipe, with ``changes`` applied."""
        return TrainConfig(
            data="synthetic", num_samples=self.images, scale=self.image_size / SOURCE_SIZE,
            input_size=self.image_size, base_filters=self.base_filters, depth=self.depth,
            batch_norm=False,  # with so few epochs, BatchNorm's batch statistics made validation jumpy
            standardize=True, loss="bce_dice", learning_rate=3e-3,
            lr_schedule="cosine",  # over the planned steps
            batch_size=self.batch_size,
            epochs=10,  # preferred number of epochs (live redraws); the plan fits the images per epoch
            augment=False,  # too few epochs for augmentation to pay off
            early_stopping_patience=0, reduce_lr_patience=0,
        ).replace(**changes)


SOURCE_SIZE = 101  # the synthetic (TGS-like) images' side
# The recipe: measured over seeds in benchmarks/demo_speed.py (numbers in benchmarks/RESULTS.md).
DEMO_RECIPE = DemoRecipe()
DEMO_CONFIG = DEMO_RECIPE.config()
DEMO_SECONDS = 60.0
MAX_EPOCHS = 30  # however fast the machine
MIN_EPOCHS = 3  # fewer only when even the smallest epochs do not fit
MIN_SAMPLES_PER_EPOCH = 64
# Besides the steps: checkpoint (0.2 s), live view (0.04 s; the first 0.3–0.7 s), margin (validation: per machine).
SECONDS_PER_EPOCH = 1.0
RESERVE_SECONDS = 1.0  # the last validation and checkpoint after the deadline step
PREVIEW_IMAGES = 4
# The original (issue 4) demo's compute, the yardstick of `compute`: 480 images × 128² pixels × 12 epochs.
REFERENCE_COMPUTE = 480 * 128 * 128 * 12


def demo_compute(config: TrainConfig, samples: int) -> float:
    """Training compute as a fraction of the original demo's (images × pixels, summed over epochs).

    Args:
        config: gives the model's input size.
        samples: training images seen in all (images per epoch × epochs).

    Returns:
        ``samples × input_size² / (480 × 128² × 12)``.

    Example:
        >>> demo_compute(DEMO_CONFIG, 480 * 6)
        0.125
    """
    return samples * config.input_size**2 / REFERENCE_COMPUTE


def _check_seconds(seconds) -> float:
    if not is_real(seconds) or not seconds > 0:
        raise bad_input("seconds", repr(seconds), "a number of seconds > 0 (start-up included)",
                        "Use e.g. --seconds 60.")
    return float(seconds)


def _plan_demo(
    config: TrainConfig, train_images: int, val_images: int, deadline: float, log
) -> tuple[TrainingPlan, float]:
    """Measure this machine's speed on the demo model and plan the epochs that fit before ``deadline``.

    Returns:
        ``(plan, warm_up)``: the plan and the seconds the first step took (tracing).
    """
    probe = build_and_compile(config, 1, (0.5, 0.2))  # a throwaway copy: measuring changes its weights
    images_per_second, warm_up = measure_training_speed(probe, config.batch_size)
    left = deadline - time.perf_counter() - warm_up - RESERVE_SECONDS  # train() warms its own model up again
    plan = plan_training(
        left, images_per_second, epochs=config.epochs, min_epochs=MIN_EPOCHS, max_epochs=MAX_EPOCHS,
        min_samples=MIN_SAMPLES_PER_EPOCH, max_samples=train_images, batch_size=config.batch_size,
        seconds_per_epoch=SECONDS_PER_EPOCH + val_images / (3 * images_per_second),  # a forward pass ≈ ⅓ step
    )
    log(f"{plan.describe()} (warm-up {warm_up:.1f} s)")
    return plan, warm_up


# What a previous demo left in its output folder, and may therefore be replaced: the run's own files,
# and the per-epoch figures of FigureFiles. A folder holding anything else is not ours to delete.
_DEMO_LEFTOVERS = {
    "run": re.compile(r"config\.json|model\.keras|history\.csv|resume|tensorboard|"
                      rf"\.(model|config|history)\.{TEMPORARY_TAG}\w{{8}}\.\w+"),
    "epochs": re.compile(rf"epoch_\d{{2,}}\.png|\.epoch_\d{{2,}}\.{TEMPORARY_TAG}\w{{8}}\.png"),
}


def _remove_previous_demo(out_dir: Path) -> None:
    """Delete ``out_dir/run`` and ``out_dir/epochs`` of a previous demo; refuse folders that hold anything else."""
    for name, ours in _DEMO_LEFTOVERS.items():
        folder = out_dir / name
        if not folder.exists():
            continue
        if not folder.is_dir():
            received = "a file"
        else:
            foreign = sorted(entry.name for entry in folder.iterdir() if not ours.fullmatch(entry.name))
            received = f"a folder that also holds {foreign[:3]}" if foreign else None
        if received:
            raise bad_input(
                f"demo output '{folder}'", received,
                "nothing, or what a previous demo wrote there (it is replaced)",
                "Choose another --out folder for the demo.",
            )
        shutil.rmtree(folder)


def _save_final_figure(path: Path, history: dict, images, masks, probabilities, planned: int, title: str) -> Path:
    """The live view's figure for the first held-out images with salt, at the end of training, as a PNG."""
    shown = [index for index in range(len(masks)) if masks[index].any()][:PREVIEW_IMAGES]
    figure = plot_learning(history, images[shown], masks[shown], probabilities[shown], planned_epochs=planned,
                           title=title)
    with atomic_path(path) as temporary:
        temporary.write_bytes(figure_png(figure))
    return path


def run_demo(
    out_dir="demo_output",
    seed: int = 0,
    seconds: float = DEMO_SECONDS,
    epochs: int | None = None,
    show: bool | None = None,
    log=None,
    started: float | None = None,
):
    """Train and evaluate the demo model within ``seconds``; save ``demo_predictions.png`` in ``out_dir``.

    Args:
        out_dir: folder for the figure, the per-epoch figures (without a window) and
            the training run (``out_dir/run`` and ``out_dir/epochs`` are replaced).
        seed: one seed for data, split, weights and batches.
        seconds: wall-clock budget for everything up to the end of training, counted
            from ``started``; prediction and the figure come after (a few seconds).
        epochs: a fixed number of epochs over all 480 training images instead of a
            plan (no speed measurement: reproducible); the budget still stops it.
        show: True = a window redrawn after each epoch, False = per-epoch PNGs in
            ``out_dir/epochs``; None = a window when there is a screen.
        log: called with progress lines (e.g. ``print``); None for silence.
        started: ``time.perf_counter()`` at program start, so start-up counts.

    Returns:
        ``{"iou", "tgs_score", "threshold", "seconds", "figure", "epochs", "plan",
        "stopped", "compute", "drawing_seconds", "epoch_seconds"}``: pooled IoU and Kaggle score of the 120 held-out
        images at threshold 0.5, wall seconds since ``started``, the figure path,
        epochs trained, the :class:`~sprint19_unet.training.time_budget.TrainingPlan`, why
        training stopped early (None, "between epochs" or "within an epoch"),
        the training compute relative to the original 12-epoch demo, what each
        drawing of the live view cost and what each epoch took before it (seconds).

    Raises:
        Sprint19Error: for a non-positive ``seconds`` or ``epochs``.
    """
    started = time.perf_counter() if started is None else started
    deadline = started + _check_seconds(seconds)
    log = log or (lambda line: None)
    if epochs is not None and (not is_integer(epochs) or epochs < 1):
        raise bad_input("epochs", repr(epochs), "an integer ≥ 1 (or None to plan by time)", "Use e.g. --epochs 6.")
    out_dir = Path(out_dir)
    config = DEMO_CONFIG.replace(seed=seed, output_dir=str(out_dir / "run"))
    _remove_previous_demo(out_dir)  # only after every argument passed

    data = load_dataset(config.data, num_samples=config.num_samples, seed=config.seed)
    images, masks = data.images, data.masks
    train_index, val_index = split_indices(data, config.val_fraction, config.seed)
    log(f"generated {len(images)} synthetic 101×101 salt images ({np.mean(masks.max(axis=(1, 2, 3)) == 0):.0%} empty); "
        f"the model sees them at {config.input_size}×{config.input_size}")
    warm_up = 0.0
    if epochs is None:
        plan, warm_up = _plan_demo(config, len(train_index), len(val_index), deadline, log)
    else:
        plan = TrainingPlan(len(train_index), epochs, math.nan, math.nan)
    config = config.replace(epochs=plan.epochs, tiles_per_epoch=plan.samples_per_epoch)

    window = FigureWindow() if (display_available() if show is None else show) else None
    display = window or FigureFiles(out_dir / "epochs")
    x_val, y_val = split_data(config, data)[2:4]
    with_salt = np.flatnonzero(y_val.max(axis=(1, 2, 3)) > 0)[:PREVIEW_IMAGES]
    stop = StopAtDeadline(deadline - RESERVE_SECONDS, warm_up)  # the epoch's validation and checkpoint still fit
    log(f"training a U-Net (base {config.base_filters}, depth {config.depth}): {plan.epochs} epochs of "
        f"{plan.samples_per_epoch} images, until {deadline - started:.0f} s at the latest")
    live = LivePredictions(x_val[with_salt], y_val[with_salt], display=display)
    model, history = train(config, data=data, verbose=2, callbacks=[live, stop])
    trained = len(history.get("epoch", []))
    if stop.stopped:
        log(f"stopped {stop.stopped} at the deadline after {trained} of {plan.epochs} epochs")

    probabilities = predict_probabilities(model, images[val_index], scale=config.scale)
    predictions = (probabilities > 0.5).astype("uint8")
    report = segmentation_report(masks[val_index], predictions)
    seconds_taken = time.perf_counter() - started

    figure_path = _save_final_figure(out_dir / "demo_predictions.png", history, images[val_index], masks[val_index],
                                     probabilities, plan.epochs, f"held-out images after {trained} epochs "
                                     f"(all {len(val_index)}: IoU {report['iou']:.3f}) — yellow = salt")
    if window is None:
        log(f"per-epoch figures: {display.folder}")
    if live.seconds:
        drawing, epoch = np.median(live.seconds), np.median(live.epoch_seconds)
        log(f"live view: {drawing * 1000:.0f} ms per drawing, {drawing / epoch:.1%} of an epoch (medians)")
    log(f"held-out images: IoU {report['iou']:.3f}, Kaggle TGS metric {report['tgs_score']:.3f}")
    log(f"figure: {figure_path}")
    return {
        "iou": report["iou"],
        "tgs_score": report["tgs_score"],
        "threshold": 0.5,
        "seconds": seconds_taken,
        "figure": str(figure_path),
        "epochs": trained,
        "plan": plan,
        "stopped": stop.stopped,
        "compute": demo_compute(config, trained * plan.samples_per_epoch),  # a stopped epoch counts whole
        "drawing_seconds": live.seconds,
        "epoch_seconds": live.epoch_seconds,
    }
