"""The paper's first experiment: ISBI 2012 EM membranes, trained and scored at native resolution.

Trains a U-Net on slices 00–24 of ``../shared/data/isbi2012_membrane/train`` (membrane =
the dark class, ``foreground=0``) on random tiles of the full 512×512 slices. The protocol
(issue 25) chooses everything on the validation slices alone — the 5 of 00–24 that ``train``
holds out (04, 10, 20, 22, 23): the epoch (``--monitor val_rand_f``: the challenge's Rand
F-score of the validation slices predicted whole, after every epoch) and the threshold (the
lowest validation Rand error, :func:`sprint19_unet.tune_threshold`). Slices 25–29, which
nothing else sees, are then predicted whole with overlap-tile, once without and once with
8-fold test-time averaging, and scored as the challenge scored them
(:func:`sprint19_unet.isbi_challenge_errors`: pixel error = 1 − the maximal F-score of pixel
similarity, Rand error = 1 − the maximal foreground-restricted Rand F-score, each the best of
the challenge's 11 thresholds, the protocol of the paper's Table 1), and at the threshold the
validation slices chose. Prints a table next to the predict-all-cell baseline and the
paper's Table 1 row, and one line for ``benchmarks/RESULTS.md``; ``--json`` also writes the
figures (``benchmarks/isbi_ablation.py`` runs one configuration per row this way).

Training stops after ``--minutes`` of wall time (the epoch in progress finishes).
``--paper-size`` sets the paper's network and training (572 tiles, valid padding, base 64,
no BatchNorm, dropout 0.5, Eq. 2 weights, SGD with momentum 0.99, batch 1, 8 augmenting threads);
``--time-steps N`` only times N training steps of the configured network and works out
how long the run would take (from the measured seconds per step and the FLOP count).

Usage:
    python benchmarks/isbi_quality.py [--minutes 30] [--input-size 128] [--base-filters 16]
        [--depth 4] [--padding same] [--loss bce_dice] [--augmentation paper] [--tta dihedral]
        [--paper-size] [--time-steps 5] [--json FILE] [--out runs/isbi]
"""

from __future__ import annotations

import argparse
import datetime
import json
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
from sprint19_unet.data.augment import AUGMENTATIONS  # noqa: E402
from sprint19_unet.estimation.whole_validation import membrane_probability  # noqa: E402
from sprint19_unet.training.fit import monitored_metric  # noqa: E402
from sprint19_unet.unet.flops import model_forward_flops, training_step_flops  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "isbi2012_membrane"
TRAIN_SLICES, TEST_SLICES = slice(0, 25), slice(25, 30)
PAPER = {"pixel_error": 0.0611, "rand_error": 0.0382}  # Table 1, u-net, on the challenge's test stack
# The paper's network and training (Section 3 and 4): 572×572 tiles, valid convolutions, 64 filters
# first, no BatchNorm, dropout at the end of the contracting path, Eq. 2 weights (w0 = 10, sigma = 5),
# SGD with momentum 0.99 and one tile per batch. The learning rate is not in the paper; 8 threads augment
# the 572-pixel tiles (one core augments about 25 a second, RESULTS.md), for a GPU machine's 16 cores.
PAPER_SIZE = {"input_size": 572, "padding": "valid", "base_filters": 64, "depth": 4, "no_batch_norm": True,
              "dropout": 0.5, "loss": "weighted_cce", "optimizer": "sgd", "learning_rate": 1e-2, "batch_size": 1,
              "augmentation": "paper", "tta": "dihedral", "workers": 8}


class StopAfter(keras.callbacks.Callback):
    """Stop training at the end of the first epoch that ends past a wall-clock budget."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.started, self.epochs = seconds, time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        if time.perf_counter() - self.started > self.seconds:
            self.model.stop_training = True


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the isbi2012_membrane folder")
    parser.add_argument("--minutes", type=float, default=30.0, help="training wall-time budget (default 30)")
    parser.add_argument("--epochs", type=int, default=10_000, help="at most this many epochs (default: the budget decides)")
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--padding", default="same")
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--optimizer", default="adam", choices=("adam", "sgd", "adamw"))
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--reduce-lr-patience", type=int, default=10, help="epochs without a better monitor before halving")
    parser.add_argument("--loss", default="bce_dice", help="bce_dice, bce or weighted_cce (Eq. 2, border_class=1)")
    parser.add_argument("--monitor", default="val_rand_f", help="what picks the epoch (default: the validation Rand F-score)")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--no-batch-norm", action="store_true")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--tiles-per-epoch", type=int, default=None, help="default: cover each training slice once")
    parser.add_argument("--tta", default="none", choices=s19.TTA_MODES,
                        help="the configuration's test-time augmentation (both none and dihedral are reported)")
    parser.add_argument("--augmentation", default="default", choices=AUGMENTATIONS,
                        help="default (TGS), paper (both flips, quarter turns, no zoom, the paper's elastic strain) "
                             "or paper_rigid (paper without the elastic deformation)")
    parser.add_argument("--paper-size", action="store_true", help="the paper's network and training (see above)")
    parser.add_argument("--time-steps", type=int, default=0, help="only time this many training steps, then work out the run's time")
    parser.add_argument("--gpu-tflops", type=float, default=None,
                        help="with --time-steps: a GPU's achieved TFLOP/s (measured by gpu_throughput.py) to work out its time")
    parser.add_argument("--workers", type=int, default=1, help="threads augmenting batches (a GPU machine: 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--out", type=Path, default=Path("runs/isbi"), help="run directory (replaced)")
    args = parser.parse_args(argv)
    if args.paper_size:
        for name, value in PAPER_SIZE.items():
            setattr(args, name, value)
    return args


def train_config(args) -> s19.TrainConfig:
    return s19.TrainConfig(
        data=str(args.data / "train"), foreground=0, input_size=args.input_size, padding=args.padding,
        base_filters=args.base_filters, depth=args.depth, batch_norm=not args.no_batch_norm, dropout=args.dropout,
        loss=args.loss, border_class=1 if args.loss == "weighted_cce" else 0, optimizer=args.optimizer,
        learning_rate=args.learning_rate, batch_size=args.batch_size, epochs=args.epochs, augment=not args.no_augment,
        augmentation=args.augmentation, tiles_per_epoch=args.tiles_per_epoch, monitor=args.monitor,
        early_stopping_patience=0, reduce_lr_patience=args.reduce_lr_patience, seed=args.seed,
        workers=args.workers, output_dir=str(args.out),
    )


def time_steps(args, config: s19.TrainConfig) -> int:
    """Time ``args.time_steps`` training steps of the configured network; work out the whole run's time."""
    model = s19.build_and_compile(config, channels=1, steps_per_epoch=args.time_steps)
    classes = model.output_shape[-1]
    out = model.output_shape[1]
    rng = np.random.default_rng(0)
    x = rng.random((config.batch_size, config.input_size, config.input_size, 1), dtype="float32")
    y = (rng.random((config.batch_size, out, out, 1)) > 0.5).astype("float32")
    weights = np.ones((config.batch_size, out, out), "float32") if config.loss == "weighted_cce" else None
    model.train_on_batch(x, y, sample_weight=weights)  # traced / compiled: not timed
    seconds = []
    for _ in range(args.time_steps):
        started = time.perf_counter()
        float(model.train_on_batch(x, y, sample_weight=weights, return_dict=True)["loss"])
        seconds.append(time.perf_counter() - started)
    per_step = float(np.median(seconds))
    flops = training_step_flops(model_forward_flops(model), config.batch_size)
    steps = args.epochs * (args.tiles_per_epoch or 20 * 16) // config.batch_size
    print(f"\n# {configuration(args)} — {datetime.date.today().isoformat()} — {processor()}, {os.cpu_count()} CPUs, "
          f"keras {keras.__version__} ({keras.backend.backend()})")
    print(f"{model.count_params():,} parameters, {classes} output classes, output {out}×{out}; "
          f"{flops / 1e9:.1f} GFLOP per training step (3 × forward × batch {config.batch_size})")
    print(f"measured: median {per_step:.2f} s per step over {args.time_steps} steps → {flops / per_step / 1e9:.1f} GFLOP/s here")
    print(f"the run: {args.epochs} epochs × {steps // args.epochs} steps = {steps:,} steps → "
          f"{steps * per_step / 3600:.1f} h at this machine's rate")
    if args.gpu_tflops:
        print(f"at {args.gpu_tflops:g} TFLOP/s achieved on a GPU: {steps * flops / (args.gpu_tflops * 1e12) / 60:.1f} min "
              "of training steps (validation and test-time averaging not included)")
    return 0


def score(model, pool, val_index, test, tta: str) -> dict:
    """Threshold chosen on the validation slices; the test slices scored once, the challenge's way."""
    val_probabilities = membrane_probability(s19.predict_probabilities(model, pool.images[val_index], tta=tta))
    threshold, _, _ = s19.tune_threshold(pool.masks[val_index], val_probabilities, metric="isbi_rand_error")
    validation = s19.isbi_report(pool.masks[val_index], val_probabilities, threshold=threshold)
    probabilities = membrane_probability(s19.predict_probabilities(model, test.images, tta=tta))
    ours = s19.isbi_report(test.masks, probabilities, threshold=threshold)  # challenge errors + at `threshold`
    keep = ("pixel_error", "rand_error", "rand_error_at_threshold", "misclassified_fraction", "iou")
    return {"threshold": threshold, "validation": {key: validation[key] for key in keep},
            "test": {key: ours[key] for key in keep}}


def main(argv=None) -> int:
    args = parse_args(argv)
    config = train_config(args)
    if args.time_steps:
        return time_steps(args, config)
    if not (args.data / "train" / "images").is_dir():
        print(f"isbi_quality: no ISBI 2012 data at {args.data} (see ../shared/data/README.md); skipped.")
        return 0
    started = time.perf_counter()
    data = s19.load_dataset(args.data / "train", foreground=0)  # 1 = membrane, the positive class
    pool = s19.SegmentationData(data.ids[TRAIN_SLICES], data.images[TRAIN_SLICES], data.masks[TRAIN_SLICES])
    test = s19.SegmentationData(data.ids[TEST_SLICES], data.images[TEST_SLICES], data.masks[TEST_SLICES])
    if args.out.exists():
        shutil.rmtree(args.out)
    budget = StopAfter(60 * args.minutes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s19.AllBlackWarning)  # val_tgs_score is not this task's metric
        model, history = s19.train(config, data=pool, callbacks=[budget], verbose=2)
    train_seconds = time.perf_counter() - budget.started
    monitor, mode = monitored_metric(config)
    values = history[monitor]
    best_epoch = int(np.nanargmax(values) if mode == "max" else np.nanargmin(values)) + 1

    val_index = s19.split_indices(pool, config.val_fraction, config.seed)[1]
    scores = {tta: score(model, pool, val_index, test, tta) for tta in ("none", "dihedral")}
    baseline = s19.isbi_report(test.masks, np.zeros(test.masks.shape, "float32"))
    total = time.perf_counter() - started

    date, cpu = datetime.date.today().isoformat(), processor()
    print(f"\n# ISBI 2012 membranes — {date} — {cpu}, {os.cpu_count()} CPUs, keras {keras.__version__} "
          f"({keras.backend.backend()})")
    print(f"train slices {pool.ids[0]}–{pool.ids[-1]} ({len(pool) - len(val_index)} train, "
          f"{len(val_index)} validation: {', '.join(pool.ids[i] for i in val_index)}); test slices "
          f"{test.ids[0]}–{test.ids[-1]}; {len(history['epoch'])} epochs, {train_seconds / 60:.1f} min training, "
          f"{total / 60:.1f} min in all; epoch {best_epoch} chosen by {monitor} ({values[best_epoch - 1]:.4f})")
    print(f"model: {configuration(args)}, {model.count_params():,} parameters")
    print("| slices | test-time averaging | threshold (validation) | pixel error | Rand error | Rand error at the "
          "threshold | misclassified at the threshold |")
    print("|---|---|---|---|---|---|---|")
    for tta, row in scores.items():
        for split in ("validation", "test"):
            figures = row[split]
            print(f"| {split} | {tta} | {row['threshold']} | {figures['pixel_error']:.4f} | {figures['rand_error']:.4f} "
                  f"| {figures['rand_error_at_threshold']:.4f} | {figures['misclassified_fraction']:.4f} |")
    print(f"| test, predict all cell | — | — | {baseline['pixel_error']:.4f} | {baseline['rand_error']:.4f} | — | — |")
    print(f"| paper, Table 1 (challenge test stack) | — | — | {PAPER['pixel_error']} | {PAPER['rand_error']} | — | — |")
    ours = scores[args.tta if args.tta in scores else "none"]
    print(f"\nRESULTS.md: {date}, {cpu}: challenge errors (slices 25–29, {configuration(args)}): pixel error "
          f"{ours['test']['pixel_error']:.4f}, Rand error {ours['test']['rand_error']:.4f}")
    print(f"at the validation-chosen threshold {ours['threshold']}: Rand error {ours['test']['rand_error_at_threshold']:.4f}, "
          f"misclassified fraction {ours['test']['misclassified_fraction']:.4f}; {train_seconds / 60:.1f} min training")
    if args.json:
        args.json.write_text(json.dumps({
            "date": date, "processor": cpu, "configuration": configuration(args), "epochs": len(history["epoch"]),
            "best_epoch": best_epoch, "monitor": monitor, "train_minutes": train_seconds / 60,
            "history": {key: history[key] for key in ("epoch", "loss", "val_iou", monitor) if key in history},
            "scores": scores, "baseline": {key: baseline[key] for key in ("pixel_error", "rand_error")},
        }, indent=1, default=float))
    return 0


def configuration(args) -> str:
    """The run's configuration in a few words, for the RESULTS.md line."""
    return (f"input {args.input_size} {args.padding}, base {args.base_filters}, depth {args.depth}, loss {args.loss}"
            f", augmentation {'none' if args.no_augment else args.augmentation}, tta {args.tta}, {args.minutes:g} min")


if __name__ == "__main__":
    sys.exit(main())
