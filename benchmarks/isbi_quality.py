"""The paper's first experiment: ISBI 2012 EM membranes, trained and scored at native resolution.

Trains a U-Net on slices 00–24 of ``../shared/data/isbi2012_membrane/train`` (membrane =
the dark class, ``foreground=0``) on random tiles of the full 512×512 slices; a
validation split of those 25 slices picks the best epoch and the probability threshold;
slices 25–29, which nothing else sees, are predicted whole with overlap-tile at the same
scale and scored as the challenge scored them (:func:`sprint19_unet.isbi_challenge_errors`:
pixel error = 1 − the maximal F-score of pixel similarity, Rand error = 1 − the maximal
foreground-restricted Rand F-score, each the best of the challenge's 11 thresholds, the protocol
of the paper's Table 1), and at the threshold the validation slices chose (by the Rand error).
Prints a table next to the predict-all-cell baseline and the paper's Table 1 row, and one line
for ``benchmarks/RESULTS.md``.

Training stops after ``--minutes`` of wall time (the epoch in progress finishes).

Usage:
    python benchmarks/isbi_quality.py [--minutes 30] [--input-size 128] [--base-filters 16]
        [--depth 4] [--padding same] [--loss bce_dice] [--augmentation paper] [--tta [dihedral]] [--out runs/isbi]
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import sprint19_unet as s19  # noqa: E402
from cpu_backends import processor  # noqa: E402  (the one place that reads the processor model)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "isbi2012_membrane"
TRAIN_SLICES, TEST_SLICES = slice(0, 25), slice(25, 30)
PAPER = {"pixel_error": 0.0611, "rand_error": 0.0382}  # Table 1, u-net, on the challenge's test stack


class StopAfter(keras.callbacks.Callback):
    """Stop training at the end of the first epoch that ends past a wall-clock budget."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.started, self.epochs = seconds, time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        if time.perf_counter() - self.started > self.seconds:
            self.model.stop_training = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the isbi2012_membrane folder")
    parser.add_argument("--minutes", type=float, default=30.0, help="training wall-time budget (default 30)")
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--padding", default="same")
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--reduce-lr-patience", type=int, default=10, help="epochs without a better val_iou before halving")
    parser.add_argument("--loss", default="bce_dice", help="bce_dice, bce or weighted_cce (Eq. 2, border_class=1)")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--no-batch-norm", action="store_true")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--tiles-per-epoch", type=int, default=None, help="default: cover each training slice once")
    parser.add_argument("--tta", nargs="?", const="flip", default="none", choices=s19.TTA_MODES,
                        help="test-time augmentation: flip, or dihedral (the 8 rotations and mirror images)")
    parser.add_argument("--augmentation", default="default", choices=("default", "paper"),
                        help="default (TGS) or paper (both flips, quarter turns, no zoom, the paper's elastic strain)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/isbi"), help="run directory (replaced)")
    args = parser.parse_args()

    if not (args.data / "train" / "images").is_dir():
        print(f"isbi_quality: no ISBI 2012 data at {args.data} (see ../shared/data/README.md); skipped.")
        return 0
    started = time.perf_counter()
    data = s19.load_dataset(args.data / "train", foreground=0)  # 1 = membrane, the positive class
    pool = s19.SegmentationData(data.ids[TRAIN_SLICES], data.images[TRAIN_SLICES], data.masks[TRAIN_SLICES])
    test = s19.SegmentationData(data.ids[TEST_SLICES], data.images[TEST_SLICES], data.masks[TEST_SLICES])
    config = s19.TrainConfig(
        data=str(args.data / "train"), foreground=0, input_size=args.input_size, padding=args.padding,
        base_filters=args.base_filters, depth=args.depth, batch_norm=not args.no_batch_norm, dropout=args.dropout,
        loss=args.loss, border_class=1 if args.loss == "weighted_cce" else 0, learning_rate=args.learning_rate,
        batch_size=args.batch_size, epochs=10_000, augment=not args.no_augment, augmentation=args.augmentation, tiles_per_epoch=args.tiles_per_epoch,
        monitor="val_iou", early_stopping_patience=0, reduce_lr_patience=args.reduce_lr_patience, seed=args.seed,
        output_dir=str(args.out),
    )
    if args.out.exists():
        shutil.rmtree(args.out)
    budget = StopAfter(60 * args.minutes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s19.AllBlackWarning)  # val_tgs_score is not this task's metric
        model, history = s19.train(config, data=pool, callbacks=[budget], verbose=2)
    train_seconds = time.perf_counter() - budget.started

    # the threshold that minimises the Rand error on the validation slices, predicted whole
    val_index = s19.split_indices(pool, config.val_fraction, config.seed)[1]
    # P(membrane): the sigmoid, or the softmax's class 1 (weighted_cce)
    val_probabilities = s19.predict_probabilities(model, pool.images[val_index], tta=args.tta)[..., -1:]
    threshold, val_error, _ = s19.tune_threshold(pool.masks[val_index], val_probabilities, metric="isbi_rand_error")

    probabilities = s19.predict_probabilities(model, test.images, tta=args.tta)[..., -1:]
    ours = s19.isbi_report(test.masks, probabilities, threshold=threshold)  # challenge errors + at `threshold`
    baseline = s19.isbi_report(test.masks, np.zeros(test.masks.shape, "float32"), threshold=threshold)
    total = time.perf_counter() - started

    date, cpu = datetime.date.today().isoformat(), processor()
    print(f"\n# ISBI 2012 membranes — {date} — {cpu}, {os.cpu_count()} CPUs, keras {keras.__version__} "
          f"({keras.backend.backend()})")
    print(f"train slices {pool.ids[0]}–{pool.ids[-1]} ({len(pool) - len(val_index)} train, "
          f"{len(val_index)} validation: {', '.join(pool.ids[i] for i in val_index)}); test slices "
          f"{test.ids[0]}–{test.ids[-1]}; {len(history['epoch'])} epochs of {len(pool) - len(val_index)} slices' "
          f"tiles, {train_seconds / 60:.1f} min training, {total / 60:.1f} min in all; threshold {threshold} "
          f"(validation Rand error {val_error:.4f})")
    print(f"model: input {args.input_size}, {args.padding}, base {args.base_filters}, depth {args.depth}, "
          f"{model.count_params():,} parameters, loss {args.loss}, tta {args.tta}")
    print("| on slices 25–29 | pixel error | Rand error | at threshold {threshold}: Rand error | misclassified "
          "| membrane IoU |".format(threshold=threshold))
    print("|---|---|---|---|---|---|")
    for name, row in (("ours", ours), ("predict all cell", baseline)):
        print(f"| {name} | {row['pixel_error']:.4f} | {row['rand_error']:.4f} | {row['rand_error_at_threshold']:.4f} "
              f"| {row['misclassified_fraction']:.4f} | {row['iou']:.4f} |")
    print(f"| paper, Table 1 (challenge test stack) | {PAPER['pixel_error']} | {PAPER['rand_error']} | — | — | — |")
    print(f"\nRESULTS.md: {date}, {cpu}: challenge errors (slices 25–29, {configuration(args)}): pixel error "
          f"{ours['pixel_error']:.4f}, Rand error {ours['rand_error']:.4f}, after {train_seconds / 60:.1f} min training")
    print(f"at the validation-chosen threshold {threshold}: Rand error {ours['rand_error_at_threshold']:.4f}, "
          f"misclassified fraction {ours['misclassified_fraction']:.4f}")
    return 0


def configuration(args) -> str:
    """The run's configuration in a few words, for the RESULTS.md line."""
    return (f"input {args.input_size} {args.padding}, base {args.base_filters}, depth {args.depth}, loss {args.loss}"
            f", augmentation {args.augmentation}, tta {args.tta}, {args.minutes:g} min")


if __name__ == "__main__":
    sys.exit(main())
