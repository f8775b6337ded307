"""The grade command: tiny notebooks written here, run in real kernels; crashes and loops do not stop the batch.

Two batches run (about 40 s on two busy cores): the main one through the command line, two at a
time — a solution notebook, an untouched one, one with an error in cell 2, one whose kernel dies,
a file that is not JSON, one with no assignment, and a checkpoint copy that must be skipped — and
one through the Python API with a notebook that loops forever (20 s limit) followed by another.
"""

import csv
import io
import os
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import sprint19_unet as s19
from sprint19_unet.cli import main
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.teaching.exercises import ASSIGNMENTS
from sprint19_unet.teaching.grading import (
    CSV_COLUMNS, FINISHED, NOTEBOOK_ROW, GradeRow, Grades, NotebookRun, _rows_of, expected_exercises,
    find_submissions, grade_submissions,
)

PROBLEM2 = ASSIGNMENTS["problem2"]
ANSWER = ("The answer in my own words: the network loses pixels at every unpadded convolution, so the output "
          "is smaller than the input, and the missing context is mirrored at the image border.")
IMPORTS = "import numpy as np\nimport sprint19_unet as s19"

SOLUTIONS = [
    "def output_size(input_size):\n    return s19.unet_output_size(input_size)\n\n"
    "s19.exercises.check_valid_output_size(output_size)",
    "def copy_and_crop(features, upsampled):\n"
    "    dh = (features.shape[1] - upsampled.shape[1]) // 2\n"
    "    dw = (features.shape[2] - upsampled.shape[2]) // 2\n"
    "    centre = features[:, dh:dh + upsampled.shape[1], dw:dw + upsampled.shape[2]]\n"
    "    return np.concatenate([centre, upsampled], axis=-1)\n\n"
    "s19.exercises.check_copy_and_crop(copy_and_crop)",
    "def transposed(x, kernel, stride):\n"
    "    return s19.conv2d_transpose(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]\n\n"
    "s19.exercises.check_transposed_conv(transposed)",
    "s19.exercises.check_parameter_count(31_030_658)",
    *(f"s19.exercises.check_answer({question!r}, {ANSWER!r})" for question in ("overlap_tile", "weight_map",
                                                                                "augmentation")),
]
TEMPLATES = [
    "def output_size(input_size):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\n"
    "s19.exercises.check_valid_output_size(output_size)",
    "def copy_and_crop(features, upsampled):\n    raise NotImplementedError\n\n"
    "s19.exercises.check_copy_and_crop(copy_and_crop)",
    "def transposed(x, kernel, stride):\n    raise NotImplementedError\n\n"
    "s19.exercises.check_transposed_conv(transposed)",
    "count = ...  # YOUR ANSWER\ns19.exercises.check_parameter_count(count)",
    *(f"s19.exercises.check_answer({question!r}, 'YOUR ANSWER HERE')" for question in ("overlap_tile", "weight_map",
                                                                                         "augmentation")),
]


def write_notebook(path: Path, *cells: str, assignment: str | None = None) -> Path:
    notebook = new_notebook(cells=[new_markdown_cell("# Exercises")] + [new_code_cell(cell) for cell in cells])
    if assignment:
        notebook.metadata["sprint19"] = {"assignment": assignment}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _import_this_checkout(monkeypatch) -> None:
    """The kernels run in the notebooks' folders: make them import the package under test."""
    here = str(Path(s19.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))


@pytest.fixture(autouse=True)
def kernels_import_this_checkout(monkeypatch):
    _import_this_checkout(monkeypatch)


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def main_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    subs = root / "submissions"
    # cells are counted from 1 with the Markdown title: the imports are cell 2
    write_notebook(subs / "alice" / "problem2.ipynb", IMPORTS, *SOLUTIONS, assignment="problem2")
    write_notebook(subs / "alice" / ".ipynb_checkpoints" / "problem2-checkpoint.ipynb", "1/0")
    write_notebook(subs / "bob" / "problem2.ipynb", IMPORTS, *TEMPLATES, assignment="problem2")
    write_notebook(subs / "carol" / "problem2.ipynb", "raise RuntimeError('my bug')", IMPORTS, SOLUTIONS[0],
                   "undefined_name", assignment="problem2")
    write_notebook(subs / "dave" / "problem2.ipynb", IMPORTS, SOLUTIONS[0], "import os\nos._exit(1)",
                   SOLUTIONS[3], assignment="problem2")
    (subs / "erin").mkdir()
    (subs / "erin" / "problem2.ipynb").write_text("this is not JSON", encoding="utf-8")
    write_notebook(subs / "frank" / "homework.ipynb", IMPORTS, "s19.exercises.check_rle(s19.encode_rle)")
    out, executed = root / "grades.csv", subs / "executed"  # executed copies inside: must not be graded next time
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, redirect_stdout(stdout):
        _import_this_checkout(monkeypatch)
        code = main(["grade", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "240",
                     "--executed", str(executed)])
    rows = _read_csv(out)
    return {"code": code, "stdout": stdout.getvalue(), "rows": rows, "subs": subs, "executed": executed,
            "by": {(row["student"], row["exercise"]): row for row in rows}}


def test_the_batch_ran_and_wrote_one_row_per_student_and_exercise(main_batch):
    assert main_batch["code"] == 0
    rows = main_batch["rows"]
    assert tuple(rows[0]) == CSV_COLUMNS
    students = sorted({row["student"] for row in rows})
    assert students == ["alice/problem2", "bob/problem2", "carol/problem2", "dave/problem2", "erin/problem2",
                        "frank/homework"]
    for student in students[:5]:
        assert [row["exercise"] for row in rows if row["student"] == student] == list(PROBLEM2)
    assert len({(row["student"], row["exercise"]) for row in rows}) == len(rows)


def test_the_solution_notebook_passes_every_check(main_batch):
    rows = [row for row in main_batch["rows"] if row["student"] == "alice/problem2"]
    assert all(row["passed"] == "1" for row in rows), rows
    assert rows[0]["message"].startswith("✅ check_valid_output_size") and float(rows[0]["seconds"]) > 0
    assert rows[-1]["message"].endswith("| answer: " + ANSWER)


def test_the_untouched_notebook_fails_every_check_with_its_hint(main_batch):
    rows = {row["exercise"]: row for row in main_batch["rows"] if row["student"] == "bob/problem2"}
    assert all(row["passed"] == "0" for row in rows.values())
    assert "not done yet" in rows["valid_output_size"]["message"]
    assert "no answer yet" in rows["parameter_count"]["message"]
    assert "placeholder" in rows["answer_weight_map"]["message"]


def test_an_error_in_cell_2_does_not_stop_the_later_checks(main_batch):
    by = main_batch["by"]
    assert by[("carol/problem2", "valid_output_size")]["passed"] == "1"
    message = by[("carol/problem2", "copy_and_crop")]["message"]
    assert message == "not attempted: its check did not run; first error at cell 2: RuntimeError: my bug"


def test_a_dead_kernel_keeps_the_results_before_it(main_batch):
    by = main_batch["by"]
    assert by[("dave/problem2", "valid_output_size")]["passed"] == "1"
    assert by[("dave/problem2", "parameter_count")]["message"].startswith("the kernel died (at cell 4)")


def test_a_file_that_is_not_a_notebook_fails_its_exercises(main_batch):
    rows = [row for row in main_batch["rows"] if row["student"] == "erin/problem2"]
    assert len(rows) == len(PROBLEM2) and all(row["passed"] == "0" for row in rows)
    assert rows[0]["message"].startswith("not a notebook: NotJSONError") and rows[0]["seconds"] == "0.0"


def test_a_notebook_without_assignment_gets_every_exercise_the_batch_reported(main_batch):
    rows = {row["exercise"]: row for row in main_batch["rows"] if row["student"] == "frank/homework"}
    assert set(rows) == set(PROBLEM2) | {"rle"}
    assert rows["rle"]["passed"] == "1" and rows["valid_output_size"]["message"].startswith("not attempted")


def test_the_summary_and_the_executed_copies(main_batch):
    out = main_batch["stdout"]
    assert "alice/problem2  7/7" in out and "bob/problem2    0/7" in out
    assert "not a notebook: NotJSONError" in out and "the kernel died (at cell 4)" in out
    assert "wrote " in out.splitlines()[-1]
    executed = nbformat.read(main_batch["executed"] / "alice" / "problem2.ipynb", as_version=4)
    assert "✅ check_copy_and_crop" in executed.cells[3].outputs[0]["text"]
    assert [s.student for s in find_submissions(main_batch["subs"], exclude=[main_batch["executed"]])][0] == \
        "alice/problem2"


def test_a_looping_notebook_times_out_and_the_batch_goes_on(tmp_path):
    write_notebook(tmp_path / "a_loop.ipynb", IMPORTS, "s19.exercises.check_rle(s19.encode_rle)", "while True:\n    pass")
    write_notebook(tmp_path / "b_after.ipynb", "print('still graded')")
    lines = []
    grades = grade_submissions(tmp_path, timeout=20, jobs=1, log=lines.append)
    loop, after = grades.runs
    assert loop.status == "timed out" and 19 < loop.seconds < 60
    assert after.status == FINISHED
    assert [(row.student, row.exercise, row.passed) for row in grades.rows] == [
        ("a_loop", "rle", True), ("b_after", "rle", False)]
    assert grades.rows[1].message == "not attempted: its check did not run"
    assert lines[0].startswith("ran a_loop: timed out, 1 check reported")


# === Without kernels ===


def test_no_notebook_is_one_error_and_exit_code_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no notebooks here")
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "grades.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no notebook (*.ipynb)" in err[0]
    assert main(["grade", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "grades.csv").exists()


def test_bad_arguments_are_refused_before_anything_runs(tmp_path):
    write_notebook(tmp_path / "a.ipynb", "1")
    with pytest.raises(Sprint19Error, match="timeout"):
        grade_submissions(tmp_path, timeout=0)
    with pytest.raises(Sprint19Error, match="jobs"):
        grade_submissions(tmp_path, jobs=0)
    with pytest.raises(Sprint19Error, match="assignment"):
        grade_submissions(tmp_path, assignment="problem9")
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path), "--assignment", "problem9"])


def test_which_exercises_a_notebook_holds():
    notebook = new_notebook()
    assert expected_exercises("x.ipynb", notebook) is None
    notebook.metadata["sprint19"] = {"assignment": "problem2"}
    assert expected_exercises("problem1.ipynb", notebook) == PROBLEM2  # metadata before the file name
    assert expected_exercises("Copy of 01_Problem-1 exercises (2).ipynb") == ASSIGNMENTS["problem1"]
    assert expected_exercises("problem1.ipynb", notebook, assignment="problem1") == ASSIGNMENTS["problem1"]


def test_rows_for_a_run_that_reported_nothing():
    run = NotebookRun("ann", Path("ann.ipynb"), FINISHED, 1.23, first_error="cell 2: NameError: x")
    assert _rows_of(run, ()) == [GradeRow("ann", NOTEBOOK_ROW, False, "no exercise check ran; first error at cell 2: "
                                          "NameError: x", 1.2)]


def test_the_csv_quotes_messages_with_commas_and_quotes():
    grades = Grades((GradeRow("a, b", "rle", False, 'expected "3 4", got 1', 2.0),), ())
    rows = list(csv.reader(io.StringIO(grades.to_csv())))
    assert rows[1] == ["a, b", "rle", "0", 'expected "3 4", got 1', "2.0"]


def test_find_submissions_skips_hidden_folders(tmp_path):
    write_notebook(tmp_path / "z" / "b.ipynb", "1")
    write_notebook(tmp_path / ".hidden" / "c.ipynb", "1")
    write_notebook(tmp_path / "a.ipynb", "1")
    assert [s.student for s in find_submissions(tmp_path)] == ["a", "z/b"]
    assert [s.student for s in find_submissions(tmp_path / "a.ipynb")] == ["a"]


def test_a_dead_kernels_reason_skips_tensorflows_chatter(tmp_path):
    from sprint19_unet.teaching.grading import _telling_log_line

    log = tmp_path / "kernel.log"
    log.write_text("I0000 00:00:1 port.cc:153] oneDNN custom operations are on ... round-off errors\n"
                   "Fatal Python error: Segmentation fault\n"
                   "W0000 00:00:1 something else\n")
    assert _telling_log_line(log) == "Fatal Python error: Segmentation fault"
    log.write_text("I0000 00:00:1 port.cc:153] round-off errors from different computation orders\n")
    assert _telling_log_line(log) == ""
