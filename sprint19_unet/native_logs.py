"""Keep the native libraries' log lines off a command-line user's terminal.

TensorFlow 2.20+ writes C++ log lines when it is imported, before it reads
``TF_CPP_MIN_LOG_LEVEL`` (``I0000 … Could not find cuda drivers``, ``E0000 …
failed call to cuInit``); in a live demo they read like failures. C++ code
writes to file descriptor 2, Python to ``sys.stderr``. :func:`quiet_native_logs`
points descriptor 2 at a temporary log file (removed at exit) and gives
``sys.stderr`` and faulthandler a copy of the terminal, so our own errors,
warnings and any Python traceback still show. ``SPRINT19_NATIVE_LOGS=1``
leaves everything on the terminal.

Only the command line is quieted: ``import sprint19_unet`` in a notebook or a
script changes nothing (see :func:`started_from_command_line`).
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import os
import sys
import tempfile

# Set to 1 to keep the native libraries' log lines on the terminal.
NATIVE_LOGS_VARIABLE = "SPRINT19_NATIVE_LOGS"

_log_path: str | None = None  # the log file once quieted


def started_from_command_line() -> bool:
    """Whether this process is our command-line program.

    ``python -m sprint19_unet`` imports the package while ``sys.argv[0]`` is
    still ``"-m"`` (CPython sets it so while it locates the module), and
    ``sys.orig_argv`` names the module; the ``sprint19-unet`` console script
    has its own name as ``sys.argv[0]``. Another program run with ``-m`` that
    imports this package does not count.

    Returns:
        True for ``python -m sprint19_unet …`` and ``sprint19-unet …``.

    Example:
        >>> started_from_command_line()          # under pytest or in a notebook
        False
    """
    program = sys.argv[0] if sys.argv else ""
    if program == "-m":
        return _module_run_with_dash_m().split(".")[0] == "sprint19_unet"
    name = program.replace("\\", "/").rsplit("/", 1)[-1]  # a Windows path too
    return name in ("sprint19-unet", "sprint19-unet.exe")


def _module_run_with_dash_m() -> str:
    """The module named after ``-m`` on the interpreter's command line ('' if none)."""
    original = list(getattr(sys, "orig_argv", []))
    for position, item in enumerate(original):
        if item == "-m":
            return original[position + 1] if position + 1 < len(original) else ""
        if item.startswith("-m"):  # python -msprint19_unet
            return item[2:]
    return ""


def quiet_native_logs() -> str | None:
    """Send file descriptor 2 (native log lines) to a temporary file; keep Python's stderr.

    Also sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless it is set. Calling it again does
    nothing more.

    Returns:
        The log file's path, or None when ``SPRINT19_NATIVE_LOGS=1`` or there is
        no real stderr descriptor to redirect.

    Example:
        >>> quiet_native_logs()  # doctest: +SKIP
        '/tmp/sprint19-unet-native-k2j4.log'
    """
    global _log_path
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if _log_path is not None or os.environ.get(NATIVE_LOGS_VARIABLE) == "1":
        return _log_path
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        log_fd, log_path = tempfile.mkstemp(prefix="sprint19-unet-native-", suffix=".log")
    except (OSError, AttributeError, ValueError):
        return None  # no real descriptor 2 (an embedded interpreter): leave things as they are
    sys.stderr = os.fdopen(
        terminal, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="backslashreplace"
    )
    faulthandler.enable(file=sys.stderr)  # a crash report still reaches the terminal
    os.dup2(log_fd, 2)
    os.close(log_fd)
    atexit.register(_remove, log_path)
    _log_path = log_path
    return log_path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
