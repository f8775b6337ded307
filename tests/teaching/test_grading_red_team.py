"""A red team against ``grade``: every way of cheating we know earns 0 automatic passes; honest work earns them all.

One batch runs through the command line, two rooms at a time: an honest Problem 2 notebook (written
here, NumPy only), the untouched template, and one notebook per trick — forging a results file, patching
the checks, their helpers or NumPy's comparisons, always-equal values and ``str``/``ndarray``
subclasses, reading the expected answer off the stack, calling the package's own solution, hard-coding
the visible cases, printing ✅ lines, ``os._exit`` after forging, killing its own room, processes left
running that rewrite ``grades.csv`` and the honest notebook, deleting files, planting a ``numpy.py`` in
the honest student's folder, forging the grader's files
in the room, lorem ipsum for the written answers. The grade-time cases change from batch to batch; the
honest verdict does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import trick_types
from grading_helpers import (
    HONEST_PROBLEM2, MARKER, TEMPLATE_PROBLEM2, grade, kernels_import_this_checkout, survivors, write_notebook,
)
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES
from sprint19_unet.teaching.grading import grade_submissions

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

PROBLEM2 = ASSIGNMENTS["problem2"]
WRITTEN = [name for name in PROBLEM2 if EXERCISES[name].kind == "text"]
ALL_NAMES = list(EXERCISES)

FORGE = f"""
import json, os
names = {ALL_NAMES!r}
targets = [os.environ.get("SPRINT19_GRADING_RESULTS") or "results.jsonl"]
targets += [value for key, value in os.environ.items() if "RESULT" in key or "GRAD" in key]
for target in targets:
    try:
        with open(target, "a") as file:
            for name in names:
                file.write(json.dumps({{"exercise": name, "passed": True, "message": "✅ forged"}}) + "\\n")
    except OSError:
        pass
for name in names:
    print(f"✅ check_{{name}}: 8/8 cases")
"""

WRONG = """
valid_output_size = lambda input_size: 0
copy_and_crop = lambda features, upsampled: features
count_unet_parameters = lambda **config: 0
transposed_conv = lambda x, kernel, stride: x
"""

PATCH_CHECKS = """
import sprint19_unet as s19
from sprint19_unet.teaching.exercises import EXERCISES, CheckResult
for name, item in EXERCISES.items():
    label = getattr(item.check, "__name__", "check_answer")
    setattr(s19.exercises, label, lambda *args, _name=name, **kwargs: print("✅ passed") or
            CheckResult(_name, True, "✅ passed", 1, 1))
s19.exercises.check_valid_output_size(valid_output_size)
s19.exercises.check_copy_and_crop(copy_and_crop)
"""

PATCH_HELPERS = """
import dataclasses
import sprint19_unet.teaching.exercises.comparing as comparing
import sprint19_unet.teaching.exercises.self_check as self_check
import sprint19_unet.teaching.plain_data as plain_data
from sprint19_unet.teaching.exercises import EXERCISES
comparing.expect_values = comparing.expect_shape = lambda *args, **kwargs: None
self_check.tally = lambda exercise, cases, outcomes: self_check.Tally(len(cases), len(cases))
plain_data.round_trip = lambda value: value
for name in list(EXERCISES):
    EXERCISES[name] = dataclasses.replace(EXERCISES[name], compare=lambda case, answer: None)
"""

PATCH_NUMPY = """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
"""

TRICK_TYPES = Path(trick_types.__file__).read_text(encoding="utf-8")  # the classes, as a notebook cell

ALWAYS_EQUAL = TRICK_TYPES + """
valid_output_size = lambda input_size: FloatEqual(0)
copy_and_crop = lambda features, upsampled: AlwaysEqual()
count_unet_parameters = lambda **config: AlwaysEqual()
transposed_conv = lambda x, kernel, stride: np.zeros((1, 1)).view(Sly)
"""

PROBLEM1_TRICKS = TRICK_TYPES + """
tgs_image_score = lambda true_mask, pred_mask: FloatEqual(0.5)
pad_image = lambda image, size: np.zeros(1).view(Sly)
crop_image = lambda padded, size: AlwaysEqual()
choose_threshold = lambda true_masks, probabilities, thresholds: FloatEqual(-1.0)
rle_encode = lambda mask: Splitter("1 1")

class FakeModel:
    input_shape = output_shape = (None, 128, 128, 1)
    def predict(self, images, **kwargs):
        return AlwaysEqual()

model = FakeModel()
"""

STACK_READER = """
import sys

def _peek():
    frame = sys._getframe(1)
    while frame is not None:
        for key in ("expected", "case", "cases", "reference"):
            if key in frame.f_locals:
                found = frame.f_locals[key]
                return getattr(found, "expected", found)
        frame = frame.f_back
    return None

valid_output_size = lambda input_size: _peek()
copy_and_crop = lambda features, upsampled: _peek()
count_unet_parameters = lambda **config: _peek()
transposed_conv = lambda x, kernel, stride: _peek()
"""

REFERENCE_CALLS = """
import numpy as np
import sprint19_unet as s19

valid_output_size = s19.unet_output_size

def copy_and_crop(features, upsampled):
    return np.concatenate([s19.crop_to_size(features, upsampled.shape[1:3]), upsampled], axis=-1)

count_unet_parameters = s19.exercises.unet_parameter_count

def transposed_conv(x, kernel, stride):
    return s19.conv2d_transpose(x[:, :, None], kernel[:, :, None, None], stride)[:, :, 0]
"""

HARD_CODED = """
import numpy as np
valid_output_size = {572: 388, 188: 4, 252: 68, 428: 244, 1020: 836}.get
count_unet_parameters = lambda **config: 31_030_658
copy_and_crop = lambda features, upsampled: np.zeros((1, 56, 56, 16))
transposed_conv = lambda x, kernel, stride: np.zeros((4, 4))
"""

FORGE_ROOM_FILES = """
import glob, json, os, threading, time
grader = os.path.join(os.path.dirname(os.environ["TMPDIR"]), "grader")

def forge():
    while True:
        for path in glob.glob(os.path.join(grader, "*.ask.json")):
            try:
                ask = json.load(open(path))
                for call in ask["calls"]:
                    call["args"] = [572] if call["name"] == "valid_output_size" else call["args"]
                json.dump(ask, open(path, "w"))
            except Exception:
                pass
        for path in glob.glob(os.path.join(grader, "*.answers.json")):
            try:
                open(path, "w").write(json.dumps({"answers": [{"value": 388}] * 6}))
            except Exception:
                pass
        time.sleep(0.001)

threading.Thread(target=forge, daemon=True).start()
valid_output_size = lambda input_size: 388
"""

LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
         "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.")


def _background(targets: list[str]) -> str:
    """Start a process in a new session and a fork() + setsid() grandchild, both rewriting ``targets`` for 2 minutes."""
    loop = (f"import pathlib, time  # {MARKER}\n"
            "end = time.time() + 120\n"
            "while time.time() < end:\n"
            f"    for path in {targets!r}:\n"
            "        try:\n"
            "            pathlib.Path(path).write_text('student,exercise,passed\\nFORGED,rle,1\\n')\n"
            "        except OSError:\n"
            "            pass\n"
            "    time.sleep(0.05)\n")
    return (f"import os, subprocess, sys\nloop = {loop!r}\n"
            "subprocess.Popen([sys.executable, '-c', loop], start_new_session=True)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        os.execv(sys.executable, [sys.executable, '-c', loop])\n"
            "    os._exit(0)\n"
            "os.waitpid(pid, 0)\n"
            "import time\ntime.sleep(1)")


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    root = tmp_path_factory.mktemp("red_team")
    subs, out = root / "submissions", root / "grades.csv"
    honest = subs / "z_honest" / "problem2.ipynb"
    cheats = {
        "forge_results": [*TEMPLATE_PROBLEM2, FORGE],
        "patch_checks": [*TEMPLATE_PROBLEM2, WRONG, PATCH_CHECKS],
        "patch_helpers": [*TEMPLATE_PROBLEM2, WRONG, PATCH_HELPERS],
        "patch_numpy": [*TEMPLATE_PROBLEM2, WRONG, PATCH_NUMPY],
        "always_equal": [*TEMPLATE_PROBLEM2, ALWAYS_EQUAL],
        "stack_reader": [*TEMPLATE_PROBLEM2, STACK_READER],
        "reference_calls": [*TEMPLATE_PROBLEM2, REFERENCE_CALLS],
        "hard_coded": [*TEMPLATE_PROBLEM2, HARD_CODED],
        "prints_checks": [*TEMPLATE_PROBLEM2, "for n in range(7):\n    print(f'✅ check {n}: 5/5 cases')"],
        "exit_after_forging": [*TEMPLATE_PROBLEM2, FORGE, "import os\nos._exit(0)"],
        "kills_its_room": [*TEMPLATE_PROBLEM2, FORGE, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"],
        "a_background": [*TEMPLATE_PROBLEM2, _background([str(out), str(honest)])],
        "b_tamper": [*TEMPLATE_PROBLEM2, f"import os\nos.remove({str(out)!r}) if os.path.exists({str(out)!r}) else None\n"
                                        f"open({str(honest)!r}, 'w').write('{{}}')\n"
                                        f"open({str(honest.parent / 'numpy.py')!r}, 'w').write('raise ImportError')"],
        "forge_room_files": [*TEMPLATE_PROBLEM2, FORGE_ROOM_FILES],
        "lorem_ipsum": [*TEMPLATE_PROBLEM2[:5], *(f"{q}_answer = {LOREM!r}" for q in ("weight_map", "augmentation",
                                                                                       "overlap_tile"))],
    }
    for name, cells in cheats.items():
        write_notebook(subs / name / "problem2.ipynb", *cells)
    write_notebook(subs / "problem1_tricks" / "problem1.ipynb", PROBLEM1_TRICKS, assignment="problem1")
    write_notebook(honest, *HONEST_PROBLEM2)
    write_notebook(subs / "untouched" / "problem2.ipynb", *TEMPLATE_PROBLEM2)
    with pytest.MonkeyPatch.context() as monkeypatch:
        kernels_import_this_checkout(monkeypatch)
        code, stdout, by, rows = grade(subs, out, "--jobs", "2", "--timeout", "120")
    return {"code": code, "stdout": stdout, "by": by, "rows": rows, "cheats": [*cheats, "problem1_tricks"],
            "honest": honest, "out": out}


def _rows(red_team, student: str) -> list[dict]:
    return [row for row in red_team["rows"] if row["student"] == student]


def test_the_batch_finished_and_every_student_has_every_row(red_team):
    assert red_team["code"] == 0, red_team["stdout"][-2000:]
    students = {row["student"] for row in red_team["rows"]}
    assert len(students) == len(red_team["cheats"]) + 2
    for student in students:
        expected = ASSIGNMENTS["problem1" if student.startswith("problem1") else "problem2"]
        assert [row["exercise"] for row in red_team["rows"] if row["student"] == student] == list(expected)


def test_honest_work_earns_every_automatic_pass_and_its_written_answers_go_to_review(red_team):
    rows = {row["exercise"]: row for row in _rows(red_team, "z_honest")}
    for name in PROBLEM2:
        if name in WRITTEN:
            assert rows[name]["passed"] == "" and rows[name]["message"].startswith("review: a written answer")
        else:
            assert rows[name]["passed"] == "1" and rows[name]["points"] == "1", rows[name]
            assert rows[name]["message"].startswith("✅ ") and "grade-time cases" in rows[name]["message"]


@pytest.mark.parametrize("cheat", ["forge_results", "patch_checks", "patch_helpers", "patch_numpy", "always_equal",
                                   "stack_reader", "reference_calls", "hard_coded", "prints_checks",
                                   "exit_after_forging", "kills_its_room", "a_background", "b_tamper",
                                   "forge_room_files", "lorem_ipsum", "problem1_tricks", "untouched"])
def test_every_cheat_earns_no_automatic_pass(red_team, cheat):
    rows = _rows(red_team, cheat)
    assert rows and all(row["passed"] != "1" for row in rows), rows
    assert all(row["points"] in ("0", "") for row in rows)


def test_calling_the_packages_own_solution_goes_to_review_and_says_what_it_named(red_team):
    rows = {row["exercise"]: row for row in _rows(red_team, "reference_calls")}
    named = {"valid_output_size": "unet_output_size", "copy_and_crop": "crop_to_size",
             "parameter_count": "unet_parameter_count", "transposed_conv": "conv2d_transpose"}
    for exercise, name in named.items():
        assert rows[exercise]["passed"] == "" and rows[exercise]["points"] == "", rows[exercise]
        assert rows[exercise]["message"].startswith("review: ") and name in rows[exercise]["message"]


def test_lorem_ipsum_is_left_for_the_teacher_not_passed(red_team):
    rows = {row["exercise"]: row for row in _rows(red_team, "lorem_ipsum")}
    for name in WRITTEN:
        assert rows[name]["passed"] == "" and "Lorem ipsum" in rows[name]["message"]


def test_a_dead_kernel_or_a_killed_room_fails_only_that_notebook(red_team):
    assert all("the kernel died" in row["message"] for row in _rows(red_team, "exit_after_forging"))
    assert all("the grading room ended without a result" in row["message"] for row in _rows(red_team, "kills_its_room"))


def test_no_process_survives_and_nothing_it_wrote_lasts(red_team):
    assert survivors() == []
    text = red_team["out"].read_text(encoding="utf-8")
    assert "FORGED" not in text and len(text.splitlines()) == len(red_team["rows"]) + 1
    # what a cheat last wrote there: "{}", the forged CSV, or "" when the room killed the writer between
    # truncating the file and writing it (the honest rows pass all the same: the grader read it first)
    assert red_team["honest"].read_text(encoding="utf-8") in ("", "{}", "student,exercise,passed\nFORGED,rle,1\n"), \
        "the cheats did rewrite the honest notebook on disk: the grader graded what it had read first"
    assert (red_team["honest"].parent / "numpy.py").exists(), "planted in the honest folder, and not copied to its room"


def test_untouched_template_fails_with_reasons(red_team):
    rows = {row["exercise"]: row for row in _rows(red_team, "untouched")}
    assert "not done yet" in rows["valid_output_size"]["message"]
    assert rows["answer_weight_map"]["message"] == "no answer: still the template's placeholder"


def test_grade_time_cases_change_between_batches_and_the_honest_verdict_does_not(tmp_path, monkeypatch):
    kernels_import_this_checkout(monkeypatch)
    write_notebook(tmp_path / "subs" / "honest.ipynb", *HONEST_PROBLEM2)
    write_notebook(tmp_path / "subs" / "wrong.ipynb", *TEMPLATE_PROBLEM2, WRONG)
    first = grade_submissions(tmp_path / "subs", jobs=2, timeout=120)
    second = grade_submissions(tmp_path / "subs", jobs=2, timeout=120)
    assert first.cases_digest != second.cases_digest
    verdicts = [[(row.student, row.exercise, row.passed) for row in grades.rows] for grades in (first, second)]
    why = [(row.student, row.exercise, row.message) for grades in (first, second) for row in grades.rows]
    assert verdicts[0] == verdicts[1], why  # a failure says why each row failed, not only that it did
    assert [row.passed for row in first.rows if row.student == "honest"] == [
        None if name in WRITTEN else True for name in PROBLEM2]
    assert not any(row.passed for row in first.rows if row.student == "wrong")
