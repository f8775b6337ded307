"""The processes a submission starts: find every one, measure their memory, kill them all.

A student's kernel can start processes that leave it: ``subprocess.Popen(..., start_new_session=True)``,
``fork()`` then ``setsid()``, a fork bomb. A process-group kill misses them, and once their parent
is gone Linux hands orphans to PID 1 — out of reach. So each grading room (and the grader itself)
makes itself a **child subreaper** (``prctl(PR_SET_CHILD_SUBREAPER)``): every orphan below it is
handed to it instead, so :func:`descendants` finds them all and :func:`kill_all` kills
them all (stopping them first, so that none can fork while the others die).

Linux only (``/proc`` and ``prctl``). Elsewhere the functions do what they can — the kernel's
own process group is killed — and :data:`ISOLATED` is False, which the grader says once.

Example:
    >>> import os
    >>> os.getpid() not in descendants(os.getpid())
    True
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

ISOLATED = sys.platform.startswith("linux") and Path("/proc/self/stat").exists()
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_GET_DUMPABLE = 1, 4, 3
_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _prctl(option: int, value: int = 0) -> int | None:
    """Call Linux's prctl; None where it is not available."""
    if not ISOLATED:
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0))
    except (OSError, AttributeError):
        return None


def _get_flag(option: int) -> int:
    value = ctypes.c_int(0)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, ctypes.byref(value), 0, 0, 0)
    except (OSError, AttributeError):
        return 0
    return value.value


def set_parent_death_signal(signum: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (a grading room outlives no grader)."""
    _prctl(_PR_SET_PDEATHSIG, signum)


@contextlib.contextmanager
def subreaper():
    """Make this process the child subreaper of everything it starts, for the ``with`` block.

    Orphans below it are then handed to it: call :func:`reap` (and kill them) so none is left.

    Example:
        >>> with subreaper():
        ...     pass
    """
    before = _get_flag(_PR_GET_CHILD_SUBREAPER) if ISOLATED else 0
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield
    finally:
        if not before:
            _prctl(_PR_SET_CHILD_SUBREAPER, 0)


@contextlib.contextmanager
def not_dumpable():
    """Keep other processes of this user out of this process's memory and open files for the ``with`` block.

    A non-dumpable process's ``/proc/PID/mem`` and ``/proc/PID/fd`` need ptrace rights that a
    process of the same user does not have (root still does). The grader holds the expected
    answers in memory; a room holds the pipe its result goes back through.

    Example:
        >>> with not_dumpable():
        ...     pass
    """
    before = _prctl(_PR_GET_DUMPABLE)
    _prctl(_PR_SET_DUMPABLE, 0)
    try:
        yield
    finally:
        if before:
            _prctl(_PR_SET_DUMPABLE, before)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the process's name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            stat = file.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()  # the name, in parentheses, may hold spaces and parentheses


def _has_children_files() -> bool:
    return ISOLATED and os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def children(pid: int) -> list[int]:
    """The direct children of a process, zombies included (every thread's ``children`` file, or a scan of /proc).

    Example:
        >>> children(os.getpid()) == [] or True
        True
    """
    if not ISOLATED:
        return []
    if not _has_children_files():
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()
                and (_stat(int(entry)) or [None, None])[1] == str(pid)]
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as file:
                found.extend(int(child) for child in file.read().split() if int(child) not in found)
        except OSError:  # a thread that ended meanwhile
            continue
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie.

    Example:
        >>> alive(os.getpid())
        True
    """
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (not ``root`` itself), parents before children, zombies included.

    Args:
        root: a process id.

    Returns:
        The process ids; empty where /proc is not available.
    """
    found, queue = [], [root]
    while queue:
        for child in children(queue.pop()):
            if child not in found:
                found.append(child)
                queue.append(child)
    return found


def resident_bytes(pids: list[int]) -> int:
    """The resident memory of processes, added up (``/proc/PID/statm``; shared pages count once per process).

    Example:
        >>> resident_bytes([os.getpid()]) > 0
        True
    """
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as file:
                total += int(file.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signum)


def kill_all(find) -> int:
    """Kill the processes ``find()`` names, again and again until it names none that lives.

    Each round stops every living process found, then kills them: a fork bomb cannot outrun it, and
    with this process a subreaper the orphans of the killed come back here to be found next round.

    Args:
        find: ``() -> list of process ids`` (e.g. ``lambda: descendants(os.getpid())``).

    Returns:
        How many processes were signalled.
    """
    signalled = 0
    for _ in range(500):
        pids = [pid for pid in find() if alive(pid)]
        if not pids:
            break
        for pid in pids:
            _signal(pid, signal.SIGSTOP)
        for pid in pids:
            _signal(pid, signal.SIGKILL)
        signalled += len(pids)
        reap(pids)  # those that are our children; the orphans among the rest come to us, for the next round
        time.sleep(0.01)
    return signalled


def reap(pids) -> None:
    """Collect the exit status of those of ``pids`` that are this process's dead children.

    Only the pids given: a child that ``subprocess`` waits for is left to it.
    """
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def kill_group(group: int) -> None:
    """Kill a process group (where there is no /proc, the only handle on a kernel's processes; not on Windows)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)


class Watch(threading.Thread):
    """Watch the processes below this one; kill them all when they use too much memory or are too many.

    Args:
        memory_bytes: the most resident memory of all the processes below, added up.
        max_processes: the most processes below.
        every: seconds between two looks.

    After :meth:`stop`, :attr:`reason` says why the processes were killed (``""`` if they were not)
    and :attr:`peak_bytes` holds the largest memory seen.
    """

    def __init__(self, memory_bytes: int, max_processes: int = 256, every: float = 0.5) -> None:
        super().__init__(name="sprint19-room-watch", daemon=True)
        self.memory_bytes, self.max_processes, self.every = memory_bytes, max_processes, every
        self.reason, self.peak_bytes = "", 0
        self._stopped = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._stopped.wait(self.every):
            pids = descendants(me)
            used = resident_bytes(pids)
            self.peak_bytes = max(self.peak_bytes, used)
            if len(pids) > self.max_processes:
                self.reason = f"more than {self.max_processes} processes"
            elif used > self.memory_bytes:
                self.reason = f"more than {self.memory_bytes / 2**30:g} GiB of memory ({used / 2**30:.1f} GiB)"
            if self.reason:
                kill_all(lambda: descendants(me))
                return

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=5)
