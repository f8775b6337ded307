"""Grade a folder of exercise notebooks: run each one, collect its self-checks, write one CSV.

``python -m sprint19_unet grade SUBMISSIONS --out grades.csv`` (or
:func:`grade_submissions`) finds every ``*.ipynb`` under ``SUBMISSIONS``
(recursively; hidden folders such as ``.ipynb_checkpoints`` are skipped) and names
the student by the path without the suffix (``alice/problem1``). Each notebook runs
in its own Jupyter kernel with nbclient, in the notebook's folder, in fast mode
(``SPRINT19_FAST=1``), one at a time or ``jobs`` at once.

**How results get out of a notebook.** The grader points the environment variable
``SPRINT19_GRADING_RESULTS`` at a fresh file; every check of
:mod:`sprint19_unet.teaching.exercises` that runs appends one JSON line to it
(exercise, passed, message). Results written before a failure are therefore never
lost. The last result of an exercise counts (a student who re-ran a check after
fixing their function). The file is only as honest as the notebook: code that
writes to it directly is not detected; the executed notebooks (``executed_dir``)
let a teacher look.

**Errors do not stop a notebook.** Cells run with ``allow_errors=True``: a failing
cell is recorded and the next cells still run, so an independent later exercise
still gets its check; an exercise whose check never ran gets a failing row naming
the first error (``not attempted: its check did not run; first error at cell 4:
NameError: …``).

**What stops a notebook, and goes on with the batch:**

* the time limit — ``timeout`` seconds for the whole notebook (kernel start-up
  included); the kernel is killed and the exercises without a result fail with
  ``timed out after N s``;
* a kernel that dies (``os._exit``, a segmentation fault, out of memory) —
  ``the kernel died at cell N``, with the last line the kernel wrote to stderr;
* a file that is not a notebook — ``not a notebook: <reason>``.

Cells are counted from 1 over all cells, Markdown included, as they appear on screen.

**Which exercises a notebook must hold**, in this order: the ``assignment`` given
to the grader (``--assignment problem1``); else the notebook's metadata
``{"sprint19": {"assignment": "problem1"}}`` (the exercise notebooks carry it);
else an assignment named in the file name (``Copy of 01_problem1_exercises.ipynb``);
else every exercise any notebook of the batch reported. An exercise the notebook
reported beyond that set gets its row too. A notebook with no expected exercise
and no result gets one row, exercise ``notebook``, saying why.

**The CSV** has the columns ``student,exercise,passed,message,seconds``: one row
per student and exercise, ``passed`` is 1 or 0, ``seconds`` the notebook's wall
time (the same on each of its rows), and a written answer's text follows its
message (``… | answer: …``). It is written atomically.

Example:
    Not run by the doctests (it runs notebooks, each in a kernel); tests/test_grading.py does.

    >>> grades = grade_submissions("submissions", timeout=600, jobs=2)  # doctest: +SKIP
    >>> grades.write_csv("grades.csv")                                  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

from sprint19_unet import atomic
from sprint19_unet.errors import bad_input, check_int, one_line
from sprint19_unet.native_logs import FATAL_LINE
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES, RESULTS_VARIABLE

# The slowest machine we plan for: a free Colab CPU or an old laptop running a Problem 1 notebook in
# fast mode (kernel start-up, TensorFlow import, a few short trainings) takes a few minutes; 20 minutes
# leaves room without letting a notebook that loops forever hold the batch for long.
DEFAULT_TIMEOUT = 1200.0
FAST_VARIABLE = "SPRINT19_FAST"
KERNEL_NAME = "python3"
CSV_COLUMNS = ("student", "exercise", "passed", "message", "seconds")
NOTEBOOK_ROW = "notebook"  # the exercise column of the row about a notebook that has no exercise to show
_BACKSTOP_SECONDS = 30  # past the limit, the whole run is cancelled even if nbclient waits elsewhere
_STARTUP_SECONDS = 120  # the longest wait for a kernel to start (within the notebook's limit)
_ANSWER_CHARS = 2000  # how much of a written answer the CSV keeps

FINISHED, TIMED_OUT, KERNEL_DIED, NOT_A_NOTEBOOK, FAILED = (
    "finished", "timed out", "kernel died", "not a notebook", "could not run")

_kernel_log = logging.getLogger(__name__ + ".nbclient")  # nbclient's own error lines: the rows say it better
_kernel_log.addHandler(logging.NullHandler())
_kernel_log.propagate = False


# === Finding the notebooks ===


@dataclasses.dataclass(frozen=True)
class Submission:
    """One notebook to grade.

    Args:
        student: the notebook's path below the submissions folder, without ``.ipynb``
            (``alice/problem1``), with ``/`` on every system.
        path: the notebook file.
    """

    student: str
    path: Path


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def find_submissions(root: str | os.PathLike, exclude=()) -> list[Submission]:
    """Every notebook under a folder, each named by its path.

    Args:
        root: the submissions folder (searched recursively), or one ``.ipynb`` file.
        exclude: folders to leave out (e.g. where executed copies are written).

    Returns:
        The submissions sorted by student; files and folders whose name starts
        with ``.`` (``.ipynb_checkpoints``) are skipped.

    Raises:
        Sprint19Error: when ``root`` does not exist or holds no notebook.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "alice").mkdir(), (root / "alice" / "problem1.ipynb").write_text("{}")
        >>> [s.student for s in find_submissions(root)]
        ['alice/problem1']
    """
    root = Path(root)
    fix = "Pass the folder holding the students' notebooks (*.ipynb, in subfolders or not)."
    if not root.exists():
        raise bad_input(f"submissions '{root}'", "a path that does not exist", "a folder of notebooks", fix)
    if root.is_file():
        if root.suffix.lower() != ".ipynb":
            raise bad_input(f"submissions '{root}'", "a file that is not a .ipynb notebook",
                            "a folder of notebooks or one .ipynb file", fix)
        return [Submission(root.stem, root)]
    excluded = [Path(folder) for folder in exclude if folder is not None]
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if any(_is_inside(path, folder) for folder in excluded):
            continue
        found.append(Submission(relative.with_suffix("").as_posix(), path))
    if not found:
        raise bad_input(f"submissions folder '{root}'", "no notebook (*.ipynb) in it or its subfolders",
                        "one notebook per student and assignment", fix)
    return found


# === Which exercises a notebook holds ===


def _check_assignment(assignment) -> None:
    if assignment is not None and assignment not in ASSIGNMENTS:
        raise bad_input("assignment", repr(assignment), f"one of {', '.join(map(repr, ASSIGNMENTS))} or None",
                        "Leave it out to read each notebook's assignment from its metadata or file name.")


def expected_exercises(path: str | os.PathLike, notebook=None, assignment: str | None = None):
    """The exercises a notebook should hold, in order (see the module's docstring for the rule).

    Args:
        path: the notebook's file (its name may name the assignment).
        notebook: the notebook read with nbformat, if it could be read (its metadata may name it).
        assignment: an assignment forced by the teacher, or None.

    Returns:
        A tuple of exercise names, or None when nothing names the assignment.

    Raises:
        Sprint19Error: for an unknown ``assignment``.

    Example:
        >>> expected_exercises("Copy of 01_problem1_exercises.ipynb")[:2]
        ('tgs_image_score', 'pad_and_crop')
        >>> expected_exercises("homework.ipynb") is None
        True
    """
    _check_assignment(assignment)
    if assignment is not None:
        return ASSIGNMENTS[assignment]
    if notebook is not None:
        named = (notebook.get("metadata", {}).get("sprint19") or {}).get("assignment")
        if named in ASSIGNMENTS:
            return ASSIGNMENTS[named]
    letters = re.sub(r"[^a-z0-9]", "", Path(path).stem.lower())
    matches = [name for name in ASSIGNMENTS if name in letters]
    return ASSIGNMENTS[matches[0]] if len(matches) == 1 else None


# === Running one notebook ===


@dataclasses.dataclass
class NotebookRun:
    """What running one notebook gave.

    Args:
        student: the submission's student.
        path: the notebook.
        status: ``"finished"``, ``"timed out"``, ``"kernel died"``, ``"not a notebook"`` or ``"could not run"``.
        seconds: wall time, kernel start-up included (0 for a file that is not a notebook).
        results: exercise → the last result its check reported (a dict of the fields of
            :class:`~sprint19_unet.teaching.exercises.CheckResult`).
        reason: why the run stopped, for every status but ``"finished"``.
        first_error: the first cell error of a finished run (``cell 4: NameError: …``), or ``""``.
        expected: the exercises the notebook should hold, or None when nothing names them.
    """

    student: str
    path: Path
    status: str
    seconds: float = 0.0
    results: dict = dataclasses.field(default_factory=dict)
    reason: str = ""
    first_error: str = ""
    expected: tuple | None = None


def _read_notebook(path: Path):
    """The notebook, or the reason it is none (``(None, reason)``)."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. cells without ids: nbformat adds them
            notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many types (JSON, schema, version, decoding, OS errors)
        return None, one_line(f"{type(error).__name__}: {error}", 200)
    if not isinstance(notebook.get("cells"), list):
        return None, "no list of cells"
    return notebook, ""


def _read_results(path: Path) -> dict:
    """Exercise → its last reported result; lines that are not a known exercise's result are ignored."""
    results = {}
    if not path.is_file():
        return results
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("exercise") in EXERCISES and isinstance(record.get("passed"), bool):
            results[record["exercise"]] = record
    return results


def _first_cell_error(notebook) -> str:
    for number, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return one_line(f"cell {number}: {output.get('ename', 'Error')}: {output.get('evalue', '')}", 200)
    return ""


# A line of the kernel's stderr worth quoting when it dies (TensorFlow's start-up chatter is not).
_TELLING_LINE = re.compile(r"\b\w*Error\b|Killed|Segmentation fault|core dumped|Aborted|[Oo]ut of memory")
_CHATTER_LINE = re.compile(r"^[IW]\d{4} ")  # absl/glog information and warning lines


def _telling_log_line(path: Path) -> str:
    """The last line of the kernel's stderr that says why it died (a fatal native line or a Python error), or ``""``."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    telling = [line.strip() for line in lines
               if not _CHATTER_LINE.match(line) and (FATAL_LINE.search(line) or _TELLING_LINE.search(line))]
    return one_line(telling[-1], 160) if telling else ""


def _kernel_environment(results_path: Path) -> dict:
    env = {**os.environ, FAST_VARIABLE: "1", RESULTS_VARIABLE: str(results_path)}
    env.setdefault("MPLBACKEND", "Agg")  # no window can open while grading
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _execute(notebook, folder: Path, timeout: float, results_path: Path, log_path: Path) -> tuple[str, str]:
    """Run a notebook in place; ``(status, reason)``."""
    import nbclient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    deadline = started + timeout
    at = {"cell": None}

    def remaining(cell=None) -> float:
        return max(deadline - time.monotonic(), 0.001)  # 0 would mean "no limit" to nbclient

    def cell_started(cell, cell_index, **kwargs) -> None:
        at["cell"] = cell_index + 1

    client = nbclient.NotebookClient(
        notebook, timeout=max(1, math.ceil(timeout)), timeout_func=remaining, kernel_name=KERNEL_NAME,
        allow_errors=True, shutdown_kernel="immediate", startup_timeout=max(1, math.ceil(min(timeout, _STARTUP_SECONDS))),
        resources={"metadata": {"path": str(folder)}}, on_cell_execute=cell_started, log=_kernel_log,
    )

    def where() -> str:
        return f" (at cell {at['cell']})" if at["cell"] else " (while starting the kernel)"

    with open(log_path, "wb") as kernel_log:
        try:
            run = client.async_execute(env=_kernel_environment(results_path), stdout=kernel_log, stderr=kernel_log)
            asyncio.run(asyncio.wait_for(run, timeout + _BACKSTOP_SECONDS))
            return FINISHED, ""
        except Exception as error:  # every failure of one notebook is reported, and the batch goes on
            if isinstance(error, (CellTimeoutError, asyncio.TimeoutError)) or time.monotonic() >= deadline:
                return TIMED_OUT, f"timed out after {timeout:g} s{where()}"
            if isinstance(error, DeadKernelError):
                last = _telling_log_line(log_path)
                return KERNEL_DIED, f"the kernel died{where()}" + (f": {last}" if last else "")
            return FAILED, one_line(f"could not run{where()}: {type(error).__name__}: {error}", 300)


def grade_notebook(submission: Submission, timeout: float = DEFAULT_TIMEOUT, assignment: str | None = None,
                   executed_dir: str | os.PathLike | None = None) -> NotebookRun:
    """Run one notebook and collect the results of its checks.

    Args:
        submission: the notebook and its student.
        timeout: seconds for the whole notebook, kernel start-up included.
        assignment: the exercises it must hold (see :func:`expected_exercises`), or None.
        executed_dir: a folder to save the executed notebook in (as ``<student>.ipynb``), or None.

    Returns:
        The :class:`NotebookRun`; never raises for the notebook's own failures.

    Example:
        Not run by the doctests: it starts a kernel (tests/test_grading.py does).

        >>> run = grade_notebook(Submission("alice/problem1", Path("alice/problem1.ipynb")))  # doctest: +SKIP
    """
    path = submission.path
    notebook, reason = _read_notebook(path)
    if notebook is None:
        return NotebookRun(submission.student, path, NOT_A_NOTEBOOK, reason=f"not a notebook: {reason}",
                           expected=expected_exercises(path, None, assignment))
    expected = expected_exercises(path, notebook, assignment)
    work = Path(tempfile.mkdtemp(prefix="sprint19-grade-"))
    try:
        results_path = work / "results.jsonl"
        results_path.touch()
        started = time.monotonic()
        status, reason = _execute(notebook, path.parent.resolve(), timeout, results_path, work / "kernel.log")
        seconds = time.monotonic() - started
        results = _read_results(results_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if executed_dir is not None:
        import nbformat

        atomic.write_text_atomically(Path(executed_dir) / f"{submission.student}.ipynb", nbformat.writes(notebook))
    return NotebookRun(submission.student, path, status, seconds, results, reason,
                       _first_cell_error(notebook) if status == FINISHED else "", expected)


# === The whole batch ===


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One row of the grades file: one student and one exercise."""

    student: str
    exercise: str
    passed: bool
    message: str
    seconds: float


def _missing_message(run: NotebookRun) -> str:
    if run.status == FINISHED:
        return "not attempted: its check did not run" + (f"; first error at {run.first_error}" if run.first_error
                                                          else "")
    return run.reason


def _rows_of(run: NotebookRun, fallback: tuple) -> list[GradeRow]:
    expected = run.expected if run.expected is not None else fallback
    names = list(expected) + [name for name in EXERCISES if name in run.results and name not in expected]
    seconds = round(run.seconds, 1)
    if not names:
        message = run.reason if run.status != FINISHED else "no exercise check ran" + (
            f"; first error at {run.first_error}" if run.first_error else "")
        return [GradeRow(run.student, NOTEBOOK_ROW, False, message, seconds)]
    rows = []
    for name in names:
        record = run.results.get(name)
        if record is None:
            rows.append(GradeRow(run.student, name, False, _missing_message(run), seconds))
            continue
        message = one_line(record.get("message", ""), 1000)
        answer = record.get("answer")
        if isinstance(answer, str) and answer.strip():
            message += " | answer: " + one_line(answer, _ANSWER_CHARS)
        rows.append(GradeRow(run.student, name, record["passed"], message, seconds))
    return rows


@dataclasses.dataclass(frozen=True)
class Grades:
    """The grades of a batch: one row per student and exercise, and each notebook's run.

    Args:
        rows: the CSV's rows, sorted by student then exercise order.
        runs: one :class:`NotebookRun` per notebook, sorted by student.
    """

    rows: tuple
    runs: tuple

    def to_csv(self) -> str:
        """The rows as CSV text with the header ``student,exercise,passed,message,seconds``.

        Returns:
            The text.

        Example:
            >>> Grades((GradeRow("ann/p1", "rle", True, "✅ check_rle: 8/8 cases", 12.5),), ()).to_csv()
            'student,exercise,passed,message,seconds\\nann/p1,rle,1,✅ check_rle: 8/8 cases,12.5\\n'
        """
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self.rows:
            writer.writerow((row.student, row.exercise, int(row.passed), row.message, f"{row.seconds:.1f}"))
        return text.getvalue()

    def write_csv(self, path: str | os.PathLike) -> Path:
        """Write the rows to a CSV file, atomically.

        Args:
            path: the file to write.

        Returns:
            The path.
        """
        return atomic.write_text_atomically(path, self.to_csv())

    def summary(self) -> str:
        """A table for the terminal: student, exercises passed / total, seconds, how the notebook ended.

        Returns:
            The table as text.

        Example:
            >>> run = NotebookRun("ann/p1", Path("ann/p1.ipynb"), "finished", 12.5)
            >>> print(Grades((GradeRow("ann/p1", "rle", True, "✅", 12.5),), (run,)).summary())
            student  passed  seconds  notebook
            ann/p1   1/1     12.5     finished
        """
        status = {run.student: run.status if run.status == FINISHED else run.reason for run in self.runs}
        table = [("student", "passed", "seconds", "notebook")]
        for student in dict.fromkeys(row.student for row in self.rows):
            rows = [row for row in self.rows if row.student == student]
            passed = sum(row.passed for row in rows if row.exercise != NOTEBOOK_ROW)
            total = sum(1 for row in rows if row.exercise != NOTEBOOK_ROW)
            table.append((student, f"{passed}/{total}", f"{rows[0].seconds:.1f}",
                          one_line(status.get(student, ""), 80)))
        widths = [max(len(line[column]) for line in table) for column in range(3)]
        return "\n".join("  ".join([*(cell.ljust(width) for cell, width in zip(line, widths)), line[3]]).rstrip()
                         for line in table)


def _check_kernel() -> None:
    """Refuse early, once, when notebooks cannot run here at all."""
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError as error:
        raise bad_input("grading", f"no module {error.name!r}", "nbclient, nbformat and ipykernel installed",
                        "Run: pip install nbclient nbformat ipykernel") from None
    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise bad_input("grading", f"no Jupyter kernel named {KERNEL_NAME!r}", "the IPython kernel installed",
                        "Run: pip install ipykernel") from None


def grade_submissions(
    submissions: str | os.PathLike,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
    assignment: str | None = None,
    executed_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = None,
) -> Grades:
    """Run every notebook of a folder and collect their self-checks (see the module's docstring).

    Args:
        submissions: the folder of notebooks (recursively), or one notebook.
        timeout: seconds per notebook, kernel start-up included (default 1200).
        jobs: notebooks run at once (each in its own kernel).
        assignment: the exercises every notebook must hold (a key of
            :data:`~sprint19_unet.teaching.exercises.ASSIGNMENTS`), or None to read each
            notebook's metadata or file name.
        executed_dir: a folder to save the executed notebooks in (left out of the search), or None.
        log: called with one line per finished notebook (e.g. ``print``), or None.

    Returns:
        :class:`Grades`: rows for the CSV and each notebook's run.

    Raises:
        Sprint19Error: when ``submissions`` holds no notebook, for bad arguments, or
            when nbclient or the IPython kernel is missing. Nothing a notebook does
            raises: it becomes failing rows.

    Example:
        Not run by the doctests: it runs notebooks (tests/test_grading.py does).

        >>> grades = grade_submissions("submissions", jobs=2, log=print)  # doctest: +SKIP
        >>> print(grades.summary())                                       # doctest: +SKIP
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise bad_input("timeout", repr(timeout), "a positive number of seconds",
                        f"Use e.g. timeout={DEFAULT_TIMEOUT:g} (seconds per notebook).")
    jobs = check_int("jobs", jobs, 1, "Use jobs=1 (one notebook at a time) or the number of free CPU cores.")
    _check_assignment(assignment)
    found = find_submissions(submissions, exclude=[executed_dir])
    _check_kernel()

    def one(submission: Submission) -> NotebookRun:
        run = grade_notebook(submission, timeout, assignment, executed_dir)
        if log is not None:
            reported = len(run.results)
            log(f"ran {run.student}: {run.status}, {reported} check{'' if reported == 1 else 's'} reported, "
                f"{run.seconds:.1f} s")
        return run

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sprint19-grade") as pool:
        runs = sorted(pool.map(one, found), key=lambda run: run.student)
    seen = tuple(name for name in EXERCISES if any(name in run.results for run in runs))
    rows = [row for run in runs for row in _rows_of(run, seen)]
    return Grades(tuple(rows), tuple(runs))
