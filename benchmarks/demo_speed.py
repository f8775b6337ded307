"""The instructor's demo: which recipe is cheapest, and does the real command keep its budget?

Two tables:

* ``recipes``: candidate demo recipes (input size, images, width, depth, schedule,
  learning rate) trained in this process for a fixed number of epochs over several
  seeds. For each: training compute relative to the original 12-epoch demo (images ×
  pixels × epochs), training seconds, and the pooled IoU / Kaggle metric of the 120
  held-out 101×101 images (predictions resized back). Goal: IoU ≥ 0.85 at ≤ 1/8 compute.
* ``demo``: ``python -m sprint19_unet demo --no-show`` as a fresh process (start-up
  counted), wall time measured from outside, with the plan it made.

Usage:
    python benchmarks/demo_speed.py recipes [--seeds 0 1 2] [--only NAME ...]
    python benchmarks/demo_speed.py demo [--repeats 2] [--seconds 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_backends import processor  # noqa: E402  (the one place that reads the processor model)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# name → (DemoRecipe, other TrainConfig changes, images per epoch, epochs); 480 images = the whole training set.
# Every recipe is spelled out in full (size, depth, batch), so a row means the same whatever DEMO_RECIPE becomes.
DEPTH3 = {"depth": 3, "batch_size": 16}  # the issue-4 demo's network and batch


def _recipes() -> dict:
    from sprint19_unet.teaching.demo import DemoRecipe

    return {
        "issue 4 demo (128, depth 3, batch 16, 480×12)": (DemoRecipe(128, **DEPTH3), {"scale": 1.0}, 480, 12),
        "64, depth 3, batch 16, 480×6": (DemoRecipe(64, **DEPTH3), {}, 480, 6),
        "64, depth 3, batch 16, 240×12": (DemoRecipe(64, **DEPTH3), {}, 240, 12),
        "64, depth 3, batch 16, 160×18": (DemoRecipe(64, **DEPTH3), {}, 160, 18),
        "64, depth 3, batch 16, 480×6, lr 6e-3": (DemoRecipe(64, **DEPTH3), {"learning_rate": 6e-3}, 480, 6),
        "64, depth 3, batch 8, 480×6": (DemoRecipe(64, depth=3, batch_size=8), {}, 480, 6),
        "64, depth 3, batch 16, 480×6, base 16": (DemoRecipe(64, **DEPTH3, base_filters=16), {}, 480, 6),
        "64, depth 2, batch 16, 480×6": (DemoRecipe(64, depth=2, batch_size=16), {}, 480, 6),
        "64, depth 3, batch 16, 480×10": (DemoRecipe(64, **DEPTH3), {}, 480, 10),
        "48, depth 3, batch 16, 480×10": (DemoRecipe(48, **DEPTH3), {}, 480, 10),
        "32, depth 3, batch 16, 480×24": (DemoRecipe(32, **DEPTH3), {}, 480, 24),
        "64, depth 2, batch 8, 480×6 (DEMO_RECIPE)": (DemoRecipe(64, depth=2, batch_size=8), {}, 480, 6),
        "64, depth 3, batch 4, 480×6": (DemoRecipe(64, depth=3, batch_size=4), {}, 480, 6),
        "64, depth 3, batch 8, 960×3": (DemoRecipe(64, depth=3, batch_size=8), {}, 960, 3),
        "64, depth 3, batch 8, 480×4": (DemoRecipe(64, depth=3, batch_size=8), {}, 480, 4),
    }


def machine() -> str:
    return (f"{processor()}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}")


def recipes(seeds, only) -> int:
    import keras

    from sprint19_unet.data.datasets import load_dataset
    from sprint19_unet.teaching.demo import demo_compute
    from sprint19_unet.estimation.scoring import segmentation_report
    from sprint19_unet.estimation.predict import predict_probabilities
    from sprint19_unet.training.fit import split_indices, train

    print(f"# demo recipes — {datetime.date.today()} — {machine()}, Keras {keras.__version__} ({keras.backend.backend()})")
    print("| recipe | compute | train s (mean) | IoU mean | IoU min | TGS metric mean | IoU ≥ 0.85 every seed at ≤ 1/8 |")
    print("|---|---|---|---|---|---|---|")
    for name, (recipe, changes, samples, epochs) in _recipes().items():
        if only and not any(word in name for word in only):
            continue
        scores, seconds = [], []
        for seed in seeds:
            data = load_dataset("synthetic", num_samples=recipe.images, seed=seed)
            with tempfile.TemporaryDirectory() as out:
                config = recipe.config(**changes, seed=seed, epochs=epochs, tiles_per_epoch=samples,
                                             output_dir=os.path.join(out, "run"))
                start = time.perf_counter()
                model, _ = train(config, data=data, verbose=0)
                seconds.append(time.perf_counter() - start)
            val_index = split_indices(data, config.val_fraction, seed)[1]
            predictions = predict_probabilities(model, data.images[val_index], scale=config.scale) > 0.5
            scores.append(segmentation_report(data.masks[val_index], predictions.astype("uint8")))
            keras.backend.clear_session()
        ious = [score["iou"] for score in scores]
        compute = demo_compute(config, samples * epochs)
        ok = "yes" if min(ious) >= 0.85 and compute <= 1 / 8 + 1e-9 else "no"
        print(f"| {name} | {compute:.3f} | {statistics.mean(seconds):.1f} | {statistics.mean(ious):.3f} | "
              f"{min(ious):.3f} | {statistics.mean(s['tgs_score'] for s in scores):.3f} | {ok} |", flush=True)
    return 0


def demo(repeats: int, seconds: float, seed: int) -> int:
    print(f"# demo command — {datetime.date.today()} — {machine()}")
    print("| run | budget s | wall s (outside) | demo s (inside) | plan | epochs | compute | IoU | TGS metric |")
    print("|---|---|---|---|---|---|---|---|---|")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for run in range(1, repeats + 1):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "sprint19_unet", "demo", "--no-show", "--out", out, "--seed", str(seed),
                 "--seconds", str(seconds)],
                capture_output=True, text=True, env=env,
            )
            wall = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return 1
        lines = result.stdout.strip().splitlines()
        plan = next((line.split(": ", 1)[1].split(" (")[0] for line in lines if line.startswith("measured ")), "?")
        fields = dict(item.split("=") for item in lines[-1].split())
        print(f"| {run} | {seconds:.0f} | {wall:.1f} | {float(fields['seconds']):.1f} | {plan} | {fields['epochs']} | "
              f"{float(fields['compute']):.3f} | {float(fields['iou']):.3f} | {float(fields['tgs_score']):.3f} |", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recipe_parser = commands.add_parser("recipes", help="candidate recipes over seeds")
    recipe_parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    recipe_parser.add_argument("--only", nargs="*", default=[], help="run only recipes whose name contains one of these")
    demo_parser = commands.add_parser("demo", help="the real demo command, timed from outside")
    demo_parser.add_argument("--repeats", type=int, default=2)
    demo_parser.add_argument("--seconds", type=float, default=60.0)
    demo_parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.command == "recipes":
        return recipes(args.seeds, args.only)
    return demo(args.repeats, args.seconds, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
