"""The grade command: one careless or hostile submission never costs the batch; every room is closed after it.

Three batches run in real kernels, notebooks written here (NumPy only: kernels start in about a second):

* the main batch, through the command line, two rooms at a time: errors in cells, a dead kernel, a file
  that is not JSON, metadata of the wrong type, no assignment, names a spreadsheet would run or a
  terminal would garble (not UTF-8, control characters), ``HW.IPYNB``, links to files and folders
  (``passwd.ipynb -> /etc/passwd``), a function that loops forever at grade time, and processes that
  leave their session;
* the limits batch (15 s per notebook, 1 GiB): a cell that prints forever, a memory hog, a fork bomb;
* a grader killed by a notebook: the rows of the notebooks before stay in the CSV.

The cheating corpus is in test_grading_red_team.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from cli_helpers import run_cli
from grading_helpers import (
    HONEST_PROBLEM2, MARKER, TEMPLATE_PROBLEM2, grade, kernels_import_this_checkout, read_csv, survivors,
    write_notebook,
)
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.teaching.exercises import ASSIGNMENTS, EXERCISES
from sprint19_unet.teaching.grading import (
    CSV_COLUMNS, GradeRow, Grades, NotebookRun, assignment_of, find_submissions, grade_submissions, parse_memory,
)
from sprint19_unet.teaching.grading import processes
from sprint19_unet.teaching.grading.report import csv_text, printable, spreadsheet_cell
from sprint19_unet.teaching.grading.submissions import read_submission

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

PROBLEM2 = ASSIGNMENTS["problem2"]
LOOPS_AT_GRADE_TIME = """
calls = []

def valid_output_size(input_size):  # hangs on the grader's first case only
    calls.append(input_size)
    while len(calls) == 1:
        pass
    return input_size - 184
"""
ESCAPES = """
import os, subprocess, sys, time
loop = "import time  # {marker}\\ntime.sleep(300)"
subprocess.Popen([sys.executable, "-c", loop], start_new_session=True)
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", loop])
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(1)
""".format(marker=MARKER)


@pytest.fixture(scope="module")
def main_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    subs, outside = root / "submissions", root / "outside"
    write_notebook(subs / "alice" / "problem2.ipynb", *HONEST_PROBLEM2)
    write_notebook(subs / "alice" / ".ipynb_checkpoints" / "problem2-checkpoint.ipynb", "1/0")
    write_notebook(subs / "bob" / "problem2.ipynb", *TEMPLATE_PROBLEM2)
    write_notebook(subs / "carol" / "problem2.ipynb", "raise RuntimeError('my bug')", *HONEST_PROBLEM2[:2],
                   "undefined_name")
    write_notebook(subs / "dave" / "problem2.ipynb", *HONEST_PROBLEM2[:2], "import os\nos._exit(1)", *HONEST_PROBLEM2[2:])
    (subs / "erin").mkdir()
    (subs / "erin" / "problem2.ipynb").write_text("this is not JSON", encoding="utf-8")
    write_notebook(subs / "frank" / "homework.ipynb", *HONEST_PROBLEM2, assignment=None)
    write_notebook(subs / "gina" / "notes.ipynb", *HONEST_PROBLEM2, metadata="problem2")  # a string, not an object
    write_notebook(subs / "hugo" / "notes.ipynb", *HONEST_PROBLEM2, metadata=["problem2"])  # of no use: no assignment
    write_notebook(subs / "ivan" / "HW.IPYNB", *HONEST_PROBLEM2)
    write_notebook(subs / "jane" / "problem2.ipynb", *HONEST_PROBLEM2, LOOPS_AT_GRADE_TIME)
    write_notebook(subs / "kyle" / "problem2.ipynb", *HONEST_PROBLEM2, ESCAPES)
    for name in ("=cmd", "+sum", "-1", "@at"):
        write_notebook(subs / f"{name}.ipynb", *HONEST_PROBLEM2)
    write_notebook(Path(os.fsdecode(bytes(subs) + b"/Sch\xfcler\x1b[31m.ipynb")), *HONEST_PROBLEM2)
    (subs / "passwd.ipynb").symlink_to("/etc/passwd")
    write_notebook(outside / "lena" / "problem2.ipynb", *HONEST_PROBLEM2)
    (subs / "lena").symlink_to(outside / "lena", target_is_directory=True)
    out, executed = root / "grades.csv", root / "executed"
    with pytest.MonkeyPatch.context() as monkeypatch:
        kernels_import_this_checkout(monkeypatch)
        code, stdout, by, rows = grade(subs, out, "--jobs", "2", "--timeout", "120", "--executed", executed)
    return {"code": code, "stdout": stdout, "rows": rows, "by": by, "subs": subs, "executed": executed, "out": out}


def _messages(batch, student: str) -> dict:
    return {row["exercise"]: row for row in batch["rows"] if row["notebook"] == student}


def test_the_batch_ran_and_wrote_one_row_per_student_and_exercise(main_batch):
    assert main_batch["code"] == 0, main_batch["stdout"][-3000:]
    rows = main_batch["rows"]
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {row["student"] for row in rows if row["notebook"] == "alice/problem2"} == {"alice"}
    assert len({(row["notebook"], row["exercise"]) for row in rows}) == len(rows)
    for student in ("alice/problem2", "bob/problem2", "carol/problem2", "dave/problem2", "erin/problem2",
                    "gina/notes", "ivan/HW", "jane/problem2", "kyle/problem2", "'=cmd", "'+sum", "'-1", "'@at"):
        assert [row["exercise"] for row in rows if row["notebook"] == student] == list(PROBLEM2), student
    assert not any("checkpoint" in row["notebook"] for row in rows)


def test_honest_work_passes_and_an_error_in_a_cell_does_not_stop_the_later_ones(main_batch):
    assert [row["passed"] for row in _messages(main_batch, "alice/problem2").values()] == [
        "" if EXERCISES[name].kind == "text" else "1" for name in PROBLEM2]
    carol = _messages(main_batch, "carol/problem2")
    assert carol["valid_output_size"]["passed"] == "1"
    assert carol["copy_and_crop"]["message"] == ("not attempted: the notebook defines no copy_and_crop; first error at "
                                                 "cell 2: RuntimeError: my bug")


def test_a_dead_kernel_fails_its_notebook_with_the_cell(main_batch):
    for row in _messages(main_batch, "dave/problem2").values():
        assert row["passed"] == "0" and row["message"].startswith("the kernel died at cell 4")


def test_a_file_that_is_not_a_notebook_fails_its_exercises(main_batch):
    rows = _messages(main_batch, "erin/problem2")
    assert all(row["passed"] == "0" and row["message"].startswith("not a notebook: ") for row in rows.values())


def test_metadata_of_any_type_and_a_notebook_without_assignment(main_batch):
    assert _messages(main_batch, "gina/notes")["valid_output_size"]["passed"] == "1"  # "sprint19": "problem2"
    for student in ("frank/homework", "hugo/notes"):
        rows = _messages(main_batch, student)
        assert list(rows) == ["notebook"] and rows["notebook"]["message"].startswith("no assignment:")


def test_a_notebook_named_in_capitals_is_graded(main_batch):
    assert _messages(main_batch, "ivan/HW")["transposed_conv"]["passed"] == "1"


def test_a_function_that_hangs_fails_its_cases_not_the_notebook(main_batch):
    rows = _messages(main_batch, "jane/problem2")
    assert rows["valid_output_size"]["passed"] == "0"
    assert "case 1 (" in rows["valid_output_size"]["message"] and "ran past its 10 s" in rows["valid_output_size"]["message"]
    assert rows["copy_and_crop"]["passed"] == rows["transposed_conv"]["passed"] == "1"


def test_processes_that_leave_their_session_are_killed_with_the_room(main_batch):
    assert _messages(main_batch, "kyle/problem2")["copy_and_crop"]["passed"] == "1"
    assert survivors() == []


def test_names_are_escaped_and_formulas_quoted(main_batch):
    notebooks = {row["notebook"] for row in main_batch["rows"]}
    assert {"'=cmd", "'+sum", "'-1", "'@at"} <= notebooks
    assert "Sch\\xfcler\\x1b[31m" in notebooks
    text = main_batch["out"].read_text(encoding="utf-8")
    assert "\x1b" not in text and "\udcfc" not in text
    assert "Sch\\xfcler" in main_batch["stdout"] and "\x1b" not in main_batch["stdout"]


def test_links_are_reported_never_read(main_batch):
    passwd = _messages(main_batch, "passwd")["notebook"]
    assert passwd["passed"] == "0" and "a link (to /etc/passwd)" in passwd["message"]
    assert "root:" not in main_batch["out"].read_text(encoding="utf-8")
    lena = _messages(main_batch, "lena")["notebook"]
    assert "this folder is a link" in lena["message"]


def test_the_executed_copies_and_the_summary(main_batch):
    executed = nbformat.read(main_batch["executed"] / "alice" / "problem2.ipynb", as_version=4)
    assert executed.cells[2].execution_count == 2 and executed.cells[2].outputs == []
    assert "the kernel died at cell 4" in main_batch["stdout"] and "alice/problem2" in main_batch["stdout"]
    assert main_batch["stdout"].rstrip().splitlines()[-1].startswith("wrote ")


@pytest.fixture(scope="module")
def limits_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    subs = root / "submissions"
    write_notebook(subs / "a_loops_forever.ipynb", *HONEST_PROBLEM2[:2], "while True:\n    pass")
    write_notebook(subs / "a_prints_forever.ipynb", "import time\nwhile True:\n    print('x' * 10_000)\n"
                                                    "    time.sleep(0.0005)")
    write_notebook(subs / "b_memory_hog.ipynb", *HONEST_PROBLEM2[:2],
                   "import numpy as np, time\nhog = np.ones(2 * 2**30 // 8)\ntime.sleep(30)")
    write_notebook(subs / "c_fork_bomb.ipynb", *HONEST_PROBLEM2[:2],
                   "import os, time\nfor _ in range(9):\n    os.fork()\ntime.sleep(30)")
    write_notebook(subs / "d_after.ipynb", *HONEST_PROBLEM2)
    with pytest.MonkeyPatch.context() as monkeypatch:
        kernels_import_this_checkout(monkeypatch)
        grades = grade_submissions(subs, jobs=2, timeout=15, memory="1G", executed_dir=root / "executed")
    return {"grades": grades, "executed": root / "executed"}


def test_a_cell_that_loops_forever_is_interrupted_and_the_functions_before_it_are_graded(limits_batch):
    run = {run.notebook: run for run in limits_batch["grades"].runs}["a_loops_forever"]
    assert run.status == "timed out" and run.reason == "timed out after 15 s at cell 4"
    rows = [row for row in limits_batch["grades"].rows if row.student == "a_loops_forever"]
    assert rows[0].passed is True  # the kernel stopped when interrupted: the function before the loop is graded
    assert rows[1].message.startswith("not attempted: the notebook defines no copy_and_crop; timed out")


def test_a_cell_that_prints_forever_keeps_only_capped_output(limits_batch):
    run = {run.notebook: run for run in limits_batch["grades"].runs}["a_prints_forever"]
    assert run.status in ("timed out", "over a limit"), run  # the flood fills the kernel's memory or its time
    executed = limits_batch["executed"] / "a_prints_forever.ipynb"
    assert executed.stat().st_size < 3 * 2**20
    assert "more characters of output were not kept" in executed.read_text(encoding="utf-8")


def test_memory_and_process_limits_stop_a_notebook_and_the_batch_goes_on(limits_batch):
    runs = {run.notebook: run for run in limits_batch["grades"].runs}
    assert runs["b_memory_hog"].status == "over a limit" and "GiB of memory" in runs["b_memory_hog"].reason
    assert runs["c_fork_bomb"].status == "over a limit"
    assert "processes" in runs["c_fork_bomb"].reason or "memory" in runs["c_fork_bomb"].reason
    assert runs["d_after"].status == "finished"
    assert [row.passed for row in limits_batch["grades"].rows if row.student == "d_after"] == [
        None if EXERCISES[name].kind == "text" else True for name in PROBLEM2]
    assert survivors("sprint19-room-") == []


def test_a_killed_grader_leaves_the_rows_it_had(tmp_path):
    write_notebook(tmp_path / "subs" / "a_first.ipynb", *HONEST_PROBLEM2)
    grader_of_room = "int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1])"
    write_notebook(tmp_path / "subs" / "b_killer.ipynb", f"import os, signal\nos.kill({grader_of_room}, signal.SIGKILL)")
    out = tmp_path / "grades.csv"
    here = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "sprint19_unet", "grade", str(tmp_path / "subs"), "--out", str(out)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == -9
    rows = read_csv(out)
    assert {row["notebook"] for row in rows} == {"a_first"} and len(rows) == len(PROBLEM2)
    for _ in range(50):  # the orphaned room got SIGTERM when its grader died, and closes itself
        if not survivors("sprint19-room-"):
            break
        time.sleep(0.2)
    assert survivors("sprint19-room-") == []


def test_a_cell_past_its_limit_fails_only_its_own_exercise(tmp_path, monkeypatch):
    kernels_import_this_checkout(monkeypatch)
    swallows = ("import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n"
                "        pass")
    write_notebook(tmp_path / "subs" / "loops.ipynb", HONEST_PROBLEM2[0], "while True:\n    pass",
                   *HONEST_PROBLEM2[1:3])
    write_notebook(tmp_path / "subs" / "swallows.ipynb", *HONEST_PROBLEM2[:2], swallows, HONEST_PROBLEM2[2])
    grades = grade_submissions(tmp_path / "subs", jobs=2, timeout=120, cell_timeout=3)
    for notebook in ("loops", "swallows"):
        rows = {row.exercise: row for row in grades.rows if row.notebook == notebook}
        assert rows["valid_output_size"].passed and rows["copy_and_crop"].passed, rows
        assert rows["parameter_count"].message.startswith("not attempted") and "ran past its 3 s" in \
            rows["parameter_count"].message
    assert "but did not stop" in [row for row in grades.rows if row.notebook == "swallows"][2].message


def test_a_startup_script_a_notebook_leaves_reaches_no_later_kernel(tmp_path, monkeypatch):
    kernels_import_this_checkout(monkeypatch)
    startup = ("import os, pathlib\n"
               "folder = pathlib.Path(os.environ['IPYTHONDIR'], 'profile_default', 'startup')\n"
               "folder.mkdir(parents=True, exist_ok=True)\n"
               "(folder / '00-sabotage.py').write_text('valid_output_size = lambda size: 0')")
    write_notebook(tmp_path / "subs" / "a_leaves_a_startup_script.ipynb", startup)
    write_notebook(tmp_path / "subs" / "b_honest.ipynb", *HONEST_PROBLEM2[:2])
    grades = grade_submissions(tmp_path / "subs", jobs=1, timeout=120)
    assert [row.passed for row in grades.rows if row.student == "b_honest"][0] is True


def test_the_batch_stops_when_a_notebook_changes_the_package(tmp_path, monkeypatch):
    kernels_import_this_checkout(monkeypatch)
    for name in ("a", "b", "c"):
        write_notebook(tmp_path / "subs" / f"{name}.ipynb", *HONEST_PROBLEM2[:2])
    fingerprints = iter(["before", "after"] + ["after"] * 10)
    monkeypatch.setattr("sprint19_unet.teaching.grading.batch.package_fingerprint", lambda: next(fingerprints))
    out = tmp_path / "grades.csv"
    with pytest.raises(Sprint19Error, match="the package's files changed while a was graded"):
        grade_submissions(tmp_path / "subs", out=out, jobs=1, timeout=120)
    rows = read_csv(out)
    assert [row["passed"] for row in rows if row["notebook"] == "a"][0] == "1"
    assert all(row["message"].startswith("not graded: the package's files changed") for row in rows
               if row["notebook"] in ("b", "c"))


# === Without kernels ===


def test_no_notebook_is_one_error_and_exit_code_2(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "notes.txt").write_text("no notebooks here")
    result = run_cli("grade", tmp_path / "subs", "--out", tmp_path / "grades.csv")
    err = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(err) == 1 and "no notebook (*.ipynb)" in err[0]
    result = run_cli("grade", tmp_path / "missing", "--out", tmp_path / "grades.csv")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "grades.csv").exists()


def test_bad_arguments_are_refused_before_anything_runs(tmp_path):
    write_notebook(tmp_path / "subs" / "a.ipynb", "1")
    with pytest.raises(Sprint19Error, match="timeout"):
        grade_submissions(tmp_path / "subs", timeout=0)
    with pytest.raises(Sprint19Error, match="jobs"):
        grade_submissions(tmp_path / "subs", jobs=0)
    with pytest.raises(Sprint19Error, match="assignment"):
        grade_submissions(tmp_path / "subs", assignment="problem9")
    with pytest.raises(Sprint19Error, match="memory"):
        grade_submissions(tmp_path / "subs", memory="lots")
    out = tmp_path / "grades.csv"
    result = run_cli("grade", tmp_path / "subs", "--out", out, "--executed", tmp_path / "subs" / "executed")
    assert result.returncode == 2 and "--executed" in result.stderr and "inside the submissions" in result.stderr
    result = run_cli("grade", tmp_path / "subs", "--out", tmp_path / "subs" / "a.ipynb")  # would overwrite a notebook
    assert result.returncode == 2 and "--out" in result.stderr and "inside the submissions" in result.stderr
    assert (tmp_path / "subs" / "a.ipynb").read_text(encoding="utf-8").startswith("{")
    assert run_cli("grade", tmp_path / "subs", "--out", out, "--assignment", "problem9").returncode == 2
    assert not (tmp_path / "subs" / "executed").exists()


def test_a_dead_kernels_reason_skips_tensorflows_chatter(tmp_path):
    from sprint19_unet.teaching.grading.kernel import Kernel

    kernel = Kernel(tmp_path, tmp_path, {})
    kernel.log_tail.extend(["I0000 00:00:1 port.cc:153] oneDNN custom operations are on ... round-off errors",
                            "Fatal Python error: Segmentation fault", "W0000 00:00:1 something else"])
    assert kernel.telling_line() == "Fatal Python error: Segmentation fault"
    kernel.log_tail.clear()
    kernel.log_tail.append("I0000 00:00:1 port.cc:153] round-off errors from different computation orders")
    assert kernel.telling_line() == ""


def test_kernels_started_side_by_side_bind_ports_of_their_own_choosing(tmp_path):
    """The connection file handed to a kernel names no port: ipykernel binds free ones (trying again when one is
    taken) and writes them in — no window in which another room's kernel can take a port chosen for this one."""
    import concurrent.futures
    import stat

    from sprint19_unet.teaching.grading.kernel import Kernel

    handed = Kernel(tmp_path, tmp_path, {})._write_connection_file()
    info = json.loads(handed.read_text(encoding="utf-8"))
    assert {key: value for key, value in info.items() if key.endswith("_port")} == {
        f"{channel}_port": 0 for channel in ("shell", "iopub", "stdin", "control", "hb")}
    assert stat.S_IMODE(handed.stat().st_mode) == 0o600 and len(info["key"]) == 64

    kernels = [Kernel(tmp_path / f"room{n}", tmp_path, {**os.environ, "PYTHONPATH": ""}) for n in range(3)]
    for kernel in kernels:
        kernel.room.mkdir()
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda kernel: kernel.start(time.monotonic() + 120), kernels))
        ports = [kernel.client.get_connection_info()[f"{channel}_port"] for kernel in kernels
                 for channel in ("shell", "iopub", "stdin", "control", "hb")]
        assert all(port > 0 for port in ports) and len(set(ports)) == len(ports)
        for n, kernel in enumerate(kernels):
            run = kernel.run_cell(f"print(6 * {n})", time.monotonic() + 60)
            assert run.status == "ok" and run.outputs[0]["text"] == f"{6 * n}\n"
    finally:
        for kernel in kernels:
            kernel.stop()


def test_memory_sizes():
    assert parse_memory("8G") == 8 * 2**30 and parse_memory("512M") == 512 * 2**20 and parse_memory(2) == 2 * 2**30
    for bad in ("-1G", "1e9", "8 GB please", "100M", True, "nanG"):
        with pytest.raises(Sprint19Error, match="memory"):
            parse_memory(bad)


def test_which_assignment_a_notebook_holds():
    assert assignment_of("x.ipynb", {}) is None
    assert assignment_of("problem1.ipynb", {"sprint19": {"assignment": "problem2"}}) == "problem2"
    assert assignment_of("Copy of 01_Problem-1 exercises (2).ipynb") == "problem1"
    assert assignment_of("problem1.ipynb", "not a dict") == "problem1"
    assert assignment_of("x.ipynb", {"sprint19": {"assignment": ["problem1"]}}) is None
    assert assignment_of("problem1.ipynb", None, assignment="problem2") == "problem2"


def test_reading_a_notebook_never_raises(tmp_path):
    cases = {"empty.ipynb": b"", "deep.ipynb": b"[" * 100_000, "number.ipynb": b"42",
             "cells.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "x"}).encode(),
             "latin1.ipynb": "{\"cells\": \"\xe9\"}".encode("latin-1")}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        snapshot = read_submission(find_submissions(tmp_path / name)[0])
        assert snapshot.problem.startswith("not a notebook: "), (name, snapshot.problem)


def test_find_submissions_skips_hidden_folders_and_reports_links(tmp_path):
    write_notebook(tmp_path / "z" / "b.ipynb", "1")
    write_notebook(tmp_path / ".hidden" / "c.ipynb", "1")
    write_notebook(tmp_path / "a.Ipynb", "1")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "a.Ipynb")
    found = find_submissions(tmp_path)
    assert [(s.notebook, s.student, bool(s.problem)) for s in found] == [
        ("a", "a", False), ("link", "link", True), ("z/b", "z", False)]
    assert [s.notebook for s in find_submissions(tmp_path / "a.Ipynb")] == ["a"]


def test_the_csv_escapes_and_quotes_what_students_control():
    rows = (GradeRow("a, b", "a, b/p", "rle", False, 0, 'expected "3 4", got 1', 2.0, "+hint"),
            GradeRow("=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "rle", None, None, "@SUM(1)\nsecond line", 1.0),
            GradeRow("Sch\udcfcler\u202e", "Sch\udcfcler\u202e", "rle", True, 1, "-1 +1", 3.0))
    parsed = list(csv.reader(io.StringIO(csv_text(rows))))
    assert parsed[1] == ["a, b", "a, b/p", "rle", "0", "0", 'expected "3 4", got 1', "'+hint", "2.0"]
    assert parsed[2] == ["'=HYPERLINK(\"x\")"] * 2 + ["rle", "", "", "'@SUM(1) second line", "", "1.0"]
    assert parsed[3] == ["Sch\\xfcler\\u202e"] * 2 + ["rle", "1", "1", "'-1 +1", "", "3.0"]
    assert printable("tab\there") == "tab\\there" and spreadsheet_cell("ok") == "ok"


def test_the_summary_counts_passes_reviews_and_points():
    rows = (GradeRow("ann", "ann/p", "a", True, 1, "✅", 2.0), GradeRow("ann", "ann/p", "b", None, None, "review", 2.0),
            GradeRow("ann", "ann/p", "c", False, 0, "❌", 2.0))
    summary = Grades(rows, (NotebookRun("ann/p", "finished", seconds=2.0),)).summary().splitlines()
    assert summary[1].split() == ["ann/p", "1/3", "1", "1", "2.0", "finished"]


def test_the_grader_sweeps_processes_it_adopts():
    orphan = f"import os, time\nif os.fork() == 0:\n    time.sleep(60)  # {MARKER}-adopted\n"
    with processes.subreaper():
        subprocess.run([sys.executable, "-c", orphan], check=True)
        adopted = [pid for pid in processes.children(os.getpid()) if processes.alive(pid)
                   and f"{MARKER}-adopted" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
        assert len(adopted) == 1, "the orphan was not handed to the subreaper"
        processes.kill_all(lambda: adopted)
        processes.reap(adopted)
        assert not processes.alive(adopted[0])


SIGTERM_DURING_CLEAN_UP = """
import json, os, signal, sys
job = json.loads(sys.argv[1])
exec(sys.argv[2])  # the room's own bootstrap, up to its import (the packages as bare namespaces)
from sprint19_unet.teaching.grading import room
stop_watch = room.processes.Watch.stop
def stop_then_term(self):  # the grader's SIGTERM arrives just as the clean-up starts
    os.kill(os.getpid(), signal.SIGTERM)
    stop_watch(self)
room.processes.Watch.stop = stop_then_term
sys.stdin = __import__("io").StringIO(json.dumps(job))
raise SystemExit(room.main())
"""


def test_a_sigterm_during_the_room_clean_up_still_kills_its_kernel(tmp_path):
    from sprint19_unet.teaching.grading.room import command

    bootstrap = command()[2].split("from sprint19_unet.teaching.grading.room import main")[0]
    here = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    job = {"cells": [{"cell_type": "code", "source": "x = 1"}], "timeout": 120.0, "cell_timeout": 60.0,
           "memory_bytes": 8 * 2**30, "env": env, "folder": None, "manifest": [], "keep_outputs": False,
           "exercises": []}
    room = subprocess.run([sys.executable, "-c", SIGTERM_DURING_CLEAN_UP, json.dumps(job), bootstrap],
                          capture_output=True, text=True, timeout=180, env=env)
    assert room.returncode == 128 + signal.SIGTERM, room.stderr[-2000:]
    assert room.stdout == ""  # a room asked to stop reports nothing
    for _ in range(25):
        if not survivors("sprint19-room-"):
            break
        time.sleep(0.2)
    assert survivors("sprint19-room-") == []  # was: the kernel outlived its room
