"""What the grader runs inside a student's kernel once the notebook has run: ask the student's code for answers.

The grading room writes an exercise's grade-time inputs to a file and runs :func:`answer` in the
kernel, which writes the student's answers (or errors, or timeouts) back as plain data.

Nothing here judges: the expected answers never enter the kernel, and whatever the student's code
does to this module, the worst it can do is send answers of its choice — on inputs it has not seen
before.

The room loads this file and :mod:`sprint19_unet.teaching.plain_data` by path (:func:`ask_code`), not
through ``import sprint19_unet``: a kernel that never imported the package answers in a fraction of a
second instead of loading TensorFlow first. Only ``"model"`` questions import the package.

Example:
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ask = {"limit": 5, "calls": [{"kind": "call", "name": "double", "args": [{"list": [1, 2]}], "kwargs": {}}]}
    >>> _ = (folder / "demo.ask.json").write_text(json.dumps(ask))
    >>> answer(str(folder), "demo", {"double": lambda values: [2 * v for v in values]})
    >>> json.loads((folder / "demo.answers.json").read_text())
    {'answers': [{'value': {'list': [2, 4]}}]}
"""

from __future__ import annotations

import importlib.util
import json
import signal
import threading
from pathlib import Path


def load_by_path(name: str, path: Path):
    """Load one module file under a private name, without importing the package it belongs to.

    Example:
        >>> load_by_path("_example_plain_data", Path(__file__).resolve().parents[1] / "plain_data.py").dumps(1)
        '1'
    """
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plain_data = load_by_path("_sprint19_plain_data", Path(__file__).resolve().parents[1] / "plain_data.py")


class OutOfTime(BaseException):
    """Raised inside the student's code when its call runs past the limit.

    A BaseException, so that the student's ``except Exception`` lets it through.
    """


def _exception_text(error: BaseException) -> str:
    """``TypeError: …`` on one short line, as :func:`sprint19_unet.teaching.exercises.self_check.exception_text`
    writes it — repeated here because this file runs in the kernel without importing the package."""
    try:
        detail = " ".join(str(error).split())[:160]
    except BaseException:  # a student's exception whose __str__ raises anything
        detail = ""
    return type(error).__name__ + (f": {detail}" if detail else "")


def _out_of_time(signum, frame):
    raise OutOfTime()


def _call(kind: str, target, args: list, kwargs: dict):
    if kind == "text":
        return target
    if kind == "model":
        from sprint19_unet.estimation.predict import predict_probabilities

        return predict_probabilities(target, *args, **kwargs)
    return target(*args, **kwargs)


def _one(call: dict, namespace: dict, limit: float) -> dict:
    name = call["name"]
    if name not in namespace:
        return {"missing": name}
    args = [plain_data.from_plain(arg) for arg in call["args"]]
    kwargs = {key: plain_data.from_plain(value) for key, value in call["kwargs"].items()}
    timed = threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _out_of_time)
        signal.setitimer(signal.ITIMER_REAL, limit, 1.0)  # again every second if the first is swallowed
    try:
        value = _call(call["kind"], namespace[name], args, kwargs)
    except OutOfTime:
        return {"timeout": limit}
    except NotImplementedError:
        return {"not_done": True}
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: the student's code raised, the case fails
        return {"error": "your function raised " + _exception_text(error)}
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    try:
        encoded = plain_data.to_plain(value)
        json.dumps(encoded, allow_nan=True)
    except BaseException as error:  # e.g. an int too long for JSON, a __len__ that raises
        return {"error": "your function's answer could not be read: " + _exception_text(error)}
    return {"value": encoded}


def answer(folder: str, exercise: str, namespace: dict) -> None:
    """Answer one exercise's grade-time cases with the notebook's code (run in the student's kernel).

    The grading room writes the grade-time inputs of one exercise to ``<folder>/<exercise>.ask.json``
    and runs ``answer(folder, exercise, globals())`` in the kernel. For each case it looks the
    student's name up in the notebook's namespace and

    * ``"call"`` — calls the function on the case's inputs (fresh copies for every call),
    * ``"model"`` — asks the trained model for probabilities
      (:func:`~sprint19_unet.estimation.predict.predict_probabilities`),
    * ``"text"`` — reads the written answer,

    each call under its own time limit (``signal.setitimer``: a function that loops forever fails its
    case, not the notebook). Every answer — or the error it raised, or that it ran out of time — is
    written as plain data (:mod:`sprint19_unet.teaching.plain_data`) to ``<folder>/<exercise>.answers.json``.

    Args:
        folder: where the room put ``<exercise>.ask.json``; the answers go beside it.
        exercise: the exercise's name.
        namespace: the notebook's global names (``globals()`` of the kernel).

    Returns:
        None; writes ``<exercise>.answers.json``.
    """
    request = json.loads(Path(folder, f"{exercise}.ask.json").read_text(encoding="utf-8"))
    answers = [_one(call, namespace, float(request["limit"])) for call in request["calls"]]
    Path(folder, f"{exercise}.answers.json").write_text(json.dumps({"answers": answers}, allow_nan=True),
                                                         encoding="utf-8")


def ask_code(folder: str, exercise: str) -> str:
    """The code a room runs in the kernel for one exercise: load this file by path, answer, leave one name behind.

    Example:
        >>> "answer('/room/grader', 'rle', globals())" in ask_code("/room/grader", "rle")
        True
    """
    here = str(Path(__file__).resolve())
    return ("def __sprint19_ask():\n"
            "    import importlib.util\n"
            f"    spec = importlib.util.spec_from_file_location('_sprint19_in_kernel', {here!r})\n"
            "    module = importlib.util.module_from_spec(spec)\n"
            "    spec.loader.exec_module(module)\n"
            "    return module\n"
            f"__sprint19_ask().answer({folder!r}, {exercise!r}, globals())\n")
