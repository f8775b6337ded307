"""The grades file and the terminal summary: one row per student and exercise, safe to open anywhere.

Everything a row says about a student comes from the student (a file name, an exception message,
a written answer), so everything is made safe before it is shown: characters that are not
printable — a file name that is not UTF-8, a control or bidirectional-override character — are
written as escapes (``Sch\\xfcler``), and a CSV cell that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``, as
OWASP's advice on CSV injection says.

The CSV's columns: ``student,notebook,exercise,passed,points,message,hint,seconds`` — the student is
the notebook's first folder, so all of one student's notebooks add up; ``passed`` is ``1`` or ``0``, or
empty for a row the teacher decides (``review``: a written answer, or an answer whose code names the
package's own solution); ``points`` follows it; ``hint`` is what the notebook's check would have told
the student about the first failing case.

Example:
    >>> printable("Sch\\udcfcler\\u202e.ipynb")
    'Sch\\\\xfcler\\\\u202e.ipynb'
    >>> spreadsheet_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from pathlib import Path

from sprint19_unet import atomic
from sprint19_unet.errors import one_line, printable  # noqa: F401  (printable: used from here too)

CSV_COLUMNS = ("student", "notebook", "exercise", "passed", "points", "message", "hint", "seconds")
NOTEBOOK_ROW = "notebook"  # the exercise column of the one row about a notebook that has no exercise to show
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (``'`` before ``= + - @``, a tab or CR).

    Example:
        >>> spreadsheet_cell("-1+1"), spreadsheet_cell("ok")
        ("'-1+1", 'ok')
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One row of the grades file: one student and one exercise.

    Args:
        student: whose notebook it is (its first folder below the submissions folder).
        notebook: the notebook's path below the submissions folder, without ``.ipynb``.
        exercise: the exercise's name, or ``"notebook"`` for a notebook with no exercise to show.
        passed: True or False, or None when the teacher decides (``review``).
        points: the points earned, or None with ``passed``.
        message: what the grader found.
        seconds: the notebook's grading time (the same on each of its rows).
        hint: the check's hint for the first failing case, or ``""``.
    """

    student: str
    notebook: str
    exercise: str
    passed: bool | None
    points: float | None
    message: str
    seconds: float
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class NotebookRun:
    """How one notebook's grading went, for the summary.

    Args:
        notebook: the notebook's name (its path below the submissions folder).
        status: ``"finished"``, ``"timed out"``, ``"kernel died"``, ``"over a limit"``, ``"could not run"``,
            ``"not a notebook"``, ``"not graded"`` or ``"no assignment"``.
        reason: why it did not finish, else ``""``.
        seconds: wall time of its room.
    """

    notebook: str
    status: str
    reason: str = ""
    seconds: float = 0.0


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def csv_text(rows) -> str:
    """The rows as CSV text with the header :data:`CSV_COLUMNS`, every cell made safe.

    Example:
        >>> print(csv_text([GradeRow("ann", "ann/p1", "rle", True, 1, "✅ 8/8 grade-time cases", 12.5)]), end="")
        student,notebook,exercise,passed,points,message,hint,seconds
        ann,ann/p1,rle,1,1,✅ 8/8 grade-time cases,,12.5
    """
    return table_text(CSV_COLUMNS, [
        (row.student, row.notebook, row.exercise, "" if row.passed is None else str(int(row.passed)),
         _number(row.points), one_line(row.message, 3000), one_line(row.hint, 500), f"{row.seconds:.1f}")
        for row in rows])


def aligned(lines) -> str:
    """A table for the terminal: every column but the last padded to its widest cell, two spaces apart.

    Example:
        >>> print(aligned([("a", "bb", "c"), ("ccc", "d", "long last")]))
        a    bb  c
        ccc  d   long last
    """
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(width) for cell, width in zip(line, widths)), line[-1]]).rstrip()
                     for line in lines)


def written(text: str) -> str:
    """A cell as the grader's files write it: escaped (:func:`printable`), formula-safe (:func:`spreadsheet_cell`).

    Writing twice changes nothing, so names read back from a file match the rows they came from.

    Example:
        >>> written("=1"), written(written("=1"))
        ("'=1", "'=1")
    """
    return spreadsheet_cell(printable(text))


def table_text(columns, rows) -> str:
    """CSV text: a header and rows, every cell escaped (:func:`printable`) and formula-safe (:func:`spreadsheet_cell`).

    Example:
        >>> table_text(("a", "b"), [("=1", "x")])
        "a,b\\n'=1,x\\n"
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([written(str(cell)) for cell in row])
    return text.getvalue()


@dataclasses.dataclass(frozen=True)
class Grades:
    """The grades of a batch.

    Args:
        rows: the CSV's rows, sorted by notebook, then in the order of the assignment.
        runs: one :class:`NotebookRun` per submission, sorted by notebook.
        cases_digest: a fingerprint of the grade-time inputs drawn for this batch (they differ from
            batch to batch; the expected answers are never written anywhere).
    """

    rows: tuple
    runs: tuple
    cases_digest: str = ""

    def summary(self) -> str:
        """A table for the terminal: notebook, automatic passes / exercises, reviews, points, seconds, how it ended.

        Returns:
            The table as text, names escaped.

        Example:
            >>> rows = (GradeRow("ann", "ann/p1", "rle", True, 1, "✅", 12.5),
            ...         GradeRow("ann", "ann/p1", "answer", None, None, "review", 12.5))
            >>> print(Grades(rows, (NotebookRun("ann/p1", "finished", seconds=12.5),)).summary())
            notebook  passed  review  points  seconds  status
            ann/p1    1/2     1       1       12.5     finished
        """
        status = {run.notebook: run.reason or run.status for run in self.runs}
        table = [("notebook", "passed", "review", "points", "seconds", "status")]
        for notebook in dict.fromkeys(row.notebook for row in self.rows):
            rows = [row for row in self.rows if row.notebook == notebook and row.exercise != NOTEBOOK_ROW]
            every = [row for row in self.rows if row.notebook == notebook]
            table.append((printable(notebook), f"{sum(row.passed is True for row in rows)}/{len(rows)}",
                          str(sum(row.passed is None for row in rows)), _number(sum(row.points or 0 for row in rows)),
                          f"{every[0].seconds:.1f}", printable(one_line(status.get(notebook, ""), 80))))
        return aligned(table)


class CsvWriter:
    """Writes the grades file again, atomically, each time a notebook's rows come in.

    A grader that is killed leaves the rows of every notebook finished so far; a notebook that
    deletes or rewrites the file changes nothing that lasts: the next write, from the grader's
    memory, puts every row back.

    Args:
        path: the CSV file, or None to write nothing.
    """

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = Path(path) if path is not None else None
        self.rows: list = []

    def add(self, rows) -> None:
        """Add a notebook's rows and rewrite the file."""
        self.rows.extend(rows)
        if self.path is not None:
            atomic.write_text_atomically(self.path, csv_text(self.ordered()))

    def ordered(self) -> list:
        """The rows so far, sorted by notebook; a notebook's own rows keep their order (its assignment's)."""
        return [row for _, row in sorted(enumerate(self.rows), key=lambda item: (item[1].notebook, item[0]))]
