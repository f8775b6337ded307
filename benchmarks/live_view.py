"""What the live view costs the demo: each drawing against the epoch it follows.

Runs the demo (``run_demo``, no window: the per-epoch PNGs, as on a machine without a screen or with
``--no-show``) and prints, per run, the epochs, the median seconds of an epoch (training steps and
validation), the median seconds of a drawing (prediction of the four images, the figure redrawn, the
PNG written) and the drawing's share of an epoch. Goal (issue 28): under 5 %. The first drawing also
builds the figure, so it is shown apart.

Usage:
    python benchmarks/live_view.py [--repeats 2] [--seconds 60]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_backends import processor  # noqa: E402  (the one place that reads the processor model)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    from sprint19_unet.teaching.demo import run_demo

    print(f"{datetime.date.today()}, {processor()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("| run | epochs | epoch s (median) | drawing s (median) | share of an epoch | first drawing s | IoU |")
    print("|---|---|---|---|---|---|---|")
    for run in range(1, args.repeats + 1):
        result = run_demo(Path(tempfile.mkdtemp()) / "demo", seed=0, seconds=args.seconds, show=False)
        epoch = statistics.median(result["epoch_seconds"])
        drawing = statistics.median(result["drawing_seconds"][1:] or result["drawing_seconds"])
        print(f"| {run} | {result['epochs']} | {epoch:.2f} | {drawing:.3f} | {drawing / epoch:.1%} | "
              f"{result['drawing_seconds'][0]:.2f} | {result['iou']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
