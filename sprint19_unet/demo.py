"""The one-minute demo an instructor runs live: synthetic salt data → U-Net → predictions.

``python -m sprint19_unet demo`` generates TGS-like images (nothing is
downloaded), trains a small U-Net on a CPU, predicts held-out images, prints IoU
and the Kaggle TGS metric, and saves a figure of images, true masks and
predictions. Same seed, same machine → same numbers.

Example:
    >>> result = run_demo("demo_output")  # doctest: +SKIP
    >>> sorted(result)                    # doctest: +SKIP
    ['figure', 'iou', 'seconds', 'tgs_score', 'threshold']
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from sprint19_unet.atomic import atomic_path
from sprint19_unet.config import TrainConfig
from sprint19_unet.evaluate import segmentation_report
from sprint19_unet.plots import plot_predictions
from sprint19_unet.predict import predict_probabilities
from sprint19_unet.datasets import load_dataset
from sprint19_unet.training import split_indices, train

# Settings measured to reach validation IoU ≥ 0.85 in under a minute on 2 CPU cores
# (benchmarks/demo_speed.py; numbers in benchmarks/RESULTS.md).
DEMO_CONFIG = TrainConfig(
    data="synthetic",
    num_samples=600,  # 480 to train, 120 held out
    input_size=128,  # 101 → 128, reflect padding
    base_filters=8,  # a small U-Net: 120,681 parameters
    depth=3,
    batch_norm=False,  # with so few epochs, BatchNorm's batch statistics made validation jumpy
    standardize=True,
    loss="bce_dice",
    learning_rate=3e-3,
    lr_schedule="cosine",
    batch_size=16,
    epochs=12,
    augment=False,  # 12 epochs are too few for augmentation to pay off
    early_stopping_patience=0,
    reduce_lr_patience=0,
)


def run_demo(out_dir="demo_output", seed: int = 0, epochs: int | None = None, log=None, started: float | None = None):
    """Train and evaluate the demo model; save ``demo_predictions.png`` in ``out_dir``.

    Args:
        out_dir: folder for the figure and the training run (``out_dir/run`` is
            replaced on every demo).
        seed: one seed for data, split, weights and batches.
        epochs: override the number of epochs (default: ``DEMO_CONFIG.epochs``).
        log: called with progress lines (e.g. ``print``); None for silence.
        started: ``time.perf_counter()`` at program start, to count start-up in ``seconds``.

    Returns:
        ``{"iou", "tgs_score", "threshold", "seconds", "figure"}``: pooled
        validation IoU and Kaggle score at threshold 0.5, wall seconds, figure path.
    """
    started = time.perf_counter() if started is None else started
    log = log or (lambda line: None)
    out_dir = Path(out_dir)
    run_dir = out_dir / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    config = DEMO_CONFIG.replace(seed=seed, output_dir=str(run_dir), epochs=epochs or DEMO_CONFIG.epochs)

    data = load_dataset(config.data, num_samples=config.num_samples, seed=config.seed)
    images, masks = data.images, data.masks
    log(f"generated {len(images)} synthetic 101×101 salt images ({np.mean(masks.max(axis=(1, 2, 3)) == 0):.0%} empty)")
    log(f"training a U-Net (base {config.base_filters}, depth {config.depth}) for {config.epochs} epochs on 80 %")
    model, _ = train(config, data=data, verbose=2)

    val_index = split_indices(data, config.val_fraction, config.seed)[1]
    probabilities = predict_probabilities(model, images[val_index])
    predictions = (probabilities > 0.5).astype("uint8")
    report = segmentation_report(masks[val_index], predictions)
    seconds = time.perf_counter() - started

    with_salt = [i for i in range(len(val_index)) if masks[val_index[i]].any()][:4]
    figure = plot_predictions(images[val_index][with_salt], masks[val_index][with_salt], predictions[with_salt])
    figure_path = out_dir / "demo_predictions.png"
    with atomic_path(figure_path) as temporary:
        figure.savefig(temporary, dpi=80)
    log(f"held-out images: IoU {report['iou']:.3f}, Kaggle TGS metric {report['tgs_score']:.3f}")
    log(f"figure: {figure_path}")
    return {
        "iou": report["iou"],
        "tgs_score": report["tgs_score"],
        "threshold": 0.5,
        "seconds": seconds,
        "figure": str(figure_path),
    }
