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

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

EPOCHS = 6
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}


def _env(tmp_path) -> dict:
    """A killed run keeps its native log (by design); keep those in the test's folder, not in /tmp."""
    return {**ENV, "TMPDIR": str(tmp_path)}


def _command(run_dir, resume=False):
    return [
        sys.executable, "-m", "sprint19_unet", "train", "--data", "synthetic", "--num-samples", "48",
        "--base-filters", "4", "--depth", "2", "--batch-size", "8", "--epochs", str(EPOCHS),
        "--output-dir", str(run_dir), *(["--resume"] if resume else []),
    ]


def _modified_since(path, moment) -> bool:
    try:
        return path.stat().st_mtime >= moment
    except FileNotFoundError:
        return False


def _wait_and_kill(process, run_dir, mode, rng):
    """kill -9 the run at a moment of its own work, never during its start-up.

    'write': while this process writes a checkpoint (a temporary ``.epoch_*.keras`` it made),
    once a state exists. 'epoch': a random fraction of an epoch into the third epoch this
    process runs (the epoch's length measured between its first two saved states).
    """
    launched = time.time()
    resume_dir, state = run_dir / "resume", run_dir / "resume" / "state.json"
    saves, kill_at = [], None
    deadline = launched + 240
    while time.time() < deadline and process.poll() is None:
        if mode == "write":
            temporaries = resume_dir.glob(".epoch_*.keras") if resume_dir.is_dir() else ()
            if state.exists() and any(_modified_since(path, launched) for path in temporaries):
                break
        elif _modified_since(state, launched):
            saved = state.stat().st_mtime
            if not saves or saved != saves[-1]:
                saves.append(saved)
            if len(saves) == 2 and kill_at is None:
                kill_at = time.time() + rng.uniform(0.05, 0.95) * (saves[1] - saves[0])
            if kill_at is not None and time.time() >= kill_at:
                break
        time.sleep(0.003)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended by itself (exit code {process.returncode}) before the kill"


def _check_consistent(run_dir):
    state = json.loads((run_dir / "resume" / "state.json").read_text())
    keras.models.load_model(run_dir / "resume" / state["checkpoint"])
    keras.models.load_model(run_dir / "model.keras")
    with open(run_dir / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["epoch"]) for row in rows] == list(range(1, len(rows) + 1))
    assert len(rows) in (state["epoch"], state["epoch"] + 1)  # the state's epoch or the next one
    return state


@pytest.mark.parametrize("mode", ["write", "epoch"])
def test_kill_at_random_moments_then_resume(tmp_path, mode):
    run_dir = tmp_path / "run"
    killed_after = []
    rng = random.Random(f"{mode}-{tmp_path.name}")
    for _ in range(2):  # two kills in one run
        process = subprocess.Popen(
            _command(run_dir, resume=run_dir.exists()), env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_and_kill(process, run_dir, mode, rng)
        killed = _check_consistent(run_dir)
        killed_after.append(killed["epoch"])
    result = subprocess.run(_command(run_dir, resume=True), env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    final = json.loads((run_dir / "resume" / "state.json").read_text())
    assert [row["epoch"] for row in final["history"]] == list(range(1, EPOCHS + 1))
    assert final["history"][: killed["epoch"]] == killed["history"]  # the same history, continued
    with open(run_dir / "history.csv", newline="") as file:  # the history caught up with the state
        assert [int(row["epoch"]) for row in csv.DictReader(file)] == list(range(1, EPOCHS + 1))
    assert not [p for p in run_dir.rglob(".*") if p.is_file()], "temporary files left behind"
    assert killed_after[0] <= killed_after[1] < EPOCHS, killed_after  # both kills landed while training, not after it


def test_resumed_model_is_as_good_as_an_uninterrupted_one(tmp_path):
    straight = subprocess.run(_command(tmp_path / "straight"), env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert straight.returncode == 0, straight.stderr[-2000:]
    run_dir = tmp_path / "killed"
    process = subprocess.Popen(_command(run_dir), env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_and_kill(process, run_dir, "epoch", random.Random(0))
    resumed = subprocess.run(_command(run_dir, resume=True), env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    best = [json.loads((d / "resume" / "state.json").read_text())["best"] for d in (tmp_path / "straight", run_dir)]
    assert abs(best[0] - best[1]) < 0.05, best
