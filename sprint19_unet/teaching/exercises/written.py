"""Problem 2's written answers about the paper: recorded for the teacher, never passed automatically.

A notebook cell holds the answer in a variable named after the question (``weight_map_answer =
\"\"\"…\"\"\"``) and calls :func:`check_answer`, which says whether it is still empty or the template's
placeholder and how many words it has. No keyword matching: a right answer in one's own words must
not fail. The grader reads the variable's text and leaves the row for the teacher (``review``); an
empty or placeholder answer gets 0.

Example:
    >>> is_placeholder("YOUR ANSWER HERE"), is_placeholder("My answer: your answer here is mirroring.")
    (True, False)
"""

from __future__ import annotations

import functools
import re

from sprint19_unet.errors import bad_input
from sprint19_unet.teaching.exercises.registry import Case, exercise
from sprint19_unet.teaching.exercises.self_check import FAIL_MARK, PASS_MARK, CheckResult

QUESTIONS = {
    "weight_map": "What is the weight map of Eq. 2 for? Why do the thin borders between touching cells get a "
                  "large weight?",
    "augmentation": "The paper trains on only 30 images. Which data augmentation does it rely on most, and why "
                    "does it suit these biomedical images?",
    "overlap_tile": "The paper's U-Net uses unpadded ('valid') convolutions. What does that do to the output "
                    "size, and how does the overlap-tile strategy still segment a whole large image seamlessly?",
}
"""Question name → the question, in the order of the notebook."""

PLACEHOLDER = "YOUR ANSWER HERE"  # what scripts/make_exercises leaves where the solution's text was
MIN_WORDS = 20


# What a template leaves where a written answer goes: ours, and nbgrader's code stub (nbgrader does not know
# that the solution region of a written answer sits inside a string).
TEMPLATE_TEXTS = (PLACEHOLDER, "# YOUR CODE HERE", "raise NotImplementedError()")


def is_placeholder(text: str) -> bool:
    """Whether a written answer is only a template's text (with nothing else written around it).

    Args:
        text: the answer.

    Returns:
        True when nothing but ``YOUR ANSWER HERE`` — or nbgrader's stub ``# YOUR CODE HERE`` /
        ``raise NotImplementedError()`` — spaces and punctuation is left.

    Example:
        >>> is_placeholder("  YOUR ANSWER HERE  "), is_placeholder("# YOUR CODE HERE\\nraise NotImplementedError()")
        (True, True)
    """
    rest, found = text, False
    for template in TEMPLATE_TEXTS:
        found = found or template in rest
        rest = rest.replace(template, " ")
    return found and not re.search(r"\w", rest)


def text_problem(text) -> str:
    """Why a written answer is not an answer yet (``""`` when it is one).

    Example:
        >>> text_problem("   "), text_problem("The border is mirrored.")
        ('no answer yet', '')
    """
    if not isinstance(text, str) or not text.strip():
        return "no answer yet"
    if is_placeholder(text):
        return "still the template's placeholder"
    return ""


def check_answer(question: str, text, min_words: int = MIN_WORDS) -> CheckResult:
    """Record a short written answer about the paper.

    The line says whether the answer is there: not empty, no longer the template's
    ``YOUR ANSWER HERE``, at least ``min_words`` words. It is not matched against
    keywords; your teacher reads it (the grader leaves it for review).

    Args:
        question: a key of :data:`QUESTIONS` (``"weight_map"``, ``"augmentation"``, ``"overlap_tile"``).
        text: the student's answer.
        min_words: the fewest words that count as an answer.

    Returns:
        The :class:`~sprint19_unet.teaching.exercises.self_check.CheckResult` (exercise
        ``"answer_<question>"``; the line is printed).

    Raises:
        Sprint19Error: for an unknown question (the notebook's mistake, not the student's).

    Example:
        >>> check_answer("weight_map", "YOUR ANSWER HERE").passed
        ❌ check_answer('weight_map'): still the template's placeholder — hint: write your answer in your own words (at least 20 words)
        False
    """
    if question not in QUESTIONS:
        raise bad_input("question", repr(question), f"one of {', '.join(map(repr, QUESTIONS))}",
                        "Use the question name given in the notebook.")
    name, label = f"answer_{question}", f"check_answer({question!r})"
    hint = f"write your answer in your own words (at least {min_words} words)"
    problem = text_problem(text)
    answer = text.strip() if isinstance(text, str) else ""
    if problem:
        message = f"{FAIL_MARK} {label}: {problem} — hint: {hint}"
    elif len(answer.split()) < min_words:
        problem = "short"
        message = f"{FAIL_MARK} {label}: {len(answer.split())} words — hint: {hint}; say why, not only what"
    else:
        message = f"{PASS_MARK} {label}: recorded ({len(answer.split())} words); your teacher reads it"
    print(message)
    return CheckResult(name, not problem, message, int(not problem), 1, answer)


_TITLES = {"weight_map": "in words: what the weight map of Eq. 2 is for",
           "augmentation": "in words: the augmentation the paper relies on",
           "overlap_tile": "in words: unpadded convolutions and overlap-tile"}


def _read_the_answer(variable: str, rng=None) -> list[Case]:
    """The grader's one case for a written answer: it reads the variable (``rng`` is not needed)."""
    return [Case("the written answer", call=variable)]


for _question in QUESTIONS:
    exercise(name=f"answer_{_question}", assignment="problem2", title=_TITLES[_question],
             answers=(f"{_question}_answer",), kind="text",
             grade_cases=functools.partial(_read_the_answer, f"{_question}_answer"))(
        functools.partial(check_answer, _question))
