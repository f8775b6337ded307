"""Our own notebooks in assignment mode: solved ones earn every pass, untouched ones none.

* The solution notebooks (notebooks/01…, 02…) hold one check cell per exercise of their assignment,
  in the registry's order; each committed output is one ✅ line, and strict nbval re-executes these
  cells in fast mode and compares that line (no NBVAL_IGNORE_OUTPUT on them).
* The solution notebooks and the exercise notebooks (notebooks/exercises/, made by
  scripts/make_exercises) go through the real ``grade`` command, as two students: the solutions pass
  every exercise the grader judges on its own cases (their written answers go to review), the
  untouched copies none, each failing row with a reason.
"""

import csv
import functools
import json
import re
import shutil
from pathlib import Path

import pytest

from sprint19_unet.cli import main
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES, PASS_MARK
from sprint19_unet.teaching.exercises.registry import notebook_assignment
from sprint19_unet.teaching.grading.judge import defines

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE_NOTEBOOKS = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
CHECK_CALL = re.compile(r"s19\.exercises\.(check_\w+)\((?:[\"'](\w+)[\"'])?")
BY_FUNCTION = {item.check.__name__: name for name, item in EXERCISES.items() if not isinstance(item.check, functools.partial)}


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _assignment(path: Path) -> str | None:
    return notebook_assignment(_read(path)["metadata"])


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


def _text(cell: dict) -> str:
    outputs = json.dumps(cell.get("outputs", []), ensure_ascii=False)
    return "".join(cell["source"]) + outputs


def _defines(cell: dict, names) -> bool:
    return cell["cell_type"] == "code" and defines("".join(cell["source"]), names)


@pytest.mark.parametrize("path", [path for path in SOLUTIONS + EXERCISE_NOTEBOOKS if _assignment(path)],
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_cell_before_an_exercise_gives_its_answer_away(path):
    cells = _read(path)["cells"]
    for name in ASSIGNMENTS[_assignment(path)]:
        item = EXERCISES[name]
        answer = next(index for index, cell in enumerate(cells) if _defines(cell, item.names))
        statement = answer - 1
        assert cells[statement]["cell_type"] == "markdown", f"{name}: its statement comes just before its answer"
        for index, cell in enumerate(cells[:statement]):
            for tale in item.tell_tales:
                assert tale not in _text(cell), f"cell {index + 1} gives away {name}: {tale!r}"


GETSOURCE = re.compile(r"getsource\(\s*(?:s19\.|[\w.]*\.)?(\w+)|\b(?:s19\.)?(\w+)\?\?")


def test_no_notebook_prints_the_source_of_a_function_an_exercise_asks_for():
    rewritten = {name for item in EXERCISES.values() for name in item.rewrites}
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in _read(path)["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            shown = {name for match in GETSOURCE.finditer(source) for name in match.groups() if name}
            shown |= {name for name in rewritten if re.search(rf"getsource\([^)]*\b{name}\b", source)}
            assert not shown & rewritten, f"{path.name} prints the source of {sorted(shown & rewritten)}"


def test_graded_as_students_the_solutions_pass_and_the_untouched_copies_do_not(tmp_path, monkeypatch, capsys):
    here = str(ROOT)
    monkeypatch.setenv("PYTHONPATH", here)  # the kernels import this checkout
    submissions = tmp_path / "submissions"
    for student, folder in (("solution", ROOT / "notebooks"), ("untouched", ROOT / "notebooks" / "exercises")):
        (submissions / student).mkdir(parents=True)
        for path in EXERCISE_NOTEBOOKS:
            shutil.copy(folder / path.name, submissions / student / path.name)
    out = tmp_path / "grades.csv"
    assert main(["grade", str(submissions), "--out", str(out), "--jobs", "2", "--timeout", "600"]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "student,notebook,exercise,passed,points,message,hint,seconds"
    graded = list(csv.DictReader(rows))
    expected = {(f"{student}/{path.stem}", exercise) for student in ("solution", "untouched")
                for path in EXERCISE_NOTEBOOKS for exercise in ASSIGNMENTS[_assignment(path)]}
    assert {(row["notebook"], row["exercise"]) for row in graded} == expected
    for row in graded:
        written = EXERCISES[row["exercise"]].kind == "text"
        if row["student"] == "solution":
            assert row["passed"] == ("" if written else "1"), row
            assert row["message"].startswith("review: " if written else PASS_MARK), row
        else:
            assert row["passed"] == "0", row
    messages = {row["exercise"]: row["message"] for row in graded if row["student"] == "untouched"}
    assert "not done yet" in messages["rle"] and messages["answer_weight_map"].endswith("placeholder")
    # the training cell raised: the grader asked the untrained model that section 4 built, which is no better than
    # predicting empty masks on the grader's new images
    assert "does not beat the predict-empty baseline" in messages["training"]
    summary = capsys.readouterr().out
    for path in EXERCISE_NOTEBOOKS:
        assert re.search(rf"untouched/{path.stem}\s+0/{len(ASSIGNMENTS[_assignment(path)])}\s", summary), summary
