"""scripts/make_exercises: solutions stripped as nbgrader does, and notebooks/exercises/ up to date."""

import importlib.machinery
import importlib.util
import json
from pathlib import Path

import pytest

from sprint19_unet.teaching.exercises import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    loader = importlib.machinery.SourceFileLoader("make_exercises", str(ROOT / "scripts" / "make_exercises"))
    spec = importlib.util.spec_from_loader("make_exercises", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


make_exercises = _load_script()


def test_code_solution_becomes_not_implemented_at_its_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n\ncheck(f)"
    assert make_exercises.strip_source(source, "code") == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
                                                           "\n\ncheck(f)")


def test_written_answers_and_markdown_become_the_placeholder():
    code = 'answer = """\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\n"""\ncheck(answer)'
    assert make_exercises.strip_source(code, "code") == 'answer = """\nYOUR ANSWER HERE\n"""\ncheck(answer)'
    markdown = "Q?\n\n### BEGIN SOLUTION\nA.\n### END SOLUTION"
    assert make_exercises.strip_source(markdown, "markdown") == "Q?\n\nYOUR ANSWER HERE"


def test_hidden_tests_are_removed():
    source = "check(f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS\nprint('done')"
    assert make_exercises.strip_source(source, "code") == "check(f)\nprint('done')"


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(make_exercises.MarkerError):
        make_exercises.strip_source(source, "code")


def test_exercise_notebooks_are_up_to_date(tmp_path):
    solutions = make_exercises.solution_notebooks()
    assert [path.name for path in solutions] == ["01_problem1_train_and_estimate.ipynb", "02_problem2_code_reading.ipynb"]
    committed = ROOT / "notebooks" / "exercises"
    made = make_exercises.write_exercises(solutions, tmp_path)
    assert sorted(path.name for path in committed.glob("*.ipynb")) == sorted(path.name for path in made)
    for path in made:
        expected = json.loads(path.read_text(encoding="utf-8"))
        actual = json.loads((committed / path.name).read_text(encoding="utf-8"))
        assert actual == expected, f"notebooks/exercises/{path.name} is out of date: run python scripts/make_exercises"


def test_exercise_notebooks_hold_no_solutions_and_no_outputs():
    for path in (ROOT / "notebooks" / "exercises").glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["sprint19"]["assignment"]
        text = json.dumps(nb)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None
        assert "raise NotImplementedError()" in text
        written = any(name.startswith("answer_") for name in ASSIGNMENTS[nb["metadata"]["sprint19"]["assignment"]])
        assert ("YOUR ANSWER HERE" in text) == written


def test_the_solution_notebooks_carry_nbgrader_metadata_made_from_the_markers_and_the_registry():
    import nbformat

    from sprint19_unet.teaching.exercises import EXERCISES

    for path in make_exercises.solution_notebooks():
        nb = nbformat.read(path, as_version=4)
        _, changed = make_exercises.with_nbgrader_metadata(nbformat.read(path, as_version=4))
        assert not changed, f"{path.name}: run python scripts/make_exercises"
        graded = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"] for cell in nb.cells
                  if "nbgrader" in cell.metadata}
        for name in ASSIGNMENTS[nb.metadata["sprint19"]["assignment"]]:
            item = EXERCISES[name]
            if item.kind == "text":  # a manually graded answer; its check cell is only locked
                assert graded[name]["solution"] and graded[name]["grade"] and graded[name]["points"] == item.points
                assert not graded[f"{name}_check"]["grade"] and graded[f"{name}_check"]["locked"]
            else:  # an autograded answer, and a locked test cell worth the exercise's points
                assert graded[name]["solution"] and not graded[name]["grade"]
                assert graded[f"{name}_check"]["grade"] and graded[f"{name}_check"]["locked"]
                assert graded[f"{name}_check"]["points"] == item.points


def test_a_cell_with_a_solution_region_but_no_answer_is_refused():
    from nbformat.v4 import new_code_cell

    cell = new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    with pytest.raises(make_exercises.MarkerError, match="defines none of problem1's answers"):
        make_exercises.cell_role(cell, "problem1")
    assert make_exercises.cell_role(new_code_cell("def rle_encode(mask):\n    ### BEGIN SOLUTION\n    return ''\n    ### END SOLUTION"),
                                    "problem1") == ("rle", "solution")
