"""What a TA hands in: totals per student, the answers left to mark, the class's common mistakes, a gradebook.

All of it follows from the rows of ``grades.csv`` (:mod:`.report`) and is written next to it:

* ``totals.csv`` — ``student``, one column per assignment of the batch (the points of the student's best
  notebook of it), ``points``, ``out_of`` (every assignment of the batch counts, handed in or not) and
  ``review`` (rows still waiting for the teacher);
* ``answers.csv`` — one row per row left for review (a written answer; an answer whose code names the
  package's own solution): ``student,notebook,exercise,answer,points,out_of`` with ``points`` empty. The
  teacher fills it in, and ``grade --merge answers.csv`` folds those points into ``totals.csv`` (and the
  gradebook) without running a notebook again. Grading again keeps the points already given to an
  answer whose text did not change;
* ``summary.csv`` — per exercise: notebooks, passes, pass rate, reviews, and the most frequent hint among
  the failures — the class's common mistake at a glance;
* ``canvas.csv`` (``--export canvas --roster roster.csv``) — Canvas's gradebook import (:func:`canvas_text`).

Example:
    >>> from sprint19_unet.teaching.grading.report import GradeRow
    >>> rows = [GradeRow("ann", "ann/p2", "valid_output_size", True, 1, "✅", 1.0),
    ...         GradeRow("ann", "ann/p2", "answer_weight_map", None, None, "review: … | answer: Because …", 1.0)]
    >>> [(total.student, total.points, total.review) for total in student_totals(rows, {})]
    [('ann', 1.0, 1)]
    >>> student_totals(rows, {("ann/p2", "answer_weight_map"): 0.5})[0].points
    1.5
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import math
import os
from pathlib import Path

from sprint19_unet import atomic
from sprint19_unet.errors import bad_input, one_line
from sprint19_unet.teaching.exercises.registry import ASSIGNMENTS, EXERCISES
from sprint19_unet.teaching.grading.report import CSV_COLUMNS, GradeRow, aligned, table_text, written

TOTALS, ANSWERS, SUMMARY, CANVAS = "totals.csv", "answers.csv", "summary.csv", "canvas.csv"
ANSWER_COLUMNS = ("student", "notebook", "exercise", "answer", "points", "out_of")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
EXPORTS = ("canvas",)


def batch_assignments(rows) -> list[str]:
    """The assignments the rows hold, in the registry's order.

    Example:
        >>> batch_assignments([GradeRow("a", "a/x", "rle", True, 1, "", 0.0)])
        ['problem1']
    """
    held = {EXERCISES[row.exercise].assignment for row in rows if row.exercise in EXERCISES}
    return [name for name in ASSIGNMENTS if name in held]


def out_of(assignment: str) -> float:
    """What an assignment is worth: the points of its exercises.

    Example:
        >>> out_of("problem2")
        7
    """
    return sum(EXERCISES[name].points for name in ASSIGNMENTS[assignment])


@dataclasses.dataclass(frozen=True)
class Total:
    """One student's total.

    Args:
        student: the student (the first folder of their notebooks).
        assignments: assignment → the points of the student's best notebook of it (0 when none was handed in).
        points: their sum.
        out_of: what every assignment of the batch is worth, together.
        review: rows of the counted notebooks still waiting for the teacher.
    """

    student: str
    assignments: dict
    points: float
    out_of: float
    review: int


def _row_points(row: GradeRow, marks: dict) -> tuple[float, bool]:
    """(points, still waiting) of one row, the teacher's mark counting for a row left for review."""
    if row.passed is not None:
        return float(row.points or 0), False
    mark = marks.get((written(row.notebook), row.exercise))
    return (float(mark), False) if mark is not None else (0.0, True)


def student_totals(rows, marks: dict) -> list[Total]:
    """Every student's total, the teacher's marks folded in.

    Args:
        rows: the grades' rows.
        marks: ``(notebook as written in the files, exercise) → points`` given by the teacher (:func:`read_answers`).

    Returns:
        One :class:`Total` per student, sorted by student.
    """
    assignments = batch_assignments(rows)
    possible = sum(out_of(name) for name in assignments)
    by_notebook = collections.defaultdict(list)
    for row in rows:
        if row.exercise in EXERCISES:
            by_notebook[(row.student, row.notebook, EXERCISES[row.exercise].assignment)].append(row)
    totals = []
    for student in sorted({row.student for row in rows}):
        earned, waiting = {}, 0
        for assignment in assignments:
            best = (0.0, 0)
            for (owner, _, held), notebook_rows in by_notebook.items():
                if owner == student and held == assignment:
                    scored = [_row_points(row, marks) for row in notebook_rows]
                    best = max(best, (sum(points for points, _ in scored), -sum(wait for _, wait in scored)))
            earned[assignment] = best[0]
            waiting -= best[1]
        totals.append(Total(student, earned, sum(earned.values()), possible, waiting))
    return totals


def _number(value: float) -> str:
    return f"{value:g}"


def totals_text(totals: list[Total], assignments: list[str]) -> str:
    """``totals.csv``: student, one column per assignment, points, out_of, review."""
    return table_text(("student", *assignments, "points", "out_of", "review"), [
        (total.student, *(_number(total.assignments[name]) for name in assignments), _number(total.points),
         _number(total.out_of), str(total.review)) for total in totals])


def _answer_text(row: GradeRow) -> str:
    marker = " | answer: "
    return row.message.split(marker, 1)[1] if marker in row.message else row.message


def answer_rows(rows, previous: dict) -> list[tuple]:
    """``answers.csv``'s rows: one per row left for review, the points already given to an unchanged answer kept.

    Args:
        rows: the grades' rows.
        previous: ``(notebook, exercise) → (points, answer)`` from an ``answers.csv`` written before, or ``{}``.
    """
    found = []
    for row in rows:
        if row.passed is not None or row.exercise not in EXERCISES:
            continue
        answer = _answer_text(row)
        points, before = previous.get((written(row.notebook), row.exercise), (None, None))
        kept = points if points is not None and before == written(one_line(answer, 3000)) else None
        found.append((row.student, row.notebook, row.exercise, one_line(answer, 3000),
                      "" if kept is None else _number(kept), _number(EXERCISES[row.exercise].points)))
    return found


def read_answers(path: str | os.PathLike) -> dict:
    """A teacher's ``answers.csv``: ``(notebook, exercise) → (points or None, answer)``, names as written there.

    Raises:
        Sprint19Error: naming the file and line, for a missing column, an unknown exercise, or points that
            are not a number between 0 and the exercise's worth.
    """
    path = Path(path)
    fix = f"Fill in the points column of the {ANSWERS} that grade wrote (numbers from 0 to out_of), keep the rest."
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            if reader.fieldnames is None or not {"notebook", "exercise", "answer", "points"} <= set(reader.fieldnames):
                raise bad_input(f"answers file '{path}'", f"the columns {reader.fieldnames}",
                                f"the columns {', '.join(ANSWER_COLUMNS)}", fix)
            marks = {}
            for line, record in enumerate(reader, start=2):
                exercise = (record.get("exercise") or "").strip()
                if exercise not in EXERCISES:
                    raise bad_input(f"answers file '{path}', line {line}", f"exercise {one_line(exercise, 40)!r}",
                                    "an exercise of the course", fix)
                marks[((record.get("notebook") or "").strip(), exercise)] = (
                    _mark(record.get("points"), EXERCISES[exercise].points, f"answers file '{path}', line {line}", fix),
                    record.get("answer") or "")
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise bad_input(f"answers file '{path}'", f"a file that cannot be read ({error})", "a CSV file", fix) from None
    return marks


def _mark(text, worth: float, where: str, fix: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= worth:
        raise bad_input(where, f"points {one_line(text, 20)!r}", f"a number from 0 to {worth:g}", fix)
    return value


def read_grades(path: str | os.PathLike) -> list[GradeRow]:
    """The rows of a ``grades.csv`` written by ``grade`` (for ``--merge``).

    Raises:
        Sprint19Error: when the file is missing or is not a grades file.
    """
    path = Path(path)
    fix = "Pass the --out of the grade run whose answers you marked (grades.csv by default)."
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
                raise bad_input(f"grades file '{path}'", f"the columns {reader.fieldnames}",
                                f"the columns {', '.join(CSV_COLUMNS)}", fix)
            rows = []
            for record in reader:
                passed = {"1": True, "0": False}.get(record["passed"])
                points = float(record["points"]) if record["points"] else None
                rows.append(GradeRow(record["student"], record["notebook"], record["exercise"], passed, points,
                                     record["message"], float(record["seconds"] or 0), record["hint"]))
    except FileNotFoundError:
        raise bad_input(f"grades file '{path}'", "a file that does not exist", "the grades of a grade run",
                        fix) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, csv.Error) as error:
        raise bad_input(f"grades file '{path}'", f"a file that cannot be read ({type(error).__name__})",
                        "the grades of a grade run", fix) from None
    return rows


def exercise_summary(rows) -> list[tuple]:
    """Per exercise: notebooks, passes, pass rate, reviews, the most frequent hint among the failures (with its count).

    Example:
        >>> rows = [GradeRow("a", "a/p", "rle", False, 0, "❌", 1.0, "number from 1"),
        ...         GradeRow("b", "b/p", "rle", True, 1, "✅", 1.0)]
        >>> exercise_summary(rows)
        [('rle', 2, 1, '50%', 0, 'number from 1 (1×)')]
    """
    summary = []
    for name in EXERCISES:
        mine = [row for row in rows if row.exercise == name]
        if not mine:
            continue
        passed = sum(row.passed is True for row in mine)
        hints = collections.Counter(row.hint for row in mine if row.passed is False and row.hint)
        common = hints.most_common(1)
        summary.append((name, len(mine), passed, f"{passed / len(mine):.0%}", sum(row.passed is None for row in mine),
                        f"{common[0][0]} ({common[0][1]}×)" if common else ""))
    return summary


SUMMARY_COLUMNS = ("exercise", "notebooks", "passed", "pass_rate", "review", "most_frequent_hint")


def summary_table(summary: list[tuple]) -> str:
    """The per-exercise summary for the terminal (hints shortened)."""
    lines = [SUMMARY_COLUMNS[:5] + ("most frequent hint",)]
    lines += [(name, str(count), str(passed), rate, str(review), one_line(hint, 70))
              for name, count, passed, rate, review, hint in summary]
    return aligned(lines)


def read_roster(path: str | os.PathLike) -> list[dict]:
    """A roster: Canvas's gradebook export with a ``folder`` column naming each student's submission folder.

    Returns:
        One dict per student row (the ``Points Possible`` row and rows without a folder left out).

    Raises:
        Sprint19Error: when the file cannot be read or lacks ``folder`` or one of Canvas's identity columns.
    """
    path = Path(path)
    fix = ("Export the gradebook from Canvas (Grades → Export) and add a column named folder holding each student's "
           "submission folder.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            missing = [column for column in ("folder", *CANVAS_IDENTITY) if column not in (reader.fieldnames or ())]
            if missing:
                raise bad_input(f"roster '{path}'", f"no column {', '.join(missing)}",
                                f"the columns folder, {', '.join(CANVAS_IDENTITY)}", fix)
            return [record for record in reader
                    if (record.get("folder") or "").strip() and "Points Possible" not in (record.get("Student") or "")]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise bad_input(f"roster '{path}'", f"a file that cannot be read ({error})", "a CSV file", fix) from None


def canvas_text(totals: list[Total], assignments: list[str], roster: list[dict]) -> tuple[str, list[str], list[str]]:
    """The Canvas gradebook import, and who is on one side only.

    ``canvas.csv``: Canvas's gradebook import format: its five
      identity columns (``Student, ID, SIS User ID, SIS Login ID, Section``) copied from the roster — a
      gradebook exported from Canvas with a ``folder`` column added that names each student's submission
      folder — a ``Points Possible`` row as Canvas writes it in its own exports, and one column per
      assignment (a new column makes a new assignment in Canvas). Students on one side only are reported.

    Returns:
        ``(csv text, graded students not in the roster, roster folders with no graded notebook)``.
    """
    by_student = {written(total.student): total for total in totals}
    rows = [("    Points Possible", "", "", "", "", *(_number(out_of(name)) for name in assignments))]
    for record in roster:
        total = by_student.get(written(record["folder"].strip()))
        scores = [_number(total.assignments[name]) if total else "" for name in assignments]
        rows.append((*(record[column] for column in CANVAS_IDENTITY), *scores))
    folders = {written(record["folder"].strip()) for record in roster}
    return (table_text((*CANVAS_IDENTITY, *assignments), rows), sorted(set(by_student) - folders),
            sorted(folders - set(by_student)))


def write_reports(folder: str | os.PathLike, rows, marks: dict | None = None, export: str | None = None,
                  roster: str | os.PathLike | None = None, answers: bool = True) -> list[str]:
    """Write totals.csv, summary.csv, answers.csv (unless ``answers`` is False) and the export into ``folder``.

    Args:
        folder: where (the folder of ``grades.csv``).
        rows: the grades' rows.
        marks: the teacher's points, ``(notebook, exercise) → points``; None reads them from the
            ``answers.csv`` already there (grading again keeps them for unchanged answers).
        export: ``"canvas"`` or None.
        roster: the roster for the export.
        answers: write ``answers.csv`` (``--merge`` leaves the teacher's file as it is).

    Returns:
        Lines for the terminal (what was written, who is on one side only).
    """
    folder = Path(folder)
    previous = read_answers(folder / ANSWERS) if marks is None and (folder / ANSWERS).is_file() else {}
    to_mark = answer_rows(rows, previous)
    if marks is None:  # the marks kept: those of answers whose text did not change
        marks = {(written(notebook), exercise): float(points) for _, notebook, exercise, _, points, _ in to_mark
                 if points != ""}
    assignments = batch_assignments(rows)
    totals = student_totals(rows, marks)
    paths = [folder / TOTALS, folder / SUMMARY]
    atomic.write_text_atomically(folder / TOTALS, totals_text(totals, assignments))
    atomic.write_text_atomically(folder / SUMMARY, table_text(SUMMARY_COLUMNS, [
        tuple(str(cell) for cell in line) for line in exercise_summary(rows)]))
    if answers:
        atomic.write_text_atomically(folder / ANSWERS, table_text(ANSWER_COLUMNS, to_mark))
        paths.append(folder / ANSWERS)
    lines = []
    if export == "canvas":
        text, unknown, absent = canvas_text(totals, assignments, read_roster(roster))
        atomic.write_text_atomically(folder / CANVAS, text)
        paths.append(folder / CANVAS)
        if unknown:
            lines.append(f"not in the roster (not exported): {', '.join(unknown)}")
        if absent:
            lines.append(f"in the roster, no notebook graded (left empty in {CANVAS}): {', '.join(absent)}")
    return [f"wrote {', '.join(str(path) for path in paths)}", *lines]


def check_export(export: str | None, roster, folder: str | os.PathLike) -> None:
    """Refuse, before anything runs: an unknown export, one without its roster, a roster the reports would overwrite.

    Args:
        export: ``"canvas"`` or None.
        roster: the roster's path, or None.
        folder: where the reports go (the folder of ``grades.csv``).
    """
    if export is not None and export not in EXPORTS:
        raise bad_input("--export", repr(export), f"one of {', '.join(EXPORTS)}", "Use --export canvas.")
    if export is not None and roster is None:
        raise bad_input("--export canvas", "no --roster", "a roster: the gradebook exported from Canvas, with a "
                        "folder column", "Pass --roster roster.csv.")
    if roster is not None and not Path(roster).is_file():
        raise bad_input(f"--roster '{roster}'", "a path that is not a file", "a CSV file",
                        "Export the gradebook from Canvas and add a folder column.")
    reports = {(Path(folder) / name).resolve() for name in (TOTALS, ANSWERS, SUMMARY, CANVAS)}
    if roster is not None and Path(roster).resolve() in reports:
        raise bad_input(f"--roster '{roster}'", "one of the files grade writes beside --out",
                        "a roster kept apart from them", "Rename the roster, e.g. roster.csv.")
