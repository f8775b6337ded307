"""Grade exercise notebooks so that a student cannot forge the grade: the student computes, the grader judges.

``python -m sprint19_unet grade SUBMISSIONS --out grades.csv`` (or :func:`grade_submissions`) runs
every notebook of a folder, each in a **room of its own** (:mod:`.room`: a temporary copy of its own
folder, a memory limit, every process it starts killed at the end), then asks the notebook's
functions for their answers on **grade-time cases** — drawn when grading starts, never shown to the
student — and judges the answers, brought back as plain data, **in the grader's own process**
(:mod:`.judge`). The notebooks' visible self-checks decide nothing. One row per student and
exercise goes to the CSV as each notebook finishes (:mod:`.report`).

=================  ==========================================================================================
module             what it does
=================  ==========================================================================================
``batch``          :func:`grade_submissions`: the whole batch, in order
``submissions``    finding the notebooks (links reported, never followed), reading them first
``judge``          the grade-time cases; judging answers; the review heuristic
``room``           one notebook's room (a process of its own)
``kernel``         the IPython kernel a room runs: limits, capped outputs
``in_kernel``      what runs inside the student's kernel to answer the grader's questions
``processes``      every process a submission starts: found, measured, killed (Linux)
``report``         rows, the CSV (escaped, formula-safe) and the summary
``totals``         totals per student, answers to mark and ``--merge``, the per-exercise summary, Canvas export
=================  ==========================================================================================
"""

from sprint19_unet.teaching.grading.batch import (
    DEFAULT_CELL_TIMEOUT, DEFAULT_MEMORY, DEFAULT_TIMEOUT, grade_submissions, parse_memory,
)
from sprint19_unet.teaching.grading.report import CSV_COLUMNS, NOTEBOOK_ROW, GradeRow, Grades, NotebookRun
from sprint19_unet.teaching.grading.submissions import Submission, assignment_of, find_submissions

__all__ = ["grade_submissions", "DEFAULT_TIMEOUT", "DEFAULT_CELL_TIMEOUT", "DEFAULT_MEMORY", "parse_memory", "Grades",
           "GradeRow", "NotebookRun", "CSV_COLUMNS", "NOTEBOOK_ROW", "Submission", "find_submissions", "assignment_of"]
