"""What each idea of the U-Net paper buys on ISBI 2012: one idea switched off per row, the same budget.

Runs ``benchmarks/isbi_quality.py`` once per row, one run at a time, each with the same
training budget (``--minutes``), seed and slices, and the protocol of that script: epoch and
threshold chosen on the validation slices (04, 10, 20, 22, 23), slices 25–29 scored once per
configuration, the challenge's errors (:func:`sprint19_unet.isbi_challenge_errors`).

Rows (:data:`ROWS`): all of the paper's ideas (Eq. 2 weighted loss, the paper's augmentation
with its elastic strain, valid padding with overlap-tile, 8-fold test-time averaging), then
each with one idea replaced: plain cross-entropy, no elastic deformation, 'same' padding,
no test-time averaging (the first row's model, predicted without it: no training of its own).

Prints a Markdown table, names the configuration with the lowest **validation** Rand error
(the pre-registered rule for the headline, RESULTS.md), and writes every figure to ``--json``
(default ``benchmarks/isbi_ablation.json``, which notebook 04 draws as a bar chart).

Usage:
    python benchmarks/isbi_ablation.py [--minutes 8] [--json benchmarks/isbi_ablation.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The network every row shares: depth 4, base 16, BatchNorm, Adam 1e-3, batch 8 (a CPU budget, not the paper's size).
ALL_IDEAS = ["--loss", "weighted_cce", "--augmentation", "paper", "--padding", "valid", "--input-size", "316"]
# (row, the idea switched off, isbi_quality.py arguments, which test-time averaging the row reports)
ROWS = (
    ("all the paper's ideas", "—", ALL_IDEAS, "dihedral"),
    ("plain cross-entropy", "Eq. 2 weights", [*ALL_IDEAS, "--loss", "bce"], "dihedral"),
    ("no elastic deformation", "elastic deformation", [*ALL_IDEAS, "--augmentation", "paper_rigid"], "dihedral"),
    ("same padding", "valid padding + overlap-tile", [*ALL_IDEAS, "--padding", "same", "--input-size", "128"], "dihedral"),
    ("no test-time averaging", "8-fold test-time averaging", None, "none"),  # the first row's model
)


def run_row(arguments: list[str], minutes: float, seed: int, out: Path) -> dict:
    """One training run of isbi_quality.py; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        figures = Path(folder) / "run.json"
        subprocess.run([sys.executable, str(HERE / "isbi_quality.py"), *arguments, "--minutes", str(minutes),
                        "--seed", str(seed), "--out", str(out), "--json", str(figures)], check=True)
        return json.loads(figures.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=8.0, help="training budget of every row (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=HERE / "isbi_ablation.json")
    parser.add_argument("--out", type=Path, default=Path("runs/isbi_ablation"))
    args = parser.parse_args(argv)

    runs, rows = [], []
    for name, idea, arguments, tta in ROWS:
        run = run_row([*arguments, "--tta", tta], args.minutes, args.seed, args.out) if arguments is not None else runs[0]
        if arguments is not None:
            runs.append(run)
        scores = run["scores"][tta]
        rows.append({"row": name, "switched_off": idea, "tta": tta, "epochs": run["epochs"],
                     "best_epoch": run["best_epoch"], "train_minutes": run["train_minutes"],
                     "configuration": run["configuration"], "threshold": scores["threshold"],
                     "validation": scores["validation"], "test": scores["test"]})
    if not runs or "scores" not in runs[0]:
        return 0
    first = runs[0]
    print(f"\n# What each idea buys — ISBI slices 25–29, {args.minutes:g} min of training per row, seed {args.seed} "
          f"— {first['date']}, {first['processor']}")
    print("| row | switched off | epochs (chosen) | validation Rand error | pixel error | Rand error "
          "| Rand error at the validation threshold |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['row']} | {row['switched_off']} | {row['epochs']} ({row['best_epoch']}) "
              f"| {row['validation']['rand_error']:.4f} | {row['test']['pixel_error']:.4f} "
              f"| {row['test']['rand_error']:.4f} | {row['test']['rand_error_at_threshold']:.4f} |")
    chosen = min(rows, key=lambda row: row["validation"]["rand_error"])
    print(f"\nlowest validation Rand error (the headline's configuration): {chosen['row']} "
          f"({chosen['configuration']}, tta {chosen['tta']})")
    args.json.write_text(json.dumps({"minutes": args.minutes, "seed": args.seed, "date": first["date"],
                                     "processor": first["processor"], "baseline": first["baseline"],
                                     "rows": rows, "headline_rule": chosen["row"]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
