"""What a TA hands in: totals per student, answers to mark and --merge, the class's common mistakes, a Canvas import.

No kernel runs here: the rows are written as ``grade`` writes them, and the command line is called with
``--merge`` (which reads them back) or with arguments it refuses before anything runs.
"""

from __future__ import annotations

import csv

import pytest

from cli_helpers import run_cli
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES
from sprint19_unet.teaching.grading.report import GradeRow, csv_text
from sprint19_unet.teaching.grading.totals import (
    ANSWERS, CANVAS, SUMMARY, TOTALS, exercise_summary, read_answers, read_grades, student_totals, write_reports,
)

PROBLEM1, PROBLEM2 = ASSIGNMENTS["problem1"], ASSIGNMENTS["problem2"]
WRITTEN = [name for name in PROBLEM2 if EXERCISES[name].kind == "text"]


def _notebook(student: str, notebook: str, names, passing: set, hint: str = "") -> list[GradeRow]:
    rows = []
    for name in names:
        if EXERCISES[name].kind == "text":
            rows.append(GradeRow(student, notebook, name, None, None, f"review: a written answer | answer: {student} "
                                 f"says {name}", 3.0))
        elif name in passing:
            rows.append(GradeRow(student, notebook, name, True, EXERCISES[name].points, "✅ 6/6 grade-time cases", 3.0))
        else:
            rows.append(GradeRow(student, notebook, name, False, 0, "❌ 0/6 grade-time cases; case 1 (…): …", 3.0, hint))
    return rows


@pytest.fixture
def rows():
    return [
        *_notebook("ann", "ann/problem1", PROBLEM1, set(PROBLEM1)),
        *_notebook("ann", "ann/problem2", PROBLEM2, {"valid_output_size", "copy_and_crop"}, "count the biases"),
        *_notebook("ann", "ann/problem2-copy", PROBLEM2, set(), "count the biases"),  # the worse copy does not count
        *_notebook("bob", "bob/problem2", PROBLEM2, {"valid_output_size"}, "count the biases"),
        GradeRow("cat", "cat", "notebook", False, 0, "no assignment: …", 0.0),
    ]


def test_totals_add_up_each_students_best_notebook_per_assignment(rows):
    totals = {total.student: total for total in student_totals(rows, {})}
    possible = sum(EXERCISES[name].points for name in (*PROBLEM1, *PROBLEM2))
    assert totals["ann"].assignments == {"problem1": len(PROBLEM1), "problem2": 2}
    assert (totals["ann"].points, totals["ann"].out_of, totals["ann"].review) == (len(PROBLEM1) + 2, possible, 3)
    assert totals["bob"].assignments == {"problem1": 0, "problem2": 1} and totals["bob"].review == 3
    assert totals["cat"].points == 0 and totals["cat"].out_of == possible  # handed in nothing gradable


def test_the_teachers_marks_count_and_leave_nothing_to_review(rows):
    marks = {("ann/problem2", name): 0.5 for name in WRITTEN}
    ann = {total.student: total for total in student_totals(rows, marks)}["ann"]
    assert ann.assignments["problem2"] == 2 + 0.5 * len(WRITTEN) and ann.review == 0


def test_reports_are_written_and_marks_survive_grading_again(rows, tmp_path):
    lines = write_reports(tmp_path, rows)
    assert lines[0].startswith("wrote ") and all((tmp_path / name).is_file() for name in (TOTALS, SUMMARY, ANSWERS))
    with open(tmp_path / ANSWERS, newline="", encoding="utf-8") as file:
        answers = list(csv.DictReader(file))
    assert len(answers) == 3 * len(WRITTEN) and {row["points"] for row in answers} == {""}
    for row in answers:
        row["points"] = "1" if row["notebook"] == "ann/problem2" else ""
    with open(tmp_path / ANSWERS, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(answers[0]))
        writer.writeheader()
        writer.writerows(answers)
    changed = [row if not (row.notebook == "ann/problem2" and row.exercise == WRITTEN[0])
               else GradeRow(row.student, row.notebook, row.exercise, None, None, "review: | answer: rewritten", 3.0)
               for row in rows]
    write_reports(tmp_path, changed)  # grading again: the marks of unchanged answers are kept
    kept = {key: points for key, (points, _) in read_answers(tmp_path / ANSWERS).items() if points is not None}
    assert kept == {("ann/problem2", name): 1.0 for name in WRITTEN[1:]}
    with open(tmp_path / TOTALS, newline="", encoding="utf-8") as file:
        ann = next(row for row in csv.DictReader(file) if row["student"] == "ann")
    assert ann["problem2"] == str(2 + len(WRITTEN) - 1) and ann["review"] == "1"


def test_merge_folds_the_marks_into_the_totals_without_running_notebooks(rows, tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text(csv_text(rows), encoding="utf-8")
    assert len(read_grades(grades)) == len(rows)
    write_reports(tmp_path, rows)
    marked = (tmp_path / ANSWERS).read_text(encoding="utf-8").replace(",,1\n", ",1,1\n")  # every answer: 1 point
    (tmp_path / "marked.csv").write_text(marked, encoding="utf-8")
    result = run_cli("grade", "--merge", tmp_path / "marked.csv", "--out", grades)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / TOTALS, newline="", encoding="utf-8") as file:
        totals = {row["student"]: row for row in csv.DictReader(file)}
    assert totals["bob"]["problem2"] == str(1 + len(WRITTEN)) and totals["bob"]["review"] == "0"


@pytest.mark.parametrize("points, pattern", [("-1", "a number from 0 to 1"), ("two", "a number from 0 to 1"),
                                             ("1.5", "a number from 0 to 1")])
def test_bad_marks_are_one_error_naming_the_file_and_line(rows, tmp_path, points, pattern):
    write_reports(tmp_path, rows)
    lines = (tmp_path / ANSWERS).read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 2)[0] + f",{points},1"
    (tmp_path / ANSWERS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(Sprint19Error, match=rf"answers file '.*answers.csv', line 3: expected {pattern}"):
        read_answers(tmp_path / ANSWERS)


def test_the_summary_names_each_exercises_most_frequent_hint(rows):
    summary = {line[0]: line for line in exercise_summary(rows)}
    assert summary["parameter_count"] == ("parameter_count", 3, 0, "0%", 0, "count the biases (3×)")
    assert summary["valid_output_size"][1:4] == (3, 2, "67%")
    assert summary["answer_weight_map"][4] == 3


def test_canvas_export_from_a_roster_reports_who_is_on_one_side_only(rows, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (101),folder\n"
                      "    Points Possible,,,,,10,\n"
                      "\"Lee, Ann\",11,S11,ann,A,9,ann\n"
                      "\"Ray, Dan\",12,S12,dan,A,7,dan\n", encoding="utf-8")
    lines = write_reports(tmp_path, rows, export="canvas", roster=roster)
    with open(tmp_path / CANVAS, newline="", encoding="utf-8") as file:
        exported = list(csv.reader(file))
    assert exported[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "problem1", "problem2"]
    assert exported[1][0] == "    Points Possible" and exported[1][5:] == [str(len(PROBLEM1)), str(len(PROBLEM2))]
    assert exported[2] == ["Lee, Ann", "11", "S11", "ann", "A", str(len(PROBLEM1)), "2"]
    assert exported[3][5:] == ["", ""]
    assert "not in the roster (not exported): bob, cat" in lines and any("dan" in line for line in lines)


def test_the_command_line_refuses_what_cannot_work_before_anything_runs(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "canvas.csv").write_text("Student,ID,SIS User ID,SIS Login ID,Section,folder\n", encoding="utf-8")
    for arguments, pattern in (
        (("--export", "canvas"), "--roster"),
        (("--merge", tmp_path / "answers.csv", tmp_path / "subs"), "either SUBMISSIONS"),
        ((), "no SUBMISSIONS"),
        (("--merge", tmp_path / "answers.csv"), "grades file"),
        ((tmp_path / "subs", "--cell-timeout", "0"), "cell_timeout"),
        ((tmp_path / "subs", "--export", "canvas", "--roster", tmp_path / "canvas.csv"), "one of the files grade writes"),
    ):
        result = run_cli("grade", *arguments, "--out", tmp_path / "grades.csv")
        assert result.returncode == 2 and pattern in result.stderr, (arguments, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "canvas.csv").read_text(encoding="utf-8").startswith("Student,")  # the roster is intact
