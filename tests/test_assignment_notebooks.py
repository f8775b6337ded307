"""Our own notebooks in assignment mode: every exercise is checked, solved ones pass, untouched ones fail.

* The solution notebooks (notebooks/01…, 02…) hold one check cell per exercise of their assignment;
  each committed output is one ✅ line, and strict nbval re-executes these cells in fast mode and
  compares that line (no NBVAL_IGNORE_OUTPUT on them) — so "the solution notebooks pass every check"
  is proven on every test run, without executing them a second time here.
* The exercise notebooks (notebooks/exercises/, made by scripts/make_exercises) go through the real
  ``grade`` command: every exercise gets a failing row with a reason, and the grader exits 0.
"""

import csv
import functools
import json
import re
import shutil
from pathlib import Path

import pytest

from sprint19_unet.cli import main
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES, FAIL_MARK, PASS_MARK

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE_NOTEBOOKS = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
CHECK_CALL = re.compile(r"s19\.exercises\.(check_\w+)\((?:[\"'](\w+)[\"'])?")
BY_FUNCTION = {check.__name__: name for name, check in EXERCISES.items() if not isinstance(check, functools.partial)}


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _assignment(path: Path) -> str | None:
    return _read(path)["metadata"].get("sprint19", {}).get("assignment")


def _check_cells(notebook: dict) -> dict[str, dict]:
    """Exercise name → the code cell that runs its check."""
    found = {}
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not (match := CHECK_CALL.search(source)):
            continue
        function, question = match.groups()
        exercise = f"answer_{question}" if function == "check_answer" else BY_FUNCTION[function]
        assert exercise not in found, f"two cells check {exercise}"
        found[exercise] = cell
    return found


def test_each_assignment_has_its_solution_notebook_and_its_exercise_notebook():
    assignments = {path.name: _assignment(path) for path in SOLUTIONS if _assignment(path)}
    assert sorted(assignments.values()) == sorted(ASSIGNMENTS)
    assert sorted(path.name for path in EXERCISE_NOTEBOOKS) == sorted(assignments)


@pytest.mark.parametrize("path", [path for path in SOLUTIONS if _assignment(path)], ids=lambda path: path.name)
def test_the_solution_notebook_passes_every_check_and_nbval_compares_it(path):
    notebook = _read(path)
    cells = _check_cells(notebook)
    assert list(cells) == list(ASSIGNMENTS[_assignment(path)]), "one check cell per exercise, in order"
    for exercise, cell in cells.items():
        source = "".join(cell["source"])
        assert "NBVAL_IGNORE_OUTPUT" not in source and "NBVAL_SKIP" not in source, exercise
        assert "nbval-ignore-output" not in cell["metadata"].get("tags", []), exercise
        texts = ["".join(output.get("text", "")) for output in cell["outputs"]]
        assert len(texts) == 1 and texts[0].startswith(PASS_MARK) and texts[0].count("\n") == 1, (exercise, texts)


def test_the_untouched_exercise_notebooks_fail_every_check_and_the_grader_goes_on(tmp_path, monkeypatch, capsys):
    here = str(ROOT)
    monkeypatch.setenv("PYTHONPATH", here)  # the kernels import this checkout
    submissions = tmp_path / "submissions" / "student"
    submissions.mkdir(parents=True)
    for path in EXERCISE_NOTEBOOKS:
        shutil.copy(path, submissions / path.name)
    out = tmp_path / "grades.csv"
    assert main(["grade", str(submissions.parent), "--out", str(out), "--jobs", "2", "--timeout", "300"]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "student,exercise,passed,message,seconds"
    graded = list(csv.DictReader(rows))
    expected = {(f"student/{path.stem}", exercise) for path in EXERCISE_NOTEBOOKS
                for exercise in ASSIGNMENTS[_assignment(path)]}
    assert {(row["student"], row["exercise"]) for row in graded} == expected
    for row in graded:
        assert row["passed"] == "0", row
        # a check that ran says what is missing; one that could not run says why
        assert row["message"].startswith(FAIL_MARK) or row["message"].startswith("not attempted"), row
    messages = {row["exercise"]: row["message"] for row in graded}
    assert "not done yet" in messages["rle"] and "placeholder" in messages["answer_weight_map"]
    # the training cell raised: section 7 scored the untrained model that section 4 built, which is no better
    # than predicting empty masks
    assert "does not beat the predict-empty baseline" in messages["beats_empty_baseline"]
    summary = capsys.readouterr().out
    for path in EXERCISE_NOTEBOOKS:
        assert re.search(rf"student/{path.stem}\s+0/{len(ASSIGNMENTS[_assignment(path)])}\s", summary), summary
