"""Running an exercise's cases and saying how they went: the notebooks' check cells and the grader share it.

A check cell (``s19.exercises.check_rle(rle_encode)``) calls the student's function on the
exercise's *visible* cases, here in the notebook, and prints **one line**::

    ✅ check_rle: 8/8 cases
    ❌ check_rle: 4/8 cases; case 1 (the 3×3 example of the notebook): expected 1 run, got 2 — hint: a run goes on …

The grader calls the same functions on *grade-time* cases in the student's kernel, brings the
answers back as plain data and judges them in its own process with :func:`tally` — the same
comparison, without the hints. Every answer takes the plain-data round trip
(:func:`~sprint19_unet.teaching.plain_data.round_trip`) before it is compared, here too, so a
check cell and the grader see the same value.

A check is deterministic, names the failing case with what differed and a hint (never a solution),
and turns the student's exception into a ❌ line, never a traceback. It decides no grade — except
under nbgrader's autograde (``NBGRADER_EXECUTION``), where a failed check raises ``AssertionError``.

Example:
    >>> from sprint19_unet.teaching.exercises import check_rle
    >>> from sprint19_unet.data.rle import encode_rle
    >>> check_rle(encode_rle).passed
    ✅ check_rle: 8/8 cases
    True
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from sprint19_unet.errors import one_line
from sprint19_unet.teaching.exercises.registry import EXERCISES, Case, Exercise, Mismatch
from sprint19_unet.teaching.plain_data import round_trip

PASS_MARK, FAIL_MARK = "✅", "❌"
SHOWN_CHARS = 120  # how much of a student's exception message a line quotes
NOT_DONE = "not done yet (the function raises NotImplementedError)"
NOT_DONE_HINT = "replace that line with your code"
NBGRADER_VARIABLE = "NBGRADER_EXECUTION"  # nbgrader sets it while it autogrades (or validates) a notebook


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """What one check found: the line it printed, and whether every case passed.

    Args:
        exercise: the exercise's name in :data:`~sprint19_unet.teaching.exercises.EXERCISES`.
        passed: True when every case passed.
        message: the line printed in the notebook (starts with ✅ or ❌).
        cases_passed: how many cases passed.
        cases_total: how many cases the check ran.
        answer: a written answer's text, else ``""``.

    Example:
        >>> CheckResult("rle", True, "✅ check_rle: 8/8 cases", 8, 8).passed
        True
    """

    exercise: str
    passed: bool
    message: str
    cases_passed: int = 0
    cases_total: int = 0
    answer: str = ""

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: the check has printed its line already."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one call into a student's code gave: a plain value, or why there is none.

    Args:
        value: the answer, as plain data.
        error: ``"TypeError: …"`` when the code raised.
        not_done: the code raised ``NotImplementedError`` (the untouched template).
        timed_out: the time limit in seconds, when the call ran past it.
        missing: the name the notebook does not define (the grader only).
    """

    value: object = None
    error: str = ""
    not_done: bool = False
    timed_out: float = 0.0
    missing: str = ""


@dataclasses.dataclass(frozen=True)
class Tally:
    """How an exercise's cases went.

    Args:
        passed: cases passed.
        total: cases run.
        first_failure: ``"case N (description): what differed"`` for the first failing case, or ``""``.
        hint: the hint for that failure (the notebook shows it; the grader keeps it beside the row), or ``""``.
        note: what ``compare`` said about a single passing case (e.g. the scores), or ``""``.
    """

    passed: int
    total: int
    first_failure: str = ""
    hint: str = ""
    note: str = ""

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total


def exception_text(error: BaseException) -> str:
    """An exception as ``TypeError: …`` on one short line, even when its ``__str__`` raises.

    Example:
        >>> exception_text(ValueError("bad shape"))
        'ValueError: bad shape'
    """
    try:
        detail = one_line(error, SHOWN_CHARS)
    except KeyboardInterrupt:
        raise
    except BaseException:  # a student's exception whose __str__ raises (SystemExit too)
        detail = ""
    return type(error).__name__ + (f": {detail}" if detail else "")


def crash_text(error: BaseException) -> str:
    """How a student's exception reads in a line: ``your function raised TypeError: …``.

    Example:
        >>> crash_text(ValueError("bad shape"))
        'your function raised ValueError: bad shape'
    """
    return "your function raised " + exception_text(error)


def _problem(exercise: Exercise, case: Case, outcome: Outcome) -> tuple[str, str, str]:
    """(what went wrong, its hint, a note) for one case; what is ``""`` when the case passed."""
    hint = ""
    if outcome.missing:
        what = f"not attempted: the notebook defines no {outcome.missing}"
    elif outcome.not_done:
        what, hint = NOT_DONE, NOT_DONE_HINT
    elif outcome.timed_out:
        what = f"your function ran past its {outcome.timed_out:g} s"
        hint = "look for a loop that never ends"
    elif outcome.error:
        what, hint = outcome.error, exercise.crash_hint
    else:
        try:
            note = exercise.compare(case, outcome.value)
        except Mismatch as mismatch:
            what, hint = mismatch.what, mismatch.hint
        else:
            return "", "", note or ""
    return what, hint, ""


def tally(exercise: Exercise, cases: list[Case], outcomes: list[Outcome]) -> Tally:
    """Compare every outcome with its case; count the passes and describe the first failure.

    Args:
        exercise: the exercise (its ``compare``).
        cases: its cases.
        outcomes: one :class:`Outcome` per case (the student's answers, as plain data).

    Returns:
        A :class:`Tally`.

    Example:
        >>> from sprint19_unet.teaching.exercises import EXERCISES
        >>> rle = EXERCISES["rle"]
        >>> cases = rle.visible_cases()[:2]
        >>> result = tally(rle, cases, [Outcome("3 4"), Outcome(not_done=True)])
        >>> result.passed, result.first_failure, result.hint
        (1, 'case 2 (an empty mask): not done yet (the function raises NotImplementedError)', 'replace that line with your code')
    """
    passed, first_failure, first_hint, note = 0, "", "", ""
    for number, (case, outcome) in enumerate(zip(cases, outcomes), start=1):
        what, hint, case_note = _problem(exercise, case, outcome)
        if not what:
            passed += 1
            note = case_note
        elif not first_failure:
            first_failure, first_hint = f"case {number} ({case.description}): {what}", hint
    return Tally(passed, len(cases), first_failure, first_hint, note if len(cases) == 1 else "")


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def call_student(function, case: Case) -> Outcome:
    """Call the student's function on a case (on copies of its inputs), here in this process.

    Args:
        function: the student's function.
        case: the case.

    Returns:
        The :class:`Outcome`, its value after the plain-data round trip.

    Example:
        >>> call_student(lambda x: x + 1, Case("one", (1,))).value
        2
    """
    try:
        value = function(*(_copy(arg) for arg in case.args), **{key: _copy(v) for key, v in case.kwargs.items()})
    except NotImplementedError:
        return Outcome(not_done=True)
    except KeyboardInterrupt:  # the student stops a loop
        raise
    except BaseException as error:  # the student's code may raise anything, SystemExit too: never stop the notebook
        return Outcome(error=crash_text(error))
    try:
        return Outcome(round_trip(value))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # an int too long for JSON; an answer whose __array__ raises, SystemExit too
        return Outcome(error="your function's answer could not be read: " + exception_text(error))


def line(label: str, result: Tally) -> str:
    """The one line a check prints for a tally.

    Example:
        >>> line("check_rle", Tally(8, 8))
        '✅ check_rle: 8/8 cases'
    """
    if result.all_passed:
        return f"{PASS_MARK} {label}: " + (result.note or f"{result.total}/{result.total} cases")
    return (f"{FAIL_MARK} {label}: {result.passed}/{result.total} cases; {result.first_failure}"
            + (f" — hint: {result.hint}" if result.hint else ""))


def _under_nbgrader(message: str) -> None:
    """Under nbgrader's autograde a failed check raises, so nbgrader scores its cell 0 (a notebook goes on)."""
    if os.environ.get(NBGRADER_VARIABLE):
        raise AssertionError(message)


def report(exercise: Exercise, label: str, result: Tally, answer: str = "") -> CheckResult:
    """Print the check's line and return its :class:`CheckResult` (under nbgrader, a failure raises)."""
    message = line(label, result)
    print(message)
    if not result.all_passed:
        _under_nbgrader(message)
    return CheckResult(exercise.name, result.all_passed, message, result.passed, result.total, answer)


def refuse_non_functions(exercise: Exercise, functions: tuple) -> CheckResult | None:
    """A ❌ result when the student passed something that is not a function, else None."""
    for value, answer in zip(functions, exercise.answers):
        if not callable(value):
            message = (f"{FAIL_MARK} {exercise.check.__name__}: expected {answer}, a function; received "
                       f"{one_line(repr(value), 60)} — hint: pass the function itself, without calling it "
                       "(no parentheses)")
            print(message)
            _under_nbgrader(message)
            return CheckResult(exercise.name, False, message, 0, 0)
    return None


def run_check(name: str, *functions) -> CheckResult:
    """The check of a function exercise: its visible cases, here, with hints; one printed line.

    Args:
        name: the exercise's name.
        *functions: the student's functions, in the order of the exercise's ``answers``.

    Returns:
        The :class:`CheckResult`.

    Example:
        >>> run_check("valid_output_size", lambda size: 0).passed
        ❌ check_valid_output_size: 0/5 cases; case 1 (the paper's tile, 572): expected a different size than 0 — hint: ...
        False
    """
    exercise = EXERCISES[name]
    refused = refuse_non_functions(exercise, functions)
    if refused is not None:
        return refused
    by_name = dict(zip(exercise.names, functions))
    cases = exercise.visible_cases()
    outcomes = [call_student(by_name[case.call or exercise.names[0]], case) for case in cases]
    return report(exercise, exercise.check.__name__, tally(exercise, cases, outcomes))
