"""Keep the native libraries' log lines off a command-line user's terminal, but never lose them.

TensorFlow 2.20+ writes C++ log lines when it is imported, before it reads
``TF_CPP_MIN_LOG_LEVEL`` (``I0000 … Could not find cuda drivers``, ``E0000 …
failed call to cuInit``); in a live demo they read like failures. C++ code
writes to file descriptor 2, Python to ``sys.stderr``. :func:`quiet_native_logs`
points descriptor 2 at a temporary log file and gives ``sys.stderr`` and
faulthandler a copy of the terminal, so our own errors, warnings and any Python
traceback still show. ``SPRINT19_NATIVE_LOGS=1`` leaves everything on the
terminal.

What becomes of the log at the end (deleted, or kept and named) is :func:`quiet_native_logs`'s to say.

Only the command line is quieted: ``import sprint19_unet`` in a notebook or a
script changes nothing (see :func:`started_from_command_line`).
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import os
import re
import sys
import tempfile

# Set to 1 to keep the native libraries' log lines on the terminal.
NATIVE_LOGS_VARIABLE = "SPRINT19_NATIVE_LOGS"

# Lines of a native log worth showing when a run fails: glog/absl fatal lines and C++ aborts.
FATAL_LINE = re.compile(r"^F\d{4} |Check failed|terminate called|what\(\):|fatal", re.IGNORECASE)
_FATAL_LINES_SHOWN = 5
_TAIL_BYTES = 256 * 1024  # a long run's log can be large; its end is what matters

_log_path: str | None = None  # the log file once quieted
_owner_pid: int | None = None  # the process that quieted (a forked child must not delete the log)
_failed = False  # an uncaught exception reached sys.excepthook
_watcher = None  # subprocess.Popen of the crash watcher, or None


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

    The command line's ``main`` returns only 0, 2 or 130, so any other exit code
    comes from an uncaught exception or a crash; a ``sys.exit(1)`` inside a
    library would not be seen (Python gives exit handlers no exit code).

    What happens to the log file at the end:

    * success (exit code 0), a user error (exit code 2: a ``Sprint19Error`` or a
      command-line mistake) and Ctrl-C (exit code 130): it is deleted. A user error
      is ours, reported in one line; nothing native went wrong.
    * an uncaught exception (exit code 1; the traceback is on the terminal): the
      failure may be native (a Python error behind which C++ printed why), so the
      file is kept and one line says where, with its last line
      (``sprint19-unet: native log kept at /tmp/sprint19-unet-native-….log: …``),
      followed by up to five earlier lines that look fatal (``F0000 …``,
      ``Check failed``, ``terminate called``, ``fatal``). An empty log is deleted.
    * an abort or fatal signal from C++ (``SIGABRT``, ``SIGSEGV``, also
      ``SIGKILL`` and ``os._exit``): the exit handlers never run, so nothing deletes
      the file; faulthandler prints the Python stack, and a small watcher process
      (POSIX) notices that the command line ended without saying goodbye and
      prints the same lines.

    Also sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless it is set. Calling it again does
    nothing more. The file is deleted at exit unless the process failed in a way
    that may be native (the list above).

    Returns:
        The log file's path, or None when ``SPRINT19_NATIVE_LOGS=1`` or there is
        no real stderr descriptor to redirect.

    Example:
        >>> quiet_native_logs()  # doctest: +SKIP
        '/tmp/sprint19-unet-native-k2j4.log'
    """
    global _log_path, _owner_pid
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
    _log_path, _owner_pid = log_path, os.getpid()
    sys.excepthook = _noting_failure(sys.excepthook)
    atexit.register(_at_exit)
    _start_watcher(log_path, terminal)
    return log_path


def failure_report(path: str) -> list[str]:
    """The lines that tell where a kept native log is and what it ends with.

    Args:
        path: the log file.

    Returns:
        ``sprint19-unet: native log kept at PATH: LAST LINE``, then up to five
        earlier lines that look fatal (:data:`FATAL_LINE`); ``[]`` when the file
        is missing or holds no text.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
        ...     _ = log.write("I0000 start\\nF0000 x.cc:1] Check failed: n > 0\\nterminate called\\n")
        >>> for line in failure_report(log.name): print(line.replace(log.name, "LOG"))
        sprint19-unet: native log kept at LOG: terminate called
        sprint19-unet: native: F0000 x.cc:1] Check failed: n > 0
    """
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.fstat(log.fileno()).st_size - _TAIL_BYTES))
            text = log.read().decode("utf-8", errors="backslashreplace")
    except OSError:
        return []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    fatal = [line for line in lines[:-1] if FATAL_LINE.search(line)][-_FATAL_LINES_SHOWN:]
    return [f"sprint19-unet: native log kept at {path}: {_short(lines[-1])}"] + [
        f"sprint19-unet: native: {_short(line)}" for line in fatal
    ]


def _short(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _noting_failure(previous):
    """Wrap ``sys.excepthook``: an uncaught exception (not Ctrl-C) marks the run as failed."""

    def excepthook(kind, value, traceback):
        global _failed
        if not issubclass(kind, KeyboardInterrupt):
            _failed = True
        previous(kind, value, traceback)

    return excepthook


def _at_exit() -> None:
    """Delete the log, or keep it and say where when an uncaught exception ended the run."""
    if _log_path is None or os.getpid() != _owner_pid:
        return  # a forked child exiting: the log belongs to its parent
    report = failure_report(_log_path) if _failed else []
    if report:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
            print("\n".join(report), file=sys.stderr, flush=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(_log_path)
    _dismiss_watcher()


def _start_watcher(log_path: str, terminal: int) -> None:
    """Start a small process that reports the log if this one dies without running exit handlers.

    It reads its stdin, a pipe from this process: a byte means "handled, goodbye";
    end-of-file with no byte means this process was killed or aborted. POSIX only,
    in its own session so that Ctrl-C on the terminal does not reach it.
    """
    global _watcher
    if os.name != "posix" or not sys.executable or not os.path.isfile(__file__):
        return
    import subprocess

    with contextlib.suppress(OSError, ValueError):
        _watcher = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), log_path],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=terminal, start_new_session=True,
        )


def _dismiss_watcher() -> None:
    global _watcher
    watcher, _watcher = _watcher, None
    if watcher is None:
        return
    with contextlib.suppress(Exception):
        watcher.stdin.write(b".")
        watcher.stdin.close()
        watcher.wait(timeout=2)


def _watch(log_path: str) -> int:
    """The watcher's side of :func:`_start_watcher`."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.stdin.buffer.read(1):
        return 0  # the command line ended through its exit handlers
    report = failure_report(log_path)
    if report:
        print("\n".join(report), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":  # the watcher: python -I -S native_logs.py LOG_PATH
    raise SystemExit(_watch(sys.argv[1]))
