"""A grading room: one submission's notebook, run in a process of its own, with everything it starts.

The grader starts one room per notebook (:func:`command`) and sends it a job as JSON on standard
input; the room copies the submission's folder into a private one, runs the cells in an IPython
kernel under time and memory limits, asks the kernel for the answers on the grader's inputs, kills
every process below it and writes its result as JSON (the steps: :func:`run_room`).

It judges nothing: the expected answers are not in the job. The room is also made non-dumpable,
so that other processes of the user cannot open the pipe its result goes back through.

Example:
    Not run by the doctests: it starts a kernel (tests/teaching/test_grading.py runs rooms through ``grade``).

    >>> result = run_room(job)  # doctest: +SKIP
    >>> result["status"], sorted(result["answers"])  # doctest: +SKIP
    ('finished', ['copy_and_crop', 'valid_output_size'])
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

import sprint19_unet.teaching.grading.processes as processes
from sprint19_unet.teaching.grading.in_kernel import ask_code
from sprint19_unet.teaching.grading.kernel import DIED, ERROR, OK, STUCK, Kernel, KernelStartError
from sprint19_unet.teaching.plain_data import MAX_JSON_CHARS

FINISHED, TIMED_OUT_STATUS, KERNEL_DIED, OVER_LIMIT, FAILED = (
    "finished", "timed out", "kernel died", "over a limit", "could not run")
COPY_LIMIT_BYTES = 512 * 2**20  # what a room copies of a submission's folder
STARTUP_SECONDS = 120.0  # the longest wait for a kernel to start (within the notebook's limit)
IMPORT_SECONDS = 60.0  # for the grader's questions: importing the package in a kernel that never did
MAX_PROCESSES = 256


def questions_seconds(calls: int, limit: float) -> float:
    """The longest an exercise's questions may take in a kernel: the import, then each call's limit.

    Example:
        >>> questions_seconds(6, 10.0)
        131.0
    """
    return IMPORT_SECONDS + calls * (limit + 1.0) + 5.0


def folder_files(folder: Path, limit: int = COPY_LIMIT_BYTES):
    """The files a room may copy from a submission's folder: regular files only (no links, nothing in hidden
    folders such as ``.ipynb_checkpoints``), in walking order, until ``limit`` bytes.

    Args:
        folder: the submission's folder.
        limit: the most bytes, all files together.

    Yields:
        ``(relative path with /, path)`` of each file.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("a"); (folder / "link").symlink_to(folder / "a.txt")
        >>> [relative for relative, _ in folder_files(folder)]
        ['a.txt']
    """
    used = 0
    for parent, subfolders, files in os.walk(folder, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders
                               if not name.startswith(".") and not os.path.islink(os.path.join(parent, name)))
        for name in sorted(files):
            path = Path(parent, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or used + info.st_size > limit:
                continue
            used += info.st_size
            yield path.relative_to(folder).as_posix(), path


def file_digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as the manifest of a submission's folder keeps it."""
    return hashlib.sha256(data).hexdigest()


def copy_folder(source: Path, target: Path, manifest: dict) -> None:
    """Copy the files of a submission's folder that are as they were when grading started.

    A file another notebook added or changed since (a ``numpy.py`` planted to break a later kernel) is
    left out: only paths in ``manifest`` whose bytes still have its digest are copied.

    Args:
        source: the submission's folder.
        target: the room's working folder (created).
        manifest: relative path → :func:`file_digest`, read when grading started.

    """
    target.mkdir(parents=True, exist_ok=True)
    for relative, path in folder_files(source):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if manifest.get(relative) == file_digest(data):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)


def _kernel_environment(job: dict, room: Path) -> dict:
    env = {key: value for key, value in job["env"].items() if isinstance(key, str) and isinstance(value, str)}
    for name, variable in (("tmp", "TMPDIR"), ("ipython", "IPYTHONDIR"), ("runtime", "JUPYTER_RUNTIME_DIR")):
        (room / name).mkdir()
        env[variable] = str(room / name)
    return env


def _harvest(kernel: Kernel, folder: Path, exercises: list) -> dict:
    """Ask the kernel every exercise's questions; exercise → ``{"status", "text"}``."""
    answers, stopped = {}, ""
    for item in exercises:
        name = item["name"]
        if stopped:
            answers[name] = {"status": stopped}
            continue
        (folder / f"{name}.ask.json").write_text(json.dumps({"limit": item["limit"], "calls": item["calls"]}),
                                                 encoding="utf-8")
        budget = questions_seconds(len(item["calls"]), item["limit"])
        status = kernel.ask(ask_code(str(folder), name), time.monotonic() + budget)
        result = folder / f"{name}.answers.json"
        if status in (STUCK, DIED):
            stopped = status
        if status == OK and result.is_file() and result.stat().st_size <= MAX_JSON_CHARS:
            answers[name] = {"status": OK, "text": result.read_text(encoding="utf-8", errors="replace")}
        else:
            answers[name] = {"status": status if status != OK else ERROR}
    return answers


class _Notebook:
    """The notebook's cells run one by one in the room's kernel, each under its own limit and the notebook's."""

    def __init__(self, kernel: Kernel, job: dict, deadline: float) -> None:
        self.kernel, self.cells, self.deadline = kernel, job["cells"], deadline
        self.cell_timeout = float(job.get("cell_timeout") or job["timeout"])
        self.keep_outputs = bool(job.get("keep_outputs"))
        self.ran, self.completed, self.first_error = [], [], ""
        self.status, self.stopped_at, self.last = FINISHED, None, OK

    def _limit(self) -> float:
        return min(self.deadline, time.monotonic() + self.cell_timeout)

    def _note(self, text: str) -> None:
        self.first_error = self.first_error or text

    def run(self) -> None:
        """Run every code cell; a cell past its limit is interrupted (the kernel restarted if it does not stop)."""
        for index, cell in enumerate(self.cells):
            if cell.get("cell_type") != "code" or not str(cell.get("source", "")).strip():
                continue
            if time.monotonic() >= self.deadline:
                self.status, self.stopped_at = TIMED_OUT_STATUS, index + 1
                return
            run = self.kernel.run_cell(str(cell["source"]), self._limit())
            self.last = run.status
            if self.keep_outputs:
                self.ran.append({"index": index, "execution_count": run.execution_count, "outputs": run.outputs})
            if run.status in (OK, ERROR):
                self.completed.append(index)
                if run.status == ERROR:
                    self._note(f"cell {index + 1}: {run.error}")
                continue
            if run.status == DIED:
                self.status, self.stopped_at = KERNEL_DIED, index + 1
                return
            past_notebook = time.monotonic() >= self.deadline
            self._note(f"cell {index + 1}: ran past its {self.cell_timeout:g} s and was interrupted"
                       + (", but did not stop" if run.status == STUCK else ""))
            if past_notebook:
                self.status, self.stopped_at = TIMED_OUT_STATUS, index + 1
                return
            if run.status == STUCK:
                self._restart(index)

    def _restart(self, stuck: int) -> None:
        """A fresh kernel, the cells that had finished run again (outputs not kept), then on from the next cell."""
        old = self.kernel
        old.stop()
        processes.kill_all(lambda: processes.descendants(os.getpid()))
        self.kernel = Kernel(old.room, old.work, old.env)
        self.kernel.output_budget = old.output_budget
        self.kernel.start(min(self.deadline, time.monotonic() + STARTUP_SECONDS))
        for index in self.completed:
            if self.kernel.run_cell(str(self.cells[index]["source"]), self._limit()).status not in (OK, ERROR):
                break
        self.last = OK


def run_room(job: dict) -> dict:
    """Run one submission's notebook in a room and ask it for its answers.

    The room

    1. makes a private temporary folder and copies the submission's own folder into it (never the
       submissions folder; links and hidden folders are not copied, nor any file added or changed since
       grading started), and gives the kernel its own
       ``TMPDIR``, ``IPYTHONDIR`` and Jupyter runtime folder there — so nothing of another student's
       is at hand by a relative path, and a startup script or a temporary file a notebook leaves
       behind reaches no later kernel;
    2. makes itself a child subreaper and watches the memory and the number of every process below it
       (:class:`~sprint19_unet.teaching.grading.processes.Watch`);
    3. runs the notebook's code cells in an IPython kernel (:class:`~sprint19_unet.teaching.grading.kernel.Kernel`):
       a cell error does not stop the notebook; a cell past its own limit is interrupted and the next cells
       still run — and when the interrupt does not stop it (a loop that swallows ``KeyboardInterrupt``), the
       kernel is restarted, the cells that had finished run again, and the notebook goes on from the next
       cell; at the notebook's time limit the remaining cells are not run;
    4. if the kernel still answers, asks it for each exercise's answers on the grader's grade-time inputs
       (:mod:`sprint19_unet.teaching.grading.in_kernel`, a time limit per call);
    5. kills every process below it — those that left their session or their parent too — removes
       its folder, and writes its result as JSON to standard output.

    Args:
        job: ``cells`` (``cell_type`` and ``source`` of each cell), ``folder`` (the submission's own folder
            to copy, or None) and its ``manifest`` (:func:`copy_folder`), ``timeout`` (seconds for the
            cells), ``cell_timeout`` (seconds for one cell), ``memory_bytes``, ``env`` (the kernel's
            environment), ``exercises`` (each ``name``, ``limit`` and ``calls``), ``keep_outputs``.

    Returns:
        ``status``, ``reason``, ``seconds``, ``stopped_at``, ``first_error``, ``cells`` (outputs, when
        kept), ``answers`` (exercise → ``status`` and the answers' JSON ``text``), ``peak_bytes`` (the largest
        resident memory of the room's processes seen).
    """
    started = time.monotonic()
    room = Path(tempfile.mkdtemp(prefix="sprint19-room-"))
    watch = processes.Watch(int(job["memory_bytes"]), MAX_PROCESSES)
    kernel = None
    result = {"status": FAILED, "reason": "", "stopped_at": None, "first_error": "", "cells": [], "answers": {}}
    try:
        work, asked = room / "work", room / "grader"
        if job.get("folder"):
            copy_folder(Path(job["folder"]), work, job["manifest"])
        work.mkdir(exist_ok=True)
        asked.mkdir()
        kernel = Kernel(room, work, _kernel_environment(job, room))
        watch.start()
        deadline = started + float(job["timeout"])
        try:
            kernel.start(min(deadline, started + STARTUP_SECONDS))
        except KernelStartError as error:
            result["reason"] = f"could not run: {error}"
            return result
        notebook = _Notebook(kernel, job, deadline)
        try:
            notebook.run()
        finally:
            kernel = notebook.kernel  # a restarted kernel is the one to ask, and to stop
        result.update(status=notebook.status, stopped_at=notebook.stopped_at, first_error=notebook.first_error,
                      cells=notebook.ran)
        if notebook.last == STUCK:  # it did not stop when interrupted: no question would be answered
            result["answers"] = {item["name"]: {"status": STUCK} for item in job["exercises"]}
        elif kernel.alive():
            result["answers"] = _harvest(kernel, asked, job["exercises"])
        if watch.reason:
            result["status"], result["reason"] = OVER_LIMIT, f"stopped: {watch.reason}"
        elif result["status"] == KERNEL_DIED:
            last = kernel.telling_line()
            result["reason"] = f"the kernel died at cell {result['stopped_at']}" + (f": {last}" if last else "")
        elif result["status"] == TIMED_OUT_STATUS:
            result["reason"] = f"timed out after {float(job['timeout']):g} s at cell {result['stopped_at']}"
        return result
    finally:
        _STOP["cleaning"] = True  # from here a SIGTERM waits for the clean-up (see _stop)
        watch.stop()
        if kernel is not None:
            kernel.stop()
        processes.kill_all(lambda: processes.descendants(os.getpid()))
        processes.reap(processes.children(os.getpid()))
        shutil.rmtree(room, ignore_errors=True)
        result["seconds"] = round(time.monotonic() - started, 2)
        result["peak_bytes"] = watch.peak_bytes


_BOOTSTRAP = """
import sys, types
for name, path in {packages!r}:
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
from sprint19_unet.teaching.grading.room import main
raise SystemExit(main())
"""


def command() -> list[str]:
    """The command that starts a room: this Python, importing the room without the package's ``__init__`` files.

    ``import sprint19_unet`` loads TensorFlow (4 s); a room needs only ``jupyter_client`` and NumPy. The
    command registers the three parent packages as bare namespaces first, so that the room's
    modules load alone (about 0.3 s). The kernels it starts import the package as usual.

    Example:
        >>> command()[:2] == [sys.executable, "-c"]
        True
    """
    here = Path(__file__).resolve().parent
    packages = [("sprint19_unet", str(here.parents[1])), ("sprint19_unet.teaching", str(here.parent)),
                ("sprint19_unet.teaching.grading", str(here))]
    return [sys.executable, "-c", _BOOTSTRAP.format(packages=packages)]


# SIGTERM (the grader's, or the parent-death signal when the grader dies) ends the room through its
# clean-up; one that arrives while the clean-up runs must not cut it short, or the kernel it was about to
# kill lives on. The room records it and exits with its code after the clean-up.
_STOP = {"cleaning": False, "code": 0}


def _stop(signum, frame):
    _STOP["code"] = 128 + signum
    if not _STOP["cleaning"]:
        raise SystemExit(128 + signum)


def main() -> int:
    """Read a job from standard input, run it, write the result to standard output (the grader's call)."""
    signal.signal(signal.SIGTERM, _stop)
    processes.set_parent_death_signal(signal.SIGTERM)
    job = json.loads(sys.stdin.read())
    with processes.subreaper(), processes.not_dumpable():
        result = run_room(job)
    if _STOP["code"]:  # stopped while cleaning up: the grader asked this room to end, it reports nothing
        return _STOP["code"]
    sys.stdout.write(json.dumps(result, allow_nan=True, default=str))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
