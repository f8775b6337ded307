"""Grade a batch: every notebook in a room of its own, every answer judged here, every row written at once.

:func:`grade_submissions` is ``python -m sprint19_unet grade``. In order:

1. find the submissions (:mod:`.submissions`) and read every notebook into memory — before any
   student code runs;
2. draw the grade-time cases and compute their expected answers (:mod:`.judge`), and fingerprint
   the installed package's files;
3. become a child subreaper and non-dumpable (:mod:`.processes`) for the rest of the batch;
4. run each notebook in a grading room (:mod:`.room`, a process of its own), ``jobs`` at a time;
   a room that runs past its time is killed, and so is every process it leaves behind;
5. judge each room's answers here and write the CSV again with the notebook's rows (:mod:`.report`);
6. after each notebook, stop the batch if the package's files changed (a notebook rewrote the
   grader): the rows so far stay, and the error says after which notebook.

Example:
    Not run by the doctests: it runs notebooks (tests/teaching/test_grading.py does).

    >>> grades = grade_submissions("submissions", out="grades.csv", jobs=2, log=print)  # doctest: +SKIP
    >>> print(grades.summary())                                                          # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import re
import subprocess
import threading
import warnings
from pathlib import Path
from typing import Callable

import sprint19_unet
from sprint19_unet import atomic
from sprint19_unet.outputs import overlap
from sprint19_unet.errors import bad_input, check_int, is_real, one_line
from sprint19_unet.teaching.exercises.registry import ASSIGNMENTS, EXERCISES
import sprint19_unet.teaching.grading.processes as processes
from sprint19_unet.teaching.grading.judge import BatchCases, Verdict, draw_cases, judge, questions
from sprint19_unet.teaching.grading.report import NOTEBOOK_ROW, CsvWriter, GradeRow, Grades, NotebookRun, printable
from sprint19_unet.teaching.grading.room import command as room_command
from sprint19_unet.teaching.grading.room import questions_seconds
from sprint19_unet.teaching.grading.submissions import Snapshot, assignment_of, find_submissions, read_submission

# The slowest machine we plan for runs a Problem 1 notebook in fast mode in a few minutes; 20 minutes leaves room
# without letting a notebook that loops forever hold the batch for long.
DEFAULT_TIMEOUT = 1200.0
# One cell: an endless loop in one exercise must leave time for the others (a fast-mode training takes well under it).
DEFAULT_CELL_TIMEOUT = 300.0
# Two rooms at once (--jobs 2) on the 24 GiB, 2-core machine: 2 × 8 GiB, and 8 GiB left for the grader and the system.
DEFAULT_MEMORY = "8G"
FAST_VARIABLE = "SPRINT19_FAST"
_ROOM_MARGIN = 60.0  # seconds a room gets past its notebook's limit and its questions' limits before it is killed
_UNITS = {"": 2**30, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_memory(value) -> int:
    """A memory size in bytes: ``"8G"``, ``"8GiB"``, ``"512M"`` or a number of GiB.

    Args:
        value: the size.

    Returns:
        Bytes.

    Raises:
        Sprint19Error: for anything else, or less than 256 MiB.

    Example:
        >>> parse_memory("8G") == 8 * 2**30, parse_memory("512MiB") == 2**29, parse_memory(1.5) == 3 * 2**29
        (True, True, True)
    """
    fix = "Pass e.g. --memory 8G (per notebook: the resident memory of its kernel and every process it starts)."
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(value).lower())
    if isinstance(value, bool) or match is None:
        raise bad_input("memory", repr(value), "a size such as 8G, 512M or a number of GiB", fix)
    size = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(size) or size < 2**28:
        raise bad_input("memory", repr(value), "at least 256M", fix)
    return int(size)


def _check_tools() -> None:
    """Refuse early, once, when notebooks cannot run here at all."""
    try:
        import ipykernel  # noqa: F401
        import jupyter_client  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as error:
        raise bad_input("grading", f"no module {error.name!r}", "ipykernel, jupyter_client and nbformat installed",
                        "Install the grade extra: pip install \"sprint19-unet[grade]\" (in a checkout: "
                        "pip install -e \".[grade]\")") from None


def package_fingerprint() -> str:
    """A hash of the installed package's source files (a notebook that rewrites them changes it).

    Example:
        >>> len(package_fingerprint())
        64
    """
    digest = hashlib.sha256()
    root = Path(sprint19_unet.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _kernel_environment() -> dict:
    env = {**os.environ, FAST_VARIABLE: "1"}
    env.setdefault("MPLBACKEND", "Agg")  # no window can open while grading
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


class _Rooms:
    """The grading rooms running now, and the sweep of the processes they leave behind."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set = set()
        self.before = set(processes.children(os.getpid()))  # what the caller started: never touched

    def start(self, job: dict) -> subprocess.Popen:
        with self.lock:
            room = subprocess.Popen(room_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            self.running.add(room.pid)
        return room

    def finished(self, room: subprocess.Popen) -> None:
        with self.lock:
            self.running.discard(room.pid)
            self.sweep_locked()

    def sweep_locked(self) -> None:
        """Kill what this process was handed as an orphan (a killed room's kernel, a process that escaped)."""
        me = os.getpid()

        def adopted() -> list:
            return [child for child in processes.children(me) if child not in self.running and child not in self.before]

        processes.kill_all(lambda: [pid for child in adopted() for pid in (child, *processes.descendants(child))])
        processes.reap(adopted())


def _run_room(rooms: _Rooms, job: dict, wall: float) -> dict:
    room = rooms.start(job)
    try:
        stdout, stderr = room.communicate(json.dumps(job).encode("utf-8"), timeout=wall)
    except subprocess.TimeoutExpired:
        room.kill()
        room.communicate()
        return {"status": "timed out", "reason": f"the grading room ran past {wall:g} s and was stopped"}
    finally:
        rooms.finished(room)
    try:
        result = json.loads(stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        result = None
    if not isinstance(result, dict):
        last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:]  # a room's own error: a fault of ours
        return {"status": "could not run", "reason": f"the grading room ended without a result (exit code "
                                                     f"{room.returncode}" + (f": {one_line(last[0], 200)})" if last
                                                                             else ": was it killed?)")}
    return result


def _why_not(result: dict) -> str:
    if result.get("reason"):
        return str(result["reason"])
    if result.get("first_error"):
        return f"first error at {result['first_error']}"
    return ""


def _rows(snapshot: Snapshot, result: dict, batch: BatchCases) -> list[GradeRow]:
    submission, seconds = snapshot.submission, round(float(result.get("seconds", 0.0)), 1)
    sources = [cell["source"] for cell in snapshot.cells if cell["cell_type"] == "code"]
    rows = []
    for name in ASSIGNMENTS[snapshot.assignment]:
        exercise = EXERCISES[name]
        try:
            verdict = judge(exercise, batch.cases[name], result.get("answers", {}).get(name, {}), sources,
                            _why_not(result))
        except Exception as error:  # a fault of ours must cost this row, not the batch: the message says to report it
            verdict = Verdict(False, f"the grader could not judge the answer ({type(error).__name__}: {error}); "
                                     "please report this to the sprint19_unet maintainers")
        points = None if verdict.passed is None else (exercise.points if verdict.passed else 0)
        rows.append(GradeRow(submission.student, submission.notebook, name, verdict.passed, points, verdict.message,
                             seconds, verdict.hint))
    return rows


def _problem_rows(snapshot: Snapshot, assignment: str | None) -> list[GradeRow]:
    submission, problem = snapshot.submission, snapshot.problem
    chosen = snapshot.assignment or assignment_of(submission.path, None, assignment)
    names = ASSIGNMENTS[chosen] if chosen is not None else (NOTEBOOK_ROW,)
    return [GradeRow(submission.student, submission.notebook, name, False, 0, problem, 0.0) for name in names]


def _write_executed(snapshot: Snapshot, result: dict, executed_dir: Path) -> None:
    import nbformat

    notebook = copy.deepcopy(snapshot.notebook)
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    for ran in result.get("cells", []):
        cell = notebook.cells[ran["index"]]
        cell.outputs = [nbformat.from_dict(output) for output in ran["outputs"]]
        cell.execution_count = ran["execution_count"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = nbformat.writes(notebook)
    atomic.write_text_atomically(executed_dir / f"{snapshot.submission.notebook}.ipynb", text)


def _job(snapshot: Snapshot, batch: BatchCases, limits: dict) -> dict:
    """What a room is sent for one notebook: its cells and folder, ``limits`` (times, memory, environment,
    whether to keep outputs) and the grader's questions for each exercise (never the expected answers)."""
    folder = snapshot.submission.folder
    names = ASSIGNMENTS[snapshot.assignment]
    return {"cells": snapshot.cells, **limits, "folder": None if folder is None else str(folder),
            "manifest": snapshot.manifest,
            "exercises": [questions(EXERCISES[name], batch.cases[name]) for name in names]}


def _check_seconds(name: str, value, fix: str) -> None:
    if not is_real(value) or not 0 < value < math.inf:
        raise bad_input(name, repr(value), "a positive number of seconds", fix)


def _check_arguments(timeout, cell_timeout, jobs, assignment, memory, submissions, out,
                     executed_dir) -> tuple[int, int]:
    _check_seconds("timeout", timeout, f"Use e.g. timeout={DEFAULT_TIMEOUT:g} (seconds per notebook).")
    _check_seconds("cell_timeout", cell_timeout, f"Use e.g. --cell-timeout {DEFAULT_CELL_TIMEOUT:g}.")
    jobs = check_int("jobs", jobs, 1, "Use jobs=1 (one notebook at a time) or the number of free CPU cores.")
    if assignment is not None and assignment not in ASSIGNMENTS:
        raise bad_input("assignment", repr(assignment), f"one of {', '.join(map(repr, ASSIGNMENTS))} or None",
                        "Leave it out to read each notebook's assignment from its metadata or file name.")
    for option, path, what in (("--executed", executed_dir, "Executed copies"), ("--out", out, "The grades")):
        if path is not None and overlap(path, submissions) in ("is", "lies inside"):
            raise bad_input(f"{option} '{path}'", "a path inside the submissions", "a path outside them",
                            f"{what} there would overwrite or join the submissions; write them beside the "
                            "submissions folder.")
    return jobs, parse_memory(memory)


def grade_submissions(
    submissions: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    jobs: int = 1,
    assignment: str | None = None,
    executed_dir: str | os.PathLike | None = None,
    memory=DEFAULT_MEMORY,
    log: Callable[[str], None] | None = None,
) -> Grades:
    """Grade every notebook of a folder (see the module's docstring).

    Args:
        submissions: the folder of notebooks (recursively), or one notebook.
        out: the CSV to write, again after each notebook (None: write nothing).
        timeout: seconds for a notebook's cells, kernel start-up included (default 1200); the grader's
            questions afterwards have limits of their own.
        cell_timeout: seconds for one cell (default 300): past it the cell is interrupted and the next ones run.
        jobs: notebooks run at once, each in its own room.
        assignment: the assignment every notebook holds (a key of
            :data:`~sprint19_unet.teaching.exercises.ASSIGNMENTS`), or None to read each notebook's.
        executed_dir: a folder (outside ``submissions``) to save the executed notebooks in, or None.
        memory: the most resident memory of one notebook's processes, all together (default 8G).
        log: called with one line per graded notebook (e.g. ``print``), or None.

    Returns:
        :class:`~sprint19_unet.teaching.grading.report.Grades`.

    Raises:
        Sprint19Error: for bad arguments, a folder with no notebook, missing Jupyter tools, or when the
            package's own files change during the batch. Nothing a notebook does raises: it becomes rows.
    """
    jobs, memory_bytes = _check_arguments(timeout, cell_timeout, jobs, assignment, memory, submissions, out,
                                          executed_dir)
    found = find_submissions(submissions)
    _check_tools()
    snapshots = [read_submission(submission, assignment) for submission in found]
    batch = draw_cases({name for snapshot in snapshots if snapshot.assignment
                        for name in ASSIGNMENTS[snapshot.assignment]})
    fingerprint = package_fingerprint()
    writer, lock, runs = CsvWriter(out), threading.Lock(), []
    env, stopped = _kernel_environment(), []
    if executed_dir is not None:
        executed_dir = Path(executed_dir)
    harvest_seconds = {name: questions_seconds(len(cases), EXERCISES[name].seconds_per_call)
                       for name, cases in batch.cases.items()}

    def one(snapshot: Snapshot, rooms: _Rooms) -> None:
        notebook = snapshot.submission.notebook
        if stopped:
            result = {"status": "not graded", "reason": stopped[0]}
            rows = _problem_rows(dataclasses.replace(snapshot, problem=stopped[0]), assignment)
        elif snapshot.problem:
            result = {"status": snapshot.problem.split(":")[0], "reason": snapshot.problem}
            rows = _problem_rows(snapshot, assignment)
        else:
            names = ASSIGNMENTS[snapshot.assignment]
            job = _job(snapshot, batch, {"timeout": float(timeout), "cell_timeout": float(cell_timeout),
                                         "memory_bytes": memory_bytes, "env": env,
                                         "keep_outputs": executed_dir is not None})
            try:
                result = _run_room(rooms, job, float(timeout) + sum(harvest_seconds[name] for name in names)
                                   + _ROOM_MARGIN)
            except OSError as error:  # the room could not even start (no memory, no processes left)
                result = {"status": "could not run", "reason": f"could not run: {type(error).__name__}: {error}"}
            rows = _rows(snapshot, result, batch)
            if executed_dir is not None and result.get("cells") is not None:
                with contextlib.suppress(Exception):  # a copy for the teacher's eyes: its failure changes no grade
                    _write_executed(snapshot, result, executed_dir)
        run = NotebookRun(notebook, str(result.get("status", "")), one_line(str(result.get("reason", "")), 300),
                          float(result.get("seconds", 0.0)))
        with lock:
            runs.append(run)
            writer.add(rows)
            if not stopped and package_fingerprint() != fingerprint:
                stopped.append(f"not graded: the package's files changed while {printable(notebook)} was graded; "
                               "reinstall sprint19_unet and grade again, as another user or in a container")
        if log is not None:
            passed, review = sum(row.passed is True for row in rows), sum(row.passed is None for row in rows)
            peak = float(result.get("peak_bytes", 0)) / 2**30
            log(f"graded {printable(notebook)}: {run.reason or run.status}, {passed}/{len(rows)} passed"
                + (f", {review} for review" if review else "") + f", {run.seconds:.1f} s"
                + (f", peak memory {peak:.2f} GiB" if peak else ""))

    with processes.subreaper(), processes.not_dumpable():
        rooms = _Rooms()
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sprint19-grade") as pool:
            list(pool.map(lambda snapshot: one(snapshot, rooms), snapshots))
        with rooms.lock:
            rooms.sweep_locked()
    if stopped:
        raise bad_input("grading", stopped[0].removeprefix("not graded: "), "the package's files unchanged",
                        f"The rows graded before are in {out}." if out else "Grade again after reinstalling.")
    return Grades(tuple(writer.ordered()), tuple(sorted(runs, key=lambda run: run.notebook)), batch.digest)


