"""The command line keeps native (C++) log lines off the terminal, and only the command line.

The log file is deleted when the command succeeds or ends with a user error (exit code 2);
when it fails in a way that may be native (an uncaught exception, an abort), the file stays
and one line on the terminal says where. Most tests load ``native_logs.py`` on its own (it
imports only the standard library), so they take a fraction of a second: no TensorFlow.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sprint19_unet import native_logs

# glog/absl line prefix: severity letter, MMDD, time (e.g. "I0000 00:00:1795239152.178959 …")
NATIVE_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:", re.MULTILINE)
KEPT_LINE = re.compile(r"^sprint19-unet: native log kept at (\S+): (.*)$", re.MULTILINE)

QUIETED = f"""
import os, sys
sys.path.insert(0, {str(Path(native_logs.__file__).parent)!r})
import native_logs  # the module alone: no TensorFlow
native_logs.quiet_native_logs()
"""
NATIVE_TEXT = b"W0000 a warning nobody needs\nF0000 x.cc:1] Check failed: n > 0\nnative line from C++\n"
WRITE_BOTH = QUIETED + f"""
os.write(2, {NATIVE_TEXT!r})  # what C++ writes goes to descriptor 2
print("python line", file=sys.stderr)
"""


def _run(args, tmp_path, **env):
    environment = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    environment.pop(native_logs.NATIVE_LOGS_VARIABLE, None)  # the default unless the test sets it
    environment.update(env)
    return subprocess.run([sys.executable, *args], env=environment, capture_output=True, text=True, timeout=300)


def _logs(tmp_path):
    return list(tmp_path.glob("sprint19-unet-native-*"))


def test_an_uncaught_exception_keeps_the_log_and_says_where_in_one_line(tmp_path):
    result = _run(["-c", WRITE_BOTH + 'raise RuntimeError("a Python traceback")'], tmp_path)
    assert result.returncode == 1
    assert "python line" in result.stderr
    assert "RuntimeError: a Python traceback" in result.stderr  # tracebacks still reach the terminal
    assert "a warning nobody needs" not in result.stderr  # the noise stays in the file
    kept = KEPT_LINE.findall(result.stderr)
    assert len(kept) == 1, result.stderr
    path, last_line = kept[0]
    assert last_line == "native line from C++"
    assert "sprint19-unet: native: F0000 x.cc:1] Check failed: n > 0" in result.stderr.splitlines()
    assert _logs(tmp_path) == [Path(path)]
    assert Path(path).read_bytes() == NATIVE_TEXT


@pytest.mark.parametrize(
    "ending, exit_code",
    [
        ("", 0),  # success
        ("raise SystemExit(2)", 2),  # a user error (Sprint19Error, a usage mistake): not native
        ("raise KeyboardInterrupt", -2 if os.name == "posix" else 3221225786),  # Ctrl-C: not native
    ],
)
def test_success_user_errors_and_ctrl_c_delete_the_log(tmp_path, ending, exit_code):
    result = _run(["-c", WRITE_BOTH + ending], tmp_path)
    assert result.returncode == exit_code
    assert "python line" in result.stderr
    assert "native" not in result.stderr.replace("python line", ""), result.stderr
    assert not _logs(tmp_path)


def test_a_failure_with_an_empty_native_log_leaves_nothing(tmp_path):
    result = _run(["-c", QUIETED + "raise RuntimeError('only Python')"], tmp_path)
    assert result.returncode == 1 and "RuntimeError: only Python" in result.stderr
    assert "native log" not in result.stderr
    assert not _logs(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="the crash watcher is POSIX only")
def test_an_abort_from_cpp_keeps_the_log_and_the_watcher_says_where(tmp_path):
    script = QUIETED + f"""
import resource
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
os.write(2, {NATIVE_TEXT!r})
os.abort()  # what a failed CHECK or std::terminate does: no exit handler runs
"""
    result = _run(["-c", script], tmp_path)
    assert result.returncode == -6  # SIGABRT
    assert "Fatal Python error: Aborted" in result.stderr  # faulthandler still reaches the terminal
    kept = KEPT_LINE.findall(result.stderr)
    assert [last for _, last in kept] == ["native line from C++"], result.stderr
    assert "sprint19-unet: native: F0000 x.cc:1] Check failed: n > 0" in result.stderr.splitlines()
    assert _logs(tmp_path) == [Path(kept[0][0])]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_exiting_leaves_the_parents_log_alone(tmp_path):
    script = WRITE_BOTH + """
child = os.fork()
if child == 0:
    sys.exit(0)  # runs the exit handlers inherited from the parent
os.waitpid(child, 0)
raise RuntimeError("the parent fails afterwards")
"""
    result = _run(["-c", script], tmp_path)
    assert result.returncode == 1
    assert [last for _, last in KEPT_LINE.findall(result.stderr)] == ["native line from C++"], result.stderr
    assert len(_logs(tmp_path)) == 1


def test_the_variable_keeps_native_lines_on_the_terminal(tmp_path):
    result = _run(["-c", WRITE_BOTH + "raise RuntimeError('x')"], tmp_path, SPRINT19_NATIVE_LOGS="1")
    assert "native line from C++" in result.stderr and "python line" in result.stderr
    assert "native log kept" not in result.stderr
    assert not _logs(tmp_path)


@pytest.mark.slow
def test_the_command_line_shows_no_native_log_lines(tmp_path):
    result = _run(["-m", "sprint19_unet", "summary", "--size", "32", "--depth", "2", "--base-filters", "2"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1,883 parameters" in result.stdout
    assert not NATIVE_LINE.search(result.stderr), result.stderr[:2000]
    assert not _logs(tmp_path)
    # errors are still one line on the terminal, and a user error keeps no log
    failed = _run(["-m", "sprint19_unet", "train", "--data", str(tmp_path / "nowhere")], tmp_path)
    assert failed.returncode == 2
    assert [line for line in failed.stderr.splitlines() if line.strip()] == [
        line for line in failed.stderr.splitlines() if line.startswith("sprint19-unet: error: data ")
    ] != []
    assert not _logs(tmp_path)


@pytest.mark.parametrize(
    "argv0, orig_argv, expected",
    [
        ("-m", ["python", "-m", "sprint19_unet", "demo"], True),
        ("-m", ["python", "-X", "dev", "-msprint19_unet"], True),
        ("-m", ["python", "-m", "myproject.train"], False),  # another program that imports us
        ("/venv/bin/sprint19-unet", ["/venv/bin/python", "/venv/bin/sprint19-unet"], True),
        ("C:\\venv\\Scripts\\sprint19-unet.exe", [], True),
        ("/venv/lib/python3.11/site-packages/ipykernel_launcher.py", [], False),
        ("-c", ["python", "-c", "import sprint19_unet"], False),
        ("", [], False),
    ],
)
def test_only_our_command_line_counts(monkeypatch, argv0, orig_argv, expected):
    monkeypatch.setattr(sys, "argv", [argv0] if argv0 else [])
    monkeypatch.setattr(sys, "orig_argv", orig_argv)
    assert native_logs.started_from_command_line() is expected
