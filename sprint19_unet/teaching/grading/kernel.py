"""One IPython kernel for one submission: started in its room, cells run under limits, outputs capped.

:class:`Kernel` speaks to the kernel with ``jupyter_client`` directly (no nbclient): the room needs
control nbclient does not give — a cap on the output kept per cell and per notebook (a cell that
prints forever must not fill the grader's memory), a deadline that interrupts instead of giving up,
and silent calls for the grader's questions after the notebook (:meth:`Kernel.ask`). The kernel runs
``python -m ipykernel_launcher`` with the grader's own Python, in a session of its own, with its
standard output and error going to a pipe of which only the last lines are kept.

Outputs are kept in nbformat's shape (``stream``, ``execute_result``, ``display_data``, ``error``), so
the grader can write the executed notebook.

Example:
    Not run by the doctests: it starts a kernel (tests/teaching/test_grading.py does).

    >>> kernel = Kernel(Path("room"), Path("room/work"), dict(os.environ))      # doctest: +SKIP
    >>> kernel.start(deadline=time.monotonic() + 60)                              # doctest: +SKIP
    >>> kernel.run_cell("print(6 * 7)", deadline=time.monotonic() + 10).outputs  # doctest: +SKIP
    [{'output_type': 'stream', 'name': 'stdout', 'text': '42\\n'}]
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sprint19_unet.errors import one_line
from sprint19_unet.native_logs import FATAL_LINE
from sprint19_unet.teaching.grading.processes import kill_group

CELL_OUTPUT_CHARS = 2 * 2**20  # output kept per cell
NOTEBOOK_OUTPUT_CHARS = 10 * 2**20  # output kept per notebook; the rest is counted and summarised
LOG_TAIL_LINES = 200  # lines of the kernel's own stdout/stderr kept (to say why it died)
INTERRUPT_GRACE = 10.0  # seconds a kernel gets to stop after an interrupt before it is killed
_POLL = 0.2

# A line of the kernel's own output worth quoting when it dies (TensorFlow's start-up chatter is not).
_TELLING_LINE = re.compile(r"\b\w*Error\b|Killed|Segmentation fault|core dumped|Aborted|[Oo]ut of memory")
_CHATTER_LINE = re.compile(r"^[IW]\d{4} ")  # absl/glog information and warning lines

OK, ERROR, TIMED_OUT, STUCK, DIED = "ok", "error", "timed out", "stuck", "died"
_CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


class KernelStartError(RuntimeError):
    """The kernel did not start, or did not answer, in time."""


@dataclasses.dataclass
class CellRun:
    """What running one cell gave.

    Args:
        status: ``"ok"``, ``"error"`` (the cell raised), ``"timed out"`` (interrupted at the deadline; the
            kernel answers again), ``"stuck"`` (it did not stop when interrupted) or ``"died"``.
        outputs: nbformat outputs, capped.
        execution_count: the kernel's count, or None.
        error: ``"NameError: …"`` for a cell that raised.
        dropped: characters of output not kept.
    """

    status: str
    outputs: list = dataclasses.field(default_factory=list)
    execution_count: int | None = None
    error: str = ""
    dropped: int = 0


class _Outputs:
    """A cell's outputs, capped per cell and against what the notebook has left."""

    def __init__(self, budget: list) -> None:
        self.items: list = []
        self.kept, self.dropped, self.budget = 0, 0, budget
        self.clear_next = False

    def add(self, output: dict) -> None:
        if self.clear_next:
            self.items, self.clear_next = [], False
        size = len(json.dumps(output, default=str))
        if self.kept + size > CELL_OUTPUT_CHARS or size > self.budget[0]:
            self.dropped += size
            return
        self.kept += size
        self.budget[0] -= size
        last = self.items[-1] if self.items else None
        if (output["output_type"] == "stream" and last and last["output_type"] == "stream"
                and last["name"] == output["name"]):
            last["text"] += output["text"]
        else:
            self.items.append(output)

    def message(self, msg: dict) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            self.add({"output_type": "stream", "name": content.get("name", "stdout"), "text": content.get("text", "")})
        elif kind in ("execute_result", "display_data"):
            output = {"output_type": kind, "data": content.get("data", {}), "metadata": content.get("metadata", {})}
            if kind == "execute_result":
                output["execution_count"] = content.get("execution_count")
            self.add(output)
        elif kind == "error":
            self.add({"output_type": "error", "ename": content.get("ename", "Error"),
                      "evalue": content.get("evalue", ""), "traceback": content.get("traceback", [])})
        elif kind == "clear_output":
            if content.get("wait"):
                self.clear_next = True
            else:
                self.items = []

    def final(self) -> list:
        if self.dropped:
            self.items.append({"output_type": "stream", "name": "stderr",
                               "text": f"[grade: {self.dropped:,} more characters of output were not kept]\n"})
        return self.items


class Kernel:
    """An IPython kernel in a grading room.

    Args:
        room: a private folder for the connection file.
        work: the kernel's working folder (the copy of the submission's folder).
        env: the kernel's environment.
    """

    def __init__(self, room: Path, work: Path, env: dict) -> None:
        self.room, self.work, self.env = room, work, env
        self.process: subprocess.Popen | None = None
        self.client = None
        self.log_tail: collections.deque = collections.deque(maxlen=LOG_TAIL_LINES)
        self.output_budget = [NOTEBOOK_OUTPUT_CHARS]

    # === Starting and stopping ===

    def start(self, deadline: float) -> None:
        """Start the kernel and wait until it answers.

        Raises:
            KernelStartError: when it dies or does not answer before ``deadline`` (``time.monotonic()``).
        """
        from jupyter_client.blocking import BlockingKernelClient

        connection_file = self._write_connection_file()
        read_end, write_end = os.pipe()
        command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
                   "--HistoryManager.hist_file=:memory:", "--IPKernelApp.capture_fd_output=False"]
        try:
            self.process = subprocess.Popen(command, cwd=self.work, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=write_end, stderr=write_end, start_new_session=True)
        finally:
            os.close(write_end)
        threading.Thread(target=self._read_log, args=(read_end,), name="sprint19-kernel-log", daemon=True).start()
        self._wait_for_ports(connection_file, deadline)
        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        while True:
            if not self.alive():
                raise KernelStartError("the kernel died while starting" + self._last_words())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelStartError("the kernel did not answer in time")
            try:
                self.client.wait_for_ready(timeout=min(remaining, 3.0))
                return
            except RuntimeError:
                continue

    def _write_connection_file(self) -> Path:
        """A connection file with every port 0: the kernel binds ports of its own choosing and writes them in.

        Choosing free ports here and handing them over (jupyter_client's way) leaves a moment in which
        another room's kernel, started at the same time, can bind the same port and die of it; ipykernel
        binds a random port itself and tries again when it is taken.
        """
        path = self.room / f"kernel-{secrets.token_hex(4)}.json"  # a restarted kernel gets a file of its own
        info = {"transport": "tcp", "ip": "127.0.0.1", "key": secrets.token_hex(32), "signature_scheme": "hmac-sha256",
                **{f"{channel}_port": 0 for channel in _CHANNELS}}
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(info, file)
        return path

    def _wait_for_ports(self, path: Path, deadline: float) -> None:
        """Wait until the kernel has written the ports it bound into the connection file."""
        while True:
            with contextlib.suppress(OSError, ValueError):
                info = json.loads(path.read_text(encoding="utf-8"))
                if all(isinstance(info.get(f"{channel}_port"), int) and info[f"{channel}_port"] > 0
                       for channel in _CHANNELS):
                    return
            if not self.alive():
                raise KernelStartError("the kernel died while starting" + self._last_words())
            if time.monotonic() >= deadline:
                raise KernelStartError("the kernel did not answer in time")
            time.sleep(0.02)

    def _read_log(self, fd: int) -> None:
        with open(fd, "rb") as pipe:
            for raw in pipe:
                self.log_tail.append(raw[:500].decode("utf-8", "replace").rstrip())

    def _last_words(self) -> str:
        return f" ({self.log_tail[-1]})" if self.log_tail else ""

    def telling_line(self) -> str:
        """The last line of the kernel's own output that says why it died (a fatal native line, a Python error).

        Returns ``""`` when there is none (TensorFlow's start-up chatter does not count).
        """
        telling = [line.strip() for line in self.log_tail
                   if not _CHATTER_LINE.match(line) and (FATAL_LINE.search(line) or _TELLING_LINE.search(line))]
        return one_line(telling[-1], 160) if telling else ""

    def alive(self) -> bool:
        """Whether the kernel process is still running."""
        return self.process is not None and self.process.poll() is None

    def interrupt(self) -> None:
        """Send the kernel (and its process group) a KeyboardInterrupt."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)  # the kernel's own session: its group has its pid
        except (OSError, AttributeError):  # the student's code left the group (or no killpg: Windows)
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGINT)

    def stop(self) -> None:
        """Close the channels and kill the kernel's process group (the room kills everything else)."""
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.stop_channels()
        if self.process is not None:
            kill_group(self.process.pid)
            with contextlib.suppress(OSError):
                self.process.kill()

    # === Running code ===

    def _wait_idle(self, msg_id: str, deadline: float, outputs: _Outputs | None) -> str:
        """Read IOPub until the request ``msg_id`` is done: ``"ok"``, ``"timed out"``, ``"stuck"`` or ``"died"``."""
        interrupted_at = None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now >= deadline:
                self.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now >= interrupted_at + INTERRUPT_GRACE:
                return STUCK
            try:
                msg = self.client.get_iopub_msg(timeout=_POLL)
            except queue.Empty:
                if not self.alive():
                    return DIED
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                return TIMED_OUT if interrupted_at is not None else OK
            if outputs is not None:
                outputs.message(msg)

    def _reply(self, msg_id: str) -> dict:
        """The shell reply to ``msg_id`` (already sent when IOPub says idle), or ``{}``."""
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            try:
                msg = self.client.get_shell_msg(timeout=_POLL)
            except queue.Empty:
                if not self.alive():
                    return {}
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg.get("content", {})
        return {}

    def run_cell(self, source: str, deadline: float) -> CellRun:
        """Run one code cell like Jupyter does, keeping its outputs (capped).

        Args:
            source: the cell's code.
            deadline: ``time.monotonic()`` after which the kernel is interrupted.

        Returns:
            A :class:`CellRun`.
        """
        outputs = _Outputs(self.output_budget)
        msg_id = self.client.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        status = self._wait_idle(msg_id, deadline, outputs)
        run = CellRun(status, dropped=outputs.dropped)
        if status == OK:
            reply = self._reply(msg_id)
            run.execution_count = reply.get("execution_count")
            if reply.get("status") == "error":
                run.status = ERROR
                run.error = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
        run.outputs = outputs.final()
        return run

    def ask(self, code: str, deadline: float) -> str:
        """Run the grader's code silently (no history, outputs discarded).

        Returns ``"ok"``, ``"error"``, ``"timed out"``, ``"stuck"`` or ``"died"``.

        Args:
            code: the code.
            deadline: ``time.monotonic()`` after which the kernel is interrupted.
        """
        msg_id = self.client.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
        status = self._wait_idle(msg_id, deadline, None)
        if status != OK:
            return status
        return ERROR if self._reply(msg_id).get("status") == "error" else OK
