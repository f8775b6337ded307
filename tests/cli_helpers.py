"""Running the command line and checking its one-line error, shared by the CLI tests.

``run_cli`` calls :func:`sprint19_unet.cli.main` in this process with stdout and stderr
captured: the same parser, the same error handling, the same exit code and lines as
``python -m sprint19_unet``, without six seconds of TensorFlow start-up per case.
``run_cli_process`` starts the real command in a subprocess; the end-to-end tests
(help, a user error, the demo, native logs, kills) use it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys

from sprint19_unet.cli import main

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "default"}


def run_cli(*args) -> subprocess.CompletedProcess:
    """``sprint19_unet.cli.main(ARGS)`` in-process (each argument passed through ``str``), output captured.

    An argparse error's ``SystemExit`` becomes its exit code, as in a subprocess; any
    other exception propagates and fails the test (a subprocess would print a traceback).
    """
    argv = [str(arg) for arg in args]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return subprocess.CompletedProcess(argv, code, stdout.getvalue(), stderr.getvalue())


def run_cli_process(*args, timeout=300) -> subprocess.CompletedProcess:
    """``python -m sprint19_unet ARGS`` in a subprocess (each argument passed through ``str``), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "sprint19_unet", *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV
    )


def assert_one_line_error(result, pattern):
    """Exit code 2, no traceback, exactly one ``sprint19-unet: error:`` line, and it matches ``pattern``."""
    assert result.returncode == 2, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet: error: ")]
    assert len(errors) == 1, result.stderr[-1500:]
    assert re.search(pattern, errors[0]), errors[0]
