"""The run directory: best model, resume checkpoint, history, written so nothing is lost.

A run directory holds::

    config.json         the TrainConfig that made the run
    model.keras         the best model so far (by the monitored validation metric)
    history.csv         one row per completed epoch
    resume/state.json   what a resumed run needs: epochs done, history, callback counters,
                        and the name of the checkpoint below
    resume/epoch_NNNN.keras   the model after the last completed epoch, with optimizer state

Every file is written atomically (temporary file + ``os.replace``), and
``state.json`` is replaced only after the checkpoint it names is complete, so a
kill at any moment leaves a consistent pair: the previous epoch's or the new one's.
The best model is written after the state; when a kill falls between the two,
:meth:`RunDirectory.repair` restores it from the resume checkpoint (the state
records which epoch was best). Temporary files a kill left behind are removed
when the run resumes.

Example:
    >>> import tempfile
    >>> run = RunDirectory(tempfile.mkdtemp())
    >>> run.load_state() is None
    True
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keras

from sprint19_unet.atomic import TEMPORARY_TAG, atomic_path, missing_folders, read_json, remove_empty_folders, write_text_atomically
from sprint19_unet.errors import bad_input, is_integer

STATE_VERSION = 1
# The only checkpoint names a resume state may hold: a file of ours inside resume/.
CHECKPOINT_NAME = re.compile(r"epoch_\d{4,}\.keras")
# Temporary files of an interrupted atomic write (atomic_path: ".<stem>.sprint19-<8 random chars><suffix>"),
# per folder of a run; nothing else there is ever deleted.
_TEMPORARY = r"\.{stem}\." + re.escape(TEMPORARY_TAG) + r"[A-Za-z0-9_]{{8}}{suffix}"
RUN_TEMPORARIES = re.compile("|".join(
    _TEMPORARY.format(stem=stem, suffix=re.escape(suffix))
    for stem, suffix in (("model", ".keras"), ("config", ".json"), ("history", ".csv"))
))
RESUME_TEMPORARIES = re.compile("|".join((
    _TEMPORARY.format(stem="state", suffix=re.escape(".json")),
    _TEMPORARY.format(stem=r"epoch_\d{4,}", suffix=re.escape(".keras")),
)))


class RunDirectory:
    """Paths and atomic writers of one training run's folder.

    Args:
        path: the folder; created when first written to.

    Example:
        >>> RunDirectory("runs/demo").best_model_path.name
        'model.keras'
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise bad_input(
                f"output directory '{self.path}'", "a file", "a folder (or a path that does not exist yet)",
                "Choose another --output-dir.",
            )
        self.config_path = self.path / "config.json"
        self.best_model_path = self.path / "model.keras"
        self.history_path = self.path / "history.csv"
        self.resume_dir = self.path / "resume"
        self.state_path = self.resume_dir / "state.json"

    # === Writing ===

    def save_model(self, model: keras.Model, path: Path) -> None:
        """Save a model atomically (``.keras`` format, optimizer state included)."""
        with atomic_path(path) as temporary:
            model.save(temporary)

    def save_history(self, history: list[dict]) -> None:
        """Write ``history.csv`` (epoch, then the logged values) atomically."""
        columns = ["epoch"] + sorted({key for row in history for key in row if key != "epoch"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
        write_text_atomically(self.history_path, buffer.getvalue())

    def save_resume_point(self, model: keras.Model, state: dict) -> None:
        """Save the checkpoint of a completed epoch, then the state naming it.

        Args:
            model: the model after the epoch (with its optimizer).
            state: JSON-ready dict; must hold ``"epoch"`` (epochs completed).

        Returns:
            The checkpoint's file name in ``resume/``.
        """
        name = f"epoch_{state['epoch']:04d}.keras"
        self.save_model(model, self.resume_dir / name)
        previous = self.load_state()
        write_text_atomically(
            self.state_path, json.dumps({**state, "checkpoint": name, "version": STATE_VERSION}, indent=1)
        )
        if previous and previous["checkpoint"] != name:
            (self.resume_dir / previous["checkpoint"]).unlink(missing_ok=True)
        return name

    def remove_temporary_files(self) -> None:
        """Delete the temporary files an interrupted atomic write of ours left behind.

        Only names this class writes through :func:`~sprint19_unet.atomic.atomic_path`
        (``.model.sprint19-XXXXXXXX.keras``, ``.history.sprint19-XXXXXXXX.csv``,
        ``resume/.epoch_0003.sprint19-XXXXXXXX.keras``, …); a user's own hidden files
        (``.gitignore``, ``.env``, ``.model.backup01.keras``) are never touched.
        """
        for folder, ours in ((self.path, RUN_TEMPORARIES), (self.resume_dir, RESUME_TEMPORARIES)):
            for leftover in folder.glob(".*") if folder.is_dir() else ():
                if leftover.is_file() and ours.fullmatch(leftover.name):
                    leftover.unlink()

    def repair(self, state: dict | None) -> None:
        """Make the run directory consistent after a kill.

        Removes temporary files left by an interrupted atomic write, rewrites
        ``history.csv`` from the state (a kill between the history and the state
        leaves the history one epoch ahead, a user may have edited it), and restores
        ``model.keras`` from the resume checkpoint when the state says the last
        completed epoch was the best one (the kill may have come between writing
        the state and writing the best model).

        Args:
            state: the loaded resume state, or None when no epoch completed.
        """
        self.remove_temporary_files()
        if state is None:
            return
        self.save_history(state["history"])  # a kill between history and state leaves it one epoch ahead
        if state.get("best_epoch") == state["epoch"]:
            self.copy_to_best_model(state["checkpoint"])

    def copy_to_best_model(self, checkpoint: str) -> None:
        """Make the resume checkpoint ``checkpoint`` (a file name in ``resume/``) the best model, atomically.

        A byte copy: the checkpoint is the same ``model.save`` (optimizer state included),
        so the model is serialised once per epoch, not twice.
        """
        with atomic_path(self.best_model_path) as temporary:
            shutil.copyfile(self.resume_dir / checkpoint, temporary)

    @contextlib.contextmanager
    def undo_if_no_epoch_completes(self) -> Iterator[None]:
        """Leave the folder as it was found when a new run fails before its first epoch is saved.

        On any exception (bad settings found late, a full disk, Ctrl-C, NaN in epoch 1)
        while no resume state exists, the run's own files and folders that were not
        there before (``config.json``, ``model.keras``, ``history.csv``, ``resume/``,
        ``tensorboard/``) are removed, and the run folder and its parents when this
        run created them and they are empty again. Nothing else is touched. Once an
        epoch is saved, a failure keeps the run as it is: it can be resumed, so
        nothing is lost.

        Returns:
            A context manager around starting and fitting the model.
        """
        made = missing_folders(self.path)  # the run folder and any parent this run creates
        ours = (self.config_path, self.best_model_path, self.history_path, self.resume_dir, self.path / "tensorboard")
        new = [path for path in ours if not path.exists()]
        try:
            yield
        except BaseException:
            if not self.state_path.exists():
                for path in new:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    elif path.exists() or path.is_symlink():
                        path.unlink(missing_ok=True)
                remove_empty_folders(made)
            raise

    # === Reading ===

    def load_state(self) -> dict | None:
        """The resume state, or None when no epoch has completed yet.

        Raises:
            Sprint19Error: when the state file exists but cannot be read.
        """
        if not self.state_path.exists():
            return None
        fix = "The state was edited or damaged; delete the resume/ folder to start over."
        state = read_json(self.state_path, f"resume state '{self.state_path}'", "the JSON this package writes", fix)
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise bad_input(
                f"resume state '{self.state_path}'", "a file of another format", f"version {STATE_VERSION}", fix,
            )
        checkpoint, epoch, history = state.get("checkpoint"), state.get("epoch"), state.get("history")
        if not isinstance(checkpoint, str) or not CHECKPOINT_NAME.fullmatch(checkpoint):
            raise bad_input(
                f"resume state '{self.state_path}'", f"checkpoint {checkpoint!r}",
                "the name of a checkpoint inside resume/, such as 'epoch_0003.keras'", fix,
            )
        if not is_integer(epoch) or epoch < 1:
            raise bad_input(
                f"resume state '{self.state_path}'", f"epoch {epoch!r}", "the number of completed epochs (≥ 1)", fix,
            )
        if not isinstance(history, list) or [row.get("epoch") if isinstance(row, dict) else row
                                             for row in history] != list(range(1, epoch + 1)):
            raise bad_input(
                f"resume state '{self.state_path}'", "a history that does not list epochs 1 to 'epoch'",
                f"one history row per completed epoch (1 … {epoch})", fix,
            )
        return state

    def check_resumable(self, state: dict) -> None:
        """Check, before anything is touched, that the checkpoint a resume state names can be loaded.

        Args:
            state: a state from :meth:`load_state`.

        Raises:
            Sprint19Error: when the checkpoint is missing or is not a complete ``.keras`` archive
                (e.g. a copy cut short).
        """
        path = self.resume_dir / state["checkpoint"]
        fix = (f"Delete the resume/ folder to start over (the best model so far, '{self.best_model_path.name}', "
               "stays usable for predict), or restore the file from a backup.")
        if not path.is_file():
            raise bad_input(f"resume checkpoint '{path}'", "a missing file", "the checkpoint that resume/state.json names", fix)
        if not zipfile.is_zipfile(path):
            raise bad_input(
                f"resume checkpoint '{path}'", "a damaged file (not a complete .keras archive; truncated?)",
                "the checkpoint that resume/state.json names", fix,
            )

    def load_resume_model(self, state: dict) -> keras.Model:
        """Load the checkpoint named by a resume state (compiled, with optimizer state).

        Raises:
            Sprint19Error: when the checkpoint cannot be loaded.
        """
        self.check_resumable(state)
        path = self.resume_dir / state["checkpoint"]
        try:
            return keras.models.load_model(path)
        except Exception as error:  # Keras raises many types for a damaged archive
            raise bad_input(
                f"resume checkpoint '{path}'", f"a file Keras cannot load ({type(error).__name__}: {str(error)[:200]})",
                "the complete checkpoint this package wrote", "Delete the resume/ folder to start over.",
            ) from None


def _finite(logs: dict) -> bool:
    return all(math.isfinite(float(value)) for value in logs.values())


class RunCheckpoint(keras.callbacks.Callback):
    """After each epoch: best model, history and resume point, all atomic.

    Put it last in the callback list, so the callbacks whose counters it records
    (early stopping, learning-rate schedule) have already seen the epoch.
    An epoch whose logs hold NaN or Inf is not saved and stops training
    (``non_finite_epoch`` records it): the last good files stay.

    Args:
        run: the :class:`RunDirectory`.
        monitor: the log key that picks the best model, e.g. ``"val_tgs_score"``.
        mode: ``"max"`` or ``"min"``.
        history: rows of the epochs already completed (from a resumed state).
        best: the best monitored value so far (from a resumed state), or None.
        best_epoch: the epoch that reached ``best``, or None.
        resumable: callbacks with ``resume_state()`` / ``initial_state`` to record.

    Example:
        >>> import tempfile
        >>> callback = RunCheckpoint(RunDirectory(tempfile.mkdtemp()), "val_loss", "min")
        >>> callback.best is None
        True
    """

    def __init__(self, run: RunDirectory, monitor: str, mode: str, history=(), best=None, best_epoch=None, resumable=()):
        super().__init__()
        self.run = run
        self.monitor = monitor
        self.mode = mode
        self.history = [dict(row) for row in history]
        self.best = best
        self.best_epoch = best_epoch
        self.resumable = dict(resumable)
        self.non_finite_epoch = None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        return value > self.best if self.mode == "max" else value < self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = {key: float(value) for key, value in (logs or {}).items()}
        if not _finite(logs):
            self.non_finite_epoch = epoch + 1
            self.model.stop_training = True
            return
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.history.append({"epoch": epoch + 1, **logs})
        value = logs.get(self.monitor)
        improved = value is not None and self._improved(value)
        if improved:
            self.best, self.best_epoch = value, epoch + 1
        state = {
            "epoch": epoch + 1,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "monitor": self.monitor,
            "stopped_early": bool(self.model.stop_training),
            "history": self.history,
            "callbacks": {name: callback.resume_state() for name, callback in self.resumable.items()},
        }
        # history.csv first, the resume state last but one: a kill in between leaves the history
        # one epoch ahead of the state (the resume rewrites it), never behind it
        self.run.save_history(self.history)
        checkpoint = self.run.save_resume_point(self.model, state)
        if improved:
            self.run.copy_to_best_model(checkpoint)


class _ResumableMixin:
    """Counters of a Keras callback that survive a resume."""

    state_fields = ("wait", "best")

    def __init__(self, *args, initial_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial_state = initial_state or {}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        for name, value in self.initial_state.items():
            setattr(self, name, value)

    def resume_state(self) -> dict:
        values = {name: getattr(self, name) for name in self.state_fields}
        return {name: None if value is None else float(value) for name, value in values.items()}


class ResumableEarlyStopping(_ResumableMixin, keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` whose patience counter survives a resume."""


class ResumableReduceLROnPlateau(_ResumableMixin, keras.callbacks.ReduceLROnPlateau):
    """``keras.callbacks.ReduceLROnPlateau`` whose counters survive a resume."""

    state_fields = ("wait", "best", "cooldown_counter")
