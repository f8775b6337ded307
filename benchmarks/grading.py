"""How long does ``grade`` take per notebook, and do our own notebooks grade as they should? (issues 16, 22)

Copies the solution notebooks that hold an assignment (``notebooks/01…``, ``02…``)
and their exercise versions (``notebooks/exercises/``) into a temporary submissions
folder — as two students, ``solution`` and ``untouched`` — and runs
``python -m sprint19_unet grade`` on it, exactly as a teacher would (fast mode, one
kernel per notebook). Prints one row per notebook: exercises passed / total and
seconds, with the date and the processor, for ``benchmarks/RESULTS.md``. The
solutions must pass every exercise the grader judges (their written answers go to
review) and the untouched copies none; the exit status is 1 otherwise.

Usage:
    python benchmarks/grading.py                           # about 2 minutes on 2 slow cores
    python benchmarks/grading.py --jobs 2 --students 20    # a class: 20 students' notebooks (and one untouched)
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))

from cpu_backends import processor  # noqa: E402  (the one place that reads the processor model)
from sprint19_unet.cli import main as cli_main  # noqa: E402
from sprint19_unet.teaching.exercises import EXERCISES  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--students", type=int, default=1,
                        help="students who hand in the solution notebooks (default 1), besides one untouched copy")
    args = parser.parse_args(argv)
    exercise_dir = REPO_ROOT / "notebooks" / "exercises"
    names = sorted(path.name for path in exercise_dir.glob("*.ipynb"))
    solved = ["solution"] if args.students == 1 else [f"solution{n:02d}" for n in range(1, args.students + 1)]
    with tempfile.TemporaryDirectory(prefix="sprint19_grading_") as folder:
        submissions = Path(folder) / "submissions"
        for student, source in [*((name, REPO_ROOT / "notebooks") for name in solved), ("untouched", exercise_dir)]:
            (submissions / student).mkdir(parents=True)
            for name in names:
                shutil.copy(source / name, submissions / student / name)
        out = Path(folder) / "grades.csv"
        started = time.perf_counter()
        code = cli_main(["grade", str(submissions), "--out", str(out), "--jobs", str(args.jobs)])
        total = time.perf_counter() - started
        with open(out, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    if code != 0:
        return 1
    notebooks = len(solved + ["untouched"]) * len(names)
    print(f"\n{datetime.date.today()}, {processor()}, {os.cpu_count()} cores, --jobs {args.jobs}, {notebooks} notebooks, "
          f"total {total:.0f} s ({total / notebooks:.1f} s per notebook)\n")
    print("| notebook | passed | review | seconds |\n|---|---|---|---|")
    ok = True
    for student in [*solved, "untouched"]:
        for name in names:
            mine = [row for row in rows if row["notebook"] == f"{student}/{Path(name).stem}"]
            passed = sum(row["passed"] == "1" for row in mine)
            review = sum(row["passed"] == "" for row in mine)
            if student in (solved[0], "untouched"):
                print(f"| {student}/{name} | {passed}/{len(mine)} | {review} | {float(mine[0]['seconds']):.0f} |")
            written = sum(EXERCISES[row["exercise"]].kind == "text" for row in mine)
            ok &= (passed, review) == ((len(mine) - written, written) if student != "untouched" else (0, 0))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
