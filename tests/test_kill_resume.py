"""Nothing lost: kill -9 a training run at random moments, mid-epoch and mid-write, then resume.

After every kill, each file in the run directory is a complete version (the
previous epoch's or the new one's) and the state names a loadable checkpoint;
``--resume`` continues from the last completed epoch, and the finished model is
as good as an uninterrupted run's.
"""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time

import keras
import pytest

import sprint19_unet  # noqa: F401  (registers the custom losses and metrics the checkpoints use)

EPOCHS = 6
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}


def _command(run_dir, resume=False):
    return [
        sys.executable, "-m", "sprint19_unet", "train", "--data", "synthetic", "--num-samples", "48",
        "--base-filters", "4", "--depth", "2", "--batch-size", "8", "--epochs", str(EPOCHS),
        "--output-dir", str(run_dir), *(["--resume"] if resume else []),
    ]


def _wait_and_kill(process, run_dir, mode, delay):
    """Kill when a checkpoint write starts (mode 'write') or after a random delay into training."""
    deadline = time.time() + 240
    started = None
    while time.time() < deadline and process.poll() is None:
        resume_dir = run_dir / "resume"
        writing = resume_dir.is_dir() and any(p.name.startswith(".") for p in resume_dir.iterdir())
        if mode == "write" and writing and (resume_dir / "state.json").exists():
            break  # a later epoch's temporary checkpoint exists: that write is in progress
        if mode == "epoch" and (run_dir / "resume" / "state.json").exists():
            started = started or time.time()
            if time.time() - started > delay:
                break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _check_consistent(run_dir):
    state = json.loads((run_dir / "resume" / "state.json").read_text())
    keras.models.load_model(run_dir / "resume" / state["checkpoint"])
    keras.models.load_model(run_dir / "model.keras")
    with open(run_dir / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["epoch"]) for row in rows] == list(range(1, len(rows) + 1))
    assert len(rows) in (state["epoch"], state["epoch"] + 1)  # the state's epoch or the next one
    return state


@pytest.mark.parametrize("mode", ["write", "epoch", "epoch"])
def test_kill_at_random_moments_then_resume(tmp_path, mode):
    run_dir = tmp_path / "run"
    killed_after = []
    rng = random.Random(f"{mode}-{tmp_path.name}")
    for _ in range(2):  # two kills in one run
        process = subprocess.Popen(
            _command(run_dir, resume=run_dir.exists()), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_and_kill(process, run_dir, mode, delay=rng.uniform(0.2, 2.5))
        if not (run_dir / "resume" / "state.json").exists():
            continue  # killed before the first epoch completed: nothing to check yet
        killed_after.append(_check_consistent(run_dir)["epoch"])
    result = subprocess.run(_command(run_dir, resume=True), env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    final = json.loads((run_dir / "resume" / "state.json").read_text())
    assert [row["epoch"] for row in final["history"]] == list(range(1, EPOCHS + 1))
    assert not [p for p in run_dir.rglob(".*") if p.is_file()], "temporary files left behind"
    assert killed_after, "no kill landed after an epoch; the test did not exercise resume"


def test_resumed_model_is_as_good_as_an_uninterrupted_one(tmp_path):
    straight = subprocess.run(_command(tmp_path / "straight"), env=ENV, capture_output=True, text=True, timeout=300)
    assert straight.returncode == 0, straight.stderr[-2000:]
    run_dir = tmp_path / "killed"
    process = subprocess.Popen(_command(run_dir), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_and_kill(process, run_dir, "epoch", delay=1.0)
    resumed = subprocess.run(_command(run_dir, resume=True), env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    best = [json.loads((d / "resume" / "state.json").read_text())["best"] for d in (tmp_path / "straight", run_dir)]
    assert abs(best[0] - best[1]) < 0.05, best
