"""The command line keeps native (C++) log lines off the terminal, and only the command line."""

import os
import re
import subprocess
import sys

import pytest

from sprint19_unet import native_logs

# glog/absl line prefix: severity letter, MMDD, time (e.g. "I0000 00:00:1795239152.178959 …")
NATIVE_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:", re.MULTILINE)

WRITE_BOTH = r"""
import os, sys
from sprint19_unet.native_logs import quiet_native_logs
quiet_native_logs()
os.write(2, b"native line from C++\n")
print("python line", file=sys.stderr)
raise RuntimeError("a Python traceback")
"""


def _run(args, tmp_path, **env):
    environment = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    environment.pop(native_logs.NATIVE_LOGS_VARIABLE, None)  # the default unless the test sets it
    environment.update(env)
    return subprocess.run([sys.executable, *args], env=environment, capture_output=True, text=True, timeout=300)


def test_native_lines_go_to_a_removed_log_while_python_stderr_stays(tmp_path):
    result = _run(["-c", WRITE_BOTH], tmp_path)
    assert result.returncode == 1
    assert "python line" in result.stderr
    assert "RuntimeError: a Python traceback" in result.stderr  # tracebacks still reach the terminal
    assert "native line" not in result.stderr
    assert not list(tmp_path.glob("sprint19-unet-native-*")), "the log file is removed at exit"


def test_the_variable_keeps_native_lines_on_the_terminal(tmp_path):
    result = _run(["-c", WRITE_BOTH], tmp_path, SPRINT19_NATIVE_LOGS="1")
    assert "native line from C++" in result.stderr and "python line" in result.stderr


def test_the_command_line_shows_no_native_log_lines(tmp_path):
    result = _run(["-m", "sprint19_unet", "summary", "--size", "32", "--depth", "2", "--base-filters", "2"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1,883 parameters" in result.stdout
    assert not NATIVE_LINE.search(result.stderr), result.stderr[:2000]
    assert not list(tmp_path.glob("sprint19-unet-native-*"))
    # errors are still one line on the terminal
    failed = _run(["-m", "sprint19_unet", "train", "--data", str(tmp_path / "nowhere")], tmp_path)
    assert failed.returncode == 2
    assert [line for line in failed.stderr.splitlines() if line.strip()] == [
        line for line in failed.stderr.splitlines() if line.startswith("sprint19-unet: error: data ")
    ] != []


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
