"""How long the instructor's demo takes, start-up included, and what it reaches.

Runs ``python -m sprint19_unet demo`` as a fresh process (so TensorFlow's import
counts), measures the wall time from outside, parses the demo's machine-readable
last line and prints a table. Target: validation IoU ≥ 0.85 in ≤ 60 s on a 2-core CPU.

Usage:
    python benchmarks/demo_speed.py [--repeats 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="demo runs (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="demo seed (default 0)")
    args = parser.parse_args()

    print(f"# demo speed — {datetime.date.today()} — {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("| run | wall s (outside) | demo s (inside) | IoU | TGS metric | IoU ≥ 0.85 in ≤ 60 s |")
    print("|---|---|---|---|---|---|")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    for run in range(1, args.repeats + 1):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "sprint19_unet", "demo", "--out", out, "--seed", str(args.seed)],
                capture_output=True, text=True, env=env,
            )
            wall = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return 1
        fields = dict(item.split("=") for item in result.stdout.strip().splitlines()[-1].split())
        iou, score = float(fields["iou"]), float(fields["tgs_score"])
        ok = "yes" if iou >= 0.85 and wall <= 60 else "no"
        print(f"| {run} | {wall:.1f} | {float(fields['seconds']):.1f} | {iou:.3f} | {score:.3f} | {ok} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
