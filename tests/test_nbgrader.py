"""nbgrader takes our notebooks as they are: generate_assignment, then autograde a correct and an untouched submission.

In a throwaway course folder: the solution notebooks are nbgrader's ``source``; ``nbgrader
generate_assignment`` must accept them (its default ``enforce_metadata`` needs the cell metadata
scripts/make_exercises writes) and release what scripts/make_exercises releases, up to the
differences listed below; ``nbgrader autograde`` (in fast mode) must give the solutions every
autograded point and the untouched release none.

nbgrader is not among the project's requirements: CI's nbgrader step installs it in a venv of its own
and runs this file there; elsewhere the tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed here; CI's nbgrader step runs this file "
                                       "(pip install nbgrader to run it yourself)")

from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES  # noqa: E402

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(path.name for path in (ROOT / "notebooks" / "exercises").glob("*.ipynb"))
# What nbgrader's release adds to a graded cell's nbgrader metadata (an integrity checksum, the cell's type),
# and the text of a written answer: nbgrader puts its code stub inside the answer's string, we put
# YOUR ANSWER HERE there (both are placeholders to the checks and the grader).
ALLOWED_NBGRADER_KEYS = {"checksum", "cell_type"}


def _nbgrader(course: Path, *arguments: str) -> None:
    env = {**os.environ, "SPRINT19_FAST": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course, env=env, capture_output=True,
                            text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'sprint19'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.Execute.timeout = 900  # a fast-mode training cell on a slow machine\n", encoding="utf-8")
    source = course / "source" / "ps1"
    source.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(ROOT / "notebooks" / name, source / name)
    _nbgrader(course, "generate_assignment", "ps1", "--force")
    for student, folder in (("correct", source), ("untouched", course / "release" / "ps1")):
        (course / "submitted" / student / "ps1").mkdir(parents=True)
        for name in NAMES:
            shutil.copy(folder / name, course / "submitted" / student / "ps1" / name)
    _nbgrader(course, "autograde", "ps1", "--create", "--force")
    return course


@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_releases_what_make_exercises_makes(course, name):
    theirs = json.loads((course / "release" / "ps1" / name).read_text(encoding="utf-8"))
    mine = json.loads((ROOT / "notebooks" / "exercises" / name).read_text(encoding="utf-8"))
    assert theirs["metadata"] == mine["metadata"] and len(theirs["cells"]) == len(mine["cells"])
    for their_cell, my_cell in zip(theirs["cells"], mine["cells"]):
        their_grading = their_cell["metadata"].pop("nbgrader", {})
        my_grading = my_cell["metadata"].pop("nbgrader", {})
        assert {key: value for key, value in their_grading.items() if key not in ALLOWED_NBGRADER_KEYS} == my_grading
        assert their_cell == my_cell or _written_answer_stub_only(their_cell, my_cell), my_cell["id"]


def _written_answer_stub_only(theirs: dict, mine: dict) -> bool:
    their_source, my_source = "".join(theirs["source"]), "".join(mine["source"])
    return ('"""\nYOUR ANSWER HERE\n"""' in my_source
            and my_source.replace("YOUR ANSWER HERE", "# YOUR CODE HERE\nraise NotImplementedError()") == their_source
            and {**theirs, "source": ""} == {**mine, "source": ""})


def _scores(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("ps1", student)
        return {notebook.name: {grade.name: grade.auto_score for grade in notebook.grades}
                for notebook in submission.notebooks}


def test_autograde_gives_the_solutions_every_point_and_the_untouched_copies_none(course):
    correct, untouched = _scores(course, "correct"), _scores(course, "untouched")
    for name in NAMES:
        stem = name[: -len(".ipynb")]
        assignment = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["metadata"]["sprint19"][
            "assignment"]
        for exercise in ASSIGNMENTS[assignment]:
            item = EXERCISES[exercise]
            if item.kind == "text":  # manually graded: nbgrader leaves the solutions' to the teacher
                assert correct[stem][exercise] is None and untouched[stem][exercise] == 0
            else:
                assert correct[stem][f"{exercise}_check"] == item.points, (stem, exercise)
                assert untouched[stem][f"{exercise}_check"] == 0, (stem, exercise)
