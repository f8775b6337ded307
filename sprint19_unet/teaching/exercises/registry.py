"""The exercises, each registered once: its self-check, its grade-time cases, its reference and its points.

An exercise is declared where its check is written, with the :func:`exercise` decorator::

    @exercise(name="rle", assignment="problem1", title="run-length encoding", answers=("rle_encode(mask)",),
              visible_cases=_rle_visible, grade_cases=_rle_grade, compare=_rle_compare, rewrites=("encode_rle",))
    def check_rle(encode_fn): ...

Everything else follows from that one place: :data:`EXERCISES` and :data:`ASSIGNMENTS` (in the
order of registration, which is the order of the notebook), :func:`describe` (the table printed at
the top of each exercise notebook), the grader's rows, and the counts in the tests.

What an exercise holds (its cases, comparison, answers, review rules, points): :class:`Exercise`.

Example:
    >>> from sprint19_unet.teaching import exercises
    >>> ASSIGNMENTS["problem2"][:2]
    ('valid_output_size', 'copy_and_crop')
    >>> EXERCISES["rle"].names, EXERCISES["rle"].points
    (('rle_encode',), 1)
"""

from __future__ import annotations

import dataclasses
from typing import Callable

# what the grader does with an exercise's answers
KINDS = {
    "function": "calls the notebook's function(s) on each grade-time case",
    "model": "asks the notebook's trained model for probabilities on new images",
    "text": "reads the written answer for the teacher (never passed automatically)",
}


class Mismatch(Exception):
    """An answer differs from the reference: what differed, and a hint about the idea behind it.

    Args:
        what: what differed, without giving the expected answer away where that would be the solution.
        hint: what to look at (shown in the notebook, not in the grades file).
    """

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


@dataclasses.dataclass(frozen=True)
class Case:
    """One input for a student's code and what the reference makes of it.

    Args:
        description: how a ❌ line names the case (``"a 3×5 mask (not square)"``).
        args: the positional arguments (NumPy arrays, numbers, strings).
        kwargs: the keyword arguments.
        expected: the reference's answer, or whatever ``compare`` needs to judge one.
        call: which of the exercise's names is called (``""``: the first).
        hint: a hint for this case (``compare`` may use it).
    """

    description: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    expected: object = None
    call: str = ""
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of an assignment; build it with :func:`exercise`.

    What an exercise holds:

    * ``visible_cases()`` — the cases its check cell runs in the notebook, for learning (✅/❌ with hints);
    * ``grade_cases(rng)`` — cases drawn by the grader from a seed made when grading starts: never shown
      to students, different from the visible ones; their expected answers stay in the grader's process;
    * ``compare(case, answer)`` — one comparison for both: ``answer`` is plain data (numbers, strings,
      NumPy arrays, see :mod:`sprint19_unet.teaching.plain_data`); it raises :class:`Mismatch` saying what
      differed (and a hint, which only the notebook shows);
    * ``answers`` — what the notebook defines (functions with their parameters, ``model``, or a text
      variable), which the grader asks for by name;
    * ``rewrites`` — the package's functions the student writes again: the notebooks never print their
      source (a test checks); ``references`` — further package names that solve the exercise. An answer
      whose code names either is passed to the teacher for review instead of being passed automatically;
    * ``tell_tales`` — the exercise's answer as it would read in a notebook (``388`` for the paper's tile):
      no cell before the exercise may contain it (a test checks);
    * ``points`` — what the exercise is worth.
    """

    name: str
    assignment: str
    title: str
    answers: tuple
    check: Callable
    kind: str = "function"
    visible_cases: Callable | None = None
    grade_cases: Callable | None = None
    compare: Callable | None = None
    rewrites: tuple = ()
    references: tuple = ()
    tell_tales: tuple = ()
    points: int = 1
    seconds_per_call: float = 10.0
    crash_hint: str = ""

    @property
    def names(self) -> tuple:
        """The names the notebook defines for this exercise (``answers`` without their parameters)."""
        return tuple(answer.split("(")[0].strip() for answer in self.answers)


EXERCISES: dict[str, Exercise] = {}
"""Exercise name → :class:`Exercise`, in the order of registration. The name is what the grades file calls it."""

ASSIGNMENTS: dict[str, tuple[str, ...]] = {}
"""Assignment → the names of its exercises, in the order of its notebook. A notebook names its
assignment in its metadata (``{"sprint19": {"assignment": "problem1"}}``) or in its file name."""


def exercise(*, name: str, assignment: str, title: str, answers: tuple, kind: str = "function",
             visible_cases=None, grade_cases=None, compare=None, rewrites: tuple = (), references: tuple = (),
             tell_tales: tuple = (), points: int = 1, seconds_per_call: float = 10.0, crash_hint: str = ""):
    """Register an exercise; decorates its check (the function the notebook calls).

    Args:
        name: the exercise's name in the grades file.
        assignment: the notebook it belongs to (``"problem1"``).
        title: a few words for the table of exercises.
        answers: what the notebook defines, e.g. ``("rle_encode(mask)",)``.
        kind: one of :data:`KINDS`.
        visible_cases: ``() -> list[Case]``, the check cell's cases (None: the check has its own).
        grade_cases: ``(rng) -> list[Case]``, the grader's cases (None for written answers).
        compare: ``(case, answer) -> str | None``, raises :class:`Mismatch`; may return a note for a ✅ line.
        rewrites: the package's functions the student writes again (their source is never shown).
        references: further package names that solve the exercise.
        tell_tales: the answer as a notebook would print it (no cell before the exercise may hold it).
        points: what it is worth.
        seconds_per_call: the time limit of one call into the student's code.
        crash_hint: the hint when the student's code raises.

    Returns:
        A decorator that registers the exercise and returns the check unchanged.

    Raises:
        ValueError: for a name registered twice or an unknown kind (a mistake in the package).
    """
    if kind not in KINDS:
        raise ValueError(f"exercise {name!r}: kind {kind!r} is not one of {sorted(KINDS)}")

    def register(check: Callable) -> Callable:
        if name in EXERCISES:
            raise ValueError(f"exercise {name!r} is registered twice")
        EXERCISES[name] = Exercise(name, assignment, title, tuple(answers), check, kind, visible_cases, grade_cases,
                                   compare, tuple(rewrites), tuple(references), tuple(tell_tales), points,
                                   seconds_per_call, crash_hint)
        ASSIGNMENTS[assignment] = ASSIGNMENTS.get(assignment, ()) + (name,)
        return check

    return register


def notebook_assignment(metadata) -> str | None:
    """The assignment a notebook's metadata names — ``{"sprint19": {"assignment": "problem1"}}``, or the careless
    ``{"sprint19": "problem1"}`` — if it is one of :data:`ASSIGNMENTS`; metadata of any other shape names none.

    Example:
        >>> notebook_assignment({"sprint19": {"assignment": "problem2"}}), notebook_assignment({"sprint19": ["x"]})
        ('problem2', None)
    """
    named = metadata.get("sprint19") if isinstance(metadata, dict) else None
    if isinstance(named, dict):
        named = named.get("assignment")
    return named if isinstance(named, str) and named in ASSIGNMENTS else None


def describe(assignment: str) -> str:
    """The table of an assignment's exercises, as the top of its notebook prints it.

    Args:
        assignment: a key of :data:`ASSIGNMENTS`.

    Returns:
        One heading line and one line per exercise: number, name, title, what to write, points.

    Raises:
        KeyError: for an unknown assignment.

    Example:
        >>> print(describe("problem2").splitlines()[0])
        problem2: 7 exercises, 7 points
    """
    names = ASSIGNMENTS[assignment]
    total = sum(EXERCISES[name].points for name in names)
    lines = [f"{assignment}: {len(names)} exercises, {total} points"]
    for number, name in enumerate(names, start=1):
        item = EXERCISES[name]
        writes = {"text": f'{item.answers[0]} = """…"""',
                  "model": f"{item.answers[0]}, trained, that beats predicting empty masks"}.get(item.kind,
                                                                                            ", ".join(item.answers))
        points = f"{item.points} point{'' if item.points == 1 else 's'}"
        review = ", read by your teacher" if item.kind == "text" else ""
        lines.append(f"{number:>2}. {item.title} — you write {writes} ({points}{review})")
    return "\n".join(lines)
