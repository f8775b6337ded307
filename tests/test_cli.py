"""The command line: exit codes, one-line errors, the summary and the demo."""

import os
import subprocess
import sys

import pytest

from sprint19_unet.cli import build_parser, main


def run_cli(*args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "sprint19_unet", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("demo", "summary"):
        assert command in result.stdout


def test_summary_of_the_paper_network(capsys):
    assert main(["summary", "--paper"]) == 0
    out = capsys.readouterr().out
    assert "expanding4_up_conv" in out and "contracting1_max_pool" in out
    assert "(388, 388, 2), 23 convolutional layers, 31,030,658 parameters" in out


def test_user_error_is_one_line_without_traceback():
    result = run_cli("summary", "--size", "101")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet")]
    assert len(lines) == 1 and "received 101" in lines[0] and "112" in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_command_is_rejected():
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["fly"])
    assert exit_info.value.code == 2
