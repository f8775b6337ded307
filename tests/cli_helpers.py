"""Running the command line in a subprocess and checking its one-line error, shared by the bad-input tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "default"}


def run_cli(*args, timeout=300):
    """``python -m sprint19_unet ARGS`` (each argument passed through ``str``), output captured."""
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
