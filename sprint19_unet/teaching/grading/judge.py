"""The grader's judgement, in its own process: grade-time cases drawn at the start, answers judged as plain data.

**The cases.** :func:`draw_cases` draws every exercise's grade-time cases from a 128-bit seed made by
``secrets`` when grading starts, before any student code runs; their expected answers are computed
then and stay in this process. Students never see the cases, and they differ from batch to batch
(:attr:`BatchCases.digest` tells two batches apart without saying anything about them).

**The answers.** A grading room brings back, per exercise, the JSON its kernel wrote
(:mod:`sprint19_unet.teaching.grading.in_kernel`). :func:`judge` rebuilds plain values from it
(:func:`~sprint19_unet.teaching.plain_data.from_plain`; anything else is a failed case) and compares
them with the exercise's ``compare`` — here, where no student code ever ran: a patched NumPy, check
or IPython in the kernel cannot reach it.

**Review instead of a pass.** Two kinds of row leave ``passed`` empty for the teacher:

* a written answer (with its text); an empty or placeholder answer gets 0;
* an answer that passes every case but whose code names the package's own solution for the
  exercise (``s19.encode_rle`` in ``rle_encode``): :func:`names_in_answer_code` reads the code cells
  that define the answer's names. A heuristic — code that builds the name at run time
  (``getattr(s19, "encode" + "_rle")``) is not caught.

Example:
    >>> batch = draw_cases(["valid_output_size"])
    >>> len(batch.cases["valid_output_size"]), len(batch.digest)
    (6, 16)
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import re
import secrets

import numpy as np

from sprint19_unet.errors import is_real, one_line
from sprint19_unet.teaching.exercises.registry import EXERCISES, Exercise
from sprint19_unet.teaching.exercises.self_check import FAIL_MARK, PASS_MARK, Outcome, tally
from sprint19_unet.teaching.exercises.written import text_problem
from sprint19_unet.teaching.plain_data import PlainDataError, from_plain, parse_json, to_plain

_CALL_KINDS = {"function": "call", "model": "model", "text": "text"}
ANSWER_CHARS = 2000  # how much of a written answer the grades file keeps


@dataclasses.dataclass(frozen=True)
class BatchCases:
    """The grade-time cases of one batch: exercise → its cases (inputs and expected answers)."""

    cases: dict
    digest: str


def draw_cases(names) -> BatchCases:
    """Draw the grade-time cases of the given exercises from a new secret seed.

    Args:
        names: exercise names.

    Returns:
        :class:`BatchCases`.
    """
    root = np.random.SeedSequence(secrets.randbits(128))
    cases = {}
    for name, child in zip(EXERCISES, root.spawn(len(EXERCISES))):  # one stream per exercise, whichever are drawn
        if name in names and EXERCISES[name].grade_cases is not None:
            cases[name] = EXERCISES[name].grade_cases(np.random.default_rng(child))
    digest = hashlib.sha256()
    for name, drawn in cases.items():
        for case in drawn:
            digest.update(json.dumps([name, [to_plain(arg) for arg in case.args],
                                      {key: to_plain(value) for key, value in case.kwargs.items()}]).encode())
    return BatchCases(cases, digest.hexdigest()[:16])


def questions(exercise: Exercise, cases: list) -> dict:
    """What a room asks the kernel for one exercise: the calls, their plain inputs, the time limit.

    Example:
        >>> from sprint19_unet.teaching.exercises import Case
        >>> questions(EXERCISES["rle"], [Case("one pixel", (np.ones((1, 1), "uint8"),))])["calls"][0]["name"]
        'rle_encode'
    """
    return {"name": exercise.name, "limit": exercise.seconds_per_call,
            "calls": [{"kind": _CALL_KINDS[exercise.kind], "name": case.call or exercise.names[0],
                       "args": [to_plain(arg) for arg in case.args],
                       "kwargs": {key: to_plain(value) for key, value in case.kwargs.items()}} for case in cases]}


def _outcome(record) -> Outcome:
    """One answer record of a kernel as an :class:`Outcome` (an unreadable one is a failed case)."""
    if not isinstance(record, dict) or len(record) != 1:
        return Outcome(error="the answer is not plain data")
    (key, value), = record.items()
    try:
        if key == "value":
            return Outcome(from_plain(value))
        if key == "error" and isinstance(value, str):
            return Outcome(error=one_line(value, 200))
        if key == "timeout" and is_real(value):
            return Outcome(timed_out=float(value))
        if key == "not_done":
            return Outcome(not_done=True)
        if key == "missing" and isinstance(value, str):
            return Outcome(missing=one_line(value, 80))
    except PlainDataError as error:
        return Outcome(error=f"the answer is not plain data ({error})")
    return Outcome(error="the answer is not plain data")


def outcomes(text: str, count: int) -> list[Outcome] | None:
    """The outcomes in a kernel's answers file, one per case; None when the file is not what ``in_kernel`` writes.

    Example:
        >>> found = outcomes('{"answers": [{"value": 3}, {"timeout": 10}]}', 2)
        >>> [(outcome.value, outcome.timed_out) for outcome in found]
        [(3, 0.0), (None, 10.0)]
    """
    try:
        data = parse_json(text)
    except PlainDataError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), list) or len(data["answers"]) != count:
        return None
    return [_outcome(record) for record in data["answers"]]


def _binds(tree: ast.AST, names: set) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            return True
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in names:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) in names:
            return True
    return False


def _parse(source: str) -> ast.AST | None:
    """A cell's code as Python (IPython's ``%magic`` and ``!shell`` lines blanked), or None."""
    code = re.sub(r"(?m)^[ \t]*[%!].*$", "", source)
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def defines(source: str, names) -> bool:
    """Whether a cell's code binds one of ``names``: ``def name``, ``name = …``, ``name, other = …``, an import.

    Example:
        >>> defines("model, history = train(config)", ("model",)), defines("print(model)", ("model",))
        (True, False)
    """
    tree = _parse(source)
    return tree is not None and _binds(tree, set(names))


def names_in_answer_code(exercise: Exercise, sources: list) -> list:
    """The package names solving ``exercise`` that the code defining its answer names (the review heuristic).

    The cells read are those that bind one of the exercise's names (``def rle_encode``,
    ``rle_encode = …``, an import as it). A reference counts when it appears there as an attribute
    (``s19.encode_rle``), in an import, as a string, or as a plain name that is not the answer's own
    (``check_copy_and_crop(copy_and_crop)`` names the student's function, ``s19.copy_and_crop`` ours).

    Args:
        exercise: the exercise (its ``names``, ``rewrites`` and ``references``).
        sources: the notebook's code cells.

    Returns:
        The reference names found, sorted.

    Example:
        >>> names_in_answer_code(EXERCISES["rle"], ["def rle_encode(mask):\\n    return s19.encode_rle(mask)"])
        ['encode_rle']
    """
    own, found = set(exercise.names), set()
    for source in sources:
        tree = _parse(source)
        if tree is None or not _binds(tree, own):
            continue
        qualified, plain = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                qualified.add(node.attr)
            elif isinstance(node, ast.alias):
                qualified.update(node.name.split("."))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                qualified.add(node.value)
            elif isinstance(node, ast.Name):
                plain.add(node.id)
        found |= {name for name in (*exercise.rewrites, *exercise.references)
                  if name in qualified or (name in plain and name not in own)}
    return sorted(found)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The grader's verdict on one exercise: ``passed`` True / False, or None for review; the row's message,
    and the hint the notebook's check would give for the first failure (``""`` if none)."""

    passed: bool | None
    message: str
    hint: str = ""


def _text_verdict(answer: list[Outcome]) -> Verdict:
    outcome = answer[0]
    if outcome.missing:
        return Verdict(False, f"not attempted: the notebook defines no {outcome.missing}")
    text = outcome.value
    if not isinstance(text, str):
        return Verdict(False, "no answer: the answer is not a text")
    problem = text_problem(text)
    if problem:
        return Verdict(False, f"no answer: {problem}")
    return Verdict(None, f"review: a written answer of {len(text.split())} words | answer: "
                         f"{one_line(text, ANSWER_CHARS)}")


def judge(exercise: Exercise, cases: list, answer: dict, sources: list, why_not: str = "") -> Verdict:
    """Judge one exercise of one notebook from what its room brought back.

    Args:
        exercise: the exercise.
        cases: its grade-time cases (with the expected answers).
        answer: the room's ``{"status", "text"}`` for it, or ``{}`` when it asked nothing.
        sources: the notebook's code cells (for the review heuristic).
        why_not: what to say when there is no answer (how the notebook ended).

    Returns:
        A :class:`Verdict`.
    """
    found = outcomes(answer["text"], len(cases)) if answer.get("status") == "ok" and "text" in answer else None
    if found is None:
        trouble = {"ok": "the answers could not be read", "error": "the grader's questions could not run",
                   "timed out": "the grader's questions ran past their time", "stuck": "the kernel stopped answering",
                   "died": "the kernel died while answering"}.get(answer.get("status", ""))
        if trouble:
            return Verdict(False, trouble + (f" ({why_not})" if why_not else ""))
        return Verdict(False, why_not or "no answer came back")
    if exercise.kind == "text":
        return _text_verdict(found)
    if all(outcome.missing for outcome in found):
        return Verdict(False, f"not attempted: the notebook defines no {found[0].missing}" +
                       (f"; {why_not}" if why_not else ""))
    result = tally(exercise, cases, found)
    if not result.all_passed:
        return Verdict(False, f"{FAIL_MARK} {result.passed}/{result.total} grade-time cases; {result.first_failure}",
                       result.hint)
    named = names_in_answer_code(exercise, sources)
    passes = f"{result.total}/{result.total} grade-time cases" + (f" ({result.note})" if result.note else "")
    if named:
        return Verdict(None, f"review: {passes}, but the code that defines {', '.join(exercise.names)} names "
                             f"{', '.join(named)}, the package's own solution")
    return Verdict(True, f"{PASS_MARK} {passes}")
